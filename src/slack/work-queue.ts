/**
 * Runs listener work after the ack, a few at a time. Acks never wait behind work (Slack's 3-second deadline holds
 * under load), and a burst queues instead of piling up on the event loop. Bounded: past `maxWaiting` a task is
 * refused at once, so the caller can say "busy" rather than hold work that a crash would lose.
 *
 * Fair: work given a key (the Slack user it is for) runs at most `perKey.running` at a time and at most
 * `perKey.waiting` more wait in that key's own line; past that the key's task is refused at once. So one user holds
 * at most `perKey.running` of the shared slots and places in the shared line, whatever they send.
 */

export interface PerKeyLimits {
  running: number;
  waiting: number;
}

interface Line {
  running: number;
  readonly waiting: Array<() => void>;
}

export const PER_USER_LIMITS: PerKeyLimits = { running: 2, waiting: 3 };

export class WorkQueue {
  private readonly shared: Line = { running: 0, waiting: [] };
  private readonly lines = new Map<string, Line>();

  constructor(
    private readonly concurrency = 4,
    private readonly maxWaiting = 500,
    private readonly perKey: PerKeyLimits = PER_USER_LIMITS,
  ) {}

  /** True once the task has run; false, without running it, when the queue (or the key's line) is full. */
  async run(task: () => Promise<unknown>, key?: string): Promise<boolean> {
    if (key === undefined) return this.inLine(this.shared, this.concurrency, this.maxWaiting, task);
    let line = this.lines.get(key);
    if (!line) this.lines.set(key, (line = { running: 0, waiting: [] }));
    const own = line;
    try {
      return await this.inLine(own, this.perKey.running, this.perKey.waiting, () =>
        this.inLine(this.shared, this.concurrency, this.maxWaiting, task).then((ran) => {
          if (!ran) throw new Refused();
        }),
      );
    } catch (error) {
      if (error instanceof Refused) return false;
      throw error;
    } finally {
      if (own.running === 0 && own.waiting.length === 0) this.lines.delete(key);
    }
  }

  /** How many keys have work running or waiting (kept only while they do). */
  get keys(): number {
    return this.lines.size;
  }

  private async inLine(
    line: Line,
    concurrency: number,
    maxWaiting: number,
    task: () => Promise<unknown>,
  ): Promise<boolean> {
    if (line.running >= concurrency) {
      if (line.waiting.length >= maxWaiting) return false;
      await new Promise<void>((resolve) => line.waiting.push(resolve));
    } else {
      line.running += 1;
    }
    try {
      await task();
      return true;
    } finally {
      const next = line.waiting.shift();
      // The slot passes straight to the next task; only when none waits does it free up.
      if (next) next();
      else line.running -= 1;
    }
  }
}

/** The shared queue was full: the key's task did not run. */
class Refused extends Error {}
