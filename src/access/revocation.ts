import type { Store } from '../store/store';
import type { Logger } from '../log';
import { effectiveAfterRevoke, recordEffective } from './effective';
import { readBack } from './journal';
import { Lease, OwnershipLost, recordFenced } from './lease';
import { IamError } from './ports';
import type { ApproverDirectory, Clock, IamAccess } from './ports';
import type { GrantRemover } from './removal';
import { final } from './reporter';
import type { Reporter } from './reporter';
import { noSuchRequest, originRefusal } from './service';
import type { Outcome } from './service';
import type { AccessRequest, ClickOrigin } from './types';
import { messageOf } from '../errors';

/**
 * Revoking a grant: who may, the exactly-once claim (applied or failed → revoking), the fenced removal (see
 * GrantRemover) and what the card, thread and requester are told.
 */

export interface RevocationDeps {
  store: Store;
  iam: IamAccess;
  approvers: ApproverDirectory;
  clock: Clock;
  logger: Logger;
  report: Reporter;
  remover: GrantRemover;
  /** After a failed automatic revocation, the scheduler waits this long before trying again, doubling each time. */
  retryAfterMs?: number;
  /** The longest wait between attempts (the doubling stops there). */
  maxRetryAfterMs?: number;
  /** The approvers are @-mentioned on the first failure and again every this many failed attempts. */
  alertApproversEvery?: number;
  /** How long a revocation owns its request before a restart or another replica resumes it. */
  leaseMs?: number;
  /** Simulator attempts after a removal (eventual consistency), and the first pause between them (doubling). */
  verifyAttempts?: number;
  verifyDelayMs?: number;
}

export interface RevocationResult {
  request: AccessRequest;
  /** True when it had been revoked already: revoking twice is harmless. */
  already: boolean;
}

const refuse = <T>(message: string): Outcome<T> => ({ ok: false, message });

export class RevocationService {
  private readonly lease: Lease;

  constructor(private readonly deps: RevocationDeps) {
    this.lease = new Lease(deps.store, deps.clock, deps.leaseMs ?? 120_000);
  }

  /** Approvers and the original requester may revoke a grant. */
  async mayRevoke(request: AccessRequest, userId: string): Promise<boolean> {
    return userId === request.requesterId || (await this.deps.approvers.isApprover(userId));
  }

  /**
   * Whether `userId` may start revoking the request from `origin` (its card): the checks the revocation itself
   * makes, run before its dialog opens so a refusal comes at once.
   */
  async checkRevoker(
    requestId: string,
    userId: string,
    origin?: ClickOrigin,
  ): Promise<Outcome<AccessRequest>> {
    const request = await this.deps.store.getRequest(requestId);
    if (!request) return refuse(noSuchRequest(requestId));
    const elsewhere = originRefusal(request, origin, userId);
    if (elsewhere) return refuse(elsewhere);
    if (!(await this.mayRevoke(request, userId)))
      return refuse('Only an approver or the requester can revoke this grant; nothing was changed.');
    if (request.state === 'revoked')
      return refuse(`Request ${request.id} was already revoked; nothing else to do.`);
    // Nothing was ever written for these; other states go on, and revoke() decides.
    if (request.state === 'pending' || request.state === 'denied' || request.state === 'expired')
      return refuse(`Request ${request.id} is ${request.state}; there is no grant to revoke.`);
    return { ok: true, value: request };
  }

  /** `actor` is the Slack user who asked, or "bot" for the scheduler (which needs no permission check). */
  /** `origin`: the card a dialog was opened from; absent for a typed command and the scheduler. */
  async revoke(
    requestId: string,
    actor: string,
    reason: string,
    origin?: ClickOrigin,
  ): Promise<Outcome<RevocationResult>> {
    const { store, clock, report } = this.deps;
    const request = await store.getRequest(requestId);
    if (!request) return refuse(noSuchRequest(requestId));
    const elsewhere = originRefusal(request, origin, actor);
    if (elsewhere) return refuse(elsewhere);
    // Permission first: someone else learns nothing about the grant's state.
    if (actor !== 'bot' && !(await this.mayRevoke(request, actor)))
      return refuse('Only an approver or the requester can revoke this grant; nothing was changed.');
    if (request.state === 'revoked') return { ok: true, value: { request, already: true } };
    if (request.state === 'revoking') return refuse(`Request ${requestId} is being revoked right now.`);
    // A failed apply may have left part of its plan on the role: revoking removes whatever it wrote.
    const from = request.state;
    if (from !== 'applied' && !(from === 'failed' && request.decidedBy))
      return refuse(
        `Request ${requestId} is ${request.state}; only an applied (or partly applied) grant can be revoked.`,
      );

    const automatic = actor === 'bot';
    const why = reason.trim() || (automatic ? 'the grant’s time ended' : 'no reason given');
    const claimed = await report.transition(
      requestId,
      from,
      'revoking',
      { leaseUntil: this.leaseEnd() },
      { requestId, at: clock.now(), actor, type: 'revoking', details: { reason: why, automatic, from } },
      { thread: { kind: 'revoking', by: actor, reason: why } },
    );
    if (!claimed) {
      const current = await store.getRequest(requestId);
      if (current?.state === 'revoked') return { ok: true, value: { request: current, already: true } };
      return refuse(`Request ${requestId} is ${current?.state ?? 'gone'}; nothing was changed.`);
    }
    return this.finish(claimed, actor, why, from);
  }

  /**
   * Finishes revocations whose owner stopped (a crash) once their lease ran out. Removal is idempotent: what is
   * already gone is not removed again.
   */
  async resumeInterrupted(): Promise<number> {
    const { store, clock } = this.deps;
    const now = clock.now();
    let resumed = 0;
    for (const stuck of await store.listRequests({ states: ['revoking'] })) {
      if (stuck.leaseUntil && stuck.leaseUntil > now) continue;
      const claimed = await store.claimLease(stuck.id, 'revoking', now, this.leaseEnd());
      if (!claimed) continue;
      const started = (await store.listEvents(claimed.id)).filter((e) => e.type === 'revoking').at(-1);
      const from = started?.details.from === 'failed' ? 'failed' : 'applied';
      await this.deps.report.record(
        { requestId: claimed.id, at: now, actor: 'bot', type: 'resumed', details: { revoking: true } },
        { thread: { kind: 'resumed' } },
      );
      await this.finish(
        claimed,
        started?.actor ?? 'bot',
        String(started?.details.reason ?? 'resumed after an interruption'),
        from,
      );
      resumed += 1;
    }
    return resumed;
  }

  /** Exponential, capped: 5 min, 10, 20, 40, then every hour by default. */
  private backoffMs(attempts: number): number {
    const base = this.deps.retryAfterMs ?? 5 * 60_000;
    const cap = this.deps.maxRetryAfterMs ?? 60 * 60_000;
    return Math.min(base * 2 ** Math.min(attempts - 1, 20), cap);
  }

  private leaseEnd(): Date {
    return this.lease.end();
  }

  private async finish(
    claimed: AccessRequest,
    actor: string,
    why: string,
    from: 'applied' | 'failed',
  ): Promise<Outcome<RevocationResult>> {
    const { clock, report } = this.deps;
    const requestId = claimed.id;
    const automatic = actor === 'bot';
    try {
      const iam = await this.deps.iam.forAccount(claimed.role.accountId, {
        sessionName: `cases-access-${claimed.id}`,
        sourceIdentity: actor === 'bot' ? 'cases-access-scheduler' : actor,
        fence: `${claimed.id}/${claimed.leaseGeneration}`,
      });
      const { removed, kept } = await this.deps.remover.remove(iam, claimed, {
        from,
        beforeWrite: () => this.lease.prove(claimed, 'revoking'),
      });
      const now = clock.now();
      const revoked = await report.transition(
        requestId,
        'revoking',
        'revoked',
        { revokedBy: actor, revokedAt: now, revokeReason: why },
        { requestId, at: now, actor, type: 'revoked', details: { removed, kept, reason: why } },
        final({ kind: 'revoked', removed, kept }),
        claimed.leaseGeneration,
      );
      if (!revoked) throw (await this.lease.lost(claimed, 'revoking')) ?? new OwnershipLost(undefined);
      // Revoked either way; this only says whether the role is back to where it was before the grant.
      await report.quietly('effective access after revoking', async () =>
        recordEffective(
          report,
          clock,
          claimed,
          await effectiveAfterRevoke(iam, claimed, (probe) =>
            readBack(clock, this.deps.verifyAttempts ?? 5, this.deps.verifyDelayMs ?? 250, probe),
          ),
        ),
      );
      return { ok: true, value: { request: revoked, already: false } };
    } catch (error) {
      if (error instanceof OwnershipLost) return this.stopFenced(claimed, error);
      const failure =
        error instanceof IamError ? error.toFailure() : { code: 'InternalError', message: messageOf(error) };
      this.deps.logger.error('revocation failed', { requestId, failure });
      const attempts = claimed.revokeFailures + 1;
      const failingSince = claimed.revokeFailingSince ?? clock.now();
      const retryAt = automatic ? new Date(clock.now().getTime() + this.backoffMs(attempts)) : undefined;
      const alertEvery = this.deps.alertApproversEvery ?? 6;
      const callApprovers = attempts === 1 || attempts % alertEvery === 0;
      const back = await report.transition(
        requestId,
        'revoking',
        from,
        { nextRevokeAttemptAt: retryAt, revokeFailures: attempts, revokeFailingSince: failingSince },
        {
          requestId,
          at: clock.now(),
          actor: 'bot',
          type: 'revoke_failed',
          details: { ...failure, attempts, retryAt: retryAt?.toISOString() ?? null },
        },
        final({ kind: 'revoke_failed', failure, retryAt, attempts, failingSince, callApprovers }),
        claimed.leaseGeneration,
      );
      if (!back)
        return this.stopFenced(
          claimed,
          (await this.lease.lost(claimed, 'revoking')) ?? new OwnershipLost(undefined),
        );
      return refuse(
        `The revocation failed: ${failure.code}: ${failure.message}. The grant may still be in place.`,
      );
    }
  }

  /** A worker that lost the revocation to another owner records that it stopped, and changes nothing else. */
  private async stopFenced(claimed: AccessRequest, lost: OwnershipLost): Promise<Outcome<RevocationResult>> {
    await recordFenced(this.deps, claimed, lost, 'revoking');
    const state = lost.current?.state ?? 'gone';
    if (lost.current?.state === 'revoked')
      return { ok: true, value: { request: lost.current, already: true } };
    return refuse(
      `Request ${claimed.id} was taken over by another worker (now ${state}); nothing more was changed here.`,
    );
  }
}
