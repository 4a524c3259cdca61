import { webApi } from '@slack/bolt';
import type { ApproverDirectory, Clock } from '../access/ports';
import { systemClock } from '../access/ports';
import type { ApproverList } from '../config';
import type { Logger } from '../log';
import { messageOf } from '../errors';

/**
 * APPROVERS resolved at click time: listed user IDs at once, or current members of listed usergroups. A usergroup's
 * members are kept for APPROVER_CACHE_MS (a membership change counts within about a minute), clicks that need the
 * same group share one Web API call, and that call is bounded (APPROVER_LOOKUP_TIMEOUT_MS, no retries, a 429 handed
 * back at once): a lookup that fails or is slow refuses within that bound instead of holding the click, and the
 * failure is kept briefly too, so a flood of clicks during a 429 is refused without asking Slack again.
 */

/** How long a usergroup's members are trusted before Slack is asked again. */
export const APPROVER_CACHE_MS = 60_000;
/** How long a failed lookup is remembered (a 429's Retry-After when longer, up to APPROVER_CACHE_MS). */
export const APPROVER_FAILURE_CACHE_MS = 5_000;
/** The longest one usergroup lookup may take, all in: past it the click is refused. */
export const APPROVER_LOOKUP_TIMEOUT_MS = 1_500;

/** The approvers could not be looked up just now (Slack slow, rate limiting or failing): nothing may be decided. */
export class ApproverLookupError extends Error {
  override readonly name = 'ApproverLookupError';
  constructor(
    readonly usergroup: string,
    readonly reason: string,
    /** When Slack said it may be asked again (a 429), else when the bot will ask again. */
    readonly retryAt: Date,
  ) {
    super(`the members of usergroup ${usergroup} could not be looked up: ${reason}`);
  }
}

export interface ApproverDirectoryOptions {
  /** Times the cache (the bot's clock, so tests can move it); the lookup timeout is real time. */
  clock?: Clock;
  cacheMs?: number;
  failureCacheMs?: number;
  timeoutMs?: number;
  logger?: Logger;
}

type Entry =
  { members: ReadonlySet<string>; until: number } | { failure: ApproverLookupError; until: number };

export class SlackApproverDirectory implements ApproverDirectory {
  private readonly cache = new Map<string, Entry>();
  private readonly inFlight = new Map<string, Promise<ReadonlySet<string>>>();
  private readonly clock: Clock;
  private readonly cacheMs: number;
  private readonly failureCacheMs: number;
  private readonly timeoutMs: number;

  /** `client`: one that answers fast or fails (see approverLookupClient), never Bolt's patient one. */
  constructor(
    private readonly client: webApi.WebClient,
    private readonly approvers: ApproverList,
    private readonly options: ApproverDirectoryOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.cacheMs = options.cacheMs ?? APPROVER_CACHE_MS;
    this.failureCacheMs = options.failureCacheMs ?? APPROVER_FAILURE_CACHE_MS;
    this.timeoutMs = options.timeoutMs ?? APPROVER_LOOKUP_TIMEOUT_MS;
  }

  /**
   * True for a listed user or a current member of a listed usergroup. Throws ApproverLookupError when a group could
   * not be looked up and no other group answered yes: the caller refuses (fails closed), and says why.
   */
  async isApprover(userId: string): Promise<boolean> {
    return this.isAmong(userId, [...this.approvers.userIds, ...this.approvers.usergroupIds]);
  }

  async isAmong(userId: string, ids: readonly string[]): Promise<boolean> {
    if (!(await this.listed(userId, ids))) return false;
    return this.active(userId);
  }

  private async listed(userId: string, ids: readonly string[]): Promise<boolean> {
    if (ids.includes(userId)) return true;
    let failure: ApproverLookupError | undefined;
    for (const usergroup of ids.filter((id) => id.startsWith('S'))) {
      try {
        if ((await this.members(usergroup)).has(userId)) return true;
      } catch (error) {
        if (!(error instanceof ApproverLookupError)) throw error;
        failure ??= error;
      }
    }
    if (failure) throw failure;
    return false;
  }

  /** False for a deactivated account (`users.info` says `deleted`); asked once per APPROVER_CACHE_MS per person. */
  private active(userId: string): Promise<boolean> {
    return this.cached(`user:${userId}`, async () => {
      const out = await this.client.users.info({ user: userId });
      return new Set(out.user?.deleted ? [] : [userId]);
    }).then((set) => set.has(userId));
  }

  private members(usergroup: string): Promise<ReadonlySet<string>> {
    return this.cached(usergroup, async () => {
      const out = await this.client.usergroups.users.list({ usergroup });
      return new Set(out.users ?? []);
    });
  }

  /** One lookup per key at a time, its answer (or failure) kept for a while; see the class comment. */
  private cached(key: string, ask: () => Promise<ReadonlySet<string>>): Promise<ReadonlySet<string>> {
    const now = this.clock.now().getTime();
    const known = this.cache.get(key);
    if (known && known.until > now)
      return 'members' in known ? Promise.resolve(known.members) : Promise.reject(known.failure);
    const pending = this.inFlight.get(key);
    if (pending) return pending;
    const lookup = this.lookUp(key, ask).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, lookup);
    return lookup;
  }

  private async lookUp(
    usergroup: string,
    ask: () => Promise<ReadonlySet<string>>,
  ): Promise<ReadonlySet<string>> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const members = await Promise.race([
        ask(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no answer within ${this.timeoutMs} ms`)),
            this.timeoutMs,
          );
        }),
      ]);
      this.cache.set(usergroup, { members, until: this.clock.now().getTime() + this.cacheMs });
      return members;
    } catch (error) {
      const now = this.clock.now().getTime();
      const retryAfterMs = rateLimitedFor(error);
      const holdMs = Math.min(Math.max(retryAfterMs ?? 0, this.failureCacheMs), this.cacheMs);
      const failure = new ApproverLookupError(
        usergroup,
        retryAfterMs !== undefined
          ? `Slack is rate limiting usergroups.users.list (Retry-After ${retryAfterMs / 1000} s)`
          : messageOf(error),
        new Date(now + holdMs),
      );
      this.cache.set(usergroup, { failure, until: now + holdMs });
      this.options.logger?.warn('approver usergroup lookup failed; clicks that need it are refused', {
        usergroup,
        reason: failure.reason,
        retryAt: failure.retryAt.toISOString(),
      });
      throw failure;
    } finally {
      clearTimeout(timer);
    }
  }
}

function rateLimitedFor(error: unknown): number | undefined {
  const e = error as { code?: unknown; retryAfter?: unknown } | undefined;
  return e?.code === webApi.ErrorCode.RateLimitedError && typeof e.retryAfter === 'number'
    ? e.retryAfter * 1000
    : undefined;
}

/**
 * The Web API client for approver lookups: a short timeout, no retries and 429s handed back at once. Bolt's own
 * client retries for about half an hour and, on a 429, pauses every call it makes (cards, dialogs) for the
 * Retry-After: a click waiting on a lookup through it would wait that long.
 */
export function approverLookupClient(
  token: string,
  slackApiUrl: string | undefined,
  timeoutMs = APPROVER_LOOKUP_TIMEOUT_MS,
): webApi.WebClient {
  return new webApi.WebClient(token, {
    ...(slackApiUrl ? { slackApiUrl } : {}),
    timeout: timeoutMs,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    // Failures are logged once, by the directory, with what they mean for clicks.
    logger: {
      debug: () => undefined,
      info: () => undefined,
      warn: () => undefined,
      error: () => undefined,
      setLevel: () => undefined,
      getLevel: () => webApi.LogLevel.ERROR,
      setName: () => undefined,
    },
  });
}
