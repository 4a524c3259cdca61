import { ACTION, HOME_ACTION } from '../../src/slack/blocks';
import { APPROVER, startHarness, waitFor } from '../support/harness';
import type { Harness } from '../support/harness';

/**
 * A click whose action_id the bot has no listener for (a button from an older version of the card, another app's)
 * is acknowledged at once, so Slack shows no error, and logged at warn with its action_id only; the bot's own
 * buttons are not caught by it (nothing is acknowledged twice).
 */

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

const entries = (from: number) => h.logLines.slice(from).map((l) => JSON.parse(l) as Record<string, unknown>);

it('an unknown action_id is acked 200 at once and logged at warn with its action_id, never its payload', async () => {
  const from = h.logLines.length;
  h.slack.reset();
  const started = Date.now();
  const value = 'CA-0000000000-payload-marker';
  expect(await h.click('cases_access_extend_v1', value, APPROVER)).toBe(200);
  expect(Date.now() - started).toBeLessThan(2_000);
  const logged = entries(from);
  const warned = logged.filter((e) => e.level === 'warn' && String(e.message).includes('does not know'));
  expect(warned).toEqual([expect.objectContaining({ actionId: 'cases_access_extend_v1', user: APPROVER })]);
  expect(JSON.stringify(warned)).not.toContain(value);
  expect(logged.filter((e) => e.level === 'error')).toEqual([]);
  // Nothing answered the user or changed anything.
  expect(h.slack.calls).toEqual([]);
}, 10_000);

it.each([...Object.entries(ACTION), ...Object.entries(HOME_ACTION)])(
  'the bot’s own %s button (%s) is not caught by the fallback',
  async (_name, id) => {
    const from = h.logLines.length;
    h.slack.reset();
    // A request that does not exist: each listener answers it its own way, and acks once.
    expect(await h.click(id, 'CA-0000000000', APPROVER)).toBe(200);
    // The listener answers after its ack (a refusal, a dialog): let it finish, so nothing is still calling Slack
    // when the fakes close (Bolt's client would retry a closed Slack for half an hour and hold jest open).
    await waitFor(() => h.slack.calls.length > 0, 3_000).catch(() => undefined);
    await h.bot.slackSettled();
    const logged = entries(from);
    expect(logged.filter((e) => String(e.message).includes('does not know'))).toEqual([]);
    expect(logged.filter((e) => e.level === 'error')).toEqual([]);
  },
);
