import { randomBytes } from 'node:crypto';
import { generatePlan, inlinePolicySize, INLINE_POLICY_SIZE_LIMIT, sameDocument } from '../policy';
import type { ConnectInstanceScope, PolicyPlan } from '../policy';
import type { Logger } from '../log';
import type { Store } from '../store/store';
import { isRequestId, parseInstanceText } from './command';
import type { RequestCommand } from './command';
import { formatDuration } from './duration';
import { IamError } from './ports';
import type { ApproverDirectory, Clock, IamAccess, IamGateway, IdentityProvider, Notifier } from './ports';
import { Journal, readBack } from './journal';
import { Reporter } from './reporter';
import { guardrailRefusal, isAllowed, parseRoleInput, partitionOf, RoleInputError } from './roles';
import type { AccessRequest, RoleRef } from './types';
import { messageOf } from '../errors';

/** The workflow: submit, approve (then apply and verify), deny. It knows the store and the ports, never Slack or AWS. */

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
  private readonly verifyAttempts: number;
  private readonly verifyDelayMs: number;
  private readonly leaseMs: number;
  readonly report: Reporter;
  private readonly journal: Journal;

  constructor(private readonly deps: AccessServiceDeps) {
    this.verifyAttempts = deps.verifyAttempts ?? 5;
    this.verifyDelayMs = deps.verifyDelayMs ?? 250;
    this.leaseMs = deps.leaseMs ?? 120_000;
    this.report = new Reporter(deps.notifier, deps.logger);
    this.journal = new Journal(deps.store, deps.clock, this.report);
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
      { decidedBy: userId, decidedAt: clock.now(), leaseUntil: this.leaseEnd() },
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
    void this.report.updateCard(approved);
    void this.report.step(approved, { kind: 'approved', by: userId });
    return { ok: true, value: await this.apply(approved) };
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
      { leaseUntil: this.leaseEnd() },
      {
        requestId,
        at: clock.now(),
        actor: userId,
        type: 'retried',
        details: { previousFailure: request.failure ?? null },
      },
    );
    if (!retried) return refuse(`Request ${requestId} is no longer failed; nothing was changed.`);
    void this.report.step(retried, { kind: 'retried', by: userId });
    void this.report.updateCard(retried);
    return { ok: true, value: await this.apply(retried) };
  }

  /**
   * Finishes applies whose owner stopped (a crash, a killed replica) once their lease ran out: the role is read
   * first and only what is missing is written, so nothing is written twice and no second approval is needed.
   */
  async resumeInterrupted(): Promise<number> {
    const { store, clock } = this.deps;
    const now = clock.now();
    let resumed = 0;
    for (const stuck of await store.listRequests({ states: ['approved'] })) {
      if (stuck.leaseUntil && stuck.leaseUntil > now) continue;
      const claimed = await store.claimLease(stuck.id, 'approved', now, this.leaseEnd());
      if (!claimed) continue;
      await store.appendEvent({ requestId: claimed.id, at: now, actor: 'bot', type: 'resumed', details: {} });
      void this.report.step(claimed, { kind: 'resumed' });
      await this.apply(claimed);
      resumed += 1;
    }
    return resumed;
  }

  /** IAM where the role lives; in another account, a session named after the request and carrying the approver. */
  private iamFor(request: AccessRequest): Promise<IamGateway> {
    return this.deps.iam.forAccount(request.role.accountId, {
      sessionName: `cases-access-${request.id}`,
      sourceIdentity: request.decidedBy ?? request.requesterId,
    });
  }

  private leaseEnd(): Date {
    return new Date(this.deps.clock.now().getTime() + this.leaseMs);
  }

  /**
   * Makes the role hold the approved plan. Resumable: each write is skipped when the role already has its result,
   * and an intent is recorded before each write. Then reads it back. Any IAM error ends the request as failed,
   * reported as AWS said it, with what the role holds now.
   */
  private async apply(request: AccessRequest): Promise<AccessRequest> {
    const { store, clock } = this.deps;
    const role = request.role.name;
    try {
      const iam = await this.iamFor(request);
      // The reads that decide what to write, at once: each is a round trip to IAM.
      const [current, attachedNow, inlineNames] = await Promise.all([
        iam.getRolePolicy(role, request.policyName),
        request.managedPolicyArns.length ? iam.listAttachedRolePolicies(role) : Promise.resolve([]),
        iam.listRolePolicies(role),
      ]);
      const inPlace = current !== undefined && sameDocument(current, request.documentText);
      await this.checkLimits(iam, request, inPlace ? undefined : inlineNames, attachedNow);
      if (inPlace) {
        void this.report.step(request, {
          kind: 'already_in_place',
          what: `${request.policyName} with the approved document`,
        });
      } else {
        await this.journal.intent(request, 'PutRolePolicy', {
          policyName: request.policyName,
          sha256: request.sha256,
        });
        const put = await iam.putRolePolicy(role, request.policyName, request.documentText);
        await this.journal.iamCall(
          request,
          'PutRolePolicy',
          `${request.policyName} on ${request.role.arn}`,
          put.awsRequestId,
          {
            policyName: request.policyName,
            sha256: request.sha256,
          },
        );
      }
      if (request.managedPolicyArns.length) await this.attachManaged(iam, request, attachedNow);
      await this.verify(iam, request);
      await store.appendEvent({
        requestId: request.id,
        at: clock.now(),
        actor: 'bot',
        type: 'verified',
        details: {
          policyName: request.policyName,
          sha256: request.sha256,
          managedPolicyArns: request.managedPolicyArns,
        },
      });
      void this.report.step(request, {
        kind: 'verified',
        policyName: request.policyName,
        sha256: request.sha256,
        managedPolicyArns: request.managedPolicyArns,
      });
      const now = clock.now();
      const expiresAt = request.durationSeconds
        ? new Date(now.getTime() + request.durationSeconds * 1000)
        : undefined;
      const applied = await store.transition(
        request.id,
        'approved',
        'applied',
        { completedAt: now, expiresAt },
        {
          requestId: request.id,
          at: now,
          actor: 'bot',
          type: 'applied',
          details: { expiresAt: expiresAt?.toISOString() ?? null },
        },
      );
      const final = applied ?? request;
      void this.report.tellRequester(final, { kind: 'applied' });
      await this.report.updateCard(final);
      return final;
    } catch (error) {
      const failure =
        error instanceof IamError ? error.toFailure() : { code: 'InternalError', message: messageOf(error) };
      this.deps.logger.error('applying the plan failed', { requestId: request.id, failure });
      const onRole = await this.describeRole(request);

      const failed = await store.transition(
        request.id,
        'approved',
        'failed',
        { completedAt: clock.now(), failure },
        {
          requestId: request.id,
          at: clock.now(),
          actor: 'bot',
          type: 'failed',
          details: { ...failure, onRole: onRole ?? null },
        },
      );
      const final = failed ?? request;
      await this.report.final(final, { kind: 'failed', failure, onRole });
      return final;
    }
  }

  /**
   * Attaches what is not attached yet. Revocation may detach only what this grant attached, never what the role
   * already had: a policy counts as this grant's when the grant attached it, or recorded the intent to (a crash
   * between the call and its outcome).
   */
  private async attachManaged(iam: IamGateway, request: AccessRequest, attached: string[]): Promise<void> {
    const { store } = this.deps;
    const role = request.role.name;
    const intended = (await store.listEvents(request.id))
      .filter((e) => e.type === 'iam_intent' && e.details.operation === 'AttachRolePolicy')
      .map((e) => String(e.details.policyArn));
    const ours = new Set(request.attachedManagedArns);
    for (const arn of request.managedPolicyArns) {
      if (attached.includes(arn)) {
        if (intended.includes(arn) && !ours.has(arn)) {
          ours.add(arn);
          await store.updateRequest(request.id, { attachedManagedArns: [...ours] });
        }
        void this.report.step(request, { kind: 'already_in_place', what: `${arn} attached` });
        continue;
      }
      await this.journal.intent(request, 'AttachRolePolicy', { policyArn: arn });
      const attach = await iam.attachRolePolicy(role, arn);
      ours.add(arn);
      await store.updateRequest(request.id, { attachedManagedArns: [...ours] });
      await this.journal.iamCall(
        request,
        'AttachRolePolicy',
        `${arn} to ${request.role.arn}`,
        attach.awsRequestId,
        { policyArn: arn },
      );
    }
  }

  /**
   * IAM's size and count limits, checked before any write: the SDK retries LimitExceeded as if it were
   * throttling, and a refused write halfway through would leave a partial grant.
   */
  private async checkLimits(
    iam: IamGateway,
    request: AccessRequest,
    /** The role's inline policy names when the document is to be written; undefined when it is in place. */
    inlineNames: string[] | undefined,
    attachedNow: string[],
  ): Promise<void> {
    if (inlineNames) {
      const others = await Promise.all(
        inlineNames
          .filter((name) => name !== request.policyName)
          .map((name) => iam.getRolePolicy(request.role.name, name)),
      );
      let total = inlinePolicySize(request.documentText);
      for (const other of others) if (other !== undefined) total += inlinePolicySize(other);
      if (total > INLINE_POLICY_SIZE_LIMIT)
        throw new IamError(
          'LimitExceeded',
          `the role's inline policies would total ${total} characters without whitespace; IAM allows ${INLINE_POLICY_SIZE_LIMIT} per role. Nothing was written.`,
        );
    }
    const toAttach = request.managedPolicyArns.filter((arn) => !attachedNow.includes(arn));
    if (toAttach.length) {
      const quota = (await iam.accountSummary()).AttachedPoliciesPerRoleQuota ?? 10;
      if (attachedNow.length + toAttach.length > quota)
        throw new IamError(
          'LimitExceeded',
          `the role has ${attachedNow.length} managed policies attached; attaching ${toAttach.length} more would pass the account's quota of ${quota} (AttachedPoliciesPerRoleQuota). Nothing was written.`,
        );
    }
  }

  /** What the role holds of this plan right now, for a failure report; undefined when IAM can't be read either. */
  private async describeRole(request: AccessRequest): Promise<string | undefined> {
    try {
      const iam = await this.iamFor(request);
      const inline = await iam.getRolePolicy(request.role.name, request.policyName);
      const parts = [
        inline === undefined
          ? `no inline policy ${request.policyName}`
          : sameDocument(inline, request.documentText)
            ? `${request.policyName} with the approved document`
            : `${request.policyName} with a different document`,
      ];
      if (request.managedPolicyArns.length) {
        const attached = await iam.listAttachedRolePolicies(request.role.name);
        for (const arn of request.managedPolicyArns)
          parts.push(`${arn} ${attached.includes(arn) ? 'attached' : 'not attached'}`);
      }
      return parts.join('; ');
    } catch {
      return undefined;
    }
  }

  /** Reads the role back until it holds exactly the approved document and managed policies. */
  private async verify(iam: IamGateway, request: AccessRequest): Promise<void> {
    const { clock } = this.deps;
    const problem = await readBack(clock, this.verifyAttempts, this.verifyDelayMs, async () => {
      const stored = await iam.getRolePolicy(request.role.name, request.policyName);
      if (stored === undefined) return `the inline policy ${request.policyName} is not on the role`;
      if (!sameDocument(stored, request.documentText))
        return `the inline policy ${request.policyName} on the role differs from the approved document`;
      if (!request.managedPolicyArns.length) return undefined;
      const attached = await iam.listAttachedRolePolicies(request.role.name);
      const missing = request.managedPolicyArns.filter((arn) => !attached.includes(arn));
      return missing.length ? `not attached: ${missing.join(', ')}` : undefined;
    });
    if (problem)
      throw new IamError('VerificationFailed', `read-back after ${this.verifyAttempts} attempts: ${problem}`);
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
