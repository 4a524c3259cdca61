import { APPROVER, waitFor } from '../support/harness';
import { approveTo, ONBOARD_POLICY, ROLE, startRig } from '../support/integrity-rig';
import type { Rig } from '../support/integrity-rig';
import { HOUR, MINUTE } from '../support/test-clock';

/**
 * Slack never delays IAM: due grants leave the role while Slack answers 429, and their thread catches up afterwards,
 * in order. A revocation that keeps failing backs off (doubling, capped), says so on the card, and calls the
 * approvers on its first failure and every few attempts after, instead of filling the thread.
 */

const AGENTS = ROLE.replace('connect-admins', 'connect-agents');

let rig: Rig;
beforeEach(async () => {
  rig = await startRig();
});
afterEach(async () => {
  await rig.close();
});

it('two due grants leave IAM at once while chat.postMessage answers 429; the threads get every step afterwards, in order', async () => {
  const first = await rig.ask(`onboard ${ROLE} --for 1h first`);
  const second = await rig.ask(`view ${AGENTS} --for 1h second`);
  await approveTo(rig, first, 'applied');
  await approveTo(rig, second, 'applied');
  await rig.h.bot.slackSettled();

  for (let i = 0; i < 4; i++) rig.h.slack.queueRateLimit('chat.postMessage', 2);
  rig.clock.advance(HOUR + MINUTE);
  const started = Date.now();
  await rig.h.bot.runScheduledWork();
  const took = Date.now() - started;
  // Both policies are gone while Slack is still refusing (its four 429s ask for 8 s in all).
  expect(rig.h.iam.role(ROLE)!.inline.has(ONBOARD_POLICY)).toBe(false);
  expect(rig.h.iam.role(AGENTS)!.inline.has('cases-access-view')).toBe(false);
  expect(took).toBeLessThan(4_000);
  expect((await rig.get(first)).state).toBe('revoked');
  expect((await rig.get(second)).state).toBe('revoked');

  // Slack catches up: each thread holds revoking → the IAM call → revoked, in that order.
  await rig.h.bot.slackSettled();
  expect(rig.h.slack.calls.filter((c) => c.error === 'ratelimited')).toHaveLength(4);
  for (const id of [first, second]) {
    const thread = await rig.thread(id);
    const revoking = thread.findIndex((t) => t.includes('Revoking (automatic)'));
    const call = thread.findIndex((t) => t.includes('DeleteRolePolicy'));
    const revoked = thread.findIndex((t) => t.includes('Revoked and verified'));
    expect(revoking).toBeGreaterThanOrEqual(0);
    expect(call).toBeGreaterThan(revoking);
    expect(revoked).toBeGreaterThan(call);
  }
}, 30_000);

it('a revocation that keeps failing backs off 5, 10, 20, 40, 60, 60 minutes; the card says since when; approvers are called twice in six attempts', async () => {
  const id = await rig.ask(`onboard ${ROLE} --for 1h stuck`);
  await approveTo(rig, id, 'applied');
  rig.h.iam.queueFault('DeleteRolePolicy', { code: 'AccessDenied', message: 'an SCP says no' }, 20);
  rig.clock.advance(HOUR + MINUTE);
  const failingSince = rig.clock.now();

  const waits: number[] = [];
  for (let attempt = 1; attempt <= 6; attempt++) {
    await rig.h.tick();
    const request = await rig.get(id);
    expect(request.revokeFailures).toBe(attempt);
    expect(request.revokeFailingSince).toEqual(failingSince);
    const wait = request.nextRevokeAttemptAt!.getTime() - rig.clock.now().getTime();
    waits.push(wait / MINUTE);
    // Nothing happens before the next attempt is due.
    rig.clock.advance(wait - MINUTE);
    await rig.h.tick();
    expect((await rig.get(id)).revokeFailures).toBe(attempt);
    rig.clock.advance(MINUTE);
  }
  expect(waits).toEqual([5, 10, 20, 40, 60, 60]);
  expect(rig.h.iam.callsOf('DeleteRolePolicy')).toHaveLength(6);
  expect((await rig.get(id)).state).toBe('applied');
  expect(rig.h.iam.role(ROLE)!.inline.has(ONBOARD_POLICY)).toBe(true);

  const thread = await rig.thread(id);
  expect(thread.filter((t) => t.includes(':x: Revocation failed'))).toHaveLength(6);
  const calls = thread.filter((t) => t.includes(`<@${APPROVER}>`) && t.includes('revocation failing since'));
  expect(calls).toHaveLength(2);
  expect(calls[0]).toContain('(1 attempt)');
  expect(calls[1]).toContain('(6 attempts)');
  const card = JSON.stringify(rig.h.slack.callsOf('chat.update').at(-1)!.args.blocks);
  expect(card).toContain('Revocation failing since');
  expect(card).toContain('6 attempts');

  // Once IAM lets it, the next attempt removes the grant and the warning goes with it.
  rig.h.iam.reset();
  rig.h.iam.addRole('connect-admins');
  rig.clock.advance(HOUR);
  await rig.h.tick();
  await waitFor(async () => (await rig.get(id)).state === 'revoked');
  expect(JSON.stringify(rig.h.slack.callsOf('chat.update').at(-1)!.args.blocks)).not.toContain(
    'Revocation failing since',
  );
}, 30_000);
