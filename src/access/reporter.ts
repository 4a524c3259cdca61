import type { Logger } from '../log';
import type { Notifier, StepNotice } from './ports';
import type { AccessRequest } from './types';

/**
 * Tells Slack what happened, never letting a Slack failure undo or stop a step already taken in IAM or the store.
 * The card update comes last in every path: once the card shows a final state, everything else was said.
 */
export class Reporter {
  constructor(
    private readonly notifier: Notifier,
    private readonly logger: Logger,
  ) {}

  step(request: AccessRequest, notice: StepNotice): Promise<unknown> {
    return this.quietly('thread reply', () => this.notifier.postStep(request, notice));
  }

  tellRequester(request: AccessRequest, notice: StepNotice): Promise<unknown> {
    return this.quietly('requester message', () => this.notifier.tellRequester(request, notice));
  }

  updateCard(request: AccessRequest): Promise<unknown> {
    return this.quietly('card update', () => this.notifier.updateCard(request));
  }

  /** Thread, requester, then the card. */
  async final(request: AccessRequest, notice: StepNotice, tellRequester = true): Promise<void> {
    await this.step(request, notice);
    if (tellRequester) await this.tellRequester(request, notice);
    await this.updateCard(request);
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
