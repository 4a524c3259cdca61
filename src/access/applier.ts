import { inlinePolicySize, INLINE_POLICY_SIZE_LIMIT, sameDocument } from '../policy';
import { isDatabaseUnreachable, messageOf } from '../errors';
import type { Logger } from '../log';
import type { Store } from '../store/store';
import { effectiveAfterApply, recordEffective } from './effective';
import { integrityMessage } from './integrity';
import type { IntegrityFailure, PlanVerifier } from './integrity';
import { Journal, readBack } from './journal';
import { Lease, OwnershipLost, recordFenced } from './lease';
import { ownerOfInlineDocument } from './ownership';
import { IamError } from './ports';
import type { Clock, IamAccess, IamGateway } from './ports';
import type { GrantRemover } from './removal';
import { final } from './reporter';
import type { Reporter } from './reporter';
import type { AccessRequest, IamFailure } from './types';

export interface PlanApplierDeps {
  store: Store;
  iam: IamAccess;
  clock: Clock;
  logger: Logger;
  report: Reporter;
  verifier: PlanVerifier;
  remover: GrantRemover;
  /** Read-back attempts for IAM's eventual consistency, and the first pause between them (doubling). */
  verifyAttempts?: number;
  verifyDelayMs?: number;
  /** How long an apply owns its request before a restart or another replica may take it over. */
  leaseMs?: number;
}

/** Refused before any write: the request ends failed with this code; the thread lists the problems. */
class Refusal extends Error {
  constructor(
    readonly failure: IamFailure,
    readonly problems: string[] = [],
  ) {
    super(failure.message);
  }
}

/** What one write did, so that it can be undone if it landed after the request moved on. */
type Write = { operation: 'PutRolePolicy' } | { operation: 'AttachRolePolicy'; policyArn: string };

/**
 * Makes a role hold an approved plan, exactly once: checks the stored plan against the catalog and the role against
 * the rules, reads the role, checks IAM's limits, then writes under a fenced lease (an intent recorded before each
 * write), verifies by reading back, and resumes work a crashed owner left half done.
 */
export class PlanApplier {
  private readonly verifyAttempts: number;
  private readonly verifyDelayMs: number;
  private readonly journal: Journal;
  readonly lease: Lease;

  constructor(private readonly deps: PlanApplierDeps) {
    this.verifyAttempts = deps.verifyAttempts ?? 5;
    this.verifyDelayMs = deps.verifyDelayMs ?? 250;
    this.lease = new Lease(deps.store, deps.clock, deps.leaseMs ?? 120_000);
    this.journal = new Journal(deps.store, deps.clock, deps.report);
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
      await this.deps.report.record(
        {
          requestId: claimed.id,
          at: now,
          actor: 'bot',
          type: 'resumed',
          details: { leaseGeneration: claimed.leaseGeneration },
        },
        { thread: { kind: 'resumed' } },
      );
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
      fence: `${request.id}/${request.leaseGeneration}`,
    });
  }

  /** The end of a lease taken now. */
  leaseEnd(): Date {
    return this.lease.end();
  }

  /**
   * Makes the role hold the approved plan. `request` is as its owner took it (approved, with the owner's lease
   * generation). Resumable: each write is skipped when the role already has its result. Any refusal or IAM error
   * ends the request as failed, reported as it is, with what the role holds now.
   */
  async apply(request: AccessRequest): Promise<AccessRequest> {
    const { clock } = this.deps;
    try {
      const iam = await this.iamFor(request);
      const untrusted = await this.deps.verifier.check(request);
      if (untrusted) throw refusalOf(untrusted);
      const { attachedNow, inPlace } = await this.prepareWrites(iam, request);
      if (inPlace) await this.alreadyInPlace(request, `${request.policyName} with the approved document`);
      else {
        await this.write(iam, request, { operation: 'PutRolePolicy' });
      }
      for (const arn of request.managedPolicyArns) {
        if (attachedNow.includes(arn)) {
          // On the role already, so not this grant's to detach later (even if an earlier attempt of ours may
          // have attached it: only a recorded success counts).
          await this.alreadyInPlace(request, `${arn} attached`);
          continue;
        }
        await this.write(iam, request, { operation: 'AttachRolePolicy', policyArn: arn });
      }
      await this.verify(iam, request);
      const verified = {
        policyName: request.policyName,
        sha256: request.sha256,
        managedPolicyArns: request.managedPolicyArns,
      };
      await this.deps.report.record(
        { requestId: request.id, at: clock.now(), actor: 'bot', type: 'verified', details: verified },
        { thread: { kind: 'verified', ...verified } },
      );
      await recordEffective(
        this.deps.report,
        clock,
        request,
        await effectiveAfterApply(iam, request, (probe) =>
          readBack(clock, this.verifyAttempts, this.verifyDelayMs, probe),
        ),
      );
      const now = clock.now();
      const applied = await this.deps.report.transition(
        request.id,
        'approved',
        'applied',
        { completedAt: now },
        {
          requestId: request.id,
          at: now,
          actor: 'bot',
          type: 'applied',
          details: { expiresAt: request.expiresAt?.toISOString() ?? null },
        },
        { requester: { kind: 'applied' }, card: true },
        request.leaseGeneration,
      );
      if (!applied) throw (await this.lease.lost(request, 'approved')) ?? new OwnershipLost(undefined);
      return applied;
    } catch (error) {
      if (error instanceof OwnershipLost) return this.stopFenced(request, error);
      // The database went away mid-apply: the request stays approved under its lease, and whoever takes it over
      // once the database is back (this process's scheduler, or another replica) reads the role and finishes.
      if (isDatabaseUnreachable(error)) throw error;
      return this.fail(request, error);
    }
  }

  /**
   * Everything checked before the first write, from one round of reads: the role exists as approved, an inline
   * policy of the grant's name is ours to replace, IAM's limits leave room, and each managed policy can be attached.
   * Returns the managed policies attached now, and whether the inline document is in place already.
   */
  private async prepareWrites(
    iam: IamGateway,
    request: AccessRequest,
  ): Promise<{ attachedNow: string[]; inPlace: boolean }> {
    const role = request.role.name;
    const [found, current, attachedNow, inlineNames] = await Promise.all([
      iam.getRole(role),
      iam.getRolePolicy(role, request.policyName),
      request.managedPolicyArns.length ? iam.listAttachedRolePolicies(role) : Promise.resolve([]),
      iam.listRolePolicies(role),
    ]);
    if (!found)
      throw new IamError(
        'NoSuchEntity',
        `The role ${role} does not exist in account ${request.role.accountId}.`,
      );
    if (found.arn !== request.role.arn)
      throw new Refusal(
        { code: 'IntegrityError', message: integrityMessage({ code: 'IntegrityError', problems: [] }) },
        [`IAM knows the role as ${found.arn}, not the approved ${request.role.arn}`],
      );
    const inPlace = current !== undefined && sameDocument(current, request.documentText);
    if (current !== undefined && !inPlace) {
      const owner = await ownerOfInlineDocument(this.deps.store, request, current);
      if (!owner)
        throw new Refusal({
          code: 'ForeignInlinePolicy',
          message: `the role has an inline policy ${request.policyName} that cases-access did not write; it was not overwritten. Remove or rename it, then Retry.`,
        });
    }
    const toAttach = request.managedPolicyArns.filter((arn) => !attachedNow.includes(arn));
    await Promise.all([
      this.checkLimits(iam, request, inPlace ? undefined : inlineNames, attachedNow, toAttach),
      ...toAttach.map(async (arn) => {
        const policy = await iam.getPolicy(arn);
        if (!policy?.attachable)
          throw new IamError(
            policy ? 'PolicyNotAttachable' : 'NoSuchEntity',
            `the managed policy ${arn} ${policy ? 'is not attachable' : 'does not exist'} in this account. Nothing was written.`,
          );
      }),
    ]);
    return { attachedNow, inPlace };
  }

  /**
   * One fenced write: proves ownership (renewing the lease), records the intent, calls IAM, records the call, then
   * makes sure the write landed while the request was still ours; one that landed after it was revoked is undone.
   */
  private async write(iam: IamGateway, request: AccessRequest, write: Write): Promise<void> {
    const { store } = this.deps;
    const role = request.role.name;
    await this.lease.prove(request, 'approved');
    if (write.operation === 'PutRolePolicy') {
      const details = { policyName: request.policyName, sha256: request.sha256 };
      await this.journal.intent(request, 'PutRolePolicy', details);
      const put = await iam.putRolePolicy(role, request.policyName, request.documentText);
      await this.landed(iam, request, write);
      await this.journal.iamCall(
        request,
        'PutRolePolicy',
        `${request.policyName} on ${request.role.arn}`,
        put.awsRequestId,
        details,
      );
      return;
    }
    await this.journal.intent(request, 'AttachRolePolicy', { policyArn: write.policyArn });
    const attach = await iam.attachRolePolicy(role, write.policyArn);
    await this.landed(iam, request, write);
    // Recorded only after IAM said yes: what revocation may detach is what this grant provably attached.
    const fresh = await store.getRequest(request.id);
    const ours = [...new Set([...(fresh?.attachedManagedArns ?? []), write.policyArn])];
    await store.updateRequest(request.id, { attachedManagedArns: ours });
    request.attachedManagedArns = ours;
    await this.journal.iamCall(
      request,
      'AttachRolePolicy',
      `${write.policyArn} to ${request.role.arn}`,
      attach.awsRequestId,
      { policyArn: write.policyArn },
    );
  }

  /** Throws OwnershipLost when the write landed after the request moved on; undoes it if the grant was revoked. */
  private async landed(iam: IamGateway, request: AccessRequest, write: Write): Promise<void> {
    const lost = await this.lease.lost(request, 'approved');
    if (!lost) return;
    const now = lost.current;
    const what =
      write.operation === 'PutRolePolicy'
        ? `PutRolePolicy of ${request.policyName}`
        : `AttachRolePolicy of ${write.policyArn}`;
    this.deps.logger.error('an IAM write landed after its request moved on', {
      requestId: request.id,
      write: what,
      state: now?.state,
    });
    if (now && (now.state === 'revoking' || now.state === 'revoked')) {
      // Removal is the one path that takes a grant off a role; it leaves what another grant needs.
      const { removed } = await this.deps.remover.remove(iam, now, {
        from: 'applied',
        beforeWrite: async () => undefined,
        alsoAttached: write.operation === 'AttachRolePolicy' ? [write.policyArn] : [],
      });
      await this.deps.report.record(
        {
          requestId: request.id,
          at: this.deps.clock.now(),
          actor: 'bot',
          type: 'late_write_undone',
          details: { write: what, state: now.state, removed, leaseGeneration: request.leaseGeneration },
        },
        { thread: { kind: 'late_write_undone', write: what, state: now.state, removed } },
      );
    }
    throw lost;
  }

  /** On a resumed apply, a write whose result the role already holds is skipped, and the thread says so. */
  private async alreadyInPlace(request: AccessRequest, what: string): Promise<void> {
    await this.deps.report.record(
      {
        requestId: request.id,
        at: this.deps.clock.now(),
        actor: 'bot',
        type: 'already_in_place',
        details: { what },
      },
      { thread: { kind: 'already_in_place', what } },
    );
  }

  /** A worker that lost its request records that it stopped, and changes nothing else. */
  private async stopFenced(request: AccessRequest, lost: OwnershipLost): Promise<AccessRequest> {
    await recordFenced(this.deps, request, lost, 'applying');
    return lost.current ?? request;
  }

  private async fail(request: AccessRequest, error: unknown): Promise<AccessRequest> {
    const { clock } = this.deps;
    const refusal = error instanceof Refusal ? error : undefined;
    const failure: IamFailure =
      refusal?.failure ??
      (error instanceof IamError ? error.toFailure() : { code: 'InternalError', message: messageOf(error) });
    const problems = refusal?.problems ?? [];
    this.deps.logger.error('applying the plan failed', { requestId: request.id, failure, problems });
    const onRole = await this.describeRole(request);
    const failed = await this.deps.report.transition(
      request.id,
      'approved',
      'failed',
      { completedAt: clock.now(), failure },
      {
        requestId: request.id,
        at: clock.now(),
        actor: 'bot',
        type: 'failed',
        details: { ...failure, problems, onRole: onRole ?? null },
      },
      final(
        problems.length || failure.code === 'ForeignInlinePolicy'
          ? { kind: 'integrity_failed', failure, problems }
          : { kind: 'failed', failure, onRole },
      ),
      request.leaseGeneration,
    );
    if (!failed)
      return this.stopFenced(
        request,
        (await this.lease.lost(request, 'approved')) ?? new OwnershipLost(undefined),
      );
    return failed;
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
    toAttach: string[],
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
}

function refusalOf(failure: IntegrityFailure): Refusal {
  return new Refusal({ code: failure.code, message: integrityMessage(failure) }, failure.problems);
}
