import { ACTION } from '../../src/slack/blocks';
import {
  ACCOUNT,
  APPROVER,
  REQUESTER,
  SIGNING_SECRET,
  requestIdFrom,
  startHarness,
  waitFor,
} from '../support/harness';
import type { Harness } from '../support/harness';
import { postSigned, slashCommandBody } from '../support/slack-requests';

/**
 * The command's name comes from SLACK_COMMAND: the bot answers `/access` end to end, and a command of another name
 * (the manifest renamed, SLACK_COMMAND not, or the other way round) is answered at once with which command the bot
 * answers, instead of Bolt's 404 after 3 s.
 */

let h: Harness;
let counter = 0;

beforeAll(async () => {
  h = await startHarness({ env: { SLACK_COMMAND: '/access' } });
  h.iam.addRole('connect-agents');
});
afterAll(async () => {
  await h?.close();
});

/** Sends `<command> <text>` signed, as Slack does; resolves with the HTTP status, how long the ack took and the reply. */
async function send(
  command: string,
  text: string,
): Promise<{ status: number; ackMs: number; reply: string }> {
  const id = `name-${++counter}`;
  const started = Date.now();
  const res = await postSigned(
    h.url,
    slashCommandBody({ command, text, userId: REQUESTER, responseUrl: h.slack.responseUrl(id) }),
    SIGNING_SECRET,
  );
  const ackMs = Date.now() - started;
  // An answer known at once comes in the ack's body; any other on the response_url.
  const inAck = (res.json as { text?: unknown } | undefined)?.text;
  const reply =
    typeof inAck === 'string'
      ? inAck
      : String(
          (await h.slack.waitForCall('response_url', (c) => c.responseUrlId === id, 10_000)).args.text ?? '',
        );
  await h.bot.slackSettled();
  return { status: res.status, ackMs, reply };
}

it('a request made with /access goes through: its card is posted, and once approved the policy is on the role', async () => {
  const role = `arn:aws:iam::${ACCOUNT}:role/connect-agents`;
  const answer = await send('/access', `onboard ${role} new team`);
  expect(answer.status).toBe(200);
  expect(answer.reply).toMatch(/is waiting for an approver/);
  const id = requestIdFrom(answer.reply);
  expect(h.cardOf(id)).toBeDefined();
  expect(await h.click(ACTION.approve, id, APPROVER)).toBe(200);
  await waitFor(() => h.iam.role(role)?.inline.has('cases-access-onboard'), 10_000);
  // Done only once the card says so (the read-back and the last messages come after the write).
  await waitFor(
    () =>
      h.slack
        .callsOf('chat.update')
        .some((c) => String(c.args.text).includes(id) && String(c.args.text).endsWith('applied')),
    10_000,
  );
  await h.bot.slackSettled();
});

it('its own mistakes point at `/access help`', async () => {
  const answer = await send('/access', 'frobnicate');
  expect(answer.reply).toContain('`/access help` shows the syntax');
});

it('/cases-access is acked at once and told the bot answers /access and that SLACK_COMMAND must match', async () => {
  // The earlier test's thread replies and DM may still be on their way: let them land before counting.
  await h.bot.slackSettled();
  const cardsBefore = h.slack.posted().length;
  const linesBefore = h.logLines.length;
  const answer = await send('/cases-access', 'help');
  expect(answer.status).toBe(200);
  expect(answer.ackMs).toBeLessThan(2_000);
  expect(answer.reply).toMatch(/This bot answers `\/access`, not `\/cases-access`/);
  expect(answer.reply).toContain('SLACK_COMMAND');
  expect(h.slack.posted()).toHaveLength(cardsBefore);
  const logged = h.logLines.slice(linesBefore).map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(logged).toContainEqual(
    expect.objectContaining({ level: 'warn', command: '/cases-access', answers: '/access' }),
  );
  expect(logged.filter((e) => e.level === 'error')).toEqual([]);
});
