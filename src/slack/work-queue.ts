/**
 * Runs listener work after the ack, a few at a time. Acks never wait behind work (Slack's 3-second deadline holds
 * under load), and a burst queues instead of piling up on the event loop. Bounded: past `maxWaiting` a task is
 * refused at once, so the caller can say "busy" rather than hold work that a crash would lose.
 */
export class WorkQueue {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    private readonly concurrency = 4,
    private readonly maxWaiting = 500,
  ) {}

  /** True once the task has run; false, without running it, when the queue is full. */
  async run(task: () => Promise<unknown>): Promise<boolean> {
    if (this.running >= this.concurrency) {
      if (this.waiting.length >= this.maxWaiting) return false;
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running += 1;
    }
    try {
      await task();
      return true;
    } finally {
      const next = this.waiting.shift();
      // The slot passes straight to the next task; only when none waits does it free up.
      if (next) next();
      else this.running -= 1;
    }
  }
}
