import { canonicalJson, generatePlan, sha256Hex } from '../policy';
import { messageOf } from '../errors';
import type { Store } from '../store/store';
import type { CallerIdentity, IdentityProvider } from './ports';
import { partitionOf, roleRef, roleRefusal } from './roles';
import type { RoleRules } from './roles';
import type { AccessRequest, AuditEvent } from './types';

/**
 * Nothing stored is trusted before a write: the plan is derived again from the catalog and the request's own
 * parameters, and must equal what was stored, hashed and recorded in the hash-chained `requested` event; the role
 * must still pass every rule. Pure but for the catalog's validation.
 */

/** Why a write was refused; `code` is what the request's failure records. */
export interface IntegrityFailure {
  code: 'IntegrityError' | 'CatalogChanged' | 'RoleNotAllowed';
  /** Each thing that did not match, for the thread and the log. */
  problems: string[];
}

export async function checkIntegrity(
  request: AccessRequest,
  requested: AuditEvent | undefined,
  caller: CallerIdentity,
  rules: RoleRules,
): Promise<IntegrityFailure | undefined> {
  const problems = [...storedProblems(request), ...recordedProblems(request, requested)];
  if (problems.length) return { code: 'IntegrityError', problems };

  let regenerated;
  try {
    regenerated = await generatePlan({
      task: request.task,
      option: request.option,
      accountId: request.role.accountId,
      partition: partitionOf(request.role.arn),
      instance: request.instance,
    });
  } catch (error) {
    return { code: 'IntegrityError', problems: [`the plan cannot be derived again: ${messageOf(error)}`] };
  }
  const drift: string[] = [];
  if (regenerated.policyName !== request.policyName)
    drift.push(`the inline policy name is ${request.policyName}, the catalog's is ${regenerated.policyName}`);
  if (regenerated.documentText !== request.documentText)
    drift.push(
      `the stored document (SHA-256 ${request.sha256.slice(0, 12)}…) is not the catalog's (${regenerated.sha256.slice(0, 12)}…)`,
    );
  if (canonicalJson(regenerated.managedPolicyArns) !== canonicalJson(request.managedPolicyArns))
    drift.push(
      `the managed policies are ${list(request.managedPolicyArns)}, the catalog's are ${list(regenerated.managedPolicyArns)}`,
    );
  // The stored plan hashes to what was recorded when it was requested, so it is what was asked for and approved:
  // what changed is the catalog (an upgrade). Neither version is written.
  if (drift.length) return { code: 'CatalogChanged', problems: drift };

  const refusal = roleRefusal(request.role, caller, rules);
  if (refusal) return { code: 'RoleNotAllowed', problems: [refusal] };
  return undefined;
}

/** The row against itself: the role's parts agree with its ARN, and the document hashes to the stored SHA-256. */
function storedProblems(request: AccessRequest): string[] {
  const problems: string[] = [];
  try {
    const parsed = roleRef(request.role.arn);
    if (
      parsed.name !== request.role.name ||
      parsed.path !== request.role.path ||
      parsed.accountId !== request.role.accountId
    )
      problems.push(
        `the stored role (${request.role.accountId} ${request.role.path}${request.role.name}) is not the role ARN ${request.role.arn}`,
      );
  } catch (error) {
    problems.push(`the stored role ARN is not a role ARN: ${messageOf(error)}`);
  }
  const actual = sha256Hex(request.documentText);
  if (actual !== request.sha256)
    problems.push(
      `the stored document hashes to ${actual.slice(0, 12)}…, not the approved SHA-256 ${request.sha256.slice(0, 12)}…`,
    );
  return problems;
}

/** The row against the `requested` event the audit chain recorded when the request was made. */
function recordedProblems(request: AccessRequest, requested: AuditEvent | undefined): string[] {
  if (!requested || requested.type !== 'requested' || requested.requestId !== request.id)
    return ['the request has no recorded `requested` event'];
  const d = requested.details;
  const problems: string[] = [];
  const expect = (what: string, recorded: unknown, stored: unknown) => {
    if (canonicalJson(recorded ?? null) !== canonicalJson(stored ?? null))
      problems.push(`${what}: stored ${show(stored)}, recorded when requested ${show(recorded)}`);
  };
  expect('the requester', requested.actor, request.requesterId);
  expect('the role', d.roleArn, request.role.arn);
  expect('the task', d.task, request.task);
  expect('the option', d.option, request.option);
  expect('the SHA-256', d.sha256, request.sha256);
  expect('the instance', d.instance, request.instance);
  expect('the duration', d.durationSeconds, request.durationSeconds);
  // Recorded since the integrity checks came in; older requests are covered by the catalog comparison alone.
  if ('policyName' in d) expect('the inline policy name', d.policyName, request.policyName);
  if ('managedPolicyArns' in d)
    expect('the managed policies', d.managedPolicyArns, request.managedPolicyArns);
  return problems;
}

const list = (arns: readonly string[]) => (arns.length ? arns.join(', ') : 'none');
const show = (value: unknown) => (value === undefined || value === null ? 'none' : JSON.stringify(value));

/** `checkIntegrity` with what it needs looked up: the request's `requested` event and the bot's own identity. */
export class PlanVerifier {
  constructor(
    private readonly store: Store,
    private readonly identity: IdentityProvider,
    private readonly rules: RoleRules,
  ) {}

  async check(request: AccessRequest): Promise<IntegrityFailure | undefined> {
    const [events, caller] = await Promise.all([
      this.store.listEvents(request.id),
      this.identity.callerIdentity(),
    ]);
    return checkIntegrity(
      request,
      events.find((e) => e.type === 'requested'),
      caller,
      this.rules,
    );
  }
}

/** An IntegrityFailure as the request's failure: one line for the card, the problems in the event and thread. */
export function integrityMessage(failure: IntegrityFailure): string {
  switch (failure.code) {
    case 'CatalogChanged':
      return 'the policy catalog changed since this request was made (the bot was upgraded); neither version was written. Make a new request.';
    case 'RoleNotAllowed':
      return `the role no longer passes the bot's rules: ${failure.problems.join('; ')}`;
    case 'IntegrityError':
      return 'the stored request does not match what was requested and approved; nothing was written.';
  }
}
