import { ACTION, HOME_ACTION } from '../../../src/slack/blocks';
import { ACCOUNT, APPROVER, OUTSIDER, REQUESTER, requestIdFrom, startHarness } from '../../support/harness';
import type { Harness } from '../../support/harness';
import { clickHome, homeButtons, homeText, openHome } from '../../support/home';
import { waitFor } from '../../support/slack-requests';

/** Opening Home as an approver, a requester and a stranger: each sees exactly what they may. */

const ROLE = `arn:aws:iam::${ACCOUNT}:role/connect-admins`;
let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  h.iam.addRole('connect-admins');
  h.iam.addRole('connect-agents');
});
afterAll(async () => {
  await h.close();
});

it('an approver sees what waits for them and the grants; a requester their own requests; a stranger only New request', async () => {
  const pending = requestIdFrom((await h.command(`onboard ${ROLE} for the pilot`, REQUESTER)).reply);
  const granted = requestIdFrom((await h.command(`view connect-agents --for 2h`, REQUESTER)).reply);
  expect(await h.click(ACTION.approve, granted, APPROVER)).toBe(200);
  await waitFor(
    () =>
      h.slack
        .callsOf('chat.update')
        .some((c) => String(c.args.text).includes(granted) && String(c.args.text).endsWith('applied')),
    10_000,
  );

  const approver = await openHome(h, APPROVER);
  const approverText = homeText(approver);
  expect(approverText).toContain('Waiting for you (1)');
  expect(approverText).toContain(pending);
  expect(approverText).toContain(`by <@${REQUESTER}>`);
  expect(approverText).toMatch(/Active grants \(1\)/);
  expect(approverText).toMatch(/left/);
  expect(homeButtons(approver)).toEqual(
    expect.arrayContaining([
      { action: HOME_ACTION.newRequest, value: 'new', blockId: 'home.new' },
      { action: ACTION.approve, value: pending, blockId: `home.decide.${pending}` },
      { action: ACTION.deny, value: pending, blockId: `home.decide.${pending}` },
      { action: ACTION.viewPolicy, value: pending, blockId: `home.decide.${pending}` },
      { action: ACTION.revoke, value: granted, blockId: `home.grant.${granted}` },
    ]),
  );
  expect(approver.view.type).toBe('home');
  expect(JSON.parse(approver.view.private_metadata ?? '')).toMatchObject({ u: APPROVER });

  const requester = await openHome(h, REQUESTER);
  const requesterText = homeText(requester);
  expect(requesterText).not.toContain('Waiting for you');
  expect(requesterText).not.toContain('Active grants');
  expect(requesterText).toContain(pending);
  expect(requesterText).toContain(granted);
  // Each own request links to its card (its thread) through the card's permalink.
  expect(requesterText).toMatch(new RegExp(`<https://fake\\.slack\\.test/archives/[^|]+\\|${pending}>`));
  expect(homeButtons(requester).map((b) => [b.action, b.value])).toEqual([
    [HOME_ACTION.newRequest, 'new'],
    [ACTION.revoke, granted],
  ]);

  const stranger = await openHome(h, OUTSIDER);
  const strangerText = homeText(stranger);
  expect(strangerText).not.toContain(pending);
  expect(strangerText).not.toContain(granted);
  expect(strangerText).toContain('no requests yet');
  expect(homeButtons(stranger).map((b) => b.action)).toEqual([HOME_ACTION.newRequest]);
});

it('New request opens the request dialog', async () => {
  const home = await openHome(h, OUTSIDER);
  const opened = h.slack.callsOf('views.open').length;
  expect(await clickHome(h, home, HOME_ACTION.newRequest, 'new')).toBe(200);
  const view = await waitFor(() => h.slack.callsOf('views.open')[opened]);
  expect((view.args.view as { callback_id?: string }).callback_id).toBe('cases_access_request_modal');
});
