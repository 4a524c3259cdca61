import { sameDocument } from '../policy';
import { echo, MAX_ARN_ECHO } from './echo';
import type { Store } from '../store/store';
import type { AccessRequest, RoleRef } from './types';

/**
 * Which inline policies on a role are the bot's: one of the grant's name counts as ours only when an active grant
 * of ours (applied, being applied or revoked, or a partly applied failure) holds exactly that document. Anything
 * else under that name was written by someone else and is never overwritten or removed.
 */
export async function ownerOfInlineDocument(
  store: Store,
  request: { id?: string; role: RoleRef; policyName: string },
  document: string,
): Promise<AccessRequest | undefined> {
  const grants = await store.listRequests({
    roleArn: request.role.arn,
    states: ['applied', 'approved', 'revoking', 'failed'],
  });
  return grants.find(
    (grant) =>
      grant.id !== request.id &&
      grant.policyName === request.policyName &&
      (grant.state !== 'failed' || grant.decidedBy !== undefined) &&
      sameDocument(document, grant.documentText),
  );
}

/** The refusal for an inline policy of the grant's name that the bot did not write. */
export function foreignPolicyRefusal(roleArn: string, policyName: string): string {
  return `${echo(roleArn, MAX_ARN_ECHO)} already has an inline policy named ${echo(policyName)} that cases-access did not write, so the bot will not overwrite it. Remove or rename it first, then ask again.`;
}
