/**
 * Refusals to one user, rate-limited: past `max` refusals within `windowMs`, the user's further clicks are dropped
 * (acked, nothing run, nothing answered) until the oldest of those refusals is `windowMs` old. Someone who is not an
 * approver clicking again and again costs one cheap check a click, not a place in the work queue nor a message.
 */

export const REFUSALS_PER_WINDOW = 20;
export const REFUSAL_WINDOW_MS = 60_000;

export type RefusalVerdict =
  /** Tell the user. */
  | { tell: true; last: false }
  /** Tell the user, and that further clicks are ignored until `until`. */
  | { tell: true; last: true; until: Date }
  /** Say nothing: the user is muted. */
  | { tell: false };

export class RefusalLimiter {
  private readonly refusals = new Map<string, number[]>();

  constructor(
    private readonly max = REFUSALS_PER_WINDOW,
    private readonly windowMs = REFUSAL_WINDOW_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether the user's clicks are being ignored now. */
  muted(user: string): boolean {
    return this.recent(user).length >= this.max;
  }

  /** Counts a refusal to `user` and says whether to tell them. */
  refuse(user: string): RefusalVerdict {
    const recent = this.recent(user);
    if (recent.length >= this.max) return { tell: false };
    recent.push(this.now());
    this.refusals.set(user, recent);
    if (this.refusals.size > 10_000) this.sweep();
    if (recent.length < this.max) return { tell: true, last: false };
    return { tell: true, last: true, until: new Date(recent[0]! + this.windowMs) };
  }

  private recent(user: string): number[] {
    const since = this.now() - this.windowMs;
    const kept = (this.refusals.get(user) ?? []).filter((at) => at > since);
    if (kept.length) this.refusals.set(user, kept);
    else this.refusals.delete(user);
    return kept;
  }

  private sweep(): void {
    for (const user of [...this.refusals.keys()]) this.recent(user);
  }
}
