import {
  ACTION,
  BREAK_GLASS_CONFIRM,
  BREAK_GLASS_MODAL,
  BREAK_GLASS_REASON,
  REQUEST_MODAL,
} from '../../src/slack/blocks';
import {
  APPROVER,
  APPROVER_2,
  APPROVER_GROUP,
  REQUESTER,
  requestIdFrom,
  SIGNING_SECRET,
  waitFor,
} from '../support/harness';
import { postSigned, slashCommandBody } from '../support/slack-requests';
import { PROD_ROLE, SECURITY_CHANNEL, startRulesRig } from '../support/rules-rig';
import type { RulesRig } from '../support/rules-rig';
import { HOUR, TestClock } from '../support/test-clock';

/**
 * Break-glass: where a rule allows it, the requester applies at once, after a dialog that asks for a reason and a
 * confirmation; every approver of the rule is called, reminded until one acknowledges, and any of them can revoke.
 */

const T0 = new Date('2026-03-02T09:00:00.000Z');
const FIRE = 'Cases agents locked out of the prod instance, incident INC-4711';

let rig: RulesRig;
let clock: TestClock;
beforeEach(async () => {
  clock = new TestClock(T0);
  rig = await startRulesRig(undefined, { clock, schedulerIntervalMs: 3_600_000 });
  await rig.h.tick();
});
afterEach(async () => {
  await rig.close();
});

/** A slash command whose only answer is a dialog (nothing to wait for on the response_url). */
const sendCommand = (text: string, user = REQUESTER) =>
  postSigned(
    rig.h.url,
    slashCommandBody({ text, userId: user, responseUrl: rig.h.slack.responseUrl(`bg-${Math.random()}`) }),
    SIGNING_SECRET,
  );

/** Types the command, then submits the dialog the bot opened for it; resolves with the requester's DM. */
async function breakGlass(command: string, reason = FIRE, user = REQUESTER): Promise<string> {
  const opened = rig.h.slack.callsOf('views.open').length;
  expect((await sendCommand(command, user)).status).toBe(200);
  const view = (await waitFor(() => rig.h.slack.callsOf('views.open')[opened])).args.view as {
    callback_id: string;
    private_metadata: string;
  };
  expect(view.callback_id).toBe(BREAK_GLASS_MODAL);
  const dms = rig.h.slack.callsOf('chat.postMessage').filter((c) => c.args.channel === user).length;
  const res = await rig.h.submitView(
    BREAK_GLASS_MODAL,
    view.private_metadata,
    {
      [BREAK_GLASS_REASON]: { [BREAK_GLASS_REASON]: { type: 'plain_text_input', value: reason } },
      [BREAK_GLASS_CONFIRM]: {
        [BREAK_GLASS_CONFIRM]: { type: 'checkboxes', selected_options: [{ value: 'confirmed' }] },
      },
    },
    user,
  );
  expect(res.status).toBe(200);
  const dm = await waitFor(
    () => rig.h.slack.callsOf('chat.postMessage').filter((c) => c.args.channel === user)[dms],
    15_000,
  );
  return String(dm.args.text);
}

const puts = () => rig.h.iam.callsOf('PutRolePolicy').filter((c) => c.status === 200);

it('applies at once with no approver, calls every approver, is reminded until acknowledged, and any approver may revoke', async () => {
  const dm = await breakGlass(`onboard ${PROD_ROLE} --break-glass --for 30m prod down`);
  expect(dm).toMatch(/Break-glass `CA-[0-9A-Z]{10}` is applied/);
  const id = requestIdFrom(dm);
  expect(puts()).toHaveLength(1);
  expect(rig.h.iam.role(PROD_ROLE)!.inline.has('cases-access-onboard')).toBe(true);
  await rig.h.bot.slackSettled();

  const card = rig.h.slack.posted().find((m) => m.channel === SECURITY_CHANNEL && !m.args.thread_ts)!;
  expect(JSON.stringify(card.args.blocks)).toContain('BREAK-GLASS');
  const thread = rig.h.slack
    .posted()
    .filter((m) => m.args.thread_ts === card.args.ts || (m.channel === SECURITY_CHANNEL && m.args.thread_ts))
    .map((m) => String(m.args.text));
  const call = thread.find((t) => t.includes('Break-glass'))!;
  // Every approver of the rule, not only its notify list.
  for (const who of [`<@${APPROVER}>`, `<@${APPROVER_2}>`, `<!subteam^${APPROVER_GROUP}>`])
    expect(call).toContain(who);
  expect(call).toContain(FIRE);

  // Unreviewed: listed so by status, reminded every REMIND_AFTER (2h), overdue after BREAK_GLASS_REVIEW (24h).
  expect((await rig.h.command('status')).reply).toMatch(/break-glass, unreviewed/);
  clock.advance(2 * HOUR);
  await rig.h.tick();
  clock.advance(22 * HOUR);
  await rig.h.tick();
  const reminders = rig.h.slack.posted().filter((m) => String(m.args.text).includes('break-glass grant is'));
  expect(reminders.map((m) => String(m.args.text))).toEqual([
    expect.stringContaining('still not reviewed'),
    expect.stringContaining('overdue for review'),
  ]);

  // Its requester cannot acknowledge it; an approver can, once.
  expect(await rig.h.click(ACTION.acknowledge, id, REQUESTER, 'ack-own')).toBe(200);
  const own = await rig.h.slack.waitForCall('response_url', (c) => c.responseUrlId === 'ack-own');
  expect(String(own.args.text)).toMatch(/cannot acknowledge your own/);
  expect(await rig.h.click(ACTION.acknowledge, id, APPROVER_2, 'ack-ok')).toBe(200);
  await waitFor(() =>
    rig.h.slack
      .callsOf('chat.update')
      .some((c) => JSON.stringify(c.args.blocks ?? '').includes('acknowledged by <@UAPPROVER2>')),
  );
  clock.advance(4 * HOUR);
  await rig.h.tick();
  expect(
    rig.h.slack.posted().filter((m) => String(m.args.text).includes('break-glass grant is')),
  ).toHaveLength(2);
}, 30_000);

it('is refused where the rule does not allow it, and past the rule’s break-glass maximum; nothing is applied', async () => {
  const forbidden = await breakGlass(`view ${PROD_ROLE} --break-glass view in a hurry`);
  expect(forbidden).toMatch(/Rule `viewing` does not allow break-glass/);
  const tooLong = await breakGlass(`onboard ${PROD_ROLE} --break-glass --for 2h prod down`);
  expect(tooLong).toMatch(
    /longer than the maximum of 1h \(rule onboarding-prod \(break-glass\)'s maxDuration\)/,
  );
  expect(puts()).toHaveLength(0);
}, 30_000);

it('the dialog refuses a short reason or a missing confirmation before anything happens', async () => {
  await sendCommand(`onboard ${PROD_ROLE} --break-glass`);
  const view = (await waitFor(() => rig.h.slack.callsOf('views.open')[0])).args.view as {
    private_metadata: string;
  };
  const res = await rig.h.submitView(
    BREAK_GLASS_MODAL,
    view.private_metadata,
    {
      [BREAK_GLASS_REASON]: { [BREAK_GLASS_REASON]: { type: 'plain_text_input', value: 'too short' } },
      [BREAK_GLASS_CONFIRM]: { [BREAK_GLASS_CONFIRM]: { type: 'checkboxes', selected_options: [] } },
    },
    REQUESTER,
  );
  expect(res.json).toMatchObject({
    response_action: 'errors',
    errors: {
      [BREAK_GLASS_REASON]: expect.stringMatching(/at least 20/),
      [BREAK_GLASS_CONFIRM]: expect.any(String),
    },
  });
  expect(puts()).toHaveLength(0);
});

it('the request dialog offers break-glass: checked, the confirmation dialog is pushed on top of it', async () => {
  const choice = (value: string) => ({ type: 'radio_buttons', selected_option: { value } });
  const text = (value: string | null) => ({ type: 'plain_text_input', value });
  const { json } = await rig.h.submitView(
    REQUEST_MODAL,
    '',
    {
      task: { task: choice('onboard') },
      option: { option: choice('minimal') },
      role: { role: text(PROD_ROLE) },
      instance: { instance: text(null) },
      duration: { duration: text('30m') },
      reason: { reason: text(FIRE) },
      break_glass: { break_glass: { type: 'checkboxes', selected_options: [{ value: 'break_glass' }] } },
    },
    REQUESTER,
  );
  const pushed = json as {
    response_action?: string;
    view?: { callback_id?: string; private_metadata?: string };
  };
  expect(pushed.response_action).toBe('push');
  expect(pushed.view?.callback_id).toBe(BREAK_GLASS_MODAL);
  expect(JSON.parse(pushed.view!.private_metadata!)).toMatchObject({
    task: 'onboard',
    roleText: PROD_ROLE,
    durationSeconds: 1800,
  });
  expect(puts()).toHaveLength(0);
});
