import { ACTION } from '../../src/slack/blocks';
import { APPROVER, REQUESTER, waitFor } from '../support/harness';
import { approveTo, FULL_ACCESS, ONBOARD_POLICY, startRig } from '../support/integrity-rig';
import type { Rig } from '../support/integrity-rig';

/**
 * IAM is eventually consistent: a write may not be visible at once to GetRolePolicy, ListRolePolicies or
 * ListAttachedRolePolicies. The emulator makes reads of a role lag its writes (setReadLag) or never catch up
 * (setNeverConsistent). The applier and the revocation read back what they wrote and retry with pauses (the test
 * clock's sleep returns at once and records each pause), so a lag ends verified; a role that never catches up ends
 * VerificationFailed with a thread message that says so, and nothing else is written. The last group is about a step
 * that reads the role before writing while reads still lag: Retry puts the same document again (harmless), and
 * revoking a failed grant leaves its policy on the role (a bug in src, reported; pinned below as it behaves today).
 */

let rig: Rig;
beforeAll(async () => {
  rig = await startRig();
});
afterAll(async () => {
  await rig.close();
});
beforeEach(() => {
  rig.h.slack.reset();
  rig.h.iam.calls.length = 0;
  rig.h.iam.setReadLag(undefined);
  rig.clock.sleeps.length = 0;
});

let roleCounter = 0;
/** A role of its own per test: no grant of another test (the database is shared) is on it. */
function freshRole(): string {
  return rig.h.iam.addRole(`connect-lagging-${++roleCounter}`);
}
const nameOf = (role: string): string => role.slice(role.lastIndexOf('/') + 1);
const inlineOf = (role: string) => rig.h.iam.role(role)!.inline;
const attachedOf = (role: string) => rig.h.iam.role(role)!.attached;

/** The calls of `action` on `role` since the last clear, as [stale?] flags. */
function reads(action: string, role: string): boolean[] {
  return rig.h.iam
    .callsOf(action)
    .filter((c) => c.params.RoleName === nameOf(role))
    .map((c) => c.stale === true);
}

async function threadSays(id: string, text: string): Promise<string> {
  return waitFor(async () => (await rig.thread(id)).find((t) => t.includes(text)));
}

/** Asks for a grant and clears the calls its request-time check made, so only the apply's calls are counted. */
async function ask(text: string): Promise<string> {
  const id = await rig.ask(text);
  rig.h.iam.calls.length = 0;
  rig.clock.sleeps.length = 0;
  return id;
}

/** Applies a grant with reads consistent, then clears calls and pauses. */
async function applied(role: string, managed = false): Promise<string> {
  const id = await ask(`onboard ${role}${managed ? ' --managed' : ''} to revoke later`);
  await approveTo(rig, id, 'applied');
  rig.h.iam.calls.length = 0;
  rig.clock.sleeps.length = 0;
  return id;
}

async function revokeFailedEvent(id: string): Promise<Record<string, unknown> | undefined> {
  return (await rig.store.listEvents(id)).filter((e) => e.type === 'revoke_failed').at(-1)?.details;
}

describe('reads that lag writes: the read-back retries and succeeds', () => {
  it('Option 1, reads lagging 2: applied and verified after the read-back retried; one PutRolePolicy, no pause without lag', async () => {
    // Without lag, for comparison: one read before the write, one read back, no pause.
    const baselineRole = freshRole();
    const baseline = await ask(`onboard ${baselineRole} consistent`);
    await approveTo(rig, baseline, 'applied');
    const baselineGets = reads('GetRolePolicy', baselineRole);
    expect(baselineGets).toEqual([false, false]);
    expect(rig.clock.sleeps).toEqual([]);

    const role = freshRole();
    const id = await ask(`onboard ${role} lagging`);
    rig.h.iam.setReadLag({ reads: 2 });
    await approveTo(rig, id, 'applied');

    // Before the write the role was read as it was (nothing pending); after it, two stale read-backs, then the
    // document.
    const gets = reads('GetRolePolicy', role);
    expect(gets).toEqual([false, true, true, false]);
    expect(gets.length).toBeGreaterThan(baselineGets.length);
    // Two pauses between three read-back attempts, the second twice the first.
    expect(rig.clock.sleeps).toHaveLength(2);
    expect(rig.clock.sleeps[1]).toBe(2 * rig.clock.sleeps[0]!);
    // Written once: the retries are reads, not writes.
    expect(rig.writes().map((w) => [w.action, w.role, w.name])).toEqual([
      ['PutRolePolicy', nameOf(role), ONBOARD_POLICY],
    ]);
    expect(inlineOf(role).has(ONBOARD_POLICY)).toBe(true);
    const request = await rig.get(id);
    expect(request.state).toBe('applied');
    expect(request.failure).toBeUndefined();
    expect(await rig.events(id)).toEqual(expect.arrayContaining(['verified', 'applied']));
    const verified = await threadSays(id, 'Verified by reading back');
    expect(verified).toContain(`\`${ONBOARD_POLICY}\` on the role matches the approved document`);
    expect((await rig.thread(id)).join('\n')).not.toMatch(/VerificationFailed|Failed/);
  });

  it('Option 2 (--managed), reads lagging 2: the inline policy and the managed policy are each written once, then verified', async () => {
    const role = freshRole();
    const id = await ask(`onboard ${role} --managed lagging`);
    rig.h.iam.setReadLag({ reads: 2 });
    await approveTo(rig, id, 'applied');

    expect(rig.writes().map((w) => [w.action, w.name])).toEqual([
      ['PutRolePolicy', ONBOARD_POLICY],
      ['AttachRolePolicy', FULL_ACCESS],
    ]);
    // The put and the attach lag one after the other: the read-back saw neither twice, then both.
    expect(reads('GetRolePolicy', role).filter((stale) => stale)).toHaveLength(2);
    expect(reads('ListAttachedRolePolicies', role).at(-1)).toBe(false);
    expect(rig.clock.sleeps.length).toBeGreaterThan(0);
    expect(inlineOf(role).has(ONBOARD_POLICY)).toBe(true);
    expect(attachedOf(role)).toEqual([FULL_ACCESS]);
    const request = await rig.get(id);
    expect(request.state).toBe('applied');
    expect(request.attachedManagedArns).toEqual([FULL_ACCESS]);
    const verified = await threadSays(id, 'Verified by reading back');
    expect(verified).toContain(`attached \`${FULL_ACCESS}\``);
  });

  it('a revocation with reads lagging 2: DeleteRolePolicy and DetachRolePolicy once each, revoked after the read-back retried', async () => {
    const role = freshRole();
    const id = await applied(role, true);
    rig.h.iam.setReadLag({ reads: 2 });
    const { reply } = await rig.h.command(`revoke ${id} done`, REQUESTER);
    expect(reply).toContain(`Revoked ${id}`);

    expect(rig.writes().map((w) => [w.action, w.name])).toEqual([
      ['DeleteRolePolicy', ONBOARD_POLICY],
      ['DetachRolePolicy', FULL_ACCESS],
    ]);
    // Right after the writes, reads still showed the policy on the role: twice, then not.
    expect(reads('GetRolePolicy', role)).toEqual([true, true, false]);
    expect(rig.clock.sleeps).toHaveLength(2);
    expect(inlineOf(role).size).toBe(0);
    expect(attachedOf(role)).toEqual([]);
    const request = await rig.get(id);
    expect(request.state).toBe('revoked');
    expect(await rig.events(id)).toEqual(expect.arrayContaining(['verified', 'revoked']));
    await rig.cardReaches(id, 'revoked');
    const revoked = await threadSays(id, 'Revoked and verified by reading back');
    expect(revoked).toContain(`removed \`${ONBOARD_POLICY}\`, \`${FULL_ACCESS}\``);
  });
});

describe('a role whose reads never catch up', () => {
  it('Approve: the read-back gives up after its attempts; failed VerificationFailed, the thread says so, nothing else written', async () => {
    const role = freshRole();
    const id = await ask(`onboard ${role} never consistent`);
    rig.h.iam.setNeverConsistent(role);
    await approveTo(rig, id, 'failed');

    const request = await rig.get(id);
    expect(request.state).toBe('failed');
    expect(request.failure).toMatchObject({
      code: 'VerificationFailed',
      message: `read-back after 5 attempts: the inline policy ${ONBOARD_POLICY} is not on the role`,
    });
    // Five read-back attempts, four pauses, each twice the one before.
    expect(rig.clock.sleeps).toHaveLength(4);
    expect(rig.clock.sleeps.map((ms, i) => ms / rig.clock.sleeps[0]! / 2 ** i)).toEqual([1, 1, 1, 1]);
    // The one write IAM accepted, and nothing after it (no second put, no removal).
    expect(rig.writes().map((w) => [w.action, w.name])).toEqual([['PutRolePolicy', ONBOARD_POLICY]]);
    expect(inlineOf(role).has(ONBOARD_POLICY)).toBe(true); // IAM has it; reads never showed it
    expect(await rig.events(id)).not.toContain('verified');

    const failed = await threadSays(id, 'VerificationFailed');
    expect(failed).toContain(
      `Failed: \`VerificationFailed\` read-back after 5 attempts: the inline policy ${ONBOARD_POLICY} is not on the role`,
    );
    expect(failed).toContain('Nothing further was written');
    // What the bot reports as on the role is what IAM's reads show, not what IAM accepted: the put it journalled
    // (AWS request ID in the thread) is on the role. Reported; src/access/applier.ts (describeRole) not changed here.
    expect(failed).toContain(`On the role now: no inline policy ${ONBOARD_POLICY}`);
    expect(await threadSays(id, '`PutRolePolicy`')).toMatch(/AWS request ID `[0-9a-f-]{36}`/);
    expect((await rig.thread(id)).join('\n')).not.toMatch(/Verified by reading back/);
    expect(
      rig.h.logLines.some(
        (l) => l.includes('"level":"error"') && l.includes(id) && l.includes('VerificationFailed'),
      ),
    ).toBe(true);
    // The requester is not told anything was applied.
    expect(
      rig.h.slack
        .posted()
        .some(
          (m) =>
            m.channel !== 'CAPPROVALS' &&
            String(m.args.text).includes(id) &&
            /is applied/.test(String(m.args.text)),
        ),
    ).toBe(false);
  });

  it('Revoke: the removal gives up after its attempts; VerificationFailed, the grant stays applied, the thread says so', async () => {
    const role = freshRole();
    const id = await applied(role);
    rig.h.iam.setNeverConsistent(role);
    const { reply } = await rig.h.command(`revoke ${id} done`, REQUESTER);
    expect(reply).toContain(
      `The revocation failed: VerificationFailed: read-back after 5 attempts: ${ONBOARD_POLICY} is still on the role. The grant may still be in place.`,
    );

    expect(rig.writes().map((w) => [w.action, w.name])).toEqual([['DeleteRolePolicy', ONBOARD_POLICY]]);
    expect(rig.clock.sleeps).toHaveLength(4);
    expect(inlineOf(role).has(ONBOARD_POLICY)).toBe(false); // IAM deleted it; reads never showed that
    const request = await rig.get(id);
    expect(request.state).toBe('applied');
    expect(await revokeFailedEvent(id)).toMatchObject({ code: 'VerificationFailed' });
    expect(await rig.events(id)).not.toContain('revoked');

    const failed = await threadSays(id, 'Revocation failed');
    expect(failed).toContain(
      `Revocation failed: \`VerificationFailed\` read-back after 5 attempts: ${ONBOARD_POLICY} is still on the role`,
    );
    // Not said as a certainty: IAM accepted the delete (its AWS request ID is in the thread); only reads lag.
    expect(failed).toContain('The grant may still be in place.');
    expect(await threadSays(id, '`DeleteRolePolicy`')).toMatch(/AWS request ID `[0-9a-f-]{36}`/);
    expect((await rig.thread(id)).join('\n')).not.toMatch(/Revoked and verified/);

    // Once reads catch up, revoking again finds the policy gone and verifies.
    rig.h.iam.setNeverConsistent(role, false);
    rig.h.iam.calls.length = 0;
    expect((await rig.h.command(`revoke ${id} again`, REQUESTER)).reply).toContain(`Revoked ${id}`);
    expect(rig.h.iam.callsOf('DeleteRolePolicy').map((c) => c.status)).toEqual([404]);
    expect((await rig.get(id)).state).toBe('revoked');
  });
});

describe('reads that still lag when the next step reads the role first', () => {
  it('Retry after VerificationFailed, while the first put still lags: the same document is put again (IAM takes it as a no-op), then verified', async () => {
    const role = freshRole();
    const id = await ask(`onboard ${role} retried while lagging`);
    // Longer than the read-back's 5 attempts and the failure report's read: still lagging at Retry.
    rig.h.iam.setReadLag({ reads: 10 });
    await approveTo(rig, id, 'failed');
    expect((await rig.get(id)).failure?.code).toBe('VerificationFailed');
    rig.h.iam.calls.length = 0;
    expect(await rig.h.click(ACTION.retry, id, APPROVER)).toBe(200);
    await rig.cardReaches(id, 'applied');
    // The retry reads the role first, sees no policy (stale) and writes it again: the same approved document, so the
    // role ends as approved; the second put is in the thread with its own AWS request ID.
    expect(reads('GetRolePolicy', role)[0]).toBe(true);
    expect(rig.writes().map((w) => [w.action, w.name])).toEqual([['PutRolePolicy', ONBOARD_POLICY]]);
    expect(rig.h.iam.callsOf('PutRolePolicy').map((c) => c.params.PolicyDocument)).toEqual([
      (await rig.get(id)).documentText,
    ]);
    expect((await rig.get(id)).state).toBe('applied');
  });

  /*
   * BUG (reported; src/access/removal.ts not changed here). Revoking a failed grant ("from failed") removes its
   * inline policy only if a read shows the grant's document on the role (GrantRemover.holdsOwnDocument). When IAM
   * accepted the put (the journal and the thread hold its AWS request ID) but reads do not show it yet, the bot
   * leaves the policy on the role, reports "kept … (not written by this request)", says "Revoked and verified", and
   * ends the grant revoked. The policy then stays on the role for good, and since no active grant holds it, the
   * next request for that role is refused as if someone else had written it. These tests pin what happens today;
   * when the removal is fixed (e.g. trusting the recorded PutRolePolicy, or deleting regardless: DeleteRolePolicy of
   * an absent policy is "already gone"), they fail and should be turned into "the policy is removed".
   */
  /**
   * The revocation of a partly applied grant deletes its inline policy even when lagging reads do not show it yet
   * (a delete of nothing is harmless): IAM ends without it, and the next request for the role is not refused.
   */
  async function revokeFailedWhileLagging(id: string, role: string): Promise<void> {
    await rig.h.command(`revoke ${id} partly applied`, REQUESTER);
    expect(rig.h.iam.callsOf('DeleteRolePolicy').filter((c) => c.status === 200)).toHaveLength(1);
    expect(inlineOf(role).has(ONBOARD_POLICY)).toBe(false); // gone from IAM's true state
    rig.h.iam.setReadLag(undefined);
    // While reads still lagged, the read-back may have given up; once they catch up, revoking again verifies.
    if ((await rig.get(id)).state !== 'revoked')
      expect((await rig.h.command(`revoke ${id} again`, REQUESTER)).reply).toMatch(/Revoked/);
    expect((await rig.get(id)).state).toBe('revoked');
    expect((await rig.thread(id)).join('\n')).not.toContain('(not written by this request)');
    const { reply: next } = await rig.h.command(`onboard ${role} again`);
    expect(next).toMatch(/is waiting for an approver/);
  }

  it('revoking a grant that failed after its put (AttachRolePolicy refused) while the put still lags removes the policy', async () => {
    const role = freshRole();
    const id = await ask(`onboard ${role} --managed partly applied`);
    rig.h.iam.setReadLag({ reads: 5 });
    rig.h.iam.queueFault('AttachRolePolicy', { code: 'AccessDenied', message: 'not allowed' });
    await approveTo(rig, id, 'failed');
    expect((await rig.get(id)).failure?.code).toBe('AccessDenied');
    expect(await threadSays(id, 'PutRolePolicy')).toMatch(/AWS request ID `[0-9a-f-]{36}`/);
    await revokeFailedWhileLagging(id, role);
  });

  it('revoking a grant that failed VerificationFailed while reads still lag removes the policy', async () => {
    const role = freshRole();
    const id = await ask(`onboard ${role} verification failed`);
    rig.h.iam.setReadLag({ reads: 10 });
    await approveTo(rig, id, 'failed');
    expect((await rig.get(id)).failure?.code).toBe('VerificationFailed');
    await revokeFailedWhileLagging(id, role);
  });
});
