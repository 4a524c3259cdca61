import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { signSlackRequest } from '../test/support/slack-requests';

/** Small helpers of the benchmark: processes, ports, HTTP load, statistics. */

export interface Percentiles {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export function summarize(samples: readonly number[]): Percentiles {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    n: sorted.length,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted.at(-1) ?? NaN,
    mean: sorted.reduce((s, x) => s + x, 0) / Math.max(1, sorted.length),
  };
}

export function median(samples: readonly number[]): number {
  return percentile(
    [...samples].sort((a, b) => a - b),
    50,
  );
}

export const round = (x: number, digits = 2): number => Math.round(x * 10 ** digits) / 10 ** digits;

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** One GET with a fresh connection; resolves with the status, or 0 when nothing answers. */
function getStatus(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve(0));
    req.setTimeout(2_000, () => req.destroy());
  });
}

export interface Spawned {
  child: ChildProcess;
  port: number;
  /** Last lines of stdout and stderr, for diagnostics. */
  tail: string[];
  /** Log lines at level error (JSON lines from the bot). */
  errorLines: string[];
  exited: Promise<number | null>;
}

/** Spawns `node args…` and keeps its output short; does not wait for anything. */
export function spawnNode(args: string[], env: NodeJS.ProcessEnv, cwd: string, port: number): Spawned {
  const child = spawn(process.execPath, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const tail: string[] = [];
  const errorLines: string[] = [];
  const keep = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line === '') continue;
      tail.push(line);
      if (tail.length > 40) tail.shift();
      if (line.includes('"level":"error"')) errorLines.push(line.slice(0, 2_000));
    }
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, port, tail, errorLines, exited };
}

/** Polls GET /healthz (every millisecond or so) until 200; resolves with performance.now() at that answer. */
export async function waitHealthy(s: Spawned, timeoutMs = 30_000): Promise<number> {
  const url = `http://127.0.0.1:${s.port}/healthz`;
  const started = performance.now();
  let exited = false;
  void s.exited.then(() => (exited = true));
  for (;;) {
    const status = await getStatus(url);
    if (status === 200) return performance.now();
    if (exited) throw new Error(`process exited before /healthz answered 200:\n${s.tail.join('\n')}`);
    if (performance.now() - started > timeoutMs)
      throw new Error(`/healthz not 200 within ${timeoutMs} ms:\n${s.tail.join('\n')}`);
    await sleep(1);
  }
}

export async function stop(s: Spawned): Promise<void> {
  if (s.child.exitCode !== null || s.child.signalCode !== null) return;
  s.child.kill('SIGTERM');
  const timer = setTimeout(() => s.child.kill('SIGKILL'), 5_000);
  await s.exited;
  clearTimeout(timer);
}

/** Peak and current resident set size from /proc (Linux), in MB. */
export function memoryOf(pid: number | undefined): { peakRssMb: number; rssMb: number } | undefined {
  if (pid === undefined) return undefined;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { peakRssMb: round(kb('VmHWM') / 1024, 1), rssMb: round(kb('VmRSS') / 1024, 1) };
  } catch {
    return undefined;
  }
}

export interface LoadResult {
  /** Per-request time from writing the signed POST to the end of Bolt's HTTP answer, ms. */
  latencies: number[];
  wallMs: number;
  non200: number;
}

/**
 * Sends every body as a signed POST to `url`, `concurrency` at a time (closed loop, no think time), over
 * keep-alive connections as Slack does. Signatures are computed before the clock starts.
 */
export async function runLoad(
  url: string,
  bodies: string[],
  secret: string,
  concurrency: number,
  sharedAgent?: http.Agent,
): Promise<LoadResult> {
  const target = new URL(url);
  const agent = sharedAgent ?? new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const signed = bodies.map((body) => ({
    body,
    headers: { ...signSlackRequest(body, secret), 'content-length': String(Buffer.byteLength(body)) },
  }));
  const latencies: number[] = new Array<number>(signed.length);
  let next = 0;
  let non200 = 0;
  const one = (i: number): Promise<void> =>
    new Promise((resolve, reject) => {
      const { body, headers } = signed[i]!;
      const started = performance.now();
      const req = http.request(
        { host: target.hostname, port: target.port, path: target.pathname, method: 'POST', headers, agent },
        (res) => {
          res.resume();
          res.on('end', () => {
            latencies[i] = performance.now() - started;
            if (res.statusCode !== 200) non200++;
            resolve();
          });
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  const worker = async () => {
    while (next < signed.length) await one(next++);
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const wallMs = performance.now() - started;
  if (!sharedAgent) agent.destroy();
  return { latencies, wallMs, non200 };
}
