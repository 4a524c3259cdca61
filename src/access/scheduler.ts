import type { Logger } from '../log';
import type { Store } from '../store/store';
import { formatDuration } from './duration';
import { expirePending } from './expiry';
import type { Clock } from './ports';
import type { Reporter } from './reporter';
import type { RevocationService } from './revocation';

/**
 * Time-based work, driven by what is in the store (so it survives restarts): revoke grants whose time ended,
 * expire requests left pending, remind approvers once, warn requesters before their grant ends.
 * Every action is claimed by a conditional update, so two replicas never do the same one twice.
 */

export interface SchedulerDeps {
  store: Store;
  clock: Clock;
  logger: Logger;
  report: Reporter;
  revocations: RevocationService;
  pendingTtlSeconds: number;
  remindAfterSeconds: number;
  /** A break-glass grant should be acknowledged within this long (BREAK_GLASS_REVIEW); reminders say when it is overdue. */
  breakGlassReviewSeconds?: number;
  /** Work a crashed owner left half done (applies, revocations), resumed once its lease has run out. */
  resumables?: Array<{ resumeInterrupted(): Promise<number> }>;
  /** How long before a grant ends its requester is told (only for grants at least twice as long). */
  endingSoonSeconds?: number;
  /** How many due revocations run at once (default 4). */
  revokeConcurrency?: number;
}

export class LifecycleScheduler {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(private readonly deps: SchedulerDeps) {}

  /** One pass; passes never overlap. */
  tick(): Promise<void> {
    this.running ??= this.pass().finally(() => (this.running = undefined));
    return this.running;
  }

  start(intervalMs: number): void {
    this.timer = setInterval(() => {
      this.tick().catch((error: unknown) => this.deps.logger.error('scheduler pass failed', { error }));
    }, intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  private async pass(): Promise<void> {
    for (const resumable of this.deps.resumables ?? []) await resumable.resumeInterrupted();
    await this.revokeDueGrants();
    await this.expirePending();
    await this.remindApprovers();
    await this.remindReviews();
    await this.warnEndingSoon();
    // A day is far beyond Slack's retries of a delivery.
    await this.deps.store.pruneDeliveries(new Date(this.deps.clock.now().getTime() - 86_400_000));
  }

  /**
   * Due grants are revoked a few at a time, concurrently: a slow or failing one (IAM throttling, a role that cannot
   * be read back) does not hold the others back. Partly applied failures end on time too.
   */
  private async revokeDueGrants(): Promise<void> {
    const { store, clock, revocations, logger } = this.deps;
    const now = clock.now();
    const due = (await store.listRequests({ states: ['applied', 'failed'], expiresBefore: now })).filter(
      (grant) => !(grant.nextRevokeAttemptAt && grant.nextRevokeAttemptAt > now),
    );
    let next = 0;
    const worker = async () => {
      while (next < due.length) {
        const grant = due[next++]!;
        await revocations.revoke(grant.id, 'bot', 'the grant’s time ended').catch((error: unknown) => {
          logger.error('scheduled revocation failed', { requestId: grant.id, error });
        });
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.deps.revokeConcurrency ?? 4, due.length) }, worker));
  }

  private async expirePending(): Promise<void> {
    const { store, clock, report, pendingTtlSeconds } = this.deps;
    const now = clock.now();
    const cutoff = new Date(now.getTime() - pendingTtlSeconds * 1000);
    for (const pending of await store.listRequests({ states: ['pending'], createdBefore: cutoff }))
      await expirePending({ clock, report }, pending, pendingTtlSeconds);
  }

  private async remindApprovers(): Promise<void> {
    const { store, clock, report, remindAfterSeconds } = this.deps;
    const now = clock.now();
    const cutoff = new Date(now.getTime() - remindAfterSeconds * 1000);
    for (const pending of await store.listRequests({ states: ['pending'], createdBefore: cutoff })) {
      if (pending.approversRemindedAt || !(await store.claimReminder(pending.id, 'approvers', now))) continue;
      const pendingFor = formatDuration(Math.floor((now.getTime() - pending.createdAt.getTime()) / 1000));
      await report.record(
        { requestId: pending.id, at: now, actor: 'bot', type: 'reminded', details: { who: 'approvers' } },
        { thread: { kind: 'remind_approvers', pendingFor } },
      );
    }
  }

  /** Every REMIND_AFTER, the approvers of a break-glass grant nobody acknowledged are called again. */
  private async remindReviews(): Promise<void> {
    const { store, clock, report, remindAfterSeconds } = this.deps;
    const now = clock.now();
    const every = remindAfterSeconds * 1000;
    for (const grant of await store.listRequests({ unreviewedBreakGlass: true })) {
      if (now.getTime() - grant.createdAt.getTime() < every) continue;
      if (!(await store.claimReviewReminder(grant.id, now, new Date(now.getTime() - every)))) continue;
      const overdue =
        now.getTime() - grant.createdAt.getTime() >= (this.deps.breakGlassReviewSeconds ?? 86_400) * 1000;
      await report.record(
        { requestId: grant.id, at: now, actor: 'bot', type: 'reminded', details: { who: 'review', overdue } },
        { thread: { kind: 'review_reminder', overdue } },
      );
    }
  }

  private async warnEndingSoon(): Promise<void> {
    const { store, clock, report } = this.deps;
    const lead = this.deps.endingSoonSeconds ?? 15 * 60;
    const now = clock.now();
    const horizon = new Date(now.getTime() + lead * 1000);
    for (const grant of await store.listRequests({ states: ['applied'], expiresBefore: horizon })) {
      if (!grant.expiresAt || grant.expiresAt <= now || grant.requesterRemindedAt) continue;
      if ((grant.durationSeconds ?? 0) < 2 * lead) continue;
      if (!(await store.claimReminder(grant.id, 'requester', now))) continue;
      await report.record(
        { requestId: grant.id, at: now, actor: 'bot', type: 'reminded', details: { who: 'requester' } },
        { requester: { kind: 'ending_soon', expiresAt: grant.expiresAt } },
      );
    }
  }
}
