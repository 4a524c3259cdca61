import { ACTION, DENY_MODAL, REASON_BLOCK, REASON_INPUT } from '../../../src/slack/blocks';
import {
  ACCOUNT,
  APPROVAL_CHANNEL,
  APPROVER,
  APPROVER_2,
  REQUESTER,
  requestIdFrom,
  startHarness,
} from '../../support/harness';
import type { Harness } from '../../support/harness';
import { clickHome, homeText, homesOf, lastHome, openHome } from '../../support/home';
import { waitFor } from '../../support/slack-requests';

/**
 * Deciding from Home goes through the card's checks: Approve applies once and updates the card, the thread and both
 * people's Homes; a click from someone else's Home, or naming a request its row is not bound to, is refused; Deny
 * opens the deny dialog.
 */

const ROLE = `arn:aws:iam::${ACCOUNT}:role/connect-admins`;
let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});
beforeEach(() => {
  h.slack.reset();
  h.iam.reset();
  h.iam.addRole('connect-admins');
  h.iam.addRole('connect-agents');
});

const puts = () => h.iam.callsOf('PutRolePolicy').filter((c) => c.status === 200);
const dmsTo = (user: string) =>
  h.slack
    .callsOf('chat.postMessage')
    .filter((c) => c.args.channel === user)
    .map((c) => String(c.args.text));

it('Approve from Home applies once and updates the card, the thread and both Homes', async () => {
  const id = requestIdFrom((await h.command(`onboard ${ROLE} from home`, REQUESTER)).reply);
  const approverHome = await openHome(h, APPROVER);
  await openHome(h, REQUESTER);

  expect(await clickHome(h, approverHome, ACTION.approve, id)).toBe(200);
  expect(await clickHome(h, approverHome, ACTION.approve, id)).toBe(200); // a second click changes nothing
  await waitFor(
    () =>
      h.slack.callsOf('chat.update').some((c) => /Applied and verified/.test(JSON.stringify(c.args.blocks))),
    10_000,
  );
  await h.bot.slackSettled();
  expect(puts()).toHaveLength(1);
  const card = h.cardOf(id)!;
  expect(h.slack.callsOf('chat.update').every((c) => c.args.ts === card.messageTs)).toBe(true);
  const thread = h.slack
    .callsOf('chat.postMessage')
    .filter((c) => c.args.channel === APPROVAL_CHANNEL && c.args.thread_ts === card.messageTs)
    .map((c) => String(c.args.text));
  expect(thread[0]).toContain(`Approved by <@${APPROVER}>`);
  // The second click was answered privately, in the approver's DMs (a Home click has no response_url).
  await waitFor(() => dmsTo(APPROVER).some((t) => t.includes('already approved')));

  // Both Homes are republished: the request left Waiting for you, and the requester sees it active.
  await waitFor(() => homeText(lastHome(h, APPROVER)!).includes('Active grants (1)'), 10_000);
  expect(homeText(lastHome(h, APPROVER)!)).toContain('Waiting for you (0)');
  await waitFor(() => /:white_check_mark: .*no end/.test(homeText(lastHome(h, REQUESTER)!)), 10_000);
});

it('a click from someone else’s Home, or a row bound to another request, is refused and changes nothing', async () => {
  const id = requestIdFrom((await h.command(`onboard ${ROLE} forged`, REQUESTER)).reply);
  const other = requestIdFrom((await h.command(`view connect-agents forged`, REQUESTER)).reply);
  const approverHome = await openHome(h, APPROVER);

  // APPROVER_2 clicks with APPROVER's Home (its metadata names APPROVER).
  expect(await clickHome(h, approverHome, ACTION.approve, id, { user: APPROVER_2 })).toBe(200);
  await waitFor(() => dmsTo(APPROVER_2).some((t) => t.includes('not on your Home tab')));
  // The owner sends a forged request ID in a row bound to another request.
  expect(await clickHome(h, approverHome, ACTION.approve, other, { blockId: `home.decide.${id}` })).toBe(200);
  await waitFor(() => dmsTo(APPROVER).some((t) => t.includes(`not on your Home tab for request ${other}`)));
  await h.bot.slackSettled();
  expect(puts()).toHaveLength(0);
  expect(h.slack.callsOf('chat.update')).toHaveLength(0);
});

it('Deny from Home opens the deny dialog, and its submission denies the request', async () => {
  const id = requestIdFrom((await h.command(`onboard ${ROLE} to deny`, REQUESTER)).reply);
  const approverHome = await openHome(h, APPROVER);
  expect(await clickHome(h, approverHome, ACTION.deny, id)).toBe(200);
  const opened = await waitFor(() =>
    h.slack
      .callsOf('views.open')
      .find((c) => (c.args.view as { callback_id?: string }).callback_id === DENY_MODAL),
  );
  const metadata = String((opened.args.view as { private_metadata?: string }).private_metadata);
  // Submitted by someone other than the Home's owner: refused.
  const stranger = await h.submitView(
    DENY_MODAL,
    metadata,
    { [REASON_BLOCK]: { [REASON_INPUT]: { type: 'plain_text_input', value: 'no' } } },
    APPROVER_2,
  );
  expect(JSON.stringify(stranger.json)).toContain('not on your Home tab');
  const res = await h.submitView(
    DENY_MODAL,
    metadata,
    { [REASON_BLOCK]: { [REASON_INPUT]: { type: 'plain_text_input', value: 'not needed' } } },
    APPROVER,
  );
  expect(res.status).toBe(200);
  await waitFor(
    () => h.slack.callsOf('chat.update').some((c) => /Denied/.test(JSON.stringify(c.args.blocks))),
    10_000,
  );
  // Republished without it (other tests' requests may still wait).
  await waitFor(
    () => homesOf(h, APPROVER).length > 1 && !homeText(lastHome(h, APPROVER)!).includes(id),
    10_000,
  );
});
