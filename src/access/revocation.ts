import { sameDocument } from '../policy';
import type { Store } from '../store/store';
import type { Logger } from '../log';
import { Journal, readBack } from './journal';
import { IamError } from './ports';
import type { ApproverDirectory, Clock, IamAccess, IamGateway } from './ports';
import type { Reporter } from './reporter';
import { noSuchRequest } from './service';
import type { Outcome } from './service';
import type { AccessRequest } from './types';
import { messageOf } from '../errors';

/**
 * Removes exactly what one grant added: its inline policy and the managed policies it attached itself, but never
 * what another active grant on the same role still needs, nor what the role had before. Verified by reading back.
 */

export interface RevocationDeps {
  store: Store;
  iam: IamAccess;
  approvers: ApproverDirectory;
  clock: Clock;
  logger: Logger;
  report: Reporter;
  verifyAttempts?: number;
  verifyDelayMs?: number;
  /** After a failed automatic revocation, the scheduler waits this long before trying again. */
  retryAfterMs?: number;
  /** How long a revocation owns its request before a restart or another replica resumes it. */
  leaseMs?: number;
}

export interface RevocationResult {
  request: AccessRequest;
  /** True when it had been revoked already: revoking twice is harmless. */
  already: boolean;
}

const refuse = <T>(message: string): Outcome<T> => ({ ok: false, message });

export class RevocationService {
  private readonly journal: Journal;

  constructor(private readonly deps: RevocationDeps) {
    this.journal = new Journal(deps.store, deps.clock, deps.report);
  }

  /** Approvers and the original requester may revoke a grant. */
  async mayRevoke(request: AccessRequest, userId: string): Promise<boolean> {
    return userId === request.requesterId || (await this.deps.approvers.isApprover(userId));
  }

  /** `actor` is the Slack user who asked, or "bot" for the scheduler (which needs no permission check). */
  async revoke(requestId: string, actor: string, reason: string): Promise<Outcome<RevocationResult>> {
    const { store, clock, report } = this.deps;
    const request = await store.getRequest(requestId);
    if (!request) return refuse(noSuchRequest(requestId));
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
    const claimed = await store.transition(
      requestId,
      from,
      'revoking',
      { leaseUntil: this.leaseEnd() },
      { requestId, at: clock.now(), actor, type: 'revoking', details: { reason: why, automatic, from } },
    );
    if (!claimed) {
      const current = await store.getRequest(requestId);
      if (current?.state === 'revoked') return { ok: true, value: { request: current, already: true } };
      return refuse(`Request ${requestId} is ${current?.state ?? 'gone'}; nothing was changed.`);
    }
    await report.step(claimed, { kind: 'revoking', by: actor, reason: why });
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
      await store.appendEvent({
        requestId: claimed.id,
        at: now,
        actor: 'bot',
        type: 'resumed',
        details: { revoking: true },
      });
      await this.deps.report.step(claimed, { kind: 'resumed' });
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

  private leaseEnd(): Date {
    return new Date(this.deps.clock.now().getTime() + (this.deps.leaseMs ?? 120_000));
  }

  private async finish(
    claimed: AccessRequest,
    actor: string,
    why: string,
    from: 'applied' | 'failed',
  ): Promise<Outcome<RevocationResult>> {
    const { store, clock, report } = this.deps;
    const requestId = claimed.id;
    const automatic = actor === 'bot';
    try {
      const iam = await this.deps.iam.forAccount(claimed.role.accountId, {
        sessionName: `cases-access-${claimed.id}`,
        sourceIdentity: actor === 'bot' ? 'cases-access-scheduler' : actor,
      });
      const { removed, kept } = await this.remove(iam, claimed, from);
      const now = clock.now();
      const revoked = await store.transition(
        requestId,
        'revoking',
        'revoked',
        { revokedBy: actor, revokedAt: now, revokeReason: why },
        { requestId, at: now, actor, type: 'revoked', details: { removed, kept, reason: why } },
      );
      const final = revoked ?? claimed;
      await report.final(final, { kind: 'revoked', removed, kept });
      return { ok: true, value: { request: final, already: false } };
    } catch (error) {
      const failure =
        error instanceof IamError ? error.toFailure() : { code: 'InternalError', message: messageOf(error) };
      this.deps.logger.error('revocation failed', { requestId, failure });
      const retryAt =
        automatic && from === 'applied'
          ? new Date(clock.now().getTime() + (this.deps.retryAfterMs ?? 5 * 60_000))
          : undefined;
      const back = await store.transition(
        requestId,
        'revoking',
        from,
        { nextRevokeAttemptAt: retryAt },
        {
          requestId,
          at: clock.now(),
          actor: 'bot',
          type: 'revoke_failed',
          details: { ...failure, retryAt: retryAt?.toISOString() ?? null },
        },
      );
      await report.final(back ?? claimed, { kind: 'revoke_failed', failure, retryAt });
      return refuse(
        `The revocation failed: ${failure.code}: ${failure.message}. The grant is still in place.`,
      );
    }
  }

  private async remove(
    iam: IamGateway,
    request: AccessRequest,
    from: 'applied' | 'failed',
  ): Promise<{ removed: string[]; kept: string[] }> {
    const { store } = this.deps;
    const role = request.role.name;
    const others = (await store.listRequests({ roleArn: request.role.arn, states: ['applied'] })).filter(
      (other) => other.id !== request.id,
    );
    const removed: string[] = [];
    const kept: string[] = [];
    /** What the inline policy should be afterwards: gone, left as it is, or (a string) another grant's document. */
    let inline: 'absent' | 'untouched' | string = 'absent';

    // The inline policy name is per task: another active grant of the same task shares it.
    const sharing = others
      .filter((o) => o.policyName === request.policyName)
      .sort((a, b) => (b.completedAt?.getTime() ?? 0) - (a.completedAt?.getTime() ?? 0));
    const keeper = sharing[0];
    if (keeper) {
      const current = await iam.getRolePolicy(role, request.policyName);
      if (current === undefined || !sameDocument(current, keeper.documentText)) {
        // Put back the document the other grant's approver approved, not this one's.
        const put = await iam.putRolePolicy(role, keeper.policyName, keeper.documentText);
        await this.journal.iamCall(
          request,
          'PutRolePolicy',
          `${keeper.policyName} on ${request.role.arn} (restoring ${keeper.id})`,
          put.awsRequestId,
          {
            policyName: keeper.policyName,
            sha256: keeper.sha256,
            restoredFor: keeper.id,
          },
        );
      }
      kept.push(`${request.policyName} (still needed by ${keeper.id})`);
    } else if (from === 'failed' && !(await this.holdsOwnDocument(iam, request))) {
      // The failed apply never wrote its document: whatever the role has under that name is not this grant's.
      kept.push(`${request.policyName} (not written by this request)`);
      inline = 'untouched';
    } else {
      const del = await iam.deleteRolePolicy(role, request.policyName);
      await this.journal.iamCall(
        request,
        'DeleteRolePolicy',
        `${request.policyName} from ${request.role.arn}${del.gone ? ' (already gone)' : ''}`,
        del.awsRequestId,
        {
          policyName: request.policyName,
          alreadyGone: del.gone ?? false,
        },
      );
      removed.push(request.policyName);
    }

    const detached: string[] = [];
    let attachedNow: string[] | undefined;
    for (const arn of request.managedPolicyArns) {
      if (!request.attachedManagedArns.includes(arn)) {
        // Not this grant's, so left alone; reported as kept only when it is on the role (a failed apply may
        // never have attached it).
        attachedNow ??= await iam.listAttachedRolePolicies(role);
        if (attachedNow.includes(arn)) kept.push(`${arn} (attached before this grant)`);
        continue;
      }
      const needer = others.find((o) => o.managedPolicyArns.includes(arn));
      if (needer) {
        // The other grant found it attached (by this one) and so did not record it as its own: hand it over, or
        // revoking that grant later would take it for "attached before" and leave it on the role for good.
        if (!needer.attachedManagedArns.includes(arn)) {
          needer.attachedManagedArns = [...needer.attachedManagedArns, arn];
          await store.updateRequest(needer.id, { attachedManagedArns: needer.attachedManagedArns });
        }
        kept.push(`${arn} (still needed by ${needer.id})`);
        continue;
      }
      const detach = await iam.detachRolePolicy(role, arn);
      await this.journal.iamCall(
        request,
        'DetachRolePolicy',
        `${arn} from ${request.role.arn}${detach.gone ? ' (already detached)' : ''}`,
        detach.awsRequestId,
        {
          policyArn: arn,
          alreadyGone: detach.gone ?? false,
        },
      );
      detached.push(arn);
      removed.push(arn);
    }

    await this.verifyRemoval(
      iam,
      request,
      inline === 'absent' && keeper ? keeper.documentText : inline,
      detached,
    );
    return { removed, kept };
  }

  private async holdsOwnDocument(iam: IamGateway, request: AccessRequest): Promise<boolean> {
    const current = await iam.getRolePolicy(request.role.name, request.policyName);
    return current !== undefined && sameDocument(current, request.documentText);
  }

  private async verifyRemoval(
    iam: IamGateway,
    request: AccessRequest,
    inline: string,
    detached: string[],
  ): Promise<void> {
    const { clock, store } = this.deps;
    const attempts = this.deps.verifyAttempts ?? 5;
    const problem = await readBack(clock, attempts, this.deps.verifyDelayMs ?? 250, async () => {
      if (inline !== 'untouched') {
        const current = await iam.getRolePolicy(request.role.name, request.policyName);
        if (inline === 'absent' && current !== undefined) return `${request.policyName} is still on the role`;
        if (inline !== 'absent' && (current === undefined || !sameDocument(current, inline)))
          return `${request.policyName} does not hold the document the remaining grant needs`;
      }
      if (!detached.length) return undefined;
      const attached = await iam.listAttachedRolePolicies(request.role.name);
      const still = detached.filter((arn) => attached.includes(arn));
      return still.length ? `still attached: ${still.join(', ')}` : undefined;
    });
    if (problem) throw new IamError('VerificationFailed', `read-back after ${attempts} attempts: ${problem}`);
    await store.appendEvent({
      requestId: request.id,
      at: clock.now(),
      actor: 'bot',
      type: 'verified',
      details: { removal: true, policyName: request.policyName, detached },
    });
  }
}
