import { ACTION, DENY_MODAL, REASON_BLOCK, REASON_INPUT, REQUEST_MODAL } from '../../src/slack/blocks';
import {
  ACCOUNT,
  APPROVAL_CHANNEL,
  APPROVER,
  APPROVER_2,
  OUTSIDER,
  REQUESTER,
  SIGNING_SECRET,
  waitFor,
} from '../support/harness';
import { ROLE, startRig } from '../support/integrity-rig';
import type { Rig } from '../support/integrity-rig';
import { postSigned, slashCommandBody } from '../support/slack-requests';
import { MINUTE } from '../support/test-clock';

/**
 * Limits on requests: REQUEST_RATE_LIMIT (here 5 per 10 minutes) counted in the store, and an identical pending
 * request answered with the first one's card instead of a second card.
 */

let rig: Rig;
beforeEach(async () => {
  rig = await startRig({ REQUEST_RATE_LIMIT: '5/10m' });
});
afterEach(async () => {
  await rig.close();
});

const cards = () =>
  rig.h.slack.posted().filter((m) => m.channel === APPROVAL_CHANNEL && m.args.thread_ts === undefined);
const requestsOf = (user: string) => rig.store.listRequests({ requesterId: user });
const RATE_LIMITED =
  /You have made 5 requests in the last 10m, the most REQUEST_RATE_LIMIT allows; you can ask again in (\S+) \(at (\S+)\)\./;
const SUBMITTED = /^:inbox_tray: Request `(CA-[0-9A-Z]{10})` is waiting for an approver/;
const BUSY = /busy right now/;

it('100 requests from one user in a burst: 5 cards, every other one refused with a clear message; other users are not affected', async () => {
  // 100 different requests (25 roles × 2 tasks × 2 options): none is a duplicate of another.
  const texts: string[] = [];
  for (let i = 1; i <= 25; i++) {
    const name = `connect-burst${String(i).padStart(2, '0')}`;
    rig.h.iam.addRole(name);
    for (const task of ['onboard', 'view'])
      for (const option of ['', ' --managed'])
        texts.push(`${task} arn:aws:iam::${ACCOUNT}:role/${name}${option} burst`);
  }
  const started = performance.now();
  const statuses = await Promise.all(
    texts.map(async (text, i) => {
      const res = await postSigned(
        rig.h.url,
        slashCommandBody({ text, userId: REQUESTER, responseUrl: rig.h.slack.responseUrl(`burst-${i}`) }),
        SIGNING_SECRET,
      );
      return res.status;
    }),
  );
  expect(statuses).toEqual(Array(100).fill(200));
  const answers = await waitFor(() => {
    const got = rig.h.slack.callsOf('response_url').filter((c) => c.responseUrlId?.startsWith('burst-'));
    return got.length === 100 ? got.map((c) => String(c.args.text)) : undefined;
  }, 20_000);
  const took = Math.round(performance.now() - started);

  const submitted = answers.filter((a) => SUBMITTED.test(a));
  const limited = answers.filter((a) => RATE_LIMITED.test(a));
  const busy = answers.filter((a) => BUSY.test(a));
  expect(submitted).toHaveLength(5);
  expect(limited.length + busy.length).toBe(95);
  for (const a of [...limited, ...busy]) expect(a).toMatch(/[Nn]othing was (requested|changed)/);
  expect(cards()).toHaveLength(5);
  expect(await requestsOf(REQUESTER)).toHaveLength(5);
  if (process.env.SHOW_TIMINGS)
    process.stdout.write(
      `burst of 100: ${took} ms, ${submitted.length} submitted, ${limited.length} rate-limited, ${busy.length} busy\n`,
    );

  // The next one is refused by the limit, saying when: the window runs from the oldest of the five.
  const next = await rig.h.command(`view ${ROLE} one more`);
  const [, wait, at] = RATE_LIMITED.exec(next.reply)!;
  expect(wait).toBe('10m');
  expect(at).toBe(new Date(rig.clock.now().getTime() + 10 * MINUTE).toISOString());
  expect(next.reply).toContain('Nothing was requested.');
  expect(await requestsOf(REQUESTER)).toHaveLength(5);

  // Other users are not affected.
  for (const user of [APPROVER_2, OUTSIDER])
    expect((await rig.h.command(`view ${ROLE} someone else`, user)).reply).toMatch(SUBMITTED);

  // The limit is in the database: a restarted bot (or another replica) holds it too.
  await rig.h.restart();
  rig.clock.advance(9 * MINUTE);
  expect((await rig.h.command(`view ${ROLE} after restart`)).reply).toMatch(/you can ask again in 1m \(/);

  // Once the window has passed, the requester may ask again.
  rig.clock.advance(MINUTE);
  expect((await rig.h.command(`view ${ROLE} next window`)).reply).toMatch(SUBMITTED);
  expect(cards()).toHaveLength(8);
}, 60_000);

it('an identical pending request gets the first one’s ID and card link; no second card', async () => {
  const first = await rig.ask(`onboard ${ROLE} first reason`);
  const link = `https://fake.slack.test/archives/${APPROVAL_CHANNEL}/p${rig.h.cardOf(first)!.messageTs.replace('.', '')}`;
  expect(cards()).toHaveLength(1);

  // The same requester, role, task and option: by ARN with another reason, and by the role's bare name.
  for (const text of [
    `onboard ${ROLE} another reason`,
    'onboard connect-admins',
    `onboard ${ROLE} --for 2h`,
  ]) {
    const { reply } = await rig.h.command(text);
    expect(reply).toContain(`Request \`${first}\` is waiting for an approver in <${link}|the approval card>`);
    expect(reply).toContain('You already asked for this; no second card was posted.');
  }
  // From the request dialog too: the answer comes as a direct message.
  const before = rig.h.slack.callsOf('chat.postMessage').length;
  const dialog = await rig.h.submitView(
    REQUEST_MODAL,
    '',
    {
      task: { task: { type: 'radio_buttons', selected_option: { value: 'onboard' } } },
      option: { option: { type: 'radio_buttons', selected_option: { value: 'minimal' } } },
      role: { role: { type: 'plain_text_input', value: ROLE } },
      reason: { reason: { type: 'plain_text_input', value: 'from the dialog' } },
    },
    REQUESTER,
  );
  expect(dialog.status).toBe(200);
  const dm = await waitFor(() =>
    rig.h.slack
      .callsOf('chat.postMessage')
      .slice(before)
      .find((c) => c.args.channel === REQUESTER),
  );
  expect(String(dm.args.text)).toContain(`Request \`${first}\``);
  expect(String(dm.args.text)).toContain('no second card was posted');
  expect(cards()).toHaveLength(1);
  expect(await requestsOf(REQUESTER)).toHaveLength(1);

  // Not identical: another option, another task, another requester.
  const managed = await rig.ask(`onboard ${ROLE} --managed`);
  const view = await rig.ask(`view ${ROLE}`);
  const other = await rig.ask(`onboard ${ROLE}`, APPROVER_2);
  expect(new Set([first, managed, view, other]).size).toBe(4);
  expect(cards()).toHaveLength(4);

  // Once the first is decided, the same request is a new one.
  expect(await rig.h.click(ACTION.deny, first, APPROVER)).toBe(200);
  await rig.h.slack.waitForCall('views.open');
  await rig.h.submitView(
    DENY_MODAL,
    first,
    { [REASON_BLOCK]: { [REASON_INPUT]: { type: 'plain_text_input', value: 'no' } } },
    APPROVER,
  );
  await rig.cardReaches(first, 'denied');
  const again = await rig.ask(`onboard ${ROLE} again`);
  expect(again).not.toBe(first);
  expect(cards()).toHaveLength(5);
}, 30_000);

it('identical requests sent at the same moment make one card', async () => {
  const replies = await Promise.all(
    Array.from({ length: 4 }, () => rig.h.command(`onboard ${ROLE} at once`)),
  );
  const ids = replies.map((r) => SUBMITTED.exec(r.reply)?.[1]);
  expect(new Set(ids).size).toBe(1);
  expect(ids[0]).toBeDefined();
  expect(replies.filter((r) => r.reply.includes('no second card was posted'))).toHaveLength(3);
  expect(cards()).toHaveLength(1);
});
