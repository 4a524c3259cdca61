import { ACCOUNT, APPROVER, REQUESTER, requestIdFrom, startHarness } from '../../support/harness';
import type { Harness } from '../../support/harness';
import { homeText, lastHome, openHome } from '../../support/home';
import { waitFor } from '../../support/slack-requests';

/** A views.publish answered 429 is published again after Slack's Retry-After, once, and the request went on. */

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  h.iam.addRole('connect-admins');
});
afterAll(async () => {
  await h.close();
});

it('waits out a 429 and publishes the Home once Slack allows', async () => {
  await openHome(h, APPROVER);
  h.slack.queueRateLimit('views.publish', 1);
  const id = requestIdFrom(
    (await h.command(`onboard arn:aws:iam::${ACCOUNT}:role/connect-admins`, REQUESTER)).reply,
  );
  expect(h.cardOf(id)).toBeDefined(); // the card went out whatever the Home's fate

  await waitFor(() => homeText(lastHome(h, APPROVER)!).includes(id), 10_000);
  const calls = h.slack.callsOf('views.publish').filter((c) => c.args.user_id === APPROVER);
  const limited = calls.findIndex((c) => c.error === 'ratelimited');
  expect(limited).toBeGreaterThan(0);
  // The next publish came after the Retry-After second, and only one.
  expect(calls.slice(limited + 1)).toHaveLength(1);
  expect(calls[limited + 1]!.at - calls[limited]!.at).toBeGreaterThanOrEqual(1_000);
});
