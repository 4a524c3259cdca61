import type { Logger } from '../log';
import type { Store } from '../store/store';
import { serializeNotice } from './outbox';
import type { OutboxDeliverer } from './outbox';
import type { StepNotice } from './ports';
import type { AccessRequest, OutboxKind } from './types';

/**
 * Tells Slack what happened, never letting Slack delay, undo or stop a step taken in IAM or the store. Every message
 * goes into the durable outbox (see OutboxDeliverer), in order per request; every method only enqueues and returns at
 * once, so no IAM step waits for Slack (a Slack outage or 429s cannot hold a revocation back), and nothing is lost
 * when Slack fails for a while or the process restarts. The card update comes last in every path: once the card shows
 * a final state, everything else was said. `idle()` waits for delivery (shutdown, tests).
 */
export class Reporter {
  private readonly queues = new Map<string, Promise<void>>();

  constructor(
    private readonly store: Store,
    private readonly outbox: OutboxDeliverer,
    private readonly logger: Logger,
  ) {}

  step(request: AccessRequest, notice: StepNotice): Promise<void> {
    return this.enqueue(request.id, 'thread', notice);
  }

  tellRequester(request: AccessRequest, notice: StepNotice): Promise<void> {
    return this.enqueue(request.id, 'requester', notice);
  }

  /**
   * The card shows the request as it was when this update was reported (a snapshot), so an update delivered late
   * cannot run ahead of the thread: the last card update is always the request's final word.
   */
  updateCard(request: AccessRequest): Promise<void> {
    return this.enqueue(request.id, 'card', undefined, request);
  }

  /** Thread, requester, then the card. */
  final(request: AccessRequest, notice: StepNotice, tellRequester = true): Promise<void> {
    void this.step(request, notice);
    if (tellRequester) void this.tellRequester(request, notice);
    return this.updateCard(request);
  }

  /** Resolves when every message queued so far has been delivered (or Slack stayed down for `boundMs`). */
  async idle(boundMs?: number): Promise<void> {
    while (this.queues.size) await Promise.all([...this.queues.values()]);
    await this.outbox.settled(boundMs);
  }

  /**
   * Messages of one request are written to the outbox in the order they were reported (a chain per request, so
   * concurrent inserts cannot overtake each other), then the deliverer is woken.
   */
  private enqueue(
    requestId: string,
    kind: OutboxKind,
    notice?: StepNotice,
    snapshot?: AccessRequest,
  ): Promise<void> {
    const queued = (this.queues.get(requestId) ?? Promise.resolve()).then(async () => {
      try {
        await this.store.enqueueOutbox({
          requestId,
          kind,
          notice: notice ? serializeNotice(notice) : snapshot && JSON.stringify(snapshot),
          at: new Date(),
        });
        this.outbox.kick();
      } catch (error) {
        this.logger.error('a Slack message could not be queued', { requestId, kind, error });
      }
    });
    this.queues.set(requestId, queued);
    void queued.then(() => {
      if (this.queues.get(requestId) === queued) this.queues.delete(requestId);
    });
    return Promise.resolve();
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
