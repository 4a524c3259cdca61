import { RefusalLimiter } from '../../src/slack/refusal-limiter';
import { WorkQueue } from '../../src/slack/work-queue';

const deferred = () => {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
};
const tick = () => new Promise((r) => setImmediate(r));

describe('WorkQueue per user', () => {
  it('one user runs at most 2 at a time with 3 more in line; the rest is refused and other users still run', async () => {
    const queue = new WorkQueue(4, 500, { running: 2, waiting: 3 });
    const gate = deferred();
    const started: string[] = [];
    const flood = Array.from({ length: 20 }, (_, i) =>
      queue.run(async () => {
        started.push(`flood-${i}`);
        await gate.promise;
      }, 'UFLOOD'),
    );
    await tick();
    expect(started).toEqual(['flood-0', 'flood-1']);
    // 15 were refused at once, without running.
    const refused = await Promise.race([
      Promise.all(flood.slice(5)),
      new Promise((r) => setTimeout(() => r('pending'), 100)),
    ]);
    expect(refused).toEqual(Array(15).fill(false));

    // Another user gets a slot straight away: the flood holds only two of the four.
    let otherRan = false;
    expect(await queue.run(async () => (otherRan = true), 'UOTHER')).toBe(true);
    expect(otherRan).toBe(true);

    gate.resolve();
    expect(await Promise.all(flood.slice(0, 5))).toEqual([true, true, true, true, true]);
    expect(started).toHaveLength(5);
    expect(queue.keys).toBe(0);
  });

  it('users share the common slots and line in arrival order', async () => {
    const queue = new WorkQueue(1, 10, { running: 2, waiting: 3 });
    const gate = deferred();
    const order: string[] = [];
    const runs = ['A', 'B', 'A', 'C'].map((user, i) =>
      queue.run(async () => {
        order.push(`${user}${i}`);
        await gate.promise;
      }, user),
    );
    await tick();
    expect(order).toEqual(['A0']);
    gate.resolve();
    expect(await Promise.all(runs)).toEqual([true, true, true, true]);
    expect(order).toEqual(['A0', 'B1', 'A2', 'C3']);
  });

  it('a user whose task is refused by the full common line gets their place back', async () => {
    const queue = new WorkQueue(1, 0, { running: 2, waiting: 3 });
    const gate = deferred();
    const first = queue.run(() => gate.promise, 'A');
    await tick();
    expect(await queue.run(async () => undefined, 'B')).toBe(false);
    gate.resolve();
    await first;
    expect(await queue.run(async () => undefined, 'B')).toBe(true);
    expect(queue.keys).toBe(0);
  });

  it('frees the user’s slot when a task throws', async () => {
    const queue = new WorkQueue(1, 0, { running: 1, waiting: 0 });
    await expect(queue.run(() => Promise.reject(new Error('boom')), 'A')).rejects.toThrow('boom');
    expect(await queue.run(async () => undefined, 'A')).toBe(true);
  });
});

describe('RefusalLimiter', () => {
  it('tells a user up to the limit (the last time saying until when), then mutes them for the window', () => {
    let now = 1_000_000;
    const limiter = new RefusalLimiter(3, 60_000, () => now);
    expect(limiter.refuse('U1')).toEqual({ tell: true, last: false });
    now += 10_000;
    expect(limiter.refuse('U1')).toEqual({ tell: true, last: false });
    expect(limiter.muted('U1')).toBe(false);
    expect(limiter.refuse('U1')).toEqual({ tell: true, last: true, until: new Date(1_060_000) });
    expect(limiter.muted('U1')).toBe(true);
    expect(limiter.refuse('U1')).toEqual({ tell: false });
    // Others are not affected.
    expect(limiter.muted('U2')).toBe(false);
    expect(limiter.refuse('U2')).toEqual({ tell: true, last: false });
    // Once the oldest refusal is a window old, one more may be told.
    now = 1_060_001;
    expect(limiter.muted('U1')).toBe(false);
    expect(limiter.refuse('U1').tell).toBe(true);
    expect(limiter.muted('U1')).toBe(true);
  });
});
