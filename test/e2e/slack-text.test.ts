import { ACTION } from '../../src/slack/blocks';
import {
  ACCOUNT,
  APPROVAL_CHANNEL,
  APPROVER,
  REQUESTER,
  requestIdFrom,
  SIGNING_SECRET,
  startHarness,
} from '../support/harness';
import type { Harness } from '../support/harness';
import { postSigned, shownBySlack, slashCommandBody, waitFor } from '../support/slack-requests';

/**
 * Text as Slack really sends and shows it: command text arrives escaped (`&amp;`, `&lt;`, `&gt;`) and is read as the
 * user typed it; everything the bot sends is escaped once, so it shows as typed and cannot ping or link anyone.
 */

const ROLE = `arn:aws:iam::${ACCOUNT}:role/connect-admins`;

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  h.iam.addRole('connect-admins');
  h.iam.addRole('connect-evil', { path: '/ops/<!channel>/' });
});
afterAll(async () => {
  await h.close();
});

/** Every text Slack reads as mrkdwn in a message: its `text`, and each mrkdwn text object in its blocks. */
function mrkdwnOf(args: Record<string, unknown>): string[] {
  const found: string[] = typeof args.text === 'string' ? [args.text] : [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (typeof node !== 'object' || node === null) return;
    const o = node as Record<string, unknown>;
    if (o.type === 'mrkdwn' && typeof o.text === 'string') found.push(o.text);
    Object.values(o).forEach(walk);
  };
  walk(args.blocks);
  return found;
}

const cardOf = (id: string) =>
  h.slack
    .posted()
    .find((m) => m.channel === APPROVAL_CHANNEL && !m.args.thread_ts && String(m.args.text).includes(id))!;

it('a reason with & < > shows exactly as typed on the card, in the thread and in status', async () => {
  const typed = 'R&D -> <OPS-12> & "quotes" <@UEVIL> <!channel>';
  const { reply } = await h.command(`onboard ${ROLE} ${typed}`);
  const id = requestIdFrom(reply);
  const card = JSON.stringify(cardOf(id).args.blocks);
  // Escaped once: no double escapes, and no live mention of anyone.
  expect(card).not.toContain('&amp;amp;');
  expect(card).not.toContain('&amp;lt;');
  expect(card).not.toContain('<!channel>');
  expect(card).not.toContain('<@UEVIL>');
  const reasonText = (cardOf(id).args.blocks as Array<{ text?: { text?: string } }>)
    .map((b) => b.text?.text ?? '')
    .find((t) => t.startsWith('*Reason:*'))!;
  expect(shownBySlack(reasonText)).toContain(typed);

  // Denied with the same text through the dialog (dialog values arrive as typed): the thread shows it as typed.
  expect(await h.click(ACTION.deny, id, APPROVER)).toBe(200);
  await h.submitView('cases_access_deny_modal', id, { reason_block: { reason: { value: typed } } }, APPROVER);
  await h.bot.slackSettled();
  const denied = h.slack
    .posted()
    .map((m) => String(m.args.text))
    .find((t) => t.includes('Denied by'))!;
  expect(shownBySlack(denied)).toContain(typed);
  expect(denied).not.toContain('<!channel>');

  const { reply: status } = await h.command(`status ${id}`);
  expect(shownBySlack(status)).toContain(typed);
  expect(status).not.toContain('&amp;amp;');
});

it('the reason limit counts what was typed: 399 typed `&` are accepted, 501 characters refused as 501', async () => {
  const ok = await h.command(`view ${ROLE} ${'&'.repeat(399)}`);
  expect(ok.reply).toMatch(/is waiting for an approver/);
  const long = await h.command(`onboard ${ROLE} ${'<'.repeat(501)}`);
  expect(long.reply).toMatch(/The reason is 501 characters; keep it to 500/);
});

it('a role path holding <!channel> reaches no text unescaped: card, fallback, thread, DM', async () => {
  const arn = `arn:aws:iam::${ACCOUNT}:role/ops/<!channel>/connect-evil`;
  const { reply } = await h.command(`view ${arn} path test`);
  const id = requestIdFrom(reply);
  expect(await h.click(ACTION.approve, id, APPROVER)).toBe(200);
  await waitFor(
    () =>
      h.slack
        .callsOf('chat.update')
        .some((c) => String(c.args.text).includes(`${id}`) && String(c.args.text).endsWith('applied')),
    10_000,
  );
  await h.bot.slackSettled();
  const sent = h.slack.calls.filter((c) =>
    ['chat.postMessage', 'chat.update', 'response_url'].includes(c.method),
  );
  // Slack acts on `<!channel>` in mrkdwn and in a message's `text`; plain_text shows it as it is.
  for (const call of sent) for (const text of mrkdwnOf(call.args)) expect(text).not.toContain('<!channel>');
  const dm = h.slack
    .callsOf('chat.postMessage')
    .find((c) => c.args.channel === REQUESTER && String(c.args.text).includes(id))!;
  expect(shownBySlack(String(dm.args.text))).toContain(arn);
});

it('a refusal quotes at most a bounded part of what was typed', async () => {
  const { reply } = await h.command(`onboard ${'a'.repeat(5_000)}`);
  expect(reply).toMatch(/not a valid IAM role name/);
  expect(reply.length).toBeLessThan(400);
});

it('`—for 8h` typed with an em dash (macOS autocorrect) sets the length instead of joining the reason', async () => {
  const { reply } = await h.command(`onboard ${ROLE} \u2014for 8h \u2013managed dash test`);
  const id = requestIdFrom(reply);
  const card = JSON.stringify(cardOf(id).args.blocks);
  expect(card).toContain('*Grant length*\\n8h');
  expect(card).toContain('onboard · managed');
});

it('an instance ARN with an upper-case region gets a specific answer, not "something went wrong"', async () => {
  const arn = `arn:aws:connect:US-EAST-1:${ACCOUNT}:instance/8a9b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d`;
  const { reply } = await h.command(`onboard ${ROLE} --instance ${arn}`);
  expect(reply).toMatch(/region are lower-case/);
  expect(reply).not.toMatch(/Something went wrong/);
});

it('answers known at once (help, grammar errors) come in the ack itself, with no response_url call', async () => {
  for (const text of ['help', `onboard ${ROLE} --bogus`]) {
    const before = h.slack.callsOf('response_url').length;
    const res = await postSigned(
      h.url,
      slashCommandBody({ text, userId: REQUESTER, responseUrl: h.slack.responseUrl(`ack-${text}`) }),
      SIGNING_SECRET,
    );
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ response_type: 'ephemeral', text: expect.any(String) });
    await new Promise((r) => setTimeout(r, 200));
    expect(h.slack.callsOf('response_url')).toHaveLength(before);
  }
});
