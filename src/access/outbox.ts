import { messageOf } from '../errors';
import type { Logger } from '../log';
import type { Store } from '../store/store';
import type { Clock, Notifier, StepNotice } from './ports';
import type { AccessRequest, OutboxMessage } from './types';

/**
 * Delivers the outbox: every thread reply, requester DM and card update, queued in the store by the Reporter, goes
 * to Slack in the order it was queued per request, survives restarts, and is sent once across replicas (claimed
 * before sending, its Slack ts recorded after). A failure is retried with a growing pause (Slack's Retry-After when
 * it gives one); after a long bound the message is given up, with an error in the log. Runs on real time: Slack's
 * pace is real whatever clock the workflow uses.
 */

export interface OutboxDeps {
  store: Store;
  notifier: Notifier;
  logger: Logger;
  clock: Clock;
  /** How long a message is retried before it is given up (default a day). */
  giveUpAfterMs?: number;
  /** How many requests' messages go out at once (each request's stay in order). */
  concurrency?: number;
  /** How often due retries are looked for when nothing else wakes the deliverer (default 2 s). */
  pollMs?: number;
}

/**
 * How long a sender holds a message before another replica (or the next start, after a crash mid-send) may send it:
 * longer than the delivery client's longest call (5 s timeout, one retry), short enough that a crash holds a
 * request's thread back only briefly. A crash mid-send can mean the message is sent twice; never lost.
 */
const CLAIM_MS = 12_000;
const MAX_PAUSE_MS = 5 * 60_000;

export class OutboxDeliverer {
  private running?: Promise<void>;
  private again = false;
  private timer?: NodeJS.Timeout;

  constructor(private readonly deps: OutboxDeps) {}

  /** Something was queued: deliver now (a pass already running goes round once more). */
  kick(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drain().finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        this.kick();
      }
    });
  }

  start(): void {
    this.timer = setInterval(() => this.kick(), this.deps.pollMs ?? 2_000);
    this.timer.unref();
    this.kick();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  /** Waits until nothing is left to send, or `boundMs` passes (Slack may be down). */
  async settled(boundMs = 30_000): Promise<void> {
    const until = Date.now() + boundMs;
    while (Date.now() < until) {
      await this.running;
      if ((await this.deps.store.pendingOutbox()) === 0) return;
      this.kick();
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  private async drain(): Promise<void> {
    try {
      for (;;) {
        const due = await this.deps.store.dueOutbox(this.deps.clock.now(), this.deps.concurrency ?? 8);
        if (!due.length) return;
        await Promise.all(due.map((message) => this.deliver(message)));
      }
    } catch (error) {
      this.deps.logger.error('the outbox could not be read', { error });
    }
  }

  private async deliver(message: OutboxMessage): Promise<void> {
    const { store, notifier, logger, clock } = this.deps;
    const now = clock.now();
    if (!(await store.claimOutbox(message.id, now, new Date(now.getTime() + CLAIM_MS)))) return;
    try {
      const request = await store.getRequest(message.requestId);
      if (!request) throw new Error(`no request ${message.requestId}`);
      let slackTs: string | undefined;
      // A card shows the request as it was reported (its card reference as it is now: set once posted).
      if (message.kind === 'card')
        await notifier.updateCard({ ...parseSnapshot(message.notice), card: request.card });
      else {
        const notice = parseNotice(message.notice);
        slackTs =
          message.kind === 'thread'
            ? await notifier.postStep(request, notice)
            : await notifier.tellRequester(request, notice);
      }
      await store.settleOutbox(message.id, { delivered: clock.now(), slackTs });
    } catch (error) {
      const failed = clock.now();
      const giveUp =
        failed.getTime() - message.createdAt.getTime() >= (this.deps.giveUpAfterMs ?? 86_400_000);
      const retryAfterS = (error as { retryAfter?: unknown }).retryAfter;
      const pause =
        typeof retryAfterS === 'number'
          ? retryAfterS * 1000
          : Math.min(1000 * 2 ** Math.min(message.attempts, 12), MAX_PAUSE_MS);
      if (giveUp)
        logger.error('a Slack message was given up after retrying', {
          requestId: message.requestId,
          kind: message.kind,
          attempts: message.attempts + 1,
          error,
        });
      else
        logger.warn('a Slack message will be retried', {
          requestId: message.requestId,
          kind: message.kind,
          error,
        });
      await store
        .settleOutbox(message.id, {
          failed,
          error: messageOf(error),
          retryAt: new Date(failed.getTime() + pause),
          giveUp,
        })
        .catch((e: unknown) => logger.error('the outbox could not be updated', { error: e }));
    }
  }
}

/** Notices are stored as JSON; their dates come back as ISO strings and are revived here. */
export function serializeNotice(notice: StepNotice): string {
  return JSON.stringify(notice);
}

/**
 * The fields of notices and requests that are dates, by their names' endings (`createdAt`, `revokeFailingSince`,
 * `leaseUntil`…): JSON has them as ISO strings. A naming rule rather than a list, so a new date field cannot be
 * forgotten here (a forgotten one broke card updates once).
 */
const DATE_KEY = /(At|Since|Until)$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

const reviveDates = (key: string, value: unknown): unknown =>
  DATE_KEY.test(key) && typeof value === 'string' && ISO_DATE.test(value) ? new Date(value) : value;

function parseNotice(text: string | undefined): StepNotice {
  if (text === undefined) throw new Error('a thread or requester message without its notice');
  return JSON.parse(text, reviveDates) as StepNotice;
}

function parseSnapshot(text: string | undefined): AccessRequest {
  if (text === undefined) throw new Error('a card update without its request');
  return JSON.parse(text, reviveDates) as AccessRequest;
}
