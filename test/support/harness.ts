import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBot } from '../../src/index';
import type { SlackMessageRef } from '../../src/access/types';
import { dialogMetadata, parseDialogMetadata } from '../../src/slack/origin';
import type { RunningBot, StartOptions } from '../../src/index';
import { approvalCardOf, startFakeSlack } from './fake-slack';
import type { FakeSlack } from './fake-slack';
import { startIamEmulator } from './iam-emulator';
import type { IamEmulator } from './iam-emulator';
import { blockActionBody, postSigned, slashCommandBody, viewSubmissionBody, waitFor } from './slack-requests';

/**
 * The sealed end-to-end rig: the real bot (Bolt + AWS SDK + SQLite) in HTTP mode, a fake Slack Web API and an
 * IAM/STS emulator on localhost. Requests go in signed, as Slack sends them.
 */

export const SIGNING_SECRET = 'test-signing-secret-0123456789';
export const BOT_TOKEN = 'xoxb-test-bot-token-abcdef';
export const ACCOUNT = '111122223333';
export const APPROVAL_CHANNEL = 'CAPPROVALS';
export const APPROVER = 'UAPPROVER1';
export const APPROVER_2 = 'UAPPROVER2';
export const REQUESTER = 'UREQUESTER';
export const GROUP_MEMBER = 'UGROUPMEMBER';
export const APPROVER_GROUP = 'SAPPROVERS';
export const OUTSIDER = 'UOUTSIDER';

export interface Harness {
  slack: FakeSlack;
  iam: IamEmulator;
  bot: RunningBot;
  dir: string;
  env: NodeJS.ProcessEnv;
  url: string;
  logLines: string[];
  /** Sends a signed `/cases-access <text>`: the bot's private answer, from the ack's body or the response_url. */
  command(text: string, userId?: string): Promise<{ status: number; reply: string }>;
  /**
   * Clicks a button on the request's card as `userId` (or on `origin`, another message, to test that such a click
   * is refused); resolves with Bolt's HTTP status.
   */
  click(
    actionId: string,
    requestId: string,
    userId: string,
    responseId?: string,
    origin?: SlackMessageRef,
  ): Promise<number>;
  /** The approval card the bot posted for a request, as Slack answered chat.postMessage. */
  cardOf(requestId: string): SlackMessageRef | undefined;
  submitView(
    callbackId: string,
    privateMetadata: string,
    values: Record<string, Record<string, Record<string, unknown>>>,
    userId: string,
  ): Promise<{ status: number; json?: unknown }>;
  /** One scheduler pass, then waits for the Slack messages it queued (Slack never holds the pass itself back). */
  tick(): Promise<void>;
  /** Restarts the bot on the same database and fakes. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

let responseCounter = 0;

export async function startHarness(
  opts: {
    env?: NodeJS.ProcessEnv;
    start?: StartOptions;
    /** Called with the fake Slack before the bot starts (which waits for Slack to accept its token): a proxy in
     * front of the fake is pointed at it here. */
    beforeStart?: (slack: FakeSlack) => void;
  } = {},
): Promise<Harness> {
  const slack = await startFakeSlack();
  opts.beforeStart?.(slack);
  const iam = await startIamEmulator({ accountId: ACCOUNT });
  slack.setUsergroup(APPROVER_GROUP, [GROUP_MEMBER]);
  const dir = mkdtempSync(join(tmpdir(), 'cases-access-e2e-'));
  // The SDK reads these from process.env itself, as it does in production.
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
    SLACK_APP_TOKEN: '',
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: slack.apiUrl,
    PORT: '0',
    APPROVAL_CHANNEL_ID: APPROVAL_CHANNEL,
    APPROVERS: `${APPROVER},${APPROVER_2},${APPROVER_GROUP}`,
    ALLOWED_ROLES: `arn:aws:iam::${ACCOUNT}:role/connect-*,arn:aws:iam::${ACCOUNT}:role/ops/*`,
    DATABASE_URL: `sqlite:${join(dir, 'db', 'cases-access.db')}`,
    LOG_LEVEL: 'debug',
    // Suites make many requests as one user; the suites about the limit set it themselves.
    REQUEST_RATE_LIMIT: 'off',
    ...opts.env,
  };
  const logLines: string[] = [];
  const start = () => startBot(env, { writeLog: (line) => logLines.push(line), ...opts.start });
  let bot = await start();
  const url = () => `http://127.0.0.1:${bot.port}/slack/events`;

  const harness: Harness = {
    slack,
    iam,
    get bot() {
      return bot;
    },
    dir,
    env,
    get url() {
      return url();
    },
    logLines,
    async command(text, userId = REQUESTER) {
      const id = `cmd-${++responseCounter}`;
      const res = await postSigned(
        url(),
        slashCommandBody({ text, userId, responseUrl: slack.responseUrl(id) }),
        SIGNING_SECRET,
      );
      // An answer known at once comes in the ack's body; any other on the response_url.
      const inAck = (res.json as { text?: unknown } | undefined)?.text;
      const reply =
        typeof inAck === 'string'
          ? inAck
          : String(
              (await slack.waitForCall('response_url', (c) => c.responseUrlId === id, 10_000)).args.text ??
                '',
            );
      // What the command did is reported to Slack after its answer; let that land too.
      await bot.slackSettled();
      return { status: res.status, reply };
    },
    async click(actionId, requestId, userId, responseId = `click-${++responseCounter}`, origin) {
      const on = origin ??
        harness.cardOf(requestId) ?? { channelId: APPROVAL_CHANNEL, messageTs: '1.000000' };
      const res = await postSigned(
        url(),
        blockActionBody({
          userId,
          actionId,
          value: requestId,
          channelId: on.channelId,
          messageTs: on.messageTs,
          responseUrl: slack.responseUrl(responseId),
        }),
        SIGNING_SECRET,
      );
      return res.status;
    },
    cardOf(requestId) {
      return approvalCardOf(slack, requestId);
    },
    async submitView(callbackId, privateMetadata, values, userId) {
      const res = await postSigned(
        url(),
        viewSubmissionBody({
          userId,
          callbackId,
          privateMetadata: metadataFor(callbackId, privateMetadata),
          values,
        }),
        SIGNING_SECRET,
      );
      return { status: res.status, json: res.json };
    },
    async tick() {
      await bot.runScheduledWork();
      await bot.slackSettled();
    },
    async restart() {
      await bot.stop();
      bot = await start();
    },
    async close() {
      await bot.stop();
      await slack.close();
      await iam.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  /**
   * A request ID given as a dialog's metadata means "the dialog the bot opened for it": its metadata as the bot set
   * it (the last views.open of that dialog), or as the bot would set it from the request's card.
   */
  function metadataFor(callbackId: string, given: string): string {
    if (!/^CA-[0-9A-Z]{10}$/.test(given)) return given;
    const opened = slack
      .callsOf('views.open')
      .map((c) => c.args.view as { callback_id?: string; private_metadata?: string })
      .filter(
        (v) =>
          v.callback_id === callbackId && parseDialogMetadata(v.private_metadata ?? '').requestId === given,
      )
      .at(-1);
    if (opened?.private_metadata) return opened.private_metadata;
    const card = harness.cardOf(given);
    return card ? dialogMetadata(given, card) : given;
  }
  return harness;
}

/** The request ID from the requester's confirmation. */
export function requestIdFrom(reply: string): string {
  const id = /CA-[0-9A-Z]{10}/.exec(reply)?.[0];
  if (!id) throw new Error(`no request ID in: ${reply}`);
  return id;
}

export { waitFor };
