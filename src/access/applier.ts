import { inlinePolicySize, INLINE_POLICY_SIZE_LIMIT, sameDocument } from '../policy';
import { messageOf } from '../errors';
import type { Logger } from '../log';
import type { Store } from '../store/store';
import { Journal, readBack } from './journal';
import { IamError } from './ports';
import type { Clock, IamAccess, IamGateway } from './ports';
import type { Reporter } from './reporter';
import type { AccessRequest } from './types';

export interface PlanApplierDeps {
  store: Store;
  iam: IamAccess;
  clock: Clock;
  logger: Logger;
  report: Reporter;
  /** Read-back attempts for IAM's eventual consistency, and the first pause between them (doubling). */
  verifyAttempts?: number;
  verifyDelayMs?: number;
  /** How long an apply owns its request before a restart or another replica may take it over. */
  leaseMs?: number;
}

/**
 * Makes a role hold an approved plan, exactly once: reads first, checks IAM's limits, records an intent before each
 * write, verifies by reading back, and resumes work a crashed owner left half done.
 */
export class PlanApplier {
  private readonly verifyAttempts: number;
  private readonly verifyDelayMs: number;
  private readonly leaseMs: number;
  private readonly journal: Journal;

  constructor(private readonly deps: PlanApplierDeps) {
    this.verifyAttempts = deps.verifyAttempts ?? 5;
    this.verifyDelayMs = deps.verifyDelayMs ?? 250;
    this.leaseMs = deps.leaseMs ?? 120_000;
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
      await store.appendEvent({ requestId: claimed.id, at: now, actor: 'bot', type: 'resumed', details: {} });
      await this.deps.report.step(claimed, { kind: 'resumed' });
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

  /** The end of a lease taken now. */
  leaseEnd(): Date {
    return new Date(this.deps.clock.now().getTime() + this.leaseMs);
  }

  /**
   * Makes the role hold the approved plan. Resumable: each write is skipped when the role already has its result,
   * and an intent is recorded before each write. Then reads it back. Any IAM error ends the request as failed,
   * reported as AWS said it, with what the role holds now.
   */
  async apply(request: AccessRequest): Promise<AccessRequest> {
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
        void this.deps.report.step(request, {
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
      void this.deps.report.step(request, {
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
      void this.deps.report.tellRequester(final, { kind: 'applied' });
      await this.deps.report.updateCard(final);
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
      await this.deps.report.final(final, { kind: 'failed', failure, onRole });
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
        void this.deps.report.step(request, { kind: 'already_in_place', what: `${arn} attached` });
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
}
