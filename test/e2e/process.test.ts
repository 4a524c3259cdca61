import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startFakeSlack } from '../support/fake-slack';
import type { FakeSlack } from '../support/fake-slack';
import { freePort } from '../support/free-port';
import { startIamEmulator } from '../support/iam-emulator';
import type { IamEmulator } from '../support/iam-emulator';
import { postSigned, slashCommandBody, waitFor } from '../support/slack-requests';

/**
 * The built bot (`dist/index.js`, what `npm start` runs) as a real process: start-up, one signed request, clean
 * shutdown on SIGTERM with JSON-lines logs; a bad environment refused with every problem at once; `.env` read.
 * `npm test` builds first; run `npm run build` before running this file alone.
 */

const ENTRY = resolve(__dirname, '../../dist/index.js');
const ACCOUNT = '111122223333';
const SIGNING_SECRET = 'process-test-signing-secret-0123';
const BOT_TOKEN = 'xoxb-process-test-bot-token';

interface Bot {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  hasExited: () => boolean;
}

let slack: FakeSlack;
let iam: IamEmulator;
let dir: string;
const running: Bot[] = [];

beforeAll(async () => {
  if (!existsSync(ENTRY)) throw new Error(`${ENTRY} is missing: run \`npm run build\` first`);
  slack = await startFakeSlack();
  iam = await startIamEmulator({ accountId: ACCOUNT });
});
afterAll(async () => {
  await slack?.close();
  await iam?.close();
});
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cases-access-process-'));
  slack.reset();
});
afterEach(async () => {
  // Never leave a bot running, whatever the test did.
  for (const bot of running.splice(0)) {
    if (!bot.hasExited()) {
      bot.child.kill('SIGKILL');
      await bot.exited;
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

/** Only what a process needs to run, so nothing from this test process's environment leaks in. */
function baseEnv(): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: dir,
    // No profile or shared files from the machine: only the variables given.
    AWS_CONFIG_FILE: join(dir, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-aws-credentials'),
  };
}

function botVariables(port: number): Record<string, string> {
  return {
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: slack.apiUrl,
    PORT: String(port),
    APPROVAL_CHANNEL_ID: 'CAPPROVALS',
    APPROVERS: 'UAPPROVER1',
    ALLOWED_ROLES: `arn:aws:iam::${ACCOUNT}:role/connect-*`,
    LOG_LEVEL: 'info',
    AWS_ENDPOINT_URL_IAM: iam.url,
    AWS_ENDPOINT_URL_STS: iam.url,
    AWS_ACCESS_KEY_ID: 'AKIATESTKEY000000000',
    AWS_SECRET_ACCESS_KEY: 'test-secret-access-key-do-not-log-0000000',
    AWS_REGION: 'us-east-1',
  };
}

function spawnBot(env: NodeJS.ProcessEnv, cwd = dir): Bot {
  const child = spawn(process.execPath, [ENTRY], { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let done = false;
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolveExit) =>
    child.once('close', (code, signal) => {
      done = true;
      resolveExit({ code, signal });
    }),
  );
  const bot: Bot = { child, stdout: () => out, stderr: () => err, exited, hasExited: () => done };
  running.push(bot);
  return bot;
}

async function waitHealthy(bot: Bot, port: number): Promise<void> {
  await waitFor(
    async () => {
      if (bot.hasExited())
        throw new Error(`bot exited early:\n${bot.stderr()}\n${bot.stdout()}`.slice(0, 2000));
      try {
        return (await fetch(`http://127.0.0.1:${port}/healthz`)).status === 200;
      } catch {
        return false;
      }
    },
    15_000,
    50,
  ).catch((e: unknown) => {
    throw new Error(`${String(e)}\nstderr: ${bot.stderr()}\nstdout: ${bot.stdout()}`);
  });
}

/** Resolves with the exit, or rejects when the process is still running after `ms`. */
async function exitWithin(bot: Bot, ms: number) {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still running ${ms} ms after the signal`)), ms);
  });
  try {
    return await Promise.race([bot.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function jsonLines(stdout: string): Array<{ level: string; message: string } & Record<string, unknown>> {
  const lines = stdout.split('\n');
  expect(lines.pop()).toBe(''); // every line ends with a newline, the last one too
  return lines.map((line) => {
    let entry: unknown;
    expect(() => (entry = JSON.parse(line))).not.toThrow();
    expect(entry).toEqual(
      expect.objectContaining({ level: expect.any(String), message: expect.any(String) }),
    );
    return entry as { level: string; message: string };
  });
}

it('starts, answers /healthz and a signed help command, and exits 0 on SIGTERM logging JSON lines', async () => {
  const port = await freePort();
  const bot = spawnBot({
    ...baseEnv(),
    ...botVariables(port),
    DATABASE_URL: `sqlite:${join(dir, 'db', 'cases-access.db')}`,
  });
  await waitHealthy(bot, port);

  const res = await postSigned(
    `http://127.0.0.1:${port}/slack/events`,
    slashCommandBody({ text: 'help', userId: 'UREQUESTER', responseUrl: slack.responseUrl('proc-help') }),
    SIGNING_SECRET,
  );
  expect(res.status).toBe(200);
  const answer = await slack.waitForCall('response_url', (c) => c.responseUrlId === 'proc-help', 10_000);
  // The grammar (its exact flags evolve; these lines are the stable part).
  expect(String(answer.args.text)).toMatch(/^\/cases-access onboard <role> \[--managed\] .*\[reason…\]$/m);
  expect(String(answer.args.text)).toMatch(/^\/cases-access view +<role> \[--managed\] .*\[reason…\]$/m);
  expect(String(answer.args.text)).toMatch(/^\/cases-access help$/m);
  expect(answer.args.response_type).toBe('ephemeral');
  // A forged request is refused by the real process too.
  const forged = await postSigned(
    `http://127.0.0.1:${port}/slack/events`,
    slashCommandBody({ text: 'help', userId: 'UREQUESTER', responseUrl: slack.responseUrl('forged') }),
    'not-the-secret',
  );
  expect(forged.status).toBe(401);

  bot.child.kill('SIGTERM');
  const exit = await exitWithin(bot, 5_000);
  expect(exit).toEqual({ code: 0, signal: null });

  const entries = jsonLines(bot.stdout());
  const messages = entries.map((e) => e.message);
  expect(messages).toContain('cases-access started');
  expect(messages).toContain('cases-access stopped');
  expect(entries.find((e) => e.message === 'shutting down')).toMatchObject({ signal: 'SIGTERM' });
  expect(entries.find((e) => e.message === 'cases-access started')).toMatchObject({ mode: 'http', port });
  expect(messages.indexOf('cases-access stopped')).toBeGreaterThan(messages.indexOf('shutting down'));
  const all = bot.stdout() + bot.stderr();
  expect(all).not.toContain(SIGNING_SECRET);
  expect(all).not.toContain(BOT_TOKEN);
  // It no longer listens.
  await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
});

it('refuses a bad environment with exit code 1 and one message listing every problem', async () => {
  const port = await freePort();
  const vars: NodeJS.ProcessEnv = {
    ...baseEnv(),
    ...botVariables(port),
    APPROVAL_CHANNEL_ID: '#general',
    APPROVERS: 'UAPPROVER1,bob',
    DATABASE_URL: `sqlite:${join(dir, 'cases-access.db')}`,
  };
  delete vars.SLACK_BOT_TOKEN;
  const bot = spawnBot(vars);
  const exit = await exitWithin(bot, 10_000);
  expect(exit).toEqual({ code: 1, signal: null });

  const stderr = bot.stderr();
  expect(stderr.match(/cases-access cannot start/g)).toHaveLength(1);
  const problems = stderr
    .slice(stderr.indexOf('cases-access cannot start'))
    .split('\n')
    .filter((l) => l.startsWith('  - '));
  expect(problems).toHaveLength(3);
  expect(problems.join('\n')).toMatch(/SLACK_BOT_TOKEN is required/);
  expect(problems.join('\n')).toMatch(/APPROVAL_CHANNEL_ID must be a channel ID .*not a #name/);
  expect(problems.join('\n')).toMatch(/APPROVERS: "bob" is not a user ID/);
  // Nothing was started: no database created, no Slack call made.
  expect(existsSync(join(dir, 'cases-access.db'))).toBe(false);
  expect(slack.calls).toHaveLength(0);
});

it('reads its configuration from .env in the working directory', async () => {
  const port = await freePort();
  const vars = botVariables(port);
  writeFileSync(
    join(dir, '.env'),
    [
      '# written by process.test.ts',
      ...Object.entries(vars).map(([k, v]) => `${k}=${v}`),
      '', // DATABASE_URL left to its default: sqlite:./data/cases-access.db, relative to the working directory
    ].join('\n'),
  );
  const env = baseEnv();
  for (const key of Object.keys(vars)) expect(env[key]).toBeUndefined();
  const bot = spawnBot(env, dir);
  await waitHealthy(bot, port);
  // It used the .env's bot token against the .env's Slack.
  const auth = await slack.waitForCall('auth.test', () => true, 5_000);
  expect(auth.token).toBe(BOT_TOKEN);
  expect(existsSync(join(dir, 'data', 'cases-access.db'))).toBe(true);

  bot.child.kill('SIGTERM');
  expect(await exitWithin(bot, 5_000)).toEqual({ code: 0, signal: null });
  expect(jsonLines(bot.stdout()).map((e) => e.message)).toContain('cases-access started');
});
