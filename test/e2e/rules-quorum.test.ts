import { ACTION } from '../../src/slack/blocks';
import {
  APPROVER,
  APPROVER_2,
  APPROVER_GROUP,
  GROUP_MEMBER,
  REQUESTER,
  requestIdFrom,
  waitFor,
} from '../support/harness';
import { PROD_ROLE, SECURITY_CHANNEL, startRulesRig } from '../support/rules-rig';
import type { RulesRig } from '../support/rules-rig';

/**
 * A rule with `approvals: 2`: each distinct eligible approver's approval is counted once, the second one applies
 * the stored plan exactly once (whatever races it), and the requester never counts.
 */

let rig: RulesRig;
beforeEach(async () => {
  rig = await startRulesRig();
});
afterEach(async () => {
  await rig.close();
});

const puts = () => rig.h.iam.callsOf('PutRolePolicy').filter((c) => c.status === 200);
const cardTexts = (id: string) =>
  rig.h.slack.calls
    .filter(
      (c) =>
        (c.method === 'chat.postMessage' || c.method === 'chat.update') && String(c.args.text).includes(id),
    )
    .map((c) => JSON.stringify(c.args.blocks ?? ''));
/** Clicks, then waits until the click's work is done: a private answer, or the card updated for it. */
const answer = async (action: string, id: string, user: string) => {
  const responseId = `q-${Math.random().toString(36).slice(2)}`;
  const updates = rig.h.slack.callsOf('chat.update').length;
  expect(await rig.h.click(action, id, user, responseId)).toBe(200);
  const reply = () =>
    rig.h.slack.calls.find((c) => c.method === 'response_url' && c.responseUrlId === responseId);
  await waitFor(() => reply() ?? rig.h.slack.callsOf('chat.update').length > updates, 10_000);
  await rig.h.bot.slackSettled();
  return reply();
};

it('one approval applies nothing; the same person twice counts once; the requester never counts; the second approver applies once', async () => {
  const { reply } = await rig.h.command(`onboard ${PROD_ROLE} --for 2h quorum`);
  const id = requestIdFrom(reply);

  expect(await answer(ACTION.approve, id, APPROVER)).toBeUndefined(); // counted, nothing to say privately
  await waitFor(() =>
    cardTexts(id).some((t) => t.includes('Approvals 1 of 2') && t.includes(`<@${APPROVER}>`)),
  );
  expect(puts()).toHaveLength(0);
  expect(rig.h.iam.role(PROD_ROLE)!.inline.size).toBe(0);

  const again = await answer(ACTION.approve, id, APPROVER);
  expect(String(again?.args.text)).toMatch(
    /already approved request .*needs 2 different approvers \(1 so far\)/,
  );
  const own = await answer(ACTION.approve, id, REQUESTER);
  expect(String(own?.args.text)).toMatch(/cannot approve or deny your own request/);
  expect(puts()).toHaveLength(0);

  await answer(ACTION.approve, id, APPROVER_2);
  await waitFor(() => cardTexts(id).some((t) => t.includes('Applied and verified')), 10_000);
  expect(puts()).toHaveLength(1);
  expect(rig.h.iam.role(PROD_ROLE)!.inline.has('cases-access-onboard')).toBe(true);
  const thread = rig.h.slack
    .posted()
    .filter((m) => m.channel === SECURITY_CHANNEL && m.args.thread_ts)
    .map((m) => String(m.args.text));
  // One reply per approval (each its own event), then the one approval that completes the quorum.
  expect(thread.filter((t) => t.includes('Approval by'))).toEqual([
    expect.stringContaining(`<@${APPROVER}>`),
    expect.stringContaining(`<@${APPROVER_2}>`),
  ]);
  expect(thread.filter((t) => t.includes('Approved by'))).toHaveLength(1);
  expect(cardTexts(id).at(-1)).toContain('Approvals 2 of 2');
});

it('ten concurrent second approvals apply the plan once', async () => {
  const members = [GROUP_MEMBER, ...Array.from({ length: 9 }, (_, i) => `UQUORUM${i}`)];
  rig.h.slack.setUsergroup(APPROVER_GROUP, members);
  const id = requestIdFrom((await rig.h.command(`onboard ${PROD_ROLE} race`)).reply);
  await answer(ACTION.approve, id, APPROVER);
  const statuses = await Promise.all(members.map((user) => rig.h.click(ACTION.approve, id, user)));
  expect(statuses.every((s) => s === 200)).toBe(true);
  await waitFor(() => cardTexts(id).some((t) => t.includes('Applied and verified')), 15_000);
  await rig.h.bot.slackSettled();
  expect(puts()).toHaveLength(1);
  const approved = rig.h.slack.posted().filter((m) => String(m.args.text).includes('Approved by'));
  expect(approved).toHaveLength(1);
}, 30_000);

it('a deactivated approver counts as no one', async () => {
  rig.h.slack.setUser(APPROVER_2, { deleted: true });
  const id = requestIdFrom((await rig.h.command(`onboard ${PROD_ROLE} left the company`)).reply);
  const refused = await answer(ACTION.approve, id, APPROVER_2);
  expect(String(refused?.args.text)).toMatch(/not an approver under rule `onboarding-prod`/);
  expect(cardTexts(id).some((t) => t.includes('Approvals 1 of 2'))).toBe(false);
});

it('a Deny by any eligible approver ends the request, whatever approvals it had', async () => {
  const id = requestIdFrom((await rig.h.command(`onboard ${PROD_ROLE} deny after one`)).reply);
  await answer(ACTION.approve, id, APPROVER);
  expect(await rig.h.click(ACTION.deny, id, APPROVER_2)).toBe(200);
  const res = await rig.h.submitView(
    'cases_access_deny_modal',
    id,
    { reason_block: { reason: { value: 'not now' } } },
    APPROVER_2,
  );
  expect(res.status).toBe(200);
  await waitFor(() => cardTexts(id).some((t) => t.includes('Denied')), 10_000);
  const late = await answer(ACTION.approve, id, GROUP_MEMBER);
  expect(String(late?.args.text)).toMatch(/already denied/);
  expect(puts()).toHaveLength(0);
});
