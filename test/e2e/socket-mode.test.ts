import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBot } from '../../src/index';
import type { RunningBot } from '../../src/index';
import { ACTION } from '../../src/slack/blocks';
import { startFakeSlack, approvalCardOf } from '../support/fake-slack';
import type { FakeSlack } from '../support/fake-slack';
import { freePort } from '../support/free-port';
import { startIamEmulator } from '../support/iam-emulator';
import type { IamEmulator } from '../support/iam-emulator';
import { appHomeOpenedBody, blockActionPayload } from '../support/slack-requests';

/**
 * The real bot in Socket Mode against the fake Slack: `apps.connections.open` with the app token, then
 * commands and clicks arrive as WebSocket envelopes and are acked on the socket (no signing secret at all).
 */

const ACCOUNT = '111122223333';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/connect-admins`;
const APP_TOKEN = 'xapp-1-A1-1234567890-socketmodetoken';
const BOT_TOKEN = 'xoxb-socket-mode-bot-token';
const APPROVAL_CHANNEL = 'CAPPROVALS';
const APPROVER = 'UAPPROVER1';
const REQUESTER = 'UREQUESTER';

let slack: FakeSlack;
let iam: IamEmulator;
let bot: RunningBot | undefined;
let dir: string;
let port: number;
const logLines: string[] = [];

beforeAll(async () => {
  slack = await startFakeSlack();
  iam = await startIamEmulator({ accountId: ACCOUNT });
  dir = mkdtempSync(join(tmpdir(), 'cases-access-socket-'));
  port = await freePort();
  // The SDK reads these from process.env itself, as in production.
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_IAM: iam.url,
    AWS_ENDPOINT_URL_STS: iam.url,
    AWS_ACCESS_KEY_ID: 'AKIATESTKEY000000000',
    AWS_SECRET_ACCESS_KEY: 'test-secret-access-key-do-not-log-0000000',
    AWS_REGION: 'us-east-1',
  });
  delete process.env.AWS_PROFILE;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_APP_TOKEN: APP_TOKEN,
    SLACK_SIGNING_SECRET: undefined,
    SLACK_API_URL: slack.apiUrl,
    PORT: String(port),
    APPROVAL_CHANNEL_ID: APPROVAL_CHANNEL,
    APPROVERS: APPROVER,
    ALLOWED_ROLES: `arn:aws:iam::${ACCOUNT}:role/connect-*`,
    DATABASE_URL: `sqlite:${join(dir, 'cases-access.db')}`,
    LOG_LEVEL: 'info',
  };
  delete env.SLACK_SIGNING_SECRET;
  bot = await startBot(env, { writeLog: (line) => logLines.push(line) });
  await slack.socketConnected();
});

afterAll(async () => {
  // The bot first: a Socket Mode client whose server disappears reconnects forever.
  try {
    await bot?.stop();
  } finally {
    await slack?.close();
    await iam?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
});

it('connects with the app token and serves /healthz on PORT', async () => {
  expect(bot!.port).toBe(port);
  const open = slack.callsOf('apps.connections.open');
  expect(open).toHaveLength(1);
  expect(open[0]!.token).toBe(APP_TOKEN);
  const res = await fetch(`http://127.0.0.1:${port}/healthz`);
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ ok: true });
  const started = logLines.map((l) => JSON.parse(l)).find((e) => e.message === 'cases-access started');
  expect(started).toMatchObject({ mode: 'socket', port });
  // No HTTP events endpoint in Socket Mode.
  const events = await fetch(`http://127.0.0.1:${port}/slack/events`, { method: 'POST', body: 'x=1' });
  expect(events.status).toBe(404);
});

it('a slash command envelope is acked, posts the approval card; an Approve click applies exactly once', async () => {
  iam.addRole('connect-admins');
  const sentAt = Date.now();
  const commandAck = await slack.sendSocketEnvelope('slash_commands', {
    token: 'fake-verification-token',
    team_id: 'T1',
    team_domain: 'fake',
    channel_id: 'C1',
    channel_name: 'general',
    user_id: REQUESTER,
    user_name: 'requester',
    command: '/cases-access',
    text: `onboard ${ROLE} because`,
    api_app_id: 'A1',
    is_enterprise_install: 'false',
    response_url: slack.responseUrl('socket-command'),
    trigger_id: '123.456.abcdef',
  });
  const ackedAt = Date.now();
  expect(typeof commandAck.envelope_id).toBe('string');
  expect(ackedAt - sentAt).toBeLessThan(3_000); // Slack's deadline

  const card = await slack.waitForCall(
    'chat.postMessage',
    (c) => c.args.channel === APPROVAL_CHANNEL && !c.args.thread_ts,
    10_000,
  );
  // Acked before the work: the card comes after the ack.
  expect(card.at).toBeGreaterThanOrEqual(ackedAt - 5);
  expect(card.token).toBe(BOT_TOKEN);
  const cardJson = JSON.stringify(card.args.blocks);
  expect(cardJson).toContain(ROLE);
  expect(cardJson).toContain('because');
  expect(cardJson).toContain(ACTION.approve);
  const requestId = /CA-[0-9A-Z]{10}/.exec(String(card.args.text))?.[0];
  expect(requestId).toBeDefined();

  // The requester's confirmation went to the command's response_url and names the same request.
  const confirmation = await slack.waitForCall(
    'response_url',
    (c) => c.responseUrlId === 'socket-command',
    10_000,
  );
  expect(String(confirmation.args.text)).toContain(requestId!);
  expect(iam.callsOf('PutRolePolicy')).toHaveLength(0);

  const clickAck = await slack.sendSocketEnvelope(
    'interactive',
    blockActionPayload({
      userId: APPROVER,
      actionId: ACTION.approve,
      blockId: 'decision',
      value: requestId!,
      ...cardRef(slack, requestId!),
      responseUrl: slack.responseUrl('socket-click'),
    }),
  );
  expect(typeof clickAck.envelope_id).toBe('string');

  const applied = await slack.waitForCall(
    'chat.update',
    (c) => JSON.stringify(c.args.blocks).includes('Applied and verified'),
    10_000,
  );
  expect(String(applied.args.text)).toContain(requestId!);
  const updated = JSON.stringify(applied.args.blocks);
  expect(updated).not.toContain(ACTION.approve);
  expect(updated).not.toContain(ACTION.deny);

  const puts = iam.callsOf('PutRolePolicy');
  expect(puts).toHaveLength(1);
  expect(puts[0]!.params.RoleName).toBe('connect-admins');
  expect(puts[0]!.params.PolicyName).toBe('cases-access-onboard');
  expect(iam.role(ROLE)!.inline.has('cases-access-onboard')).toBe(true);
  // Approval succeeded, so nothing was said privately to the approver.
  expect(slack.callsOf('response_url').filter((c) => c.responseUrlId === 'socket-click')).toHaveLength(0);
});

it('an app_home_opened event envelope is acked and publishes the Home of whoever opened it', async () => {
  await slack.socketConnected();
  const ack = await slack.sendSocketEnvelope(
    'events_api',
    JSON.parse(appHomeOpenedBody(APPROVER)) as unknown,
  );
  expect(ack.envelope_id).toBeDefined();
  const published = await slack.waitForCall('views.publish', (c) => c.args.user_id === APPROVER, 10_000);
  expect(published.error).toBeUndefined();
  expect((published.args.view as { type?: string }).type).toBe('home');
});

/** Where a click on the request's card comes from: its channel and ts. */
function cardRef(slack: FakeSlack, id: string): { channelId: string; messageTs: string } {
  const card = approvalCardOf(slack, id);
  if (!card) throw new Error(`no approval card for ${id}`);
  return card;
}
