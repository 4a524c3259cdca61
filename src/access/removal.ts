import { sameDocument } from '../policy';
import type { Logger } from '../log';
import type { Store } from '../store/store';
import { integrityMessage } from './integrity';
import type { PlanVerifier } from './integrity';
import { Journal, readBack } from './journal';
import { IamError } from './ports';
import type { Clock, IamGateway } from './ports';
import { final } from './reporter';
import type { Reporter } from './reporter';
import type { AccessRequest } from './types';

/**
 * Takes one grant off a role: its inline policy and the managed policies it attached itself, but never what another
 * active grant on the same role still needs, nor what the role had before. Verified by reading back. The one path
 * for removal: revocations (by a person or the scheduler) and the undoing of a write that landed late use it.
 */

export interface RemovalDeps {
  store: Store;
  clock: Clock;
  logger: Logger;
  report: Reporter;
  verifier: PlanVerifier;
  verifyAttempts?: number;
  verifyDelayMs?: number;
}

export interface RemovalOptions {
  /** `failed`: a partly applied grant, whose inline policy is removed only if the role holds its document. */
  from: 'applied' | 'failed';
  /** Called before each IAM write: fencing throws there when the caller no longer owns the request. */
  beforeWrite: () => Promise<void>;
  /** Managed policies this grant attached but could not record (a write that landed late). */
  alsoAttached?: string[];
}

export interface Removal {
  removed: string[];
  kept: string[];
}

export class GrantRemover {
  private readonly journal: Journal;

  constructor(private readonly deps: RemovalDeps) {
    this.journal = new Journal(deps.store, deps.clock, deps.report);
  }

  async remove(iam: IamGateway, request: AccessRequest, options: RemovalOptions): Promise<Removal> {
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
    const keeper = await this.keeperOf(request, others);
    if (keeper) {
      inline = keeper.documentText;
      const current = await iam.getRolePolicy(role, request.policyName);
      if (current === undefined || !sameDocument(current, keeper.documentText)) {
        // Put back the document the other grant's approver approved (derived again, checked), not this one's.
        await options.beforeWrite();
        const put = await iam.putRolePolicy(role, keeper.policyName, keeper.documentText);
        await this.journal.iamCall(
          request,
          'PutRolePolicy',
          `${keeper.policyName} on ${request.role.arn} (restoring ${keeper.id})`,
          put.awsRequestId,
          { policyName: keeper.policyName, sha256: keeper.sha256, restoredFor: keeper.id },
        );
      }
      kept.push(`${request.policyName} (still needed by ${keeper.id})`);
    } else if (options.from === 'failed' && (await this.holdsOtherDocument(iam, request))) {
      // The role visibly holds another document under that name: not this grant's (the failed apply never wrote
      // it, or someone replaced it), so it stays. An absent one is deleted anyway: IAM's reads lag its writes, and
      // a delete of nothing is harmless ("already gone").
      kept.push(`${request.policyName} (not written by this request)`);
      inline = 'untouched';
    } else {
      await options.beforeWrite();
      const del = await iam.deleteRolePolicy(role, request.policyName);
      await this.journal.iamCall(
        request,
        'DeleteRolePolicy',
        `${request.policyName} from ${request.role.arn}${del.gone ? ' (already gone)' : ''}`,
        del.awsRequestId,
        { policyName: request.policyName, alreadyGone: del.gone ?? false },
      );
      removed.push(request.policyName);
    }

    const ours = new Set([...request.attachedManagedArns, ...(options.alsoAttached ?? [])]);
    const detached: string[] = [];
    let attachedNow: string[] | undefined;
    for (const arn of request.managedPolicyArns) {
      if (!ours.has(arn)) {
        // Not this grant's, so left alone; reported as kept only when it is on the role (a failed apply may
        // never have attached it).
        attachedNow ??= await iam.listAttachedRolePolicies(role);
        if (attachedNow.includes(arn)) kept.push(`${arn} (not attached by this grant)`);
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
      await options.beforeWrite();
      const detach = await iam.detachRolePolicy(role, arn);
      await this.journal.iamCall(
        request,
        'DetachRolePolicy',
        `${arn} from ${request.role.arn}${detach.gone ? ' (already detached)' : ''}`,
        detach.awsRequestId,
        { policyArn: arn, alreadyGone: detach.gone ?? false },
      );
      detached.push(arn);
      removed.push(arn);
    }

    await this.verifyRemoval(iam, request, inline, detached);
    return { removed, kept };
  }

  /**
   * The newest other active grant that shares the inline policy name and whose stored plan still passes its
   * checks. One that fails them is not restored: it is ended as failed, and its approvers are told.
   */
  private async keeperOf(
    request: AccessRequest,
    others: AccessRequest[],
  ): Promise<AccessRequest | undefined> {
    const sharing = others
      .filter((o) => o.policyName === request.policyName)
      .sort((a, b) => (b.completedAt?.getTime() ?? 0) - (a.completedAt?.getTime() ?? 0));
    for (const candidate of sharing) {
      const failure = await this.deps.verifier.check(candidate);
      if (!failure) return candidate;
      await this.endUntrusted(candidate, failure.code, integrityMessage(failure), failure.problems);
    }
    return undefined;
  }

  private async endUntrusted(
    grant: AccessRequest,
    code: string,
    message: string,
    problems: string[],
  ): Promise<void> {
    const { clock, logger, report } = this.deps;
    logger.error('a grant failed its integrity check and was not restored', {
      requestId: grant.id,
      problems,
    });
    const failure = { code, message };
    await report.transition(
      grant.id,
      'applied',
      'failed',
      { completedAt: clock.now(), failure },
      {
        requestId: grant.id,
        at: clock.now(),
        actor: 'bot',
        type: 'failed',
        details: { ...failure, problems },
      },
      final({ kind: 'integrity_failed', failure, problems }, false),
    );
  }

  private async holdsOtherDocument(iam: IamGateway, request: AccessRequest): Promise<boolean> {
    const current = await iam.getRolePolicy(request.role.name, request.policyName);
    return current !== undefined && !sameDocument(current, request.documentText);
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
