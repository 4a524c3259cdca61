import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BotTracker, botEnv, isolatedEnv, requireBuiltBot } from '../support/bot-process';
import type { BotProcess } from '../support/bot-process';
import { startFakeSlack } from '../support/fake-slack';
import type { FakeSlack } from '../support/fake-slack';
import { freePort } from '../support/free-port';
import { startIamEmulator } from '../support/iam-emulator';
import type { IamEmulator } from '../support/iam-emulator';
import { postSigned, shownBySlack, slashCommandBody } from '../support/slack-requests';

/**
 * The built bot (`dist/index.js`, what `npm start` runs) as a real process: start-up, one signed request, clean
 * shutdown on SIGTERM with JSON-lines logs; a bad environment refused with every problem at once; `.env` read.
 * `npm test` builds first; run `npm run build` before running this file alone.
 */

const ACCOUNT = '111122223333';
const SIGNING_SECRET = 'process-test-signing-secret-0123';
const BOT_TOKEN = 'xoxb-process-test-bot-token';

let slack: FakeSlack;
let iam: IamEmulator;
let dir: string;
const bots = new BotTracker();

beforeAll(async () => {
  requireBuiltBot();
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
  await bots.killAll();
  rmSync(dir, { recursive: true, force: true });
});

/** Only what a process needs to run, so nothing from this test process's environment leaks in. */
const baseEnv = (): NodeJS.ProcessEnv => isolatedEnv(dir);

function botVariables(port: number): Record<string, string> {
  return botEnv({
    slack,
    iam,
    port,
    account: ACCOUNT,
    botToken: BOT_TOKEN,
    signingSecret: SIGNING_SECRET,
    approvalChannel: 'CAPPROVALS',
    approvers: 'UAPPROVER1',
    logLevel: 'info',
  });
}

const spawnBot = (env: NodeJS.ProcessEnv, cwd = dir): BotProcess => bots.spawn({ env, cwd });

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
  await bot.waitHealthy(port, 15_000);

  const res = await postSigned(
    `http://127.0.0.1:${port}/slack/events`,
    slashCommandBody({ text: 'help', userId: 'UREQUESTER', responseUrl: slack.responseUrl('proc-help') }),
    SIGNING_SECRET,
  );
  expect(res.status).toBe(200);
  // Help comes back in the ack itself; shown by Slack, its placeholders read as typed.
  const answer = res.json as { text?: string; response_type?: string };
  const help = shownBySlack(String(answer.text));
  // The grammar (its exact flags evolve; these lines are the stable part).
  expect(help).toMatch(/^\/cases-access onboard <role> \[--managed\] .*\[reason…\]$/m);
  expect(help).toMatch(/^\/cases-access view +<role> \[--managed\] .*\[reason…\]$/m);
  expect(help).toMatch(/^\/cases-access help$/m);
  expect(answer.response_type).toBe('ephemeral');
  // A forged request is refused by the real process too.
  const forged = await postSigned(
    `http://127.0.0.1:${port}/slack/events`,
    slashCommandBody({ text: 'help', userId: 'UREQUESTER', responseUrl: slack.responseUrl('forged') }),
    'not-the-secret',
  );
  expect(forged.status).toBe(401);

  const exit = await bot.stop('SIGTERM', 5_000);
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
  const exit = await bot.exitWithin(10_000);
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
  await bot.waitHealthy(port, 15_000);
  // It used the .env's bot token against the .env's Slack.
  const auth = await slack.waitForCall('auth.test', () => true, 5_000);
  expect(auth.token).toBe(BOT_TOKEN);
  expect(existsSync(join(dir, 'data', 'cases-access.db'))).toBe(true);

  expect(await bot.stop('SIGTERM', 5_000)).toEqual({ code: 0, signal: null });
  expect(jsonLines(bot.stdout()).map((e) => e.message)).toContain('cases-access started');
});
