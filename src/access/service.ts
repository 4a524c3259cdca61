import { randomBytes } from 'node:crypto';
import { echo, MAX_ARN_ECHO } from './echo';
import { isDatabaseUnreachable } from '../errors';
import { generatePlan, policyNameFor } from '../policy';
import type { ConnectInstanceScope, PolicyPlan } from '../policy';
import type { Logger } from '../log';
import type { Store } from '../store/store';
import { instanceProblem, isRequestId, MIN_BREAK_GLASS_REASON, parseInstanceText } from './command';
import type { RequestCommand } from './command';
import { formatDuration } from './duration';
import { IamError, systemClock } from './ports';
import type { ApproverDirectory, Clock, IamAccess, IdentityProvider, Notifier } from './ports';
import { PlanApplier } from './applier';
import { gatherEvidence, ManagedPolicyDocuments } from './evidence';
import type { Evidence } from './evidence';
import { expirePending } from './expiry';
import { PlanVerifier } from './integrity';
import { foreignPolicyRefusal, ownerOfInlineDocument } from './ownership';
import { GrantRemover } from './removal';
import { OutboxDeliverer } from './outbox';
import { final, Reporter } from './reporter';
import { parseRoleInput, partitionOf, roleRefusal, RoleInputError } from './roles';
import { ruleFor } from './rules';
import type { AccessRule } from './rules';
import type { RoleRules } from './roles';
import type { AccessRequest, RoleRef, ClickOrigin } from './types';

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
  /** The role the bot assumes in other accounts: roles there are reachable only when it is set. */
  crossAccountRoleName?: string;
  identity: IdentityProvider;
  notifier: Notifier;
  approvers: ApproverDirectory;
  clock: Clock;
  logger: Logger;
  allowedRolePatterns: readonly string[];
  /** Approval rules (ACCESS_RULES), the first match decides; ALLOWED_ROLES stays the outer bound. */
  accessRules: readonly AccessRule[];
  /** Region of a bare `--instance <id>`; an instance ARN carries its own. */
  awsRegion?: string;
  grantDurations?: GrantDurations;
  /** A request still pending this long after it was made can no longer be approved. */
  pendingTtlSeconds?: number;
  /** Read-back attempts for IAM's eventual consistency, and the first pause between them (doubling). */
  verifyAttempts?: number;
  verifyDelayMs?: number;
  /** How long an apply owns its request before a restart or another replica may take it over. */
  leaseMs?: number;
  /** At most this many new requests per requester within the window (REQUEST_RATE_LIMIT); absent: no limit. */
  requestRateLimit?: RequestRateLimit;
}

export interface RequestRateLimit {
  count: number;
  windowSeconds: number;
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

/** What submit answers: the new request, or the requester's identical one still pending (`duplicate`). */
export interface Submitted {
  request: AccessRequest;
  cardLink?: string;
  duplicate?: boolean;
}

/** A request that passed every check, ready to be stored and shown to approvers. */
export interface PreparedRequest {
  role: RoleRef;
  plan: PolicyPlan;
  instance?: ConnectInstanceScope;
  durationSeconds?: number;
  reason: string;
  /** The approval rule that decides it. */
  rule: AccessRule;
}

/**
 * The decision was recorded, then the database went away while the plan was being applied. Nothing is lost: the
 * request stays approved under its lease and whoever takes it over once the database is back (this process's
 * scheduler or another replica) reads the role and finishes.
 */
export class ApplyInterrupted extends Error {
  override readonly name = 'ApplyInterrupted';
  constructor(
    readonly requestId: string,
    override readonly cause: unknown,
  ) {
    super(`request ${requestId} was approved, and applying it was interrupted: the database is unreachable`);
  }
}

export class AccessService {
  /** Delivers what the reporter queued to Slack (start it once the app is up). */
  readonly outbox: OutboxDeliverer;
  readonly report: Reporter;
  /** Derives each stored plan again and re-checks its role before any write. */
  readonly verifier: PlanVerifier;
  /** The one path that takes a grant off a role (revocations, late writes undone). */
  readonly remover: GrantRemover;
  /** Writes approved plans and resumes interrupted ones. */
  readonly applier: PlanApplier;
  private readonly rules: RoleRules;
  /** Each requester's submissions, one at a time in this process (the limit and the duplicate check hold). */
  private readonly submitting = new Map<string, Promise<unknown>>();
  /** The catalog's managed policy documents, fetched once an hour for the evidence. */
  private readonly managedDocuments = new ManagedPolicyDocuments();

  constructor(private readonly deps: AccessServiceDeps) {
    // The outbox runs on real time whatever clock the workflow is given: Slack's pace is real.
    this.outbox = new OutboxDeliverer({
      store: deps.store,
      notifier: deps.notifier,
      logger: deps.logger,
      clock: systemClock,
    });
    this.report = new Reporter(deps.store, this.outbox, deps.logger);
    this.rules = {
      allowedRolePatterns: deps.allowedRolePatterns,
      crossAccountRoleName: deps.crossAccountRoleName,
    };
    this.verifier = new PlanVerifier(deps.store, deps.identity, this.rules);
    const common = {
      store: deps.store,
      clock: deps.clock,
      logger: deps.logger,
      report: this.report,
      verifyAttempts: deps.verifyAttempts,
      verifyDelayMs: deps.verifyDelayMs,
    };
    this.remover = new GrantRemover({ ...common, verifier: this.verifier });
    this.applier = new PlanApplier({
      ...common,
      iam: deps.iam,
      verifier: this.verifier,
      remover: this.remover,
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

    // What can be said before asking IAM; a bare name is checked against the allowlist once IAM gave its ARN.
    const early = roleRefusal(
      claimed,
      caller,
      input.kind === 'arn' ? this.rules : { ...this.rules, allowedRolePatterns: ['*'] },
    );
    if (early) return refuse(early, 'role');

    let instance: ConnectInstanceScope | undefined;
    if (command.instanceText) {
      const parsed = parseInstanceText(command.instanceText);
      if (!parsed) return refuse(instanceProblem(command.instanceText), 'instance');
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
    let existing: string | undefined;
    const policyName = policyNameFor(command.task);
    try {
      const iam = await this.deps.iam.forAccount(claimed.accountId, {
        sessionName: 'cases-access-request-check',
        sourceIdentity: requesterId,
      });
      [found, existing] = await Promise.all([
        iam.getRole(claimed.name),
        iam.getRolePolicy(claimed.name, policyName),
      ]);
    } catch (error) {
      if (!(error instanceof IamError)) throw error;
      return refuse(
        `The role could not be checked in account ${claimed.accountId}: ${error.code}: ${error.message}`,
        'role',
      );
    }
    if (!found)
      return refuse(`The role ${echo(claimed.name)} does not exist in account ${claimed.accountId}.`, 'role');
    if (input.kind === 'arn' && found.arn !== claimed.arn)
      return refuse(
        `The role ${echo(claimed.name)} exists as ${echo(found.arn, MAX_ARN_ECHO)}, not ${echo(claimed.arn, MAX_ARN_ECHO)}. Use its exact ARN.`,
        'role',
      );
    const role: RoleRef = { ...claimed, arn: found.arn, path: found.path };
    const refusal = roleRefusal(role, caller, this.rules);
    if (refusal) return refuse(refusal, 'role');
    const rule = ruleFor(this.deps.accessRules, {
      roleArn: role.arn,
      task: command.task,
      option: command.option,
    });
    if (!rule)
      return refuse(
        `No approval rule covers ${command.task} (${command.option}) for ${echo(role.arn, MAX_ARN_ECHO)}, so nobody could approve it.`,
        'role',
      );
    if (rule.requesters && !(await this.deps.approvers.isAmong(requesterId, rule.requesters)))
      return refuse(
        `Under rule ${echo(rule.name)} only its listed requesters may ask for ${command.task} on this role.`,
        'role',
      );
    if (command.breakGlass) {
      if (!rule.breakGlass)
        return refuse(
          `Rule ${echo(rule.name)} does not allow break-glass for this role; ask for an approval instead (without \`--break-glass\`).`,
          'role',
        );
      if (command.reason.trim().length < MIN_BREAK_GLASS_REASON)
        return refuse(
          `A break-glass request needs a reason of at least ${MIN_BREAK_GLASS_REASON} characters: approvers review it afterwards.`,
          'reason',
        );
    }
    // Break-glass: its own, shorter maximum, and by default exactly that long.
    const duration = command.breakGlass
      ? this.grantDuration(command.durationSeconds ?? rule.breakGlass!.maxSeconds, {
          ...rule,
          maxSeconds: rule.breakGlass!.maxSeconds,
          implicit: undefined,
          name: `${rule.name} (break-glass)`,
        })
      : this.grantDuration(command.durationSeconds, rule);
    if (!duration.ok) return duration;
    // An inline policy of the grant's name that the bot did not write is never overwritten: refuse up front.
    if (
      existing !== undefined &&
      !(await ownerOfInlineDocument(this.deps.store, { role, policyName }, existing))
    )
      return refuse(foreignPolicyRefusal(role.arn, policyName), 'role');

    const plan = await generatePlan({
      task: command.task,
      option: command.option,
      accountId: role.accountId,
      partition,
      instance,
    });
    return {
      ok: true,
      value: { role, plan, instance, durationSeconds: duration.value, reason: command.reason, rule },
    };
  }

  /**
   * What IAM's simulator says about the plan for this role. Degrades, never fails: whatever goes wrong (the bot's
   * policy predates the simulator permissions, throttling, a bug here) becomes "not checked" and the request goes on.
   */
  private async evidenceFor(requesterId: string, role: RoleRef, plan: PolicyPlan): Promise<Evidence> {
    try {
      // The session of the request's checks (prepare), still open: no second AssumeRole before the card.
      const iam = await this.deps.iam.forAccount(role.accountId, {
        sessionName: 'cases-access-request-check',
        sourceIdentity: requesterId,
      });
      return await gatherEvidence(iam, role, plan, this.managedDocuments);
    } catch (error) {
      if (!(error instanceof IamError)) this.deps.logger.error('evidence could not be gathered', { error });
      return { checked: false, code: error instanceof IamError ? error.code : 'InternalError' };
    }
  }

  private grantDuration(requested: number | undefined, rule: AccessRule): Outcome<number | undefined> {
    const { defaultSeconds } = this.deps.grantDurations ?? {};
    const maxSeconds = rule.maxSeconds;
    if (requested !== undefined && maxSeconds !== undefined && requested > maxSeconds)
      return refuse(
        `\`--for ${formatDuration(requested)}\` is longer than the maximum of ${formatDuration(maxSeconds)} (${maximumSource(rule)}).`,
        'duration',
      );
    // With a maximum set, no grant is open-ended: the default falls back to the maximum, and never passes it.
    const fallback =
      defaultSeconds !== undefined && maxSeconds !== undefined
        ? Math.min(defaultSeconds, maxSeconds)
        : defaultSeconds;
    return { ok: true, value: requested ?? fallback ?? maxSeconds };
  }

  /** The rule that decides the request now: rules may have changed since it was made (re-checked at each decision). */
  ruleOf(request: AccessRequest): AccessRule | undefined {
    return ruleFor(this.deps.accessRules, {
      roleArn: request.role.arn,
      task: request.task,
      option: request.option,
    });
  }

  /**
   * Validates, stores and posts the approval card. A refusal writes nothing. An identical request of the same
   * requester still pending (same role, task and option) is answered with that request (`duplicate`) instead of a
   * second card; past the requester's REQUEST_RATE_LIMIT nothing is checked or stored, and the refusal says when
   * they may ask again.
   */
  async submit(requesterId: string, command: RequestCommand): Promise<Outcome<Submitted>> {
    return this.oneAtATime(requesterId, async () => {
      if (command.breakGlass) {
        // Urgent by definition: not folded into a pending request, but still within the requester's rate limit.
        const limited = await this.rateLimitRefusal(requesterId);
        if (limited) return refuse(limited);
        const submitted = await this.submitNew(requesterId, command);
        if (!submitted.ok) return submitted;
        return {
          ok: true,
          value: { ...submitted.value, request: await this.applyBreakGlass(submitted.value.request) },
        };
      }
      const duplicate = await this.pendingDuplicate(requesterId, command);
      if (duplicate) {
        const cardLink = await this.report.quietly('card link', () => this.deps.notifier.cardLink(duplicate));
        return { ok: true, value: { request: duplicate, cardLink: cardLink ?? undefined, duplicate: true } };
      }
      const limited = await this.rateLimitRefusal(requesterId);
      if (limited) return refuse(limited);
      return this.submitNew(requesterId, command);
    });
  }

  private async submitNew(requesterId: string, command: RequestCommand): Promise<Outcome<Submitted>> {
    const prepared = await this.prepare(requesterId, command);
    if (!prepared.ok) return prepared;
    const { store, notifier, clock } = this.deps;
    const { role, plan, instance, durationSeconds, reason, rule } = prepared.value;
    const evidence = await this.evidenceFor(requesterId, role, plan);
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
        ruleName: rule.name,
        ...(command.breakGlass ? { breakGlass: true as const } : {}),
        evidence,
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
          policyName: plan.policyName,
          managedPolicyArns: plan.managedPolicyArns,
          instance: instance ?? null,
          durationSeconds: durationSeconds ?? null,
          rule: rule.name,
          breakGlass: command.breakGlass ?? false,
          evidence: evidence.checked ? 'checked' : `not checked: ${evidence.code}`,
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

  /**
   * The requester's pending request for the same role, task and option (still within PENDING_TTL), if any. Compared
   * on what was typed: an ARN with the stored ARN, a bare name with a role of that name in the bot's own account.
   */
  private async pendingDuplicate(
    requesterId: string,
    command: RequestCommand,
  ): Promise<AccessRequest | undefined> {
    let input;
    try {
      input = parseRoleInput(command.roleText);
    } catch (error) {
      if (error instanceof RoleInputError) return undefined; // prepare says what is wrong with it
      throw error;
    }
    const pending = await this.deps.store.listRequests({
      requesterId,
      states: ['pending'],
      ...(input.kind === 'arn' ? { roleArn: input.role.arn } : { roleName: input.name }),
    });
    const same = pending.filter(
      (r) => r.task === command.task && r.option === command.option && !this.isPastTtl(r),
    );
    if (!same.length || input.kind === 'arn') return same[0];
    let own: string;
    try {
      own = (await this.deps.identity.callerIdentity()).accountId;
    } catch {
      return undefined; // STS is failing: prepare reports it
    }
    return same.find((r) => r.role.accountId === own);
  }

  /** Why the requester may not make another request yet (REQUEST_RATE_LIMIT, counted in the store), if so. */
  private async rateLimitRefusal(requesterId: string): Promise<string | undefined> {
    const limit = this.deps.requestRateLimit;
    if (!limit) return undefined;
    const recent = await this.deps.store.listRequests({
      requesterId,
      newestFirst: true,
      limit: limit.count,
    });
    const oldest = recent[limit.count - 1];
    if (!oldest) return undefined;
    const now = this.deps.clock.now().getTime();
    const again = oldest.createdAt.getTime() + limit.windowSeconds * 1000;
    if (again <= now) return undefined;
    const waitSeconds = Math.max(1, Math.ceil((again - now) / 1000));
    return `You have made ${limit.count} requests in the last ${formatDuration(limit.windowSeconds)}, the most REQUEST_RATE_LIMIT allows; you can ask again in ${formatDuration(waitSeconds)} (at ${new Date(again).toISOString()}).`;
  }

  /** Runs one requester's submissions one after another (others' run alongside). */
  private async oneAtATime<T>(requesterId: string, work: () => Promise<T>): Promise<T> {
    const before = this.submitting.get(requesterId) ?? Promise.resolve();
    const mine = before.then(work, work);
    const done = mine.catch(() => undefined);
    this.submitting.set(requesterId, done);
    try {
      return await mine;
    } finally {
      if (this.submitting.get(requesterId) === done) this.submitting.delete(requesterId);
    }
  }

  /**
   * Whether `userId` may decide the request now, from where they clicked: an approver, not the requester, the
   * request still pending and within its TTL, its duration within today's maximum, its role within today's rules,
   * and the click on the request's own card (or a dialog the bot opened from it). `origin` is absent for a typed
   * command.
   */
  async checkDecider(
    requestId: string,
    userId: string,
    origin?: ClickOrigin,
  ): Promise<Outcome<AccessRequest>> {
    const request = await this.deps.store.getRequest(requestId);
    if (!request) return refuse(noSuchRequest(requestId));
    const elsewhere = originRefusal(request, origin, userId);
    if (elsewhere) return refuse(elsewhere);
    if (request.state !== 'pending') return refuse(alreadyDecided(request));
    if (userId === request.requesterId)
      return refuse('You cannot approve or deny your own request; another approver must.');
    // The rule that decides it now (rules may have changed); one that no rule covers any more can still be denied
    // by any approver, and approving it is refused (approvalRefusal).
    const rule = this.ruleOf(request);
    const eligible = rule
      ? await this.deps.approvers.isAmong(userId, rule.approvers)
      : await this.deps.approvers.isApprover(userId);
    if (!eligible)
      return refuse(
        !rule || rule.implicit
          ? 'You are not an approver for cases-access, so nothing was changed.'
          : `You are not an approver under rule ${echo(rule.name)}, which decides this request; nothing was changed.`,
      );
    if (this.isPastTtl(request)) {
      await expirePending({ ...this.deps, report: this.report }, request, this.deps.pendingTtlSeconds ?? 0);
      return refuse(
        `Request ${request.id} is older than PENDING_TTL (${formatDuration(this.deps.pendingTtlSeconds ?? 0)}) and has expired; nothing was changed. Ask for a new request.`,
      );
    }
    return { ok: true, value: request };
  }

  /** What approving would break that was fine when the request was made: the maximum, the role's rules. */
  private async approvalRefusal(request: AccessRequest): Promise<string | undefined> {
    const rule = this.ruleOf(request);
    const maxSeconds = rule?.maxSeconds;
    if (rule && maxSeconds !== undefined && (request.durationSeconds ?? Infinity) > maxSeconds)
      return `Request ${request.id} asks for ${request.durationSeconds ? formatDuration(request.durationSeconds) : 'a grant without an end'}, longer than today's maximum of ${formatDuration(maxSeconds)} (${maximumSource(rule)}); nothing was changed. Deny it and ask for a new request.`;
    // A role that no longer passes the rules is refused here, privately. A stored plan that fails its integrity
    // check is not: it goes on to the applier, which ends it as failed, where the thread and approvers see why.
    const untrusted = await this.verifier.check(request);
    if (untrusted?.code === 'RoleNotAllowed') return `${untrusted.problems.join(' ')} Nothing was changed.`;
    // A plan that failed its integrity check goes on to the applier, which fails it where everyone sees why.
    if (!rule && !untrusted)
      return `No approval rule covers request ${request.id} any more (ACCESS_RULES changed); nothing was changed. Deny it or ask for a new request.`;
    return undefined;
  }

  private isPastTtl(request: AccessRequest): boolean {
    const ttl = this.deps.pendingTtlSeconds;
    return ttl !== undefined && this.deps.clock.now().getTime() - request.createdAt.getTime() >= ttl * 1000;
  }

  /**
   * One click wins the pending → approved update; only that click applies the stored plan. The grant's end is
   * fixed here (approval time + duration), whatever happens to the apply.
   */
  async approve(requestId: string, userId: string, origin?: ClickOrigin): Promise<Outcome<AccessRequest>> {
    const { store, clock } = this.deps;
    const check = await this.checkDecider(requestId, userId, origin);
    const problem = check.ok ? await this.approvalRefusal(check.value) : check.message;
    if (problem !== undefined) {
      await this.recordRefusal(requestId, userId, problem);
      return refuse(problem);
    }
    const request = (check as { value: AccessRequest }).value;
    const now = clock.now();
    const expiresAt = request.durationSeconds
      ? new Date(now.getTime() + request.durationSeconds * 1000)
      : undefined;
    const rule = this.ruleOf(request);
    if (rule && rule.approvals > 1) return this.approveTowardsQuorum(request, userId, rule, now, expiresAt);
    // The thread records who approved before anything is written (even if the process dies mid-apply).
    const approved = await this.report.transition(
      requestId,
      'pending',
      'approved',
      { decidedBy: userId, decidedAt: now, expiresAt, leaseUntil: this.applier.leaseEnd() },
      {
        requestId,
        at: now,
        actor: userId,
        type: 'approved',
        details: { sha256: request.sha256, expiresAt: expiresAt?.toISOString() ?? null },
      },
      { thread: { kind: 'approved', by: userId }, card: true },
    );
    if (!approved) {
      const current = await store.getRequest(requestId);
      return refuse(current ? alreadyDecided(current) : noSuchRequest(requestId));
    }
    return { ok: true, value: await this.applyDecided(approved) };
  }

  async deny(
    requestId: string,
    userId: string,
    reason: string,
    origin?: ClickOrigin,
  ): Promise<Outcome<AccessRequest>> {
    const { store, clock } = this.deps;
    const trimmed = reason.trim();
    if (!trimmed) return refuse('A reason is required to deny a request.', 'reason');
    const check = await this.checkDecider(requestId, userId, origin);
    if (!check.ok) {
      await this.recordRefusal(requestId, userId, check.message);
      return check;
    }
    const denied = await this.report.transition(
      requestId,
      'pending',
      'denied',
      { decidedBy: userId, decidedAt: clock.now(), denyReason: trimmed },
      { requestId, at: clock.now(), actor: userId, type: 'denied', details: { reason: trimmed } },
      final({ kind: 'denied', by: userId, reason: trimmed }),
    );
    if (!denied) {
      const current = await store.getRequest(requestId);
      return refuse(current ? alreadyDecided(current) : noSuchRequest(requestId));
    }
    return { ok: true, value: denied };
  }

  /** An approver may retry a failed request: the same approved plan, checked again and resumed where it stopped. */
  async retry(requestId: string, userId: string, origin?: ClickOrigin): Promise<Outcome<AccessRequest>> {
    const { store, clock, approvers } = this.deps;
    const request = await store.getRequest(requestId);
    if (!request) return refuse(noSuchRequest(requestId));
    const elsewhere = originRefusal(request, origin, userId);
    if (elsewhere) return refuse(elsewhere);
    if (request.state !== 'failed')
      return refuse(`Request ${requestId} is ${request.state}; only a failed request can be retried.`);
    if (!request.decidedBy) return refuse(`Request ${requestId} was never approved; it cannot be retried.`);
    if (userId === request.requesterId) return refuse('You cannot retry your own request; an approver must.');
    const rule = this.ruleOf(request);
    if (!(await (rule ? approvers.isAmong(userId, rule.approvers) : approvers.isApprover(userId))))
      return refuse('Only approvers can retry a request; nothing was changed.');
    if (request.expiresAt && request.expiresAt <= clock.now())
      return refuse(
        `Request ${requestId}'s time ended at ${request.expiresAt.toISOString()}; it cannot be retried. Ask for a new request.`,
      );
    const problem = await this.approvalRefusal(request);
    if (problem) return refuse(problem);
    const retried = await this.report.transition(
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
      { thread: { kind: 'retried', by: userId }, card: true },
    );
    if (!retried) return refuse(`Request ${requestId} is no longer failed; nothing was changed.`);
    return { ok: true, value: await this.applyDecided(retried) };
  }

  /**
   * One approval of a request whose rule needs several: counted once per person; the one that completes the quorum
   * moves the request to approved (one conditional update, whatever runs concurrently) and applies the stored plan.
   */
  private async approveTowardsQuorum(
    request: AccessRequest,
    userId: string,
    rule: AccessRule,
    now: Date,
    expiresAt: Date | undefined,
  ): Promise<Outcome<AccessRequest>> {
    const requestId = request.id;
    const outcome = await this.report.addApproval(
      requestId,
      {
        requestId,
        at: now,
        actor: userId,
        type: 'approval',
        details: { sha256: request.sha256, rule: rule.name },
      },
      rule.approvals,
      {
        patch: { decidedBy: userId, decidedAt: now, expiresAt, leaseUntil: this.applier.leaseEnd() },
        event: {
          requestId,
          at: now,
          actor: userId,
          type: 'approved',
          details: { sha256: request.sha256, expiresAt: expiresAt?.toISOString() ?? null, rule: rule.name },
        },
        telling: { thread: { kind: 'approved', by: userId }, card: true },
      },
      { thread: { kind: 'approval', by: userId, required: rule.approvals }, card: true },
    );
    switch (outcome.outcome) {
      case 'not_pending': {
        const current = await this.deps.store.getRequest(requestId);
        return refuse(current ? alreadyDecided(current) : noSuchRequest(requestId));
      }
      case 'already':
        return refuse(
          `You have already approved request ${requestId}; rule ${echo(rule.name)} needs ${rule.approvals} different approvers (${outcome.request.approvals.length} so far). Nothing was changed.`,
        );
      case 'counted':
        return { ok: true, value: outcome.request };
      case 'approved':
        return { ok: true, value: await this.applyDecided(outcome.request) };
    }
  }

  /**
   * Break-glass: the requester's own request is approved by them at once (the rule allowed it and the card, which
   * mentions every approver of the rule, is posted), then applied; approvers review it afterwards (acknowledge).
   */
  private async applyBreakGlass(request: AccessRequest): Promise<AccessRequest> {
    const now = this.deps.clock.now();
    const expiresAt = request.durationSeconds
      ? new Date(now.getTime() + request.durationSeconds * 1000)
      : undefined;
    const approved = await this.report.transition(
      request.id,
      'pending',
      'approved',
      { decidedBy: request.requesterId, decidedAt: now, expiresAt, leaseUntil: this.applier.leaseEnd() },
      {
        requestId: request.id,
        at: now,
        actor: request.requesterId,
        type: 'break_glass',
        details: {
          sha256: request.sha256,
          reason: request.reason,
          expiresAt: expiresAt?.toISOString() ?? null,
        },
      },
      { thread: { kind: 'break_glass', by: request.requesterId, reason: request.reason }, card: true },
    );
    return approved ? this.applyDecided(approved) : request;
  }

  /**
   * An approver of the request's rule acknowledges a break-glass grant (once; never its own requester). From its
   * card only, like every decision.
   */
  async acknowledge(
    requestId: string,
    userId: string,
    origin?: ClickOrigin,
  ): Promise<Outcome<AccessRequest>> {
    const request = await this.deps.store.getRequest(requestId);
    if (!request) return refuse(noSuchRequest(requestId));
    const elsewhere = originRefusal(request, origin, userId);
    if (elsewhere) return refuse(elsewhere);
    if (!request.breakGlass)
      return refuse(`Request ${requestId} is not a break-glass grant; there is nothing to acknowledge.`);
    if (request.reviewedBy)
      return refuse(`Request ${requestId} was already acknowledged by <@${request.reviewedBy}>.`);
    if (userId === request.requesterId)
      return refuse('You cannot acknowledge your own break-glass grant; an approver must.');
    const rule = this.ruleOf(request);
    if (
      !(await (rule
        ? this.deps.approvers.isAmong(userId, rule.approvers)
        : this.deps.approvers.isApprover(userId)))
    )
      return refuse('Only an approver of its rule can acknowledge a break-glass grant; nothing was changed.');
    const acknowledged = await this.report.acknowledge(requestId, {
      requestId,
      at: this.deps.clock.now(),
      actor: userId,
      type: 'acknowledged',
      details: {},
    });
    if (!acknowledged) return refuse(`Request ${requestId} was acknowledged by someone else just now.`);
    return { ok: true, value: acknowledged };
  }

  /** Applies a recorded decision; a database outage meanwhile is said as such (see ApplyInterrupted). */
  private async applyDecided(request: AccessRequest): Promise<AccessRequest> {
    try {
      return await this.applier.apply(request);
    } catch (error) {
      if (isDatabaseUnreachable(error)) throw new ApplyInterrupted(request.id, error);
      throw error;
    }
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

/**
 * A click counts only on the request's own card (or in a dialog the bot opened from it, which carries the card), or
 * on the clicker's own Home where the bot showed that request: a button value copied into another message, channel,
 * workspace or someone else's Home names the request but is not where the bot offered it to this person.
 */
export function originRefusal(
  request: AccessRequest,
  origin: ClickOrigin | undefined,
  userId: string,
): string | undefined {
  if (origin === undefined) return undefined;
  if ('home' in origin) {
    if (origin.home.owner === userId && origin.home.requestId === request.id) return undefined;
    return `That button is not on your Home tab for request ${request.id}, so it was ignored; nothing was changed.`;
  }
  if (
    request.card &&
    request.card.channelId === origin.channelId &&
    request.card.messageTs === origin.messageTs
  )
    return undefined;
  return `That button is not on request ${request.id}'s approval card, so it was ignored; nothing was changed. Use the card in the approval channel.`;
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

/** Where a rule's maximum comes from, as the operator set it. */
function maximumSource(rule: AccessRule): string {
  return rule.implicit ? 'MAX_GRANT_DURATION' : `rule ${rule.name}'s maxDuration`;
}
