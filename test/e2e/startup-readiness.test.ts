import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BotTracker, botEnv, isolatedEnv, requireBuiltBot } from '../support/bot-process';
import { startFakeSlack } from '../support/fake-slack';
import type { FakeSlack } from '../support/fake-slack';
import { freePort } from '../support/free-port';
import { startIamEmulator } from '../support/iam-emulator';
import type { IamEmulator } from '../support/iam-emulator';
import { startSlackProxy } from '../support/slack-proxy';
import type { SlackProxy } from '../support/slack-proxy';
import { postSigned, slashCommandBody, waitFor } from '../support/slack-requests';

/**
 * /healthz answers 503 from the moment the bot listens until Slack has accepted the bot token (and 200 after), in
 * HTTP mode and in Socket Mode: the built bot is spawned against a Slack whose auth.test is held unanswered. Slack's
 * requests arriving meanwhile (HTTP mode) are answered 503 too, never run without Bolt's authorization.
 */

const ACCOUNT = '111122223333';
const SIGNING_SECRET = 'readiness-test-signing-secret';

let slack: FakeSlack;
let proxy: SlackProxy;
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
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cases-access-readiness-'));
  proxy = await startSlackProxy();
  proxy.setTarget(slack.apiUrl);
});
afterEach(async () => {
  await bots.killAll();
  await proxy.close();
  rmSync(dir, { recursive: true, force: true });
});

const healthz = async (port: number) => {
  try {
    return (await fetch(`http://127.0.0.1:${port}/healthz`)).status;
  } catch {
    return 'refused';
  }
};

it.each([
  ['HTTP mode', {}],
  ['Socket Mode', { SLACK_APP_TOKEN: 'xapp-1-A1-1234567890-readiness' }],
])(
  '%s: /healthz is 503 while auth.test is unanswered, 200 once Slack accepted the token',
  async (mode, extra) => {
    const port = await freePort();
    proxy.hold('auth.test');
    const bot = bots.spawn({
      cwd: dir,
      env: {
        ...isolatedEnv(dir),
        ...botEnv({
          slack: proxy,
          iam,
          port,
          account: ACCOUNT,
          botToken: 'xoxb-readiness-test-bot-token',
          signingSecret: SIGNING_SECRET,
          approvalChannel: 'CAPPROVALS',
          approvers: 'UAPPROVER1',
          databaseUrl: `sqlite:${join(dir, 'cases-access.db')}`,
          logLevel: 'info',
        }),
        ...extra,
      },
    });
    // Listening, and asking Slack.
    await waitFor(async () => (await healthz(port)) === 503 && proxy.held('auth.test') === 1, 15_000, 50);
    for (let i = 0; i < 5; i++) {
      expect(await healthz(port)).toBe(503);
      await new Promise((r) => setTimeout(r, 100));
    }
    if (mode === 'HTTP mode') {
      const early = await postSigned(
        `http://127.0.0.1:${port}/slack/events`,
        slashCommandBody({ text: 'help', userId: 'UREQUESTER', responseUrl: slack.responseUrl('early') }),
        SIGNING_SECRET,
      );
      expect(early.status).toBe(503);
    }
    expect(bot.stdout()).not.toContain('cases-access started');

    proxy.release('auth.test');
    await bot.waitHealthy(port, 15_000);
    expect(bot.stdout()).toContain('cases-access started');
    expect(await bot.stop('SIGTERM', 5_000)).toEqual({ code: 0, signal: null });
    // Nothing was logged at error level along the way.
    expect(bot.stdout()).not.toContain('"level":"error"');
  },
);
