import { REQUESTER, waitFor } from '../support/harness';
import { FULL_ACCESS, ONBOARD_POLICY, ROLE, startRig } from '../support/integrity-rig';
import type { Rig } from '../support/integrity-rig';
import { MINUTE } from '../support/test-clock';
import { ACTION } from '../../src/slack/blocks';

/**
 * A write that hangs past its lease (a stuck socket, a paused process) must not come back to haunt a grant that
 * was since finished and revoked: the owner that took over has a newer lease generation, the stale worker finds it
 * lost the request when its write returns, undoes exactly what it wrote if the grant was revoked meanwhile, and
 * stops without telling anyone the grant is applied.
 */

let rig: Rig;
beforeEach(async () => {
  rig = await startRig();
});
afterEach(async () => {
  await rig.close();
});

/** Approves with the first `action` held in IAM, lets the lease run out and has the scheduler finish the apply. */
async function approveHeldThenResume(id: string, action: string): Promise<{ release(): void }> {
  const held = rig.h.iam.hold(action);
  expect(await rig.h.click(ACTION.approve, id, 'UAPPROVER1')).toBe(200);
  await held.reached;
  rig.clock.advance(3 * MINUTE); // past APPLY_LEASE (2 minutes)
  await rig.h.tick();
  await rig.cardReaches(id, 'applied');
  return held;
}

it('the issue’s scenario: a held PutRolePolicy lands after takeover, apply and revoke; it is undone and the thread says so', async () => {
  const id = await rig.ask(`onboard ${ROLE} --for 8h late write`);
  const held = await approveHeldThenResume(id, 'PutRolePolicy');
  const resumed = await rig.get(id);
  expect(resumed.leaseGeneration).toBe(2);

  const revoke = await rig.h.command(`revoke ${id} done`, REQUESTER);
  expect(revoke.reply).toMatch(/Revoked/);
  expect(rig.h.iam.role(ROLE)!.inline.has(ONBOARD_POLICY)).toBe(false);
  const cardUpdatesBefore = rig.h.slack.callsOf('chat.update').length;

  held.release();
  await waitFor(async () => (await rig.events(id)).includes('fenced'));
  // IAM did carry out the late write, under the first owner's generation …
  const puts = rig.h.iam.callsOf('PutRolePolicy');
  expect(puts.map((c) => [c.status, c.fence])).toEqual([
    [200, `${id}/1`],
    [200, `${id}/2`],
  ]);
  // … and it was undone and verified: the role holds nothing of the grant.
  expect(rig.h.iam.role(ROLE)!.inline.has(ONBOARD_POLICY)).toBe(false);
  const events = await rig.events(id);
  expect(events.slice(events.indexOf('revoked'))).toEqual(
    expect.arrayContaining(['iam_call', 'verified', 'late_write_undone', 'fenced']),
  );
  await waitFor(async () =>
    (await rig.thread(id)).some((t) => t.includes('landed after the request was revoked')),
  );
  // The request stays revoked; the card is not turned back; the requester is not told it is applied again.
  expect((await rig.get(id)).state).toBe('revoked');
  const laterCards = rig.h.slack.callsOf('chat.update').slice(cardUpdatesBefore);
  expect(laterCards.filter((c) => !String(c.args.text).endsWith('— revoked'))).toEqual([]);
  const applied = rig.h.slack
    .posted()
    .filter((m) => m.args.channel === REQUESTER && /is applied/.test(String(m.args.text)));
  expect(applied).toHaveLength(1);
  // Revoking again is harmless and truthful.
  expect((await rig.h.command(`revoke ${id} again`, REQUESTER)).reply).toMatch(/already revoked/);
  expect(rig.h.logLines.some((l) => l.includes('landed after its request moved on'))).toBe(true);
});

it('a held AttachRolePolicy that lands after revocation is detached again', async () => {
  const id = await rig.ask(`onboard ${ROLE} --managed late attach`);
  const held = await approveHeldThenResume(id, 'AttachRolePolicy');
  expect((await rig.h.command(`revoke ${id} done`, REQUESTER)).reply).toMatch(/Revoked/);
  expect(rig.h.iam.role(ROLE)!.attached).toEqual([]);

  held.release();
  await waitFor(async () => (await rig.events(id)).includes('fenced'));
  expect(rig.h.iam.callsOf('AttachRolePolicy').filter((c) => c.status === 200)).toHaveLength(2);
  expect(rig.h.iam.role(ROLE)!.attached).toEqual([]);
  expect(rig.h.iam.callsOf('DetachRolePolicy').filter((c) => c.status === 200)).toHaveLength(2);
  expect((await rig.get(id)).state).toBe('revoked');
  await waitFor(async () =>
    (await rig.thread(id)).some(
      (t) => t.includes(`AttachRolePolicy of ${FULL_ACCESS}`) && t.includes('undone'),
    ),
  );
});

it('a stale worker whose request another owner finished stops: no undo of the approved grant, no second "applied"', async () => {
  const id = await rig.ask(`onboard ${ROLE} stale worker`);
  const held = await approveHeldThenResume(id, 'PutRolePolicy');
  held.release();
  await waitFor(async () => (await rig.events(id)).includes('fenced'));
  // The grant the approver approved stays on the role and applied.
  expect(rig.h.iam.role(ROLE)!.inline.has(ONBOARD_POLICY)).toBe(true);
  expect((await rig.get(id)).state).toBe('applied');
  expect(rig.h.iam.callsOf('DeleteRolePolicy')).toHaveLength(0);
  expect(await rig.events(id)).not.toContain('late_write_undone');
  await waitFor(async () => (await rig.thread(id)).some((t) => t.includes('no longer owned this request')));
  expect(
    rig.h.slack
      .posted()
      .filter((m) => m.args.channel === REQUESTER && /is applied/.test(String(m.args.text))),
  ).toHaveLength(1);
});

it('a worker whose lease was taken over stops before its next write (fencing), and records that it stopped', async () => {
  // Option 2: the stale worker's next write would be AttachRolePolicy; the new owner finishes first.
  const id = await rig.ask(`onboard ${ROLE} --managed fenced before write`);
  const held = rig.h.iam.hold('GetPolicy');
  expect(await rig.h.click(ACTION.approve, id, 'UAPPROVER1')).toBe(200);
  await held.reached;
  rig.clock.advance(3 * MINUTE);
  await rig.h.tick();
  await rig.cardReaches(id, 'applied');
  held.release();
  await waitFor(async () => (await rig.events(id)).includes('fenced'));
  // Only the new owner wrote.
  expect(rig.writes().map((w) => w.fence)).toEqual([`${id}/2`, `${id}/2`]);
  expect((await rig.get(id)).state).toBe('applied');
});
