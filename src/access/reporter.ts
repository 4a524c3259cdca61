import type { Logger } from '../log';
import type { ApprovalOutcome, Store } from '../store/store';
import { serializeNotice } from './outbox';
import type { OutboxDeliverer } from './outbox';
import { systemClock } from './ports';
import type { StepNotice } from './ports';
import type {
  AccessRequest,
  AuditEvent,
  NewAuditEvent,
  OutboxDraft,
  RequestState,
  TransitionPatch,
} from './types';

/** What an event is told as: a thread reply, a DM to the requester, a card update (in that order). */
export interface Telling {
  thread?: StepNotice;
  requester?: StepNotice;
  card?: boolean;
}

/**
 * Records what happened and tells Slack, never letting Slack delay, undo or stop a step taken in IAM or the store.
 * Each event is written in one transaction with the outbox messages that report it (see OutboxDeliverer): both are
 * there or neither, so after a crash or a Slack outage the thread still gets every step, in order, and nothing ever
 * waits for Slack (a 429 or an outage cannot hold a revocation back). The card update comes last in every telling:
 * once the card shows a final state, everything else was said. `idle()` waits for delivery (shutdown, tests).
 */
export class Reporter {
  constructor(
    private readonly store: Store,
    private readonly outbox: OutboxDeliverer,
    private readonly logger: Logger,
  ) {}

  /** Appends the event and queues its telling, in one transaction. */
  async record(event: NewAuditEvent, telling: Telling): Promise<AuditEvent> {
    const appended = await this.store.appendEvent(event, drafts(telling));
    this.outbox.kick();
    return appended;
  }

  /**
   * Store.transition with the telling queued in the same transaction; `undefined` (and nothing queued) for a caller
   * that lost the race.
   */
  async transition(
    id: string,
    from: RequestState,
    to: RequestState,
    patch: TransitionPatch,
    event: NewAuditEvent,
    telling: Telling,
    generation?: number,
  ): Promise<AccessRequest | undefined> {
    const moved = await this.store.transition(id, from, to, patch, event, {
      generation,
      outbox: drafts(telling),
    });
    if (moved) this.outbox.kick();
    return moved;
  }

  /** Store.addApproval with the tellings of the approval and, when it completes the quorum, of the approval. */
  async addApproval(
    id: string,
    approval: NewAuditEvent,
    required: number,
    approved: { patch: TransitionPatch; event: NewAuditEvent; telling: Telling },
    telling: Telling,
  ): Promise<ApprovalOutcome> {
    const outcome = await this.store.addApproval(
      id,
      approval,
      required,
      { patch: approved.patch, event: approved.event, outbox: drafts(approved.telling) },
      drafts(telling),
    );
    if (outcome.outcome === 'counted' || outcome.outcome === 'approved') this.outbox.kick();
    return outcome;
  }

  /** Store.acknowledge, told in the thread and on the card. */
  async acknowledge(id: string, event: NewAuditEvent): Promise<AccessRequest | undefined> {
    const done = await this.store.acknowledge(
      id,
      event,
      drafts({ thread: { kind: 'acknowledged', by: event.actor }, card: true }),
    );
    if (done) this.outbox.kick();
    return done;
  }

  /** Resolves when every message queued so far has been delivered (or Slack stayed down for `boundMs`). */
  async idle(boundMs?: number): Promise<void> {
    await this.outbox.settled(boundMs);
  }

  async quietly<T>(what: string, fn: () => Promise<T>): Promise<T | undefined> {
    try {
      return await fn();
    } catch (error) {
      this.logger.warn(`${what} failed`, { error });
      return undefined;
    }
  }
}

/** Thread, requester, then the card; stamped in real time, as the deliverer runs on it. */
export function drafts(telling: Telling): OutboxDraft[] {
  const at = systemClock.now();
  const out: OutboxDraft[] = [];
  if (telling.thread) out.push({ kind: 'thread', notice: serializeNotice(telling.thread), at });
  if (telling.requester) out.push({ kind: 'requester', notice: serializeNotice(telling.requester), at });
  if (telling.card) out.push({ kind: 'card', at });
  return out;
}

/** The usual telling of an ending: the thread, the requester (unless told otherwise), then the card. */
export function final(notice: StepNotice, tellRequester = true): Telling {
  return { thread: notice, ...(tellRequester ? { requester: notice } : {}), card: true };
}
