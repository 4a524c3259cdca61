/** Identities and secrets of the benchmark rig (same shapes as test/support/harness.ts, without loading the bot). */
export const SIGNING_SECRET = 'bench-signing-secret-0123456789';
export const BOT_TOKEN = 'xoxb-bench-bot-token-abcdef';
export const ACCOUNT = '111122223333';
export const APPROVAL_CHANNEL = 'CAPPROVALS';
export const APPROVER = 'UAPPROVER1';
export const APPROVER_2 = 'UAPPROVER2';
export const REQUESTER = 'UREQUESTER';
export const GROUP_MEMBER = 'UGROUPMEMBER';
export const APPROVER_GROUP = 'SAPPROVERS';
export const COMMAND = '/cases-access';
export const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/connect-admins`;
/** ACTION.approve in src/slack/blocks.ts (the bench compiles nothing from src: it drives the built dist/). */
export const APPROVE_ACTION = 'cases_access_approve';
