import { DENY_MODAL, REASON_BLOCK, REASON_INPUT } from '../../../src/slack/blocks';
import { ACCOUNT, APPROVER, APPROVER_2, requestIdFrom, startHarness } from '../../support/harness';
import type { Harness } from '../../support/harness';
import { homeText, homesOf, lastHome, openHome } from '../../support/home';
import { waitFor } from '../../support/slack-requests';

/**
 * A burst of 50 state changes (50 requests denied at once) republishes each affected Home a bounded number of
 * times: changes mark Homes dirty, and a flush at most every 1.5 s publishes each dirty Home once.
 */

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  h.iam.addRole('connect-admins');
});
afterAll(async () => {
  await h.close();
});

const requesters = Array.from({ length: 50 }, (_, i) => `UBURST${String(i).padStart(3, '0')}`);

it('50 denials at once publish each concerned Home a bounded number of times', async () => {
  const ids: string[] = [];
  for (const user of requesters)
    ids.push(
      requestIdFrom((await h.command(`onboard arn:aws:iam::${ACCOUNT}:role/connect-admins`, user)).reply),
    );
  for (const user of [APPROVER, APPROVER_2, ...requesters]) await openHome(h, user);
  // Let any republishing from the requests' own cards pass before counting.
  await new Promise((r) => setTimeout(r, 2_000));
  const before = new Map([APPROVER, APPROVER_2, ...requesters].map((u) => [u, homesOf(h, u).length]));

  const started = Date.now();
  await Promise.all(
    ids.map((id) =>
      h.submitView(
        DENY_MODAL,
        id,
        { [REASON_BLOCK]: { [REASON_INPUT]: { type: 'plain_text_input', value: 'burst' } } },
        APPROVER,
      ),
    ),
  );
  await h.bot.slackSettled();
  // Every Home ends current: each requester sees their request denied, the approvers nothing waiting.
  await waitFor(
    () =>
      requesters.every((u) => /denied/.test(homeText(lastHome(h, u)!))) &&
      [APPROVER, APPROVER_2].every((u) => homeText(lastHome(h, u)!).includes('Waiting for you (0)')),
    20_000,
  );
  const seconds = (Date.now() - started) / 1000;
  const published = (u: string) => homesOf(h, u).length - before.get(u)!;

  // At most one publish per flush interval (1.5 s) while the burst lasts, and one after.
  const bound = Math.ceil(seconds / 1.5) + 1;
  for (const u of [APPROVER, APPROVER_2]) {
    expect(published(u)).toBeGreaterThanOrEqual(1);
    expect(published(u)).toBeLessThanOrEqual(bound);
  }
  for (const u of requesters) {
    expect(published(u)).toBeGreaterThanOrEqual(1);
    expect(published(u)).toBeLessThanOrEqual(2);
  }
  process.stdout.write(
    `burst of 50 over ${seconds.toFixed(1)} s: approvers' Homes published ${published(APPROVER)} and ${published(APPROVER_2)} times; requesters' at most ${Math.max(...requesters.map(published))}; views.publish in all ${h.slack.callsOf('views.publish').length - [...before.values()].reduce((a, b) => a + b, 0)}\n`,
  );
}, 120_000);
