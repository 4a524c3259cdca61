/**
 * `npm run bench`: the bot's performance against a bare Bolt app (the floor), on localhost only.
 *
 * Processes: this one (orchestration and the load generator), bench/rig.ts (fake Slack Web API + response_url +
 * IAM/STS emulator from test/support), the bot (`node dist/index.js`, HTTP mode) on an empty database, the same bot
 * on a database seeded with 10,000 requests, and bench/bare-app.js (a bare Bolt App that only acks). Every bot figure
 * is measured in the same run as its baseline, interleaved (A B C C B A) so drift hits all targets alike.
 *
 * It asserts nothing about time: it prints a table with pass/miss against the targets of issue 7 and writes
 * bench/results.json. Knobs (environment): BENCH_REQUESTS (per target, kind and concurrency; default 500),
 * BENCH_SEED (stored requests; default 10000), BENCH_STARTS (default 7), BENCH_APPROVALS (default 60),
 * BENCH_CPU_PROF=<dir> (run the bots under `node --cpu-prof`, profiles in <dir>), BENCH_BOT_NODE_ARGS (extra node
 * options for the bots), BENCH_KINDS / BENCH_MODES (restrict the ack phases: help,onboard,button / closed,drained),
 * BENCH_ONLY=flood or BENCH_ONLY=revocation (only the unsigned flood of bench/flood.ts, or only the revocations under
 * Slack 429s of bench/revocation.ts; their figures replace theirs in bench/results.json).
 */
import { execFileSync, fork } from 'node:child_process';
import http from 'node:http';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { blockActionBody, slashCommandBody } from '../test/support/slack-requests';
import { FLOOD_BYTES, FLOOD_REQUESTS, measureFlood } from './flood';
import type { FloodFigure } from './flood';
import { GRANTS, RETRY_AFTER_S, revocationLine } from './revocation';
import type { RevocationFigure } from './revocation';
import {
  ACCOUNT,
  APPROVAL_CHANNEL,
  APPROVE_ACTION,
  APPROVER,
  APPROVER_2,
  APPROVER_GROUP,
  BOT_TOKEN,
  COMMAND,
  REQUESTER,
  ROLE_ARN,
  SIGNING_SECRET,
} from './constants';
import {
  freePort,
  median,
  memoryOf,
  round,
  runLoad,
  sleep,
  spawnNode,
  stop,
  summarize,
  waitHealthy,
} from './lib';
import type { Percentiles, Spawned } from './lib';
import type { ApproveSample } from './rig';
import { RigClient } from './rpc';
import { seededDatabase } from './seed';
import { measureStoreOps } from './store-ops';
import type { StoreOps } from './store-ops';

const ROOT = path.resolve(__dirname, '..', '..'); // dist-bench/bench → the repository
const int = (name: string, fallback: number) => {
  const v = Number(process.env[name]);
  return Number.isInteger(v) && v > 0 ? v : fallback;
};
const REQUESTS = int('BENCH_REQUESTS', 500);
const SEED = int('BENCH_SEED', 10_000);
const STARTS = int('BENCH_STARTS', 7);
const APPROVALS = int('BENCH_APPROVALS', 60);
const WARMUP = 100;
const CONCURRENCIES = [1, 20] as const;
const ALL_KINDS = ['help', 'onboard', 'button'] as const;
const ALL_MODES = ['closed', 'drained'] as const;
type Mode = (typeof ALL_MODES)[number];
/** BENCH_KINDS / BENCH_MODES (comma-separated) restrict the ack phases, e.g. to profile one of them. */
const only = <T extends string>(all: readonly T[], value: string | undefined): readonly T[] => {
  const wanted = (value ?? '').split(',').filter(Boolean);
  return wanted.length === 0 ? all : all.filter((x) => wanted.includes(x));
};
const KINDS = only(ALL_KINDS, process.env.BENCH_KINDS);
const MODES = only(ALL_MODES, process.env.BENCH_MODES);
type Kind = (typeof ALL_KINDS)[number];
type TargetName = 'bare' | 'bot' | 'bot10k';
const TARGETS: TargetName[] = ['bare', 'bot', 'bot10k'];
const CPU_PROF = process.env.BENCH_CPU_PROF;
const FLOOD_ONLY = process.env.BENCH_ONLY === 'flood';
const REVOCATION_ONLY = process.env.BENCH_ONLY === 'revocation';
const REVOCATION_FIGURE = `due → policy gone from IAM, ${GRANTS} grants, Slack answering 429 (max)`;
const FLOOD_FIGURE = `peak RSS, ${FLOOD_REQUESTS} concurrent unsigned ${FLOOD_BYTES / 2 ** 20} MB POSTs`;
/** Extra node options for the bots (e.g. `--max-semi-space-size=4` to try GC settings), split on spaces. */
/** By default the node options `npm start` runs the bot with (the heap caps), so the bot is measured as deployed. */
function startScriptNodeArgs(): string {
  const pkg = JSON.parse(readFileSync(path.join(__dirname, '../../package.json'), 'utf8')) as {
    scripts: { start: string };
  };
  return pkg.scripts.start
    .split(' ')
    .filter((word) => word.startsWith('--'))
    .join(' ');
}
const BOT_NODE_ARGS = (process.env.BENCH_BOT_NODE_ARGS ?? startScriptNodeArgs()).split(' ').filter(Boolean);

const COMMAND_TEXT: Record<Exclude<Kind, 'button'>, string> = {
  help: 'help',
  onboard: `onboard ${ROLE_ARN} benchmark`,
};

const log = (message: string) =>
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);

interface Urls {
  apiUrl: string;
  iamUrl: string;
  responseBase: string;
}

async function main(): Promise<void> {
  const runStarted = performance.now();
  const build = buildInfo(); // now: src/ may change while the benchmark runs
  const loadBefore = os.loadavg();
  if (loadBefore[0]! > os.cpus().length / 2)
    log(
      `warning: load average ${loadBefore.map((x) => x.toFixed(2)).join(' ')} on ${os.cpus().length} cores; figures will be noisy`,
    );
  if (REVOCATION_ONLY) {
    const revocation = await revocationInChild();
    return void (await recordOnly(
      [revocationRow(revocation)],
      'revocationUnder429',
      revocation,
      revocationLine(revocation),
      build,
    ));
  }
  const work = mkdtempSync(path.join(os.tmpdir(), 'cases-access-bench-'));
  const rig = new RigClient(
    fork(path.join(__dirname, 'rig.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
  );
  const running: Partial<Record<TargetName, Spawned>> = {};
  // Ctrl-C: stop the processes this run started (by their own handles), then leave.
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.once(signal, () => {
      for (const s of Object.values(running)) s?.child.kill('SIGTERM');
      rig.child.kill('SIGTERM');
      process.exit(130);
    });
  try {
    await rig.ready;
    const urls = await rig.call<Urls>('urls');

    // ---- databases -------------------------------------------------------------------------------------------
    const dbFile = (name: string) => {
      mkdirSync(path.join(work, name), { recursive: true });
      return path.join(work, name, 'cases-access.db');
    };
    const dbs = { start: dbFile('start'), bot: dbFile('empty'), bot10k: dbFile('seeded') };
    log(
      `seeding ${SEED} requests (with their events) through the Store API, or from the cache of this build…`,
    );
    const seed = await seededDatabase(ROOT, dbs.bot10k, SEED, path.join(__dirname, '..', 'seed-cache'));
    log(
      seed.cached
        ? 'seeded database taken from the cache'
        : `seeded in ${seed.ms} ms: ${JSON.stringify(seed.states)}`,
    );

    const botEnv = (port: number, db: string): NodeJS.ProcessEnv => {
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        SLACK_BOT_TOKEN: BOT_TOKEN,
        SLACK_APP_TOKEN: '',
        SLACK_SIGNING_SECRET: SIGNING_SECRET,
        SLACK_API_URL: urls.apiUrl,
        PORT: String(port),
        APPROVAL_CHANNEL_ID: APPROVAL_CHANNEL,
        APPROVERS: `${APPROVER},${APPROVER_2},${APPROVER_GROUP}`,
        ALLOWED_ROLES: `arn:aws:iam::${ACCOUNT}:role/connect-*`,
        DATABASE_URL: `sqlite:${db}`,
        LOG_LEVEL: 'info',
        AWS_ENDPOINT_URL_IAM: urls.iamUrl,
        AWS_ENDPOINT_URL_STS: urls.iamUrl,
        AWS_ACCESS_KEY_ID: 'AKIABENCHKEY00000000',
        AWS_SECRET_ACCESS_KEY: 'bench-secret-access-key-not-a-real-one-00',
        AWS_REGION: 'us-east-1',
        AWS_EC2_METADATA_DISABLED: 'true',
      };
      for (const key of [
        'AWS_PROFILE',
        'AWS_SESSION_TOKEN',
        'AWS_CONFIG_FILE',
        'AWS_SHARED_CREDENTIALS_FILE',
        'NODE_OPTIONS',
      ])
        delete env[key];
      return env;
    };
    const spawnTarget = async (target: TargetName, db?: string, profile = false): Promise<Spawned> => {
      const port = await freePort();
      if (target === 'bare') {
        const env = { ...botEnv(port, ''), BENCH_COMMAND: COMMAND, BENCH_ACTION_ID: APPROVE_ACTION };
        return spawnNode([path.join(ROOT, 'bench', 'bare-app.js')], env, work, port);
      }
      const prof =
        CPU_PROF && profile
          ? [
              '--cpu-prof',
              `--cpu-prof-dir=${path.resolve(CPU_PROF)}`,
              `--cpu-prof-name=${target}-${Date.now()}.cpuprofile`,
            ]
          : [];
      // cwd is the scratch folder: a developer's .env in the repository must not leak into the benchmark.
      return spawnNode(
        [...BOT_NODE_ARGS, ...prof, path.join(ROOT, 'dist', 'index.js')],
        botEnv(port, db ?? dbs[target as 'bot']),
        work,
        port,
      );
    };

    const startDb: Record<TargetName, string | undefined> = {
      bare: undefined,
      bot: dbs.start,
      bot10k: dbs.bot10k,
    };

    // ---- unsigned flood (issue 11): a fresh process of each target ---------------------------------------------
    log(
      `unsigned flood: ${FLOOD_REQUESTS} concurrent unsigned ${FLOOD_BYTES / 2 ** 20} MB POSTs on a fresh process of each…`,
    );
    const flood = {} as Record<TargetName, FloodFigure>;
    for (const target of TARGETS) {
      const s = await spawnTarget(target, startDb[target]);
      running[target] = s;
      await waitHealthy(s);
      flood[target] = await measureFlood(s);
      await stop(s);
      delete running[target];
    }
    if (FLOOD_ONLY)
      return void (await recordOnly([floodRow(flood)], 'unsignedFlood', flood, floodLine(flood), build));

    log(`revocation under Slack 429s: ${GRANTS} grants due at once, Slack healthy then answering 429…`);
    const revocation = await revocationInChild();

    log('store calls alone, empty vs seeded database…');
    const storeOps = await measureStoreOps(
      ROOT,
      { empty: path.join(work, 'store-ops-empty.db'), seeded: dbs.bot10k },
      250,
    );

    // ---- start → healthy ----------------------------------------------------------------------------------------
    log(`start → /healthz 200: ${STARTS} starts of each (after one unmeasured warm-up start)…`);
    const startMs: Record<TargetName, number[]> = { bare: [], bot: [], bot10k: [] };
    for (let round_ = 0; round_ <= STARTS; round_++) {
      const order = round_ % 2 === 0 ? TARGETS : [...TARGETS].reverse();
      for (const target of order) {
        const t0 = performance.now();
        const s = await spawnTarget(target, startDb[target]);
        const healthyAt = await waitHealthy(s);
        if (round_ > 0) startMs[target].push(healthyAt - t0);
        await stop(s);
      }
    }

    // ---- long-running targets -----------------------------------------------------------------------------------
    const idleMemory = {} as Record<TargetName, ReturnType<typeof memoryOf>>;
    for (const target of TARGETS) {
      const s = await spawnTarget(target, undefined, true);
      running[target] = s;
      await waitHealthy(s);
      await sleep(1_000);
      idleMemory[target] = memoryOf(s.child.pid);
    }
    const urlOf = (t: TargetName) => `http://127.0.0.1:${running[t]!.port}/slack/events`;

    // ---- approve → applied (sequential; the rig times it and counts IAM time) ------------------------------------
    log(`approve → applied: ${APPROVALS} approvals per bot (+5 warm-up)…`);
    const decided: Record<'bot' | 'bot10k', string[]> = { bot: [], bot10k: [] };
    // One role per approval, none holding the policy yet: each approval is a first grant, as in real use.
    const roles = {
      bot: Array.from({ length: APPROVALS + 5 }, (_, i) => `connect-bench-a${i}`),
      bot10k: Array.from({ length: APPROVALS + 5 }, (_, i) => `connect-bench-b${i}`),
    };
    for (const t of ['bot', 'bot10k'] as const)
      decided[t] = await rig.call<string[]>('create', {
        botUrl: urlOf(t),
        texts: roles[t].map((r) => `onboard ${r} benchmark`),
        roles: roles[t],
      });
    const approveSamples: Record<'bot' | 'bot10k', ApproveSample[]> = { bot: [], bot10k: [] };
    for (const t of ['bot', 'bot10k'] as const)
      await rig.call('approveApplied', { botUrl: urlOf(t), ids: decided[t].slice(0, 5) });
    const chunk = 10;
    for (let i = 5; i < decided.bot.length; i += chunk) {
      const order = ((i - 5) / chunk) % 2 === 0 ? (['bot', 'bot10k'] as const) : (['bot10k', 'bot'] as const);
      for (const t of order)
        approveSamples[t].push(
          ...(await rig.call<ApproveSample[]>('approveApplied', {
            botUrl: urlOf(t),
            ids: decided[t].slice(i, i + chunk),
          })),
        );
    }

    // ---- ack latency --------------------------------------------------------------------------------------------
    let responseCounter = 0;
    const bodiesFor = (kind: Kind, target: TargetName, n: number): string[] =>
      Array.from({ length: n }, (_, i) => {
        const responseUrl = `${urls.responseBase}bench-${++responseCounter}`;
        if (kind !== 'button')
          return slashCommandBody({
            command: COMMAND,
            text: COMMAND_TEXT[kind],
            userId: REQUESTER,
            responseUrl,
          });
        const ids = target === 'bare' ? ['CA-0000000000'] : decided[target];
        return blockActionBody({
          userId: APPROVER,
          actionId: APPROVE_ACTION,
          value: ids[i % ids.length]!,
          channelId: APPROVAL_CHANNEL,
          messageTs: '1700000000.000100',
          responseUrl,
        });
      });
    /** Every request the bot acks ends in one response_url POST (help text, confirmation, "already approved"). */
    let expectedResponses = (await rig.call<Record<string, number>>('counts')).response_url ?? 0;
    const drain = async (target: TargetName, n: number) => {
      if (target === 'bare') return;
      expectedResponses += n;
      await rig.call('waitCount', { method: 'response_url', atLeast: expectedResponses, timeoutMs: 180_000 });
    };
    /**
     * closed: `concurrency` requests in flight all the time, the bot's work piling up behind its acks (a stress test).
     * drained: `concurrency` requests sent at once, then wait until the bot has finished the work behind them before
     * the next batch (bursts on an otherwise idle bot, closer to how Slack traffic arrives).
     * Either way the bot has finished all the work before the next target or phase starts.
     */
    const send = async (mode: Mode, kind: Kind, target: TargetName, n: number, concurrency: number) => {
      const bodies = bodiesFor(kind, target, n);
      if (mode === 'closed') {
        const result = await runLoad(urlOf(target), bodies, SIGNING_SECRET, concurrency);
        await drain(target, n);
        return result;
      }
      const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
      const result = { latencies: [] as number[], wallMs: 0, non200: 0 };
      for (let i = 0; i < bodies.length; i += concurrency) {
        const batch = bodies.slice(i, i + concurrency);
        const r = await runLoad(urlOf(target), batch, SIGNING_SECRET, concurrency, agent);
        result.latencies.push(...r.latencies);
        result.wallMs += r.wallMs;
        result.non200 += r.non200;
        await drain(target, batch.length);
      }
      agent.destroy();
      return result;
    };

    interface AckFigure {
      all: Percentiles;
      halves: [Percentiles, Percentiles];
      ackPerSecond: number;
      non200: number;
    }
    const acks: Record<string, Record<TargetName, AckFigure>> = {};
    for (const mode of MODES) {
      for (const kind of KINDS) {
        for (const concurrency of CONCURRENCIES) {
          log(
            `ack latency (${mode}): ${kind} at concurrency ${concurrency}, ${REQUESTS} per target (+${WARMUP} warm-up)…`,
          );
          for (const t of TARGETS) await send(mode, kind, t, mode === 'closed' ? WARMUP : 20, concurrency);
          const halves: Record<TargetName, number[][]> = { bare: [], bot: [], bot10k: [] };
          const wall: Record<TargetName, number> = { bare: 0, bot: 0, bot10k: 0 };
          const bad: Record<TargetName, number> = { bare: 0, bot: 0, bot10k: 0 };
          for (const t of [...TARGETS, ...[...TARGETS].reverse()]) {
            const r = await send(mode, kind, t, Math.ceil(REQUESTS / 2), concurrency);
            halves[t].push(r.latencies);
            wall[t] += r.wallMs;
            bad[t] += r.non200;
          }
          const figure = {} as Record<TargetName, AckFigure>;
          for (const t of TARGETS) {
            const all = halves[t].flat();
            figure[t] = {
              all: summarize(all),
              halves: [summarize(halves[t][0]!), summarize(halves[t][1]!)],
              ackPerSecond: round((all.length / wall[t]) * 1000, 0),
              non200: bad[t],
            };
          }
          acks[`${mode}:${kind}@${concurrency}`] = figure;
        }
      }
    }

    // ---- memory, then stop everything ---------------------------------------------------------------------------
    await sleep(200);
    const memory = {} as Record<TargetName, ReturnType<typeof memoryOf>>;
    for (const t of TARGETS) memory[t] = memoryOf(running[t]!.child.pid);
    const errorLines = { bot: running.bot!.errorLines.length, bot10k: running.bot10k!.errorLines.length };
    for (const t of TARGETS) await stop(running[t]!);
    for (const t of ['bot', 'bot10k'] as const)
      if (running[t]!.errorLines.length > 0)
        log(
          `${t} logged ${running[t]!.errorLines.length} error line(s), first: ${running[t]!.errorLines[0]}`,
        );

    const loadavg = { before: loadBefore.map((x) => round(x)), after: os.loadavg().map((x) => round(x)) };
    await report({
      build,
      runMs: performance.now() - runStarted,
      loadavg,
      seed,
      storeOps,
      startMs,
      approveSamples,
      acks,
      memory,
      idleMemory,
      flood,
      revocation,
      errorLines,
    });
  } catch (error) {
    for (const [name, s] of Object.entries(running))
      if (s) process.stderr.write(`--- last output of ${name}:\n${s.tail.join('\n')}\n`);
    throw error;
  } finally {
    for (const s of Object.values(running)) if (s) await stop(s);
    await rig.call('close').catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Report

interface Row {
  section: 'targets' | 'drained';
  figure: string;
  unit: string;
  bare?: number;
  bot: number;
  bot10k: number;
  /** Target on bot ÷ bare (or on the bot's value itself, see `absolute`). */
  target?: { max: number; on: 'ratio' | 'absolute'; text: string };
  /** The bot's own half-to-half spread for this figure (noise), as a fraction. */
  noise?: number;
}

interface Measured {
  build: { commit: string | null; srcModified: boolean | null };
  runMs: number;
  seed: { ms: number; cached: boolean; states?: Record<string, number> };
  storeOps: { empty: StoreOps; seeded: StoreOps };
  startMs: Record<TargetName, number[]>;
  approveSamples: Record<'bot' | 'bot10k', ApproveSample[]>;
  acks: Record<
    string,
    Record<
      TargetName,
      { all: Percentiles; halves: [Percentiles, Percentiles]; ackPerSecond: number; non200: number }
    >
  >;
  memory: Record<TargetName, { peakRssMb: number; rssMb: number } | undefined>;
  idleMemory: Record<TargetName, { peakRssMb: number; rssMb: number } | undefined>;
  flood: Record<TargetName, FloodFigure>;
  revocation: RevocationFigure;
  loadavg: { before: number[]; after: number[] };
  errorLines: Record<'bot' | 'bot10k', number>;
}

const SEEDED_MAX_RATIO = 1.1;

async function report(m: Measured): Promise<void> {
  const rows: Row[] = [];
  for (const mode of MODES) {
    for (const kind of KINDS) {
      for (const c of CONCURRENCIES) {
        const f = m.acks[`${mode}:${kind}@${c}`];
        if (!f) continue;
        for (const p of ['p50', 'p95', 'p99'] as const) {
          const [h1, h2] = f.bot.halves;
          rows.push({
            section: mode === 'closed' ? 'targets' : 'drained',
            figure: `ack ${kind === 'button' ? 'Approve button' : `/cases-access ${kind}`} c=${c} ${p}`,
            unit: 'ms',
            bare: f.bare.all[p],
            bot: f.bot.all[p],
            bot10k: f.bot10k.all[p],
            target:
              p === 'p99' && mode === 'closed' ? { max: 1.5, on: 'ratio', text: '≤ 1.5× bare' } : undefined,
            noise: Math.abs(h1[p] - h2[p]) / Math.min(h1[p], h2[p]),
          });
        }
      }
    }
  }
  const overhead = (s: ApproveSample[]) => s.map((x) => x.totalMs - x.iamMs);
  const halfNoise = (xs: number[]) => {
    const a = median(xs.filter((_, i) => i % 2 === 0));
    const b = median(xs.filter((_, i) => i % 2 === 1));
    return Math.abs(a - b) / Math.min(a, b);
  };
  rows.push({
    section: 'targets',
    figure: 'approve → applied, minus IAM time, median',
    unit: 'ms',
    bot: median(overhead(m.approveSamples.bot)),
    bot10k: median(overhead(m.approveSamples.bot10k)),
    target: { max: 20, on: 'absolute', text: '≤ 20 ms' },
    noise: halfNoise(overhead(m.approveSamples.bot)),
  });
  rows.push({
    section: 'targets',
    figure: 'start → /healthz 200, median',
    unit: 'ms',
    bare: median(m.startMs.bare),
    bot: median(m.startMs.bot),
    bot10k: median(m.startMs.bot10k),
    target: { max: 1.5, on: 'ratio', text: '≤ 1.5× bare' },
    noise: halfNoise(m.startMs.bot),
  });
  rows.push({
    section: 'targets',
    figure: 'peak RSS (VmHWM) at the end',
    unit: 'MB',
    bare: m.memory.bare?.peakRssMb,
    bot: m.memory.bot?.peakRssMb ?? NaN,
    bot10k: m.memory.bot10k?.peakRssMb ?? NaN,
    target: { max: 150, on: 'absolute', text: '≤ 150 MB' },
  });
  rows.push(floodRow(m.flood), revocationRow(m.revocation));

  const table = rows.map(tableRow);

  const headers = [
    'figure',
    'bare Bolt',
    'bot',
    'bot ÷ bare',
    'target',
    'result',
    'bot, 10k stored',
    '÷ empty',
    '≤ 1.1×',
    'noise',
  ];
  const render = (section: Row['section']) => {
    const cells = table
      .filter((t) => t.section === section)
      .map((t) => [
        t.figure,
        t.bare === null ? '—' : `${t.bare} ${t.unit}`,
        `${t.bot} ${t.unit}`,
        t.botVsBare === null ? '—' : `${t.botVsBare}×`,
        t.target ?? '',
        t.result ?? '',
        `${t.bot10k} ${t.unit}`,
        `${t.seededVsEmpty}×`,
        t.seededResult ?? '',
        t.noise === null ? '' : `±${Math.round(t.noise * 100)}%`,
      ]);
    const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
    const line = (c: string[]) => `| ${c.map((x, i) => x.padEnd(widths[i]!)).join(' | ')} |`;
    return [line(headers), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...cells.map(line)].join(
      '\n',
    );
  };

  const machine = {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    totalMemMb: Math.round(os.totalmem() / 2 ** 20),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
  };
  const approve = (t: 'bot' | 'bot10k') => {
    const s = m.approveSamples[t];
    const mid = median(s.map((x) => x.totalMs));
    const typical = [...s].sort((a, b) => Math.abs(a.totalMs - mid) - Math.abs(b.totalMs - mid))[0];
    return {
      typicalTimeline: typical?.timeline.map((e) => ({ t: round(e.t), call: e.call })),
      n: s.length,
      overheadMs: summarize(overhead(s)),
      totalMs: summarize(s.map((x) => x.totalMs)),
      iamMs: summarize(s.map((x) => x.iamMs)),
      clickAckMs: summarize(s.map((x) => x.ackMs)),
    };
  };
  const results = {
    date: new Date().toISOString(),
    build: m.build,
    machine,
    loadavg: m.loadavg,
    settings: {
      requestsPerTargetKindConcurrency: REQUESTS,
      warmupPerTargetKindConcurrency: WARMUP,
      concurrencies: CONCURRENCIES,
      starts: STARTS,
      approvals: APPROVALS,
      seededRequests: SEED,
      botLogLevel: 'info',
      cpuProfile: CPU_PROF ?? null,
      botNodeArgs: BOT_NODE_ARGS,
    },
    notes: [
      'Ack latency: signed POST to /slack/events until the end of the HTTP answer, over keep-alive connections. closed: c requests in flight at all times (a stress test: the bot acks before it works, but the work behind each ack — response_url, card, IAM, store — runs in the same event loop and piles up). drained: c requests at once, then the next burst only once the bot has finished their work. Between targets and phases the bot always finishes its work first.',
      'Button acks click Approve on requests that are already applied: the ack is what is measured; behind it the bot reloads the request, records the refusal and answers "already approved".',
      'approve → applied: click sent until the card update showing "applied" reaches the fake Slack, minus the time the IAM emulator spent answering (totalHandlingMs); fake Slack time is not subtracted.',
      'The "empty" bot starts with an empty database and holds a few thousand requests by the end (the onboard acks create real requests); the seeded bot starts with the seeded requests on top.',
      'noise: the bot’s own spread between the two halves of its samples (A B C C B A order), to judge the 10k comparison.',
    ],
    seed: m.seed,
    table,
    raw: {
      ackMs: m.acks,
      startMs: m.startMs,
      approveApplied: { bot: approve('bot'), bot10k: approve('bot10k') },
      memory: m.memory,
      memoryAfterStart: m.idleMemory,
      unsignedFlood: m.flood,
      revocationUnder429: m.revocation,
      storeCallsUs: m.storeOps,
      botErrorLogLines: m.errorLines,
    },
    runSeconds: round(m.runMs / 1000, 1),
  };
  // Only a complete run with the default settings replaces the committed results.
  const complete =
    KINDS.length === ALL_KINDS.length &&
    MODES.length === ALL_MODES.length &&
    !CPU_PROF &&
    process.env.BENCH_BOT_NODE_ARGS === undefined &&
    REQUESTS >= 500 &&
    SEED >= 10_000 &&
    STARTS >= 5 &&
    APPROVALS >= 50;
  const file = complete
    ? path.join(ROOT, 'bench', 'results.json')
    : path.join(__dirname, '..', 'results-partial.json');
  writeFileSync(file, await asPrettierJson(results));

  process.stdout.write(
    `\ncases-access benchmark — ${machine.cpu}, ${machine.cores} cores, ${machine.totalMemMb} MB, node ${machine.node}\n` +
      `${REQUESTS} requests per target × kind × concurrency; bots at LOG_LEVEL=info; seeded database: ${SEED} requests\n\n` +
      `Targets (acks: closed loop, the bot's work piling up behind its acks):\n${render('targets')}\n\n` +
      `Diagnostic (acks in drained bursts: c requests at once, then the bot finishes their work before the next burst):\n${render('drained')}\n\n` +
      `Store calls alone (µs, median / p99; ${Object.values(m.storeOps.empty)[0]?.n ?? 0} each), empty vs ${SEED} stored:\n` +
      Object.keys(m.storeOps.empty)
        .map((op) => {
          const e = m.storeOps.empty[op]!;
          const s = m.storeOps.seeded[op];
          const f = (p?: Percentiles) => (p ? `${Math.round(p.p50)} / ${Math.round(p.p99)}` : '—');
          return `  ${op.padEnd(34)} ${f(e).padStart(13)}  vs ${f(s).padStart(13)}  (${s ? round(s.p50 / e.p50) : '—'}× median)`;
        })
        .join('\n') +
      `\n\napprove → applied (bot, empty db): total median ${round(approve('bot').totalMs.p50)} ms, of which IAM ${round(approve('bot').iamMs.p50)} ms; a typical approval, ms after the click:\n` +
      (approve('bot').typicalTimeline ?? [])
        .map((e) => `  ${String(e.t).padStart(7)}  ${e.call}`)
        .join('\n') +
      `\n${floodLine(m.flood)}\n${revocationLine(m.revocation)}\n` +
      `memory 1 s after start (VmRSS): bare ${m.idleMemory.bare?.rssMb} MB, bot ${m.idleMemory.bot?.rssMb} MB, bot 10k ${m.idleMemory.bot10k?.rssMb} MB\n` +
      `load average before / after: ${m.loadavg.before.join(' ')} / ${m.loadavg.after.join(' ')}\n` +
      `ack throughput (acks/s, closed loop), bare / bot / bot 10k:\n` +
      KINDS.flatMap((k) =>
        CONCURRENCIES.map((c) => {
          const f = m.acks[`closed:${k}@${c}`];
          return f
            ? `  ${k} c=${c}: ${f.bare.ackPerSecond} / ${f.bot.ackPerSecond} / ${f.bot10k.ackPerSecond}`
            : '';
        }),
      )
        .filter(Boolean)
        .join('\n') +
      `\nbot error log lines: ${m.errorLines.bot} (empty), ${m.errorLines.bot10k} (10k)\n` +
      `written ${path.relative(process.cwd(), file)} in ${results.runSeconds} s\n`,
  );
}

/** Peak RSS of a fresh process of each target under the unsigned flood of bench/flood.ts (issue 11). */
function floodRow(flood: Record<TargetName, FloodFigure>): Row {
  return {
    section: 'targets',
    figure: FLOOD_FIGURE,
    unit: 'MB',
    bare: flood.bare.after?.peakRssMb,
    bot: flood.bot.after?.peakRssMb ?? NaN,
    bot10k: flood.bot10k.after?.peakRssMb ?? NaN,
    target: { max: 200, on: 'absolute', text: '≤ 200 MB' },
  };
}

function floodLine(flood: Record<TargetName, FloodFigure>): string {
  const one = (f: FloodFigure) =>
    `peak ${f.after?.peakRssMb} MB (${f.before?.rssMb} MB before, ${f.settled?.rssMb} MB 2 s after), answers ` +
    `${JSON.stringify(f.statuses)} p50/max ${round(f.answerMs.p50, 0)}/${round(f.answerMs.max, 0)} ms, /healthz ${f.healthzAfter}`;
  return (
    `unsigned flood (${FLOOD_REQUESTS} concurrent unsigned ${FLOOD_BYTES / 2 ** 20} MB POSTs, fresh processes):\n` +
    TARGETS.map((t) => `  ${t.padEnd(6)} ${one(flood[t])}`).join('\n')
  );
}

/**
 * BENCH_ONLY=flood / revocation: prints those figures and puts them in bench/results.json in place of the previous
 * ones (table rows by figure name, the raw figures under `rawKey`).
 */
async function recordOnly(
  rows: Row[],
  rawKey: string,
  raw: unknown,
  line: string,
  build: { commit: string | null; srcModified: boolean | null },
): Promise<void> {
  const file = path.join(ROOT, 'bench', 'results.json');
  const results = JSON.parse(readFileSync(file, 'utf8')) as {
    table: Array<{ figure: string; section: string }>;
    raw: Record<string, unknown>;
  };
  for (const r of rows) {
    const row = tableRow(r);
    const at = results.table.findIndex((t) => t.figure === row.figure);
    if (at >= 0) results.table[at] = row;
    else
      results.table.splice(
        results.table.findIndex((t) => t.section === 'drained'),
        0,
        row,
      );
  }
  results.raw[rawKey] = { ...(raw as object), date: new Date().toISOString(), build };
  writeFileSync(file, await asPrettierJson(results));
  process.stdout.write(`\n${line}\nwritten ${path.relative(process.cwd(), file)} (${rawKey} only)\n`);
}

/** Revocations under Slack 429s (bench/revocation.ts), in a process of their own: the bot runs inside it. */
function revocationInChild(): Promise<RevocationFigure> {
  const child = fork(path.join(__dirname, 'revocation.js'), [], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('message', (figure) => resolve(figure as RevocationFigure));
    child.once('exit', (code) => reject(new Error(`bench/revocation exited (${code}) without a figure`)));
  });
}

/** The slowest grant's policy leaving IAM while Slack refuses every message (issue 11: within a few seconds). */
function revocationRow(f: RevocationFigure): Row {
  return {
    section: 'targets',
    figure: REVOCATION_FIGURE,
    unit: 'ms',
    bot: f.slack429.max,
    bot10k: NaN,
    target: { max: 5_000, on: 'absolute', text: `≤ 5 s (Retry-After ${RETRY_AFTER_S} s)` },
  };
}

const verdict = (ok: boolean | undefined) => (ok === undefined ? '' : ok ? 'pass' : 'MISS');

function tableRow(r: Row) {
  const ratio = r.bare === undefined ? undefined : r.bot / r.bare;
  const targetValue = r.target === undefined ? undefined : r.target.on === 'ratio' ? ratio : r.bot;
  const seededRatio = r.bot10k / r.bot;
  return {
    section: r.section,
    figure: r.figure,
    unit: r.unit,
    bare: r.bare === undefined ? null : round(r.bare),
    bot: round(r.bot),
    botVsBare: ratio === undefined ? null : round(ratio),
    target: r.target?.text ?? null,
    result: r.target === undefined || targetValue === undefined ? null : verdict(targetValue <= r.target.max),
    bot10k: round(r.bot10k),
    seededVsEmpty: round(seededRatio),
    seededResult: Number.isNaN(seededRatio) ? null : verdict(seededRatio <= SEEDED_MAX_RATIO),
    noise: r.noise === undefined ? null : round(r.noise),
  };
}

/** JSON as the repository's Prettier settings print it, so `npm run format` leaves results.json alone. */
async function asPrettierJson(value: unknown): Promise<string> {
  const text = `${JSON.stringify(value, null, 2)}\n`;
  try {
    const prettier = await import('prettier');
    const options = (await prettier.resolveConfig(path.join(ROOT, 'bench', 'results.json'))) ?? {};
    return await prettier.format(text, { ...options, parser: 'json' });
  } catch {
    return text;
  }
}

/** Which code was measured: the commit, and whether src/ had uncommitted changes (BENCH_COMMIT outside a clone). */
function buildInfo(): { commit: string | null; srcModified: boolean | null } {
  try {
    const git = (...args: string[]) =>
      execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return {
      commit: git('rev-parse', 'HEAD'),
      srcModified: git('status', '--porcelain', '--', 'src').length > 0,
    };
  } catch {
    return { commit: process.env.BENCH_COMMIT ?? null, srcModified: process.env.BENCH_COMMIT ? false : null };
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
