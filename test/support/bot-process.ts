/**
 * The built bot (`dist/index.js`, what `npm start` runs) as a real child process, for the tests that run it so:
 * spawned with only the environment given, its output collected, polled on /healthz, stopped with a signal, and
 * killed by a tracker after each test whatever the test did. `npm test` builds first; run `npm run build` before
 * running such a file alone.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { waitFor } from './slack-requests';

export const BOT_ENTRY = resolve(__dirname, '../../dist/index.js');

/** Throws unless `dist/index.js` is there (call it in beforeAll). */
export function requireBuiltBot(): void {
  if (!existsSync(BOT_ENTRY)) throw new Error(`${BOT_ENTRY} is missing: run \`npm run build\` first`);
}

export interface BotExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface BotProcess {
  child: ChildProcess;
  /** Names the process in failure messages. */
  label: string;
  stdout: () => string;
  stderr: () => string;
  /** stdout and stderr together, in the order they arrived. */
  output: () => string;
  /** Resolves once the process has exited and its output streams are closed. */
  exited: Promise<BotExit>;
  hasExited: () => boolean;
  /** Polls `http://127.0.0.1:<port>/healthz` until it answers 200; rejects with the output if it does not. */
  waitHealthy: (port: number, timeoutMs?: number, intervalMs?: number) => Promise<void>;
  /** Resolves with the exit, or rejects when the process is still running after `ms`. */
  exitWithin: (ms: number) => Promise<BotExit>;
  /** Sends `signal` unless the process has exited, then resolves with the exit (within `timeoutMs` if given). */
  stop: (signal?: NodeJS.Signals, timeoutMs?: number) => Promise<BotExit>;
}

export interface SpawnBotOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** The program; Node itself unless given. */
  command?: string;
  /** Its arguments; `[BOT_ENTRY]` unless given. */
  args?: string[];
  /** Names the process in failure messages. */
  label?: string;
}

export function spawnBot(opts: SpawnBotOptions): BotProcess {
  const label = opts.label ?? 'the bot';
  const child = spawn(opts.command ?? process.execPath, opts.args ?? [BOT_ENTRY], {
    env: opts.env,
    cwd: opts.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  let all = '';
  let done = false;
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    all += d;
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    err += d;
    all += d;
  });
  const exited = new Promise<BotExit>((resolveExit) =>
    child.once('close', (code, signal) => {
      done = true;
      resolveExit({ code, signal });
    }),
  );

  const bot: BotProcess = {
    child,
    label,
    stdout: () => out,
    stderr: () => err,
    output: () => all,
    exited,
    hasExited: () => done,
    async waitHealthy(port, timeoutMs = 15_000, intervalMs = 50) {
      await waitFor(
        async () => {
          if (done) throw new Error(`${label} exited early`);
          try {
            return (await fetch(`http://127.0.0.1:${port}/healthz`)).status === 200;
          } catch {
            return false;
          }
        },
        timeoutMs,
        intervalMs,
      ).catch((e: unknown) => {
        throw new Error(`${label} not healthy: ${String(e)}\n${all.slice(-3000)}`);
      });
    },
    async exitWithin(ms) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${label} still running after ${ms} ms`)), ms);
      });
      try {
        return await Promise.race([exited, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
    async stop(signal = 'SIGTERM', timeoutMs) {
      if (!done) child.kill(signal);
      return timeoutMs === undefined ? exited : bot.exitWithin(timeoutMs);
    },
  };
  return bot;
}

/** Spawns bots and remembers them, so that `killAll()` (in afterEach or afterAll) leaves none running. */
export class BotTracker {
  readonly running: BotProcess[] = [];

  spawn(opts: SpawnBotOptions): BotProcess {
    const bot = spawnBot(opts);
    this.running.push(bot);
    return bot;
  }

  async killAll(): Promise<void> {
    for (const bot of this.running.splice(0)) await bot.stop('SIGKILL');
  }
}

// -----------------------------------------------------------------------------------------------------------------
// Environments.

/** Only what a process needs to run, so nothing from this test process's environment leaks in: no AWS profile or
 * shared files from the machine either, only the variables given. */
export function isolatedEnv(home: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: home,
    AWS_CONFIG_FILE: join(home, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(home, 'no-aws-credentials'),
  };
}

/** The AWS SDK pointed at the IAM/STS emulator, with fake static credentials. */
export function emulatorAwsEnv(iamUrl: string): Record<string, string> {
  return {
    AWS_ENDPOINT_URL_IAM: iamUrl,
    AWS_ENDPOINT_URL_STS: iamUrl,
    AWS_ACCESS_KEY_ID: 'AKIATESTKEY000000000',
    AWS_SECRET_ACCESS_KEY: 'test-secret-access-key-do-not-log-0000000',
    AWS_REGION: 'us-east-1',
  };
}

export interface BotEnvOptions {
  slack: { apiUrl: string };
  iam: { url: string };
  port: number;
  account: string;
  botToken: string;
  signingSecret: string;
  approvalChannel: string;
  /** APPROVERS, comma-separated. */
  approvers: string;
  /** ALLOWED_ROLES; the account's `connect-*` roles unless given. */
  allowedRoles?: string;
  /** DATABASE_URL; left to the bot's default unless given. */
  databaseUrl?: string;
  /** LOG_LEVEL; left to the bot's default unless given. */
  logLevel?: string;
}

/** The variables the bot needs to run in HTTP mode against the fake Slack and the IAM emulator. */
export function botEnv(o: BotEnvOptions): Record<string, string> {
  return {
    SLACK_BOT_TOKEN: o.botToken,
    SLACK_SIGNING_SECRET: o.signingSecret,
    SLACK_API_URL: o.slack.apiUrl,
    PORT: String(o.port),
    APPROVAL_CHANNEL_ID: o.approvalChannel,
    APPROVERS: o.approvers,
    ALLOWED_ROLES: o.allowedRoles ?? `arn:aws:iam::${o.account}:role/connect-*`,
    ...(o.databaseUrl === undefined ? {} : { DATABASE_URL: o.databaseUrl }),
    ...(o.logLevel === undefined ? {} : { LOG_LEVEL: o.logLevel }),
    ...emulatorAwsEnv(o.iam.url),
  };
}
