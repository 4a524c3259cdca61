import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { memoryOf, round, sleep, summarize } from './lib';
import type { Percentiles, Spawned } from './lib';

/**
 * Issue 11: unsigned bodies must not exhaust memory. A freshly started target takes FLOOD_REQUESTS concurrent
 * unsigned POSTs to /slack/events of FLOOD_BYTES each (declared in content-length), every client sending its whole
 * body whatever the answer, as an attacker would; its peak RSS (VmHWM) is read afterwards.
 */

export const FLOOD_REQUESTS = 400;
export const FLOOD_BYTES = 4 * 1024 * 1024;

export interface FloodFigure {
  /** VmHWM / VmRSS once healthy, before the flood. */
  before: { peakRssMb: number; rssMb: number } | undefined;
  /** Right after the last answer. */
  after: { peakRssMb: number; rssMb: number } | undefined;
  /** Two seconds later. */
  settled: { peakRssMb: number; rssMb: number } | undefined;
  /** How many of each answer (`error: …` for none). */
  statuses: Record<string, number>;
  /** Request sent → its status line, ms. */
  answerMs: Percentiles;
  wallMs: number;
  /** GET /healthz after the flood. */
  healthzAfter: number;
}

const CHUNK = Buffer.alloc(64 * 1024, 'a');

/** One unsigned POST; resolves with its status (0: none) and when it came, once the connection has closed. */
function unsignedPost(port: number, bytes: number): Promise<{ status: number; ms: number; error?: string }> {
  const started = performance.now();
  return new Promise((resolve) => {
    let status = 0;
    let ms = NaN;
    let error: string | undefined;
    const req = http.request({
      host: '127.0.0.1',
      port,
      path: '/slack/events',
      method: 'POST',
      agent: false,
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(bytes) },
    });
    req.on('response', (res) => {
      status = res.statusCode ?? 0;
      ms = performance.now() - started;
      res.resume();
    });
    req.on('error', (e) => (error ??= e.message));
    req.on('close', () => resolve({ status, ms, ...(status ? {} : { error: error ?? 'closed' }) }));
    let sent = 0;
    const write = () => {
      while (sent < bytes && !req.destroyed) {
        const piece = CHUNK.subarray(0, Math.min(CHUNK.length, bytes - sent));
        sent += piece.length;
        if (!req.write(piece)) return void req.once('drain', write);
      }
      if (sent >= bytes) req.end();
    };
    write();
  });
}

function getStatus(url: string): Promise<number> {
  return new Promise((resolve) => {
    http
      .get(url, { agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      })
      .on('error', () => resolve(0));
  });
}

/** Floods a target that has just become healthy and reads its memory; the caller stops it. */
export async function measureFlood(
  s: Spawned,
  requests = FLOOD_REQUESTS,
  bytes = FLOOD_BYTES,
): Promise<FloodFigure> {
  const pid = s.child.pid;
  const before = memoryOf(pid);
  const started = performance.now();
  const answers = await Promise.all(Array.from({ length: requests }, () => unsignedPost(s.port, bytes)));
  const wallMs = performance.now() - started;
  const after = memoryOf(pid);
  await sleep(2_000);
  const settled = memoryOf(pid);
  const statuses: Record<string, number> = {};
  for (const a of answers) {
    const key = a.status ? String(a.status) : `error: ${a.error}`;
    statuses[key] = (statuses[key] ?? 0) + 1;
  }
  return {
    before,
    after,
    settled,
    statuses,
    answerMs: summarize(answers.filter((a) => a.status).map((a) => round(a.ms))),
    wallMs: round(wallMs),
    healthzAfter: await getStatus(`http://127.0.0.1:${s.port}/healthz`),
  };
}
