/** Shapes of the identifiers a plan is built from; one definition each, used by the CLI, the command parser and the generator. */
export const ACCOUNT_ID = /^\d{12}$/;
export const INSTANCE_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;
export const PARTITION = /^aws(-cn|-us-gov|-iso|-iso-b|-iso-e|-iso-f|-eusc)?$/;
/** IAM's RoleName rule. */
export const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;
/** IAM's PolicyName rule. */
export const POLICY_NAME = /^[\w+=,.@-]{1,128}$/;
/** IAM's path rule: `/` alone or `/segments/` of printable ASCII, at most 512 characters. */
export const ROLE_PATH = /^\/([\u0021-\u007e]{1,510}\/)?$/;
