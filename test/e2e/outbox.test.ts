import { openStore } from '../../src/store';
import { REQUESTER, waitFor } from '../support/harness';
import { ONBOARD_POLICY, ROLE, startRig } from '../support/integrity-rig';
import type { Rig } from '../support/integrity-rig';

/**
 * The thread loses nothing: every reply, card update and DM goes through a durable outbox, delivered in order per
 * request, retried while Slack fails (also across a restart), and sent once.
 */

let rig: Rig;
beforeEach(async () => {
  rig = await startRig();
});
afterEach(async () => {
  await rig.close();
});

/** The texts of a request's thread, in the order Slack received them. */
const threadTexts = (id: string) => rig.thread(id);

it('Slack failing for a while: IAM is done at once, and afterwards the thread holds every step, in order, once', async () => {
  const id = await rig.ask(`onboard ${ROLE} --managed outage`);
  await rig.h.bot.slackSettled();
  // Slack answers the next three posts and three updates with errors (an outage), then recovers; the outbox
  // pauses 1, 2, 4 s between attempts.
  for (let i = 0; i < 3; i++) {
    rig.h.slack.queueError('chat.postMessage', 'internal_error');
    rig.h.slack.queueError('chat.update', 'internal_error');
  }
  await rig.h.click('cases_access_approve', id, 'UAPPROVER1');
  await waitFor(async () => (await rig.get(id)).state === 'applied');
  expect(rig.h.iam.role(ROLE)!.inline.has(ONBOARD_POLICY)).toBe(true);

  await rig.h.bot.slackSettled();
  const thread = await threadTexts(id);
  const order = ['Approved by', 'PutRolePolicy', 'AttachRolePolicy', 'Verified by reading back'].map(
    (marker) => thread.findIndex((t) => t.includes(marker)),
  );
  expect(order.every((i) => i >= 0)).toBe(true);
  expect([...order].sort((a, b) => a - b)).toEqual(order);
  // Each step once, though several sends failed first.
  expect(thread.filter((t) => t.includes('Approved by'))).toHaveLength(1);
  expect(rig.h.slack.calls.filter((c) => c.error === 'internal_error')).toHaveLength(6);
  // The card ends showing the applied state, and the requester got the DM.
  expect(String(rig.h.slack.callsOf('chat.update').at(-1)!.args.text)).toMatch(/— applied$/);
  expect(
    rig.h.slack.posted().some((m) => m.args.channel === REQUESTER && /is applied/.test(String(m.args.text))),
  ).toBe(true);
  const outbox = await openStore(rig.h.env.DATABASE_URL!);
  try {
    expect(await outbox.pendingOutbox()).toBe(0);
  } finally {
    await outbox.close();
  }
}, 30_000);

it('messages still waiting when the bot stops are delivered by the next start, once', async () => {
  const id = await rig.ask(`onboard ${ROLE} restart`);
  await rig.h.bot.slackSettled();
  // Slack refuses every post for a long while: the thread replies stay in the outbox …
  for (let i = 0; i < 500; i++) rig.h.slack.queueError('chat.postMessage', 'service_unavailable');
  await rig.h.click('cases_access_approve', id, 'UAPPROVER1');
  await waitFor(async () => (await rig.get(id)).state === 'applied');
  expect((await threadTexts(id)).some((t) => t.includes('Verified by reading back'))).toBe(false);

  // … the bot stops (waiting only a bounded while for Slack), Slack comes back, a new process delivers them.
  await rig.h.restart();
  rig.h.slack.clearQueued();
  await rig.h.bot.slackSettled();
  const thread = await threadTexts(id);
  for (const marker of ['Approved by', 'PutRolePolicy', 'Verified by reading back'])
    expect(thread.filter((t) => t.includes(marker))).toHaveLength(1);
  expect(thread.findIndex((t) => t.includes('Approved by'))).toBeLessThan(
    thread.findIndex((t) => t.includes('Verified by reading back')),
  );
}, 40_000);
