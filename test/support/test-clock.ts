import type { Clock } from '../../src/access/ports';

/**
 * A clock the test moves by hand. `sleep` resolves at once and advances nothing: the bot's read-back pauses cost
 * no time, and only `advance`/`set` move time forward, so time-based behaviour is tested without waiting.
 */
export class TestClock implements Clock {
  private current: number;
  /** Every pause the bot asked for, in ms (none of them waited). */
  readonly sleeps: number[] = [];

  constructor(start: Date | string = '2026-03-02T09:00:00.000Z') {
    this.current = new Date(start).getTime();
  }

  now(): Date {
    return new Date(this.current);
  }

  sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    return Promise.resolve();
  }

  advance(ms: number): Date {
    if (!Number.isFinite(ms) || ms < 0) throw new Error(`advance: not a forward step: ${ms}`);
    this.current += ms;
    return this.now();
  }

  set(date: Date | string): Date {
    this.current = new Date(date).getTime();
    return this.now();
  }
}

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;
