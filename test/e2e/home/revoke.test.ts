import { ACTION, REASON_BLOCK, REASON_INPUT, REVOKE_MODAL } from '../../../src/slack/blocks';
import { ACCOUNT, APPROVER, REQUESTER, requestIdFrom, startHarness } from '../../support/harness';
import type { Harness } from '../../support/harness';
import { clickHome, homeText, lastHome, openHome } from '../../support/home';
import type { PublishedHome } from '../../support/home';
import { waitFor } from '../../support/slack-requests';

/** Revoke from Home (the requester's own grant, or an approver's Active grants): the card's revocation dialog. */

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

/** The card's fallback text ends with the request's state. */
const cardSays = (text: unknown, id: string, state: string) =>
  String(text).includes(id) && String(text).endsWith(`— ${state}`);

async function granted(text: string): Promise<string> {
  const id = requestIdFrom((await h.command(text, REQUESTER)).reply);
  expect(await h.click(ACTION.approve, id, APPROVER)).toBe(200);
  await waitFor(
    () => h.slack.callsOf('chat.update').some((c) => cardSays(c.args.text, id, 'applied')),
    10_000,
  );
  return id;
}

async function revokeFrom(home: PublishedHome, id: string): Promise<void> {
  const opened = h.slack.callsOf('views.open').length;
  expect(await clickHome(h, home, ACTION.revoke, id)).toBe(200);
  const dialog = await waitFor(() =>
    h.slack
      .callsOf('views.open')
      .slice(opened)
      .find((c) => (c.args.view as { callback_id?: string }).callback_id === REVOKE_MODAL),
  );
  const res = await h.submitView(
    REVOKE_MODAL,
    String((dialog.args.view as { private_metadata?: string }).private_metadata),
    { [REASON_BLOCK]: { [REASON_INPUT]: { type: 'plain_text_input', value: 'done with it' } } },
    home.user,
  );
  expect(res.status).toBe(200);
  await waitFor(
    () => h.slack.callsOf('chat.update').some((c) => cardSays(c.args.text, id, 'revoked')),
    10_000,
  );
}

it('the requester revokes their own grant from Home, and an approver one from Active grants', async () => {
  const own = await granted(`onboard ${ROLE} --for 2h mine`);
  const other = await granted(`view connect-agents --for 1h theirs`);
  await h.bot.slackSettled();

  const requesterHome = await openHome(h, REQUESTER);
  await revokeFrom(requesterHome, own);
  expect(h.iam.role(ROLE)!.inline.size).toBe(0);
  await waitFor(() => /revoked/.test(homeText(lastHome(h, REQUESTER)!)), 10_000);

  const approverHome = await openHome(h, APPROVER);
  // Soonest to end first: the 1 h grant is listed, the revoked one is not.
  expect(homeText(approverHome)).toContain('Active grants (1)');
  await revokeFrom(approverHome, other);
  expect(h.iam.role(`arn:aws:iam::${ACCOUNT}:role/connect-agents`)!.inline.size).toBe(0);
  await waitFor(() => homeText(lastHome(h, APPROVER)!).includes('Active grants (0)'), 10_000);
});
