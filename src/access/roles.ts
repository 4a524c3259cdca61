import { ROLE_NAME, ROLE_PATH } from '../policy';
import { echo, MAX_ARN_ECHO } from './echo';
import type { RoleRef } from './types';

/** Role references and the rules about which roles the bot may touch. Pure. */

const ROLE_ARN = /^arn:(aws|aws-cn|aws-us-gov):iam::(\d{12}):role(\/.*)?$/;

export type RoleInput = { kind: 'arn'; role: RoleRef } | { kind: 'name'; name: string };

export class RoleInputError extends Error {
  override readonly name = 'RoleInputError';
}

/** A role ARN (`arn:aws:iam::<12 digits>:role/<path/name>`) or a bare role name. */
export function parseRoleInput(text: string): RoleInput {
  if (text.startsWith('arn:')) {
    const match = ROLE_ARN.exec(text);
    if (!match)
      throw new RoleInputError(
        `${echo(text)} is not an IAM role ARN. Use arn:aws:iam::<12-digit account>:role/<name> or a bare role name.`,
      );
    const rest = match[3] ?? '';
    const slash = rest.lastIndexOf('/');
    const path = rest.slice(0, slash + 1) || '/';
    const name = rest.slice(slash + 1);
    checkName(name);
    if (path.length > 512 || !ROLE_PATH.test(path))
      throw new RoleInputError(
        `the role path ${echo(path)} breaks IAM's rules (printable ASCII between slashes, at most 512 characters).`,
      );
    return { kind: 'arn', role: { arn: text, accountId: match[2]!, name, path } };
  }
  checkName(text);
  return { kind: 'name', name: text };
}

function checkName(name: string): void {
  if (!ROLE_NAME.test(name))
    throw new RoleInputError(
      `${echo(name)} is not a valid IAM role name: 1–64 characters of letters, digits and + = , . @ _ -.`,
    );
}

export function roleRef(arn: string): RoleRef {
  const parsed = parseRoleInput(arn);
  if (parsed.kind !== 'arn') throw new RoleInputError(`${echo(arn)} is not a role ARN`);
  return parsed.role;
}

/** `*` matches any run of characters; everything else is literal. */
export function matchesPattern(arn: string, pattern: string): boolean {
  const body = pattern
    .split('*')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`).test(arn);
}

export function isAllowed(arn: string, patterns: readonly string[]): boolean {
  return patterns.some((p) => matchesPattern(arn, p));
}

/** `aws`, `aws-cn`, `aws-us-gov`…: the partition an ARN names (the bot's own, from its caller ARN). */
export function partitionOf(arn: string): string {
  return /^arn:([^:]+):/.exec(arn)?.[1] ?? 'aws';
}

/** The role the bot itself runs as, from its STS caller ARN (assumed-role or IAM role ARN). */
export function callerRoleName(callerArn: string): string | undefined {
  return (
    /:assumed-role\/([^/]+)\//.exec(callerArn)?.[1] ??
    /:role\/(?:.*\/)?([^/]+)$/.exec(callerArn)?.[1] ??
    undefined
  );
}

/** Refusals that hold whatever ALLOWED_ROLES says. Returns the reason, or undefined when the role may be used. */
export function guardrailRefusal(
  role: RoleRef,
  caller: { accountId: string; arn: string },
  crossAccountRoleName?: string,
): string | undefined {
  if (role.path.startsWith('/aws-service-role/'))
    return `${echo(role.arn, MAX_ARN_ECHO)} is a service-linked role; AWS manages its permissions and the bot never changes them.`;
  if (
    role.accountId === caller.accountId &&
    role.name.toLowerCase() === callerRoleName(caller.arn)?.toLowerCase()
  )
    return `${echo(role.arn, MAX_ARN_ECHO)} is the role the bot itself runs as; it never grants itself permissions.`;
  // In every account: writing to the role it assumes would let the bot widen its own reach there.
  if (crossAccountRoleName && role.name.toLowerCase() === crossAccountRoleName.toLowerCase())
    return `${echo(role.arn, MAX_ARN_ECHO)} is the role the bot assumes in other accounts (CROSS_ACCOUNT_ROLE_NAME); it never grants it permissions.`;
  return undefined;
}

/** What decides which roles the bot may write to, besides IAM itself. */
export interface RoleRules {
  allowedRolePatterns: readonly string[];
  /** Set when roles in other accounts are reachable (through this role, which is never a target itself). */
  crossAccountRoleName?: string;
}

/**
 * Every rule a role must pass before the bot writes to it, asked again at each decision and before each write:
 * the account is reachable, no guardrail applies, and ALLOWED_ROLES names it. Returns the reason for a refusal.
 */
export function roleRefusal(
  role: RoleRef,
  caller: { accountId: string; arn: string },
  rules: RoleRules,
): string | undefined {
  if (role.accountId !== caller.accountId && !rules.crossAccountRoleName)
    return `${echo(role.arn, MAX_ARN_ECHO)} is in account ${role.accountId}; this bot manages roles in its own account (${caller.accountId}) only (CROSS_ACCOUNT_ROLE_NAME is not set).`;
  return (
    guardrailRefusal(role, caller, rules.crossAccountRoleName) ??
    (isAllowed(role.arn, rules.allowedRolePatterns) ? undefined : notAllowed(role.arn))
  );
}

export function notAllowed(arn: string): string {
  return `${echo(arn, MAX_ARN_ECHO)} is not in ALLOWED_ROLES, so the bot may not grant it anything. Ask an administrator if it should be.`;
}

/**
 * The ALLOWED_ROLES patterns that match a role of this name (in `accountId`, or in any account) at the root path or
 * whatever its path: start-up refuses them for the bot's own identities. A pattern confined to a path (`role/ops/*`)
 * is not reported, as the role's path is not known here; the per-request guardrail refuses the name on any path.
 */
export function patternsMatchingRoleName(
  patterns: readonly string[],
  name: string,
  accountId?: string,
): string[] {
  return patterns.filter((pattern) => {
    const match = /^arn:([^:]*):iam::([^:]*):role\/(.*)$/.exec(pattern);
    if (!match) return false;
    const [, partition = '', account = ''] = match;
    const inAccount = accountId ?? (/^\d{12}$/.test(account) ? account : '000000000000');
    const partitions = partition.includes('*') ? ['aws', 'aws-cn', 'aws-us-gov'] : [partition];
    // The root path, and a path no pattern names literally: matched only by a pattern open at any path.
    const resources = [name, `any-path-${randomTag}/${name}`];
    return partitions.some((p) =>
      resources.some((r) => matchesPattern(`arn:${p}:iam::${inAccount}:role/${r}`, pattern)),
    );
  });
}

const randomTag = 'q7x';
