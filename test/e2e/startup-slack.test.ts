import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BotTracker, botEnv, isolatedEnv, requireBuiltBot } from '../support/bot-process';
import type { BotProcess } from '../support/bot-process';
import { startFakeSlack } from '../support/fake-slack';
import type { FakeSlack } from '../support/fake-slack';
import { freePort } from '../support/free-port';
import { startIamEmulator } from '../support/iam-emulator';
import type { IamEmulator } from '../support/iam-emulator';

/**
 * The built bot, spawned, stops at start-up when Slack does not accept its token or cannot be reached: one JSON line
 * at error level saying which variable Slack rejected or which host it could not reach, exit code 1, no stack trace or
 * unhandled rejection, and never "cases-access started". HTTP mode and Socket Mode.
 */

const ACCOUNT = '111122223333';
const BOT_TOKEN = 'xoxb-startup-test-bot-token';
const APP_TOKEN = 'xapp-1-A1-1234567890-startuptest';

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
  dir = mkdtempSync(join(tmpdir(), 'cases-access-startup-'));
  slack.reset();
  slack.clearQueued();
});
afterEach(async () => {
  await bots.killAll();
  rmSync(dir, { recursive: true, force: true });
});

async function spawn(opts: { socketMode?: boolean; apiUrl?: string } = {}): Promise<BotProcess> {
  const env: NodeJS.ProcessEnv = {
    ...isolatedEnv(dir),
    ...botEnv({
      slack: { apiUrl: opts.apiUrl ?? slack.apiUrl },
      iam,
      port: await freePort(),
      account: ACCOUNT,
      botToken: BOT_TOKEN,
      signingSecret: 'startup-test-signing-secret',
      approvalChannel: 'CAPPROVALS',
      approvers: 'UAPPROVER1',
      databaseUrl: `sqlite:${join(dir, 'cases-access.db')}`,
      logLevel: 'info',
    }),
    ...(opts.socketMode ? { SLACK_APP_TOKEN: APP_TOKEN } : {}),
  };
  return bots.spawn({ env, cwd: dir });
}

/** Exits 1 having logged exactly one line at error level, `message`; returns that line. */
async function expectStoppedWith(
  bot: BotProcess,
  message: string | RegExp,
): Promise<Record<string, unknown>> {
  expect(await bot.exitWithin(15_000)).toEqual({ code: 1, signal: null });
  const entries = bot
    .stdout()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  const errors = entries.filter((e) => e.level === 'error');
  expect(errors).toHaveLength(1);
  expect(errors[0]!.message).toEqual(typeof message === 'string' ? message : expect.stringMatching(message));
  expect(entries.map((e) => e.message)).not.toContain('cases-access started');
  // Nothing else explains it a second time: no stack, no unhandled rejection, no plain-text failure.
  const stderr = bot.stderr();
  expect(stderr).not.toMatch(/^\s+at /m);
  expect(stderr).not.toMatch(/Unhandled|WebAPI\w*Error|failed to start/);
  expect(bot.output()).not.toContain(BOT_TOKEN);
  expect(bot.output()).not.toContain(APP_TOKEN);
  return errors[0]!;
}

it('HTTP mode: a bot token Slack rejects stops start-up with "Slack rejected SLACK_BOT_TOKEN: invalid_auth"', async () => {
  slack.queueError('auth.test', 'invalid_auth');
  const bot = await spawn();
  const line = await expectStoppedWith(bot, 'Slack rejected SLACK_BOT_TOKEN: invalid_auth');
  expect(line.hint).toMatch(/OAuth & Permissions/);
  expect(slack.callsOf('auth.test').map((c) => c.token)).toEqual([BOT_TOKEN]);
});

it('Socket Mode: a bot token Slack rejects stops start-up before connecting', async () => {
  slack.queueError('auth.test', 'invalid_auth');
  const bot = await spawn({ socketMode: true });
  await expectStoppedWith(bot, 'Slack rejected SLACK_BOT_TOKEN: invalid_auth');
  expect(slack.callsOf('apps.connections.open')).toEqual([]);
});

it('Socket Mode: an app token Slack rejects stops start-up, naming SLACK_APP_TOKEN', async () => {
  slack.queueError('apps.connections.open', 'invalid_auth');
  const bot = await spawn({ socketMode: true });
  const line = await expectStoppedWith(bot, 'Slack rejected SLACK_APP_TOKEN: invalid_auth');
  expect(line.hint).toMatch(/App-Level Tokens/);
});

it('an unreachable Slack stops start-up naming the host that could not be reached', async () => {
  const closed = `http://127.0.0.1:${await freePort()}/api/`;
  const bot = await spawn({ apiUrl: closed });
  const started = Date.now();
  const line = await expectStoppedWith(bot, `could not reach Slack at ${closed} (ECONNREFUSED)`);
  expect(line.hint).toMatch(/SLACK_API_URL/);
  // At once: no half-hour of retries.
  expect(Date.now() - started).toBeLessThan(10_000);
});
