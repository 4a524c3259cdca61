import type { Logger } from '../log';
import type { Notifier, StepNotice } from './ports';
import type { AccessRequest } from './types';

/**
 * Tells Slack what happened, never letting a Slack failure undo or stop a step already taken in IAM or the store.
 * Messages about one request go out in order on a queue of their own, so the workflow need not wait for Slack
 * between IAM calls; each method returns the queue up to its message, for callers that must wait. The card update
 * comes last in every path: once the card shows a final state, everything else was said.
 */
export class Reporter {
  private readonly queues = new Map<string, Promise<void>>();

  constructor(
    private readonly notifier: Notifier,
    private readonly logger: Logger,
  ) {}

  step(request: AccessRequest, notice: StepNotice): Promise<void> {
    return this.enqueue(request.id, 'thread reply', () => this.notifier.postStep(request, notice));
  }

  tellRequester(request: AccessRequest, notice: StepNotice): Promise<void> {
    return this.enqueue(request.id, 'requester message', () => this.notifier.tellRequester(request, notice));
  }

  updateCard(request: AccessRequest): Promise<void> {
    return this.enqueue(request.id, 'card update', () => this.notifier.updateCard(request));
  }

  /** Thread, requester, then the card; resolves when all of the request's messages are out. */
  async final(request: AccessRequest, notice: StepNotice, tellRequester = true): Promise<void> {
    void this.step(request, notice);
    if (tellRequester) void this.tellRequester(request, notice);
    await this.updateCard(request);
  }

  private enqueue(requestId: string, what: string, send: () => Promise<unknown>): Promise<void> {
    const queued = (this.queues.get(requestId) ?? Promise.resolve()).then(async () => {
      await this.quietly(what, send);
    });
    this.queues.set(requestId, queued);
    void queued.then(() => {
      if (this.queues.get(requestId) === queued) this.queues.delete(requestId);
    });
    return queued;
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
