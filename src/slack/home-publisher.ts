import type { webApi } from '@slack/bolt';
import type { HomeQueries } from '../access/home';
import type { Logger } from '../log';
import type { AccessRequest } from '../access/types';
import { homeView, requestsShown } from './blocks/home';
import type { LinkOf } from './reports';

/**
 * Publishes each person's Home tab (`views.publish`) when they open it, and again when a request they are part of
 * changes state. Changes only mark people dirty; a flush at most every `intervalMs` publishes each dirty Home once,
 * a bounded number per flush, pausing for Slack's Retry-After on a 429: a burst of changes publishes each Home a
 * bounded number of times, and the workflow never waits for Slack.
 *
 * Only Homes opened on this process since it started are kept current (the viewers are kept in memory): anyone
 * else's Home is built afresh when they open it (app_home_opened). Approvers who opened theirs are concerned by every
 * request (Waiting for you, Active grants).
 */

export interface HomePublisherOptions {
  /** The shortest time between two flushes (default 1.5 s). */
  intervalMs?: number;
  /** The most Homes published per flush; the rest wait for the next (default 20). */
  perFlush?: number;
  /** How many people's Homes are remembered (oldest forgotten first). */
  maxViewers?: number;
}

interface Viewer {
  approver: boolean;
  pages: { waiting: number; grants: number };
}

export class HomePublisher {
  private readonly viewers = new Map<string, Viewer>();
  private readonly dirty = new Set<string>();
  private timer?: NodeJS.Timeout;
  private flushing?: Promise<void>;
  private stopped = false;
  /** After a 429: no flush before this (Slack's Retry-After). */
  private pausedUntil = 0;
  private readonly intervalMs: number;
  private readonly perFlush: number;
  private readonly maxViewers: number;

  constructor(
    private readonly client: webApi.WebClient,
    private readonly queries: HomeQueries,
    private readonly linkOf: LinkOf,
    private readonly logger: Logger,
    options: HomePublisherOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? 1_500;
    this.perFlush = options.perFlush ?? 20;
    this.maxViewers = options.maxViewers ?? 10_000;
  }

  /** Someone opened their Home, or turned a page: publish it now, on the pages asked (default: those last shown). */
  async show(userId: string, pages?: { waiting?: number; grants?: number }): Promise<void> {
    const known = this.viewers.get(userId);
    const next = { waiting: 0, grants: 0, ...known?.pages, ...pages };
    this.dirty.delete(userId);
    await this.publish(userId, next);
  }

  /** A request changed state: the Homes of those it concerns are published at the next flush. */
  changed(request: AccessRequest): void {
    if (this.stopped) return;
    const concerned = new Set<string>([
      request.requesterId,
      ...request.approvals,
      ...(request.decidedBy ? [request.decidedBy] : []),
      ...(request.revokedBy ? [request.revokedBy] : []),
    ]);
    for (const [userId, viewer] of this.viewers)
      if (viewer.approver || concerned.has(userId)) this.dirty.add(userId);
    if (this.dirty.size) this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.flushing;
  }

  private schedule(): void {
    if (this.timer || this.flushing || this.stopped) return;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.flushing = this.flush().finally(() => {
          this.flushing = undefined;
          if (this.dirty.size) this.schedule();
        });
      },
      Math.max(this.intervalMs, this.pausedUntil - Date.now()),
    );
    this.timer.unref();
  }

  private async flush(): Promise<void> {
    const batch = [...this.dirty].slice(0, this.perFlush);
    for (const userId of batch) {
      if (this.stopped || Date.now() < this.pausedUntil) return;
      this.dirty.delete(userId);
      const viewer = this.viewers.get(userId);
      if (viewer) await this.publish(userId, viewer.pages);
    }
  }

  private async publish(userId: string, pages: { waiting: number; grants: number }): Promise<void> {
    try {
      const data = await this.queries.home(userId, pages);
      const links = new Map<string, string>();
      await Promise.all(
        requestsShown(data).map(async (request) => {
          const link = await this.linkOf(request).catch(() => undefined);
          if (link) links.set(request.id, link);
        }),
      );
      this.remember(userId, {
        approver: data.approver,
        pages: { waiting: data.waiting.page, grants: data.grants.page },
      });
      await this.client.views.publish({ user_id: userId, view: homeView(data, links) });
    } catch (error) {
      // Rate limited: publish it again once Slack allows (the Home shows its last version meanwhile). Any other
      // error is logged and left: the next change or opening publishes it afresh.
      const retryAfter = (error as { retryAfter?: unknown }).retryAfter;
      this.logger.warn('a Home tab could not be published', { userId, error });
      if (typeof retryAfter === 'number' && !this.stopped) {
        this.pausedUntil = Date.now() + retryAfter * 1000;
        this.dirty.add(userId);
        this.schedule();
      }
    }
  }

  private remember(userId: string, viewer: Viewer): void {
    this.viewers.delete(userId);
    this.viewers.set(userId, viewer);
    if (this.viewers.size > this.maxViewers) this.viewers.delete(this.viewers.keys().next().value as string);
  }
}
