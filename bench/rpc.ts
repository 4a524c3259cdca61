import type { ChildProcess } from 'node:child_process';

/** A message to bench/rig.ts: an op name and its arguments. */
export interface RigRequest {
  id: number;
  op: string;
  [arg: string]: unknown;
}

interface RigReply {
  id: number;
  result?: unknown;
  error?: string;
}

/** Promise-based calls over a fork()ed child's IPC channel. */
export class RigClient {
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  readonly ready: Promise<void>;

  constructor(readonly child: ChildProcess) {
    let onReady: () => void = () => undefined;
    this.ready = new Promise((resolve) => (onReady = resolve));
    child.on('message', (msg: RigReply) => {
      if (msg.id === 0) return onReady();
      const w = this.waiting.get(msg.id);
      if (!w) return;
      this.waiting.delete(msg.id);
      if (msg.error !== undefined) w.reject(new Error(msg.error));
      else w.resolve(msg.result);
    });
    child.on('exit', (code) => {
      for (const w of this.waiting.values()) w.reject(new Error(`rig exited (${code})`));
      this.waiting.clear();
    });
  }

  call<T>(op: string, args: Record<string, unknown> = {}): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.send({ id, op, ...args });
    });
  }
}
