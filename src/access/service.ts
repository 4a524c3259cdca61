import { randomBytes } from 'node:crypto';
import { generatePlan } from '../policy';
import type { ConnectInstanceScope, PolicyPlan } from '../policy';
import type { Logger } from '../log';
import type { Store } from '../store/store';
import { isRequestId, parseInstanceText } from './command';
import type { RequestCommand } from './command';
import { formatDuration } from './duration';
import { IamError } from './ports';
import type { ApproverDirectory, Clock, IamAccess, IdentityProvider, Notifier } from './ports';
import { PlanApplier } from './applier';
import { Reporter } from './reporter';
import { guardrailRefusal, isAllowed, parseRoleInput, partitionOf, RoleInputError } from './roles';
import type { AccessRequest, RoleRef } from './types';

/**
 * The workflow's decisions: submit, approve (then the applier writes and verifies), deny, retry. It knows the store
 * and the ports, never Slack or AWS.
 */

export interface GrantDurations {
  /** Applied to requests without `--for`; absent: grants last until revoked (unless a maximum is set). */
  defaultSeconds?: number;
  maxSeconds?: number;
}

export interface AccessServiceDeps {
  store: Store;
  iam: IamAccess;
  /** Roles in other accounts are reachable only when a cross-account role is configured. */
  crossAccount?: boolean;
  identity: IdentityProvider;
  notifier: Notifier;
  approvers: ApproverDirectory;
  clock: Clock;
  logger: Logger;
  allowedRolePatterns: readonly string[];
  /** Region of a bare `--instance <id>`; an instance ARN carries its own. */
  awsRegion?: string;
  grantDurations?: GrantDurations;
  /** Read-back attempts for IAM's eventual consistency, and the first pause between them (doubling). */
  verifyAttempts?: number;
  verifyDelayMs?: number;
  /** How long an apply owns its request before a restart or another replica may take it over. */
  leaseMs?: number;
}

/** Which field of the request dialog a refusal is about, so it can be shown inline there. */
export type RequestField = 'role' | 'instance' | 'duration' | 'reason';

export type Outcome<T> = { ok: true; value: T } | { ok: false; message: string; field?: RequestField };

const refuse = <T>(message: string, field?: RequestField): Outcome<T> => ({ ok: false, message, field });

/** Short, unambiguous, unguessable: `CA-` and 10 Crockford base32 characters. */
export function newRequestId(): string {
  const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
  return `CA-${[...randomBytes(10)].map((b) => alphabet[b % 32]).join('')}`;
}

/** A request that passed every check, ready to be stored and shown to approvers. */
export interface PreparedRequest {
  role: RoleRef;
  plan: PolicyPlan;
  instance?: ConnectInstanceScope;
  durationSeconds?: number;
  reason: string;
}

export class AccessService {
  readonly report: Reporter;
  /** Writes approved plans and resumes interrupted ones. */
  readonly applier: PlanApplier;

  constructor(private readonly deps: AccessServiceDeps) {
    this.report = new Reporter(deps.notifier, deps.logger);
    this.applier = new PlanApplier({
      store: deps.store,
      iam: deps.iam,
      clock: deps.clock,
      logger: deps.logger,
      report: this.report,
      verifyAttempts: deps.verifyAttempts,
      verifyDelayMs: deps.verifyDelayMs,
      leaseMs: deps.leaseMs,
    });
  }

  /** Every check a request must pass before anyone is asked to approve it. Writes nothing. */
  async prepare(requesterId: string, command: RequestCommand): Promise<Outcome<PreparedRequest>> {
    const { identity } = this.deps;
    let input;
    try {
      input = parseRoleInput(command.roleText);
    } catch (error) {
      if (error instanceof RoleInputError) return refuse(error.message, 'role');
      throw error;
    }
    const caller = await identity.callerIdentity();
    const partition = partitionOf(caller.arn);
    const claimed: RoleRef =
      input.kind === 'arn'
        ? input.role
        : {
            arn: `arn:${partition}:iam::${caller.accountId}:role/${input.name}`,
            accountId: caller.accountId,
            name: input.name,
            path: '/',
          };

    if (claimed.accountId !== caller.accountId && !this.deps.crossAccount)
      return refuse(
        `\`${claimed.arn}\` is in account ${claimed.accountId}; this bot manages roles in its own account (${caller.accountId}) only (CROSS_ACCOUNT_ROLE_NAME is not set).`,
        'role',
      );
    const guard = guardrailRefusal(claimed, caller);
    if (guard) return refuse(guard, 'role');
    if (input.kind === 'arn' && !isAllowed(claimed.arn, this.deps.allowedRolePatterns))
      return refuse(notAllowed(claimed.arn), 'role');

    const duration = this.grantDuration(command.durationSeconds);
    if (!duration.ok) return duration;

    let instance: ConnectInstanceScope | undefined;
    if (command.instanceText) {
      const parsed = parseInstanceText(command.instanceText);
      if (!parsed)
        return refuse(`\`${command.instanceText}\` is not an Amazon Connect instance ID or ARN.`, 'instance');
      if (parsed.accountId && parsed.accountId !== claimed.accountId)
        return refuse(
          `The instance is in account ${parsed.accountId} but the role is in ${claimed.accountId}.`,
          'instance',
        );
      const region = parsed.region ?? this.deps.awsRegion;
      if (!region)
        return refuse(
          '`--instance` with a bare ID needs the bot’s AWS_REGION; give the instance ARN instead.',
          'instance',
        );
      instance = { instanceId: parsed.instanceId, region };
    }

    let found;
    try {
      const iam = await this.deps.iam.forAccount(claimed.accountId, {
        sessionName: 'cases-access-request-check',
        sourceIdentity: requesterId,
      });
      found = await iam.getRole(claimed.name);
    } catch (error) {
      if (!(error instanceof IamError)) throw error;
      return refuse(
        `The role could not be checked in account ${claimed.accountId}: ${error.code}: ${error.message}`,
        'role',
      );
    }
    if (!found)
      return refuse(`The role \`${claimed.name}\` does not exist in account ${claimed.accountId}.`, 'role');
    if (input.kind === 'arn' && found.arn !== claimed.arn)
      return refuse(
        `The role \`${claimed.name}\` exists as \`${found.arn}\`, not \`${claimed.arn}\`. Use its exact ARN.`,
        'role',
      );
    const role: RoleRef = { ...claimed, arn: found.arn, path: found.path };
    const realGuard = guardrailRefusal(role, caller);
    if (realGuard) return refuse(realGuard, 'role');
    if (!isAllowed(role.arn, this.deps.allowedRolePatterns)) return refuse(notAllowed(role.arn), 'role');

    const plan = await generatePlan({
      task: command.task,
      option: command.option,
      accountId: role.accountId,
      partition,
      instance,
    });
    return {
      ok: true,
      value: { role, plan, instance, durationSeconds: duration.value, reason: command.reason },
    };
  }

  private grantDuration(requested: number | undefined): Outcome<number | undefined> {
    const { defaultSeconds, maxSeconds } = this.deps.grantDurations ?? {};
    if (requested !== undefined && maxSeconds !== undefined && requested > maxSeconds)
      return refuse(
        `\`--for ${formatDuration(requested)}\` is longer than the maximum of ${formatDuration(maxSeconds)} (MAX_GRANT_DURATION).`,
        'duration',
      );
    // With a maximum set, no grant is open-ended: the default falls back to the maximum.
    return { ok: true, value: requested ?? defaultSeconds ?? maxSeconds };
  }

  /** Validates, stores and posts the approval card. A refusal writes nothing. */
  async submit(
    requesterId: string,
    command: RequestCommand,
  ): Promise<Outcome<{ request: AccessRequest; cardLink?: string }>> {
    const prepared = await this.prepare(requesterId, command);
    if (!prepared.ok) return prepared;
    const { store, notifier, clock } = this.deps;
    const { role, plan, instance, durationSeconds, reason } = prepared.value;
    const now = clock.now();
    const id = newRequestId();
    const request = await store.createRequest(
      {
        id,
        createdAt: now,
        requesterId,
        role,
        task: plan.task,
        option: plan.option,
        instance,
        reason,
        policyName: plan.policyName,
        documentText: plan.documentText,
        managedPolicyArns: plan.managedPolicyArns,
        sha256: plan.sha256,
        durationSeconds,
      },
      {
        requestId: id,
        at: now,
        actor: requesterId,
        type: 'requested',
        details: {
          roleArn: role.arn,
          task: plan.task,
          option: plan.option,
          sha256: plan.sha256,
          instance: instance ?? null,
          durationSeconds: durationSeconds ?? null,
        },
      },
    );

    try {
      const card = await notifier.postApprovalCard(request);
      await store.setCard(request.id, card);
      await store.appendEvent({
        requestId: request.id,
        at: clock.now(),
        actor: 'bot',
        type: 'card_posted',
        details: { ...card },
      });
      const withCard = { ...request, card };
      const cardLink = await this.report.quietly('card link', () => notifier.cardLink(withCard));
      return { ok: true, value: { request: withCard, cardLink: cardLink ?? undefined } };
    } catch (error) {
      this.deps.logger.error('approval card could not be posted', { requestId: request.id, error });
      await store.transition(
        request.id,
        'pending',
        'failed',
        {
          completedAt: clock.now(),
          failure: { code: 'SlackError', message: 'the approval card could not be posted' },
        },
        {
          requestId: request.id,
          at: clock.now(),
          actor: 'bot',
          type: 'failed',
          details: { code: 'SlackError', stage: 'card' },
        },
      );
      return refuse(
        `Request ${request.id} could not be posted to the approval channel, so nobody can approve it. Is the bot a member of that channel?`,
      );
    }
  }

  /** Whether `userId` may decide the request now: an approver, not the requester, and the request still pending. */
  async checkDecider(requestId: string, userId: string): Promise<Outcome<AccessRequest>> {
    const request = await this.deps.store.getRequest(requestId);
    if (!request) return refuse(noSuchRequest(requestId));
    if (request.state !== 'pending') return refuse(alreadyDecided(request));
    if (userId === request.requesterId)
      return refuse('You cannot approve or deny your own request; another approver must.');
    if (!(await this.deps.approvers.isApprover(userId)))
      return refuse('You are not an approver for cases-access, so nothing was changed.');
    return { ok: true, value: request };
  }

  /** One click wins the pending → approved update; only that click applies the stored plan. */
  async approve(requestId: string, userId: string): Promise<Outcome<AccessRequest>> {
    const { store, clock } = this.deps;
    const check = await this.checkDecider(requestId, userId);
    if (!check.ok) {
      await this.recordRefusal(requestId, userId, check.message);
      return check;
    }
    const approved = await store.transition(
      requestId,
      'pending',
      'approved',
      { decidedBy: userId, decidedAt: clock.now(), leaseUntil: this.applier.leaseEnd() },
      {
        requestId,
        at: clock.now(),
        actor: userId,
        type: 'approved',
        details: { sha256: check.value.sha256 },
      },
    );
    if (!approved) {
      const current = await store.getRequest(requestId);
      return refuse(current ? alreadyDecided(current) : noSuchRequest(requestId));
    }
    // The thread records who approved before anything is written (even if the process dies mid-apply).
    await this.report.step(approved, { kind: 'approved', by: userId });
    void this.report.updateCard(approved);
    return { ok: true, value: await this.applier.apply(approved) };
  }

  async deny(requestId: string, userId: string, reason: string): Promise<Outcome<AccessRequest>> {
    const { store, clock } = this.deps;
    const trimmed = reason.trim();
    if (!trimmed) return refuse('A reason is required to deny a request.', 'reason');
    const check = await this.checkDecider(requestId, userId);
    if (!check.ok) {
      await this.recordRefusal(requestId, userId, check.message);
      return check;
    }
    const denied = await store.transition(
      requestId,
      'pending',
      'denied',
      { decidedBy: userId, decidedAt: clock.now(), denyReason: trimmed },
      { requestId, at: clock.now(), actor: userId, type: 'denied', details: { reason: trimmed } },
    );
    if (!denied) {
      const current = await store.getRequest(requestId);
      return refuse(current ? alreadyDecided(current) : noSuchRequest(requestId));
    }
    await this.report.final(denied, { kind: 'denied', by: userId, reason: trimmed });
    return { ok: true, value: denied };
  }

  /** An approver may retry a failed request: the same approved plan, resumed where it stopped. */
  async retry(requestId: string, userId: string): Promise<Outcome<AccessRequest>> {
    const { store, clock, approvers } = this.deps;
    const request = await store.getRequest(requestId);
    if (!request) return refuse(noSuchRequest(requestId));
    if (request.state !== 'failed')
      return refuse(`Request ${requestId} is ${request.state}; only a failed request can be retried.`);
    if (!request.decidedBy) return refuse(`Request ${requestId} was never approved; it cannot be retried.`);
    if (userId === request.requesterId) return refuse('You cannot retry your own request; an approver must.');
    if (!(await approvers.isApprover(userId)))
      return refuse('Only approvers can retry a request; nothing was changed.');
    const retried = await store.transition(
      requestId,
      'failed',
      'approved',
      { leaseUntil: this.applier.leaseEnd() },
      {
        requestId,
        at: clock.now(),
        actor: userId,
        type: 'retried',
        details: { previousFailure: request.failure ?? null },
      },
    );
    if (!retried) return refuse(`Request ${requestId} is no longer failed; nothing was changed.`);
    await this.report.step(retried, { kind: 'retried', by: userId });
    void this.report.updateCard(retried);
    return { ok: true, value: await this.applier.apply(retried) };
  }

  private async recordRefusal(requestId: string, userId: string, reason: string): Promise<void> {
    const request = await this.deps.store.getRequest(requestId);
    if (!request) return;
    await this.deps.store.appendEvent({
      requestId,
      at: this.deps.clock.now(),
      actor: userId,
      type: 'approval_refused',
      details: { reason },
    });
  }
}

function notAllowed(arn: string): string {
  return `\`${arn}\` is not in ALLOWED_ROLES, so the bot may not grant it anything. Ask an administrator if it should be.`;
}

/** Names the request only when the text is a request ID: whatever else a payload carried is not echoed. */
export function noSuchRequest(requestId: string): string {
  return isRequestId(requestId) ? `There is no request ${requestId}.` : 'There is no such request.';
}

export function alreadyDecided(request: AccessRequest): string {
  const who = request.decidedBy ? `<@${request.decidedBy}>` : 'the bot';
  const when = request.decidedAt ? ` at ${request.decidedAt.toISOString()}` : '';
  const verb =
    request.state === 'denied'
      ? 'denied'
      : request.state === 'expired'
        ? 'expired'
        : request.state === 'failed' && !request.decidedBy
          ? 'closed'
          : 'approved';
  if (verb === 'expired') return `Request ${request.id} expired without a decision; nothing was changed.`;
  return `Request ${request.id} was already ${verb} by ${who}${when} (now ${request.state}); nothing was changed.`;
}
