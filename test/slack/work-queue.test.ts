import { WorkQueue } from '../../src/slack/work-queue';

const deferred = () => {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
};

describe('WorkQueue', () => {
  it('runs at most `concurrency` tasks at once, in arrival order, and refuses past `maxWaiting`', async () => {
    const queue = new WorkQueue(2, 2);
    const gates = [deferred(), deferred(), deferred(), deferred()];
    const started: number[] = [];
    const finished: number[] = [];
    const runs = gates.map((gate, i) =>
      queue.run(async () => {
        started.push(i);
        await gate.promise;
        finished.push(i);
        return i;
      }),
    );
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([0, 1]);
    let refusedRan = false;
    expect(await queue.run(async () => (refusedRan = true))).toBe(false);
    expect(refusedRan).toBe(false);
    gates[1]!.resolve();
    await runs[1];
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([0, 1, 2]);
    gates[0]!.resolve();
    gates[2]!.resolve();
    gates[3]!.resolve();
    expect(await Promise.all(runs)).toEqual([true, true, true, true]);
    expect(started).toEqual([0, 1, 2, 3]);
    expect([...finished].sort()).toEqual([0, 1, 2, 3]);
    // Free again: a new task runs at once.
    expect(await queue.run(async () => 'ok')).toBe(true);
  });

  it('frees the slot when a task throws', async () => {
    const queue = new WorkQueue(1, 0);
    await expect(queue.run(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await queue.run(async () => 'next')).toBe(true);
  });
});
