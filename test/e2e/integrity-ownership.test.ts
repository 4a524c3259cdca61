import { ACTION, REASON_BLOCK, REASON_INPUT, REVOKE_MODAL } from '../../src/slack/blocks';
import { APPROVER, waitFor } from '../support/harness';
import { approveTo, FULL_ACCESS, ONBOARD_POLICY, startRig } from '../support/integrity-rig';
import type { Rig } from '../support/integrity-rig';

/**
 * What is on the role decides what the bot may write: an inline policy of the grant's name that the bot did not
 * write is never overwritten (refused when asked, failed when it appears before approval), one that an applied grant
 * of ours wrote is ours, a managed policy that cannot be attached stops the grant before any write, and a managed
 * policy that was on the role before the grant stays when the grant is revoked.
 */

const HAND_WRITTEN = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Sid: 'WrittenByHand', Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }],
});
const INSTANCE = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';

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
});

let roleCounter = 0;
/** A role of its own per test: no grant of another test (the database is shared) is on it. */
function freshRole(): string {
  return rig.h.iam.addRole(`connect-owned-${++roleCounter}`);
}
const inlineOf = (role: string) => rig.h.iam.role(role)!.inline;
const attachedOf = (role: string) => rig.h.iam.role(role)!.attached;

async function threadSays(id: string, text: string): Promise<string> {
  return waitFor(async () => (await rig.thread(id)).find((t) => t.includes(text)));
}

describe('an inline policy of the grant’s name that cases-access did not write', () => {
  it('on the role before the request: the request is refused naming the policy; nothing posted, the document unchanged', async () => {
    const role = freshRole();
    inlineOf(role).set(ONBOARD_POLICY, HAND_WRITTEN);
    const { status, reply } = await rig.h.command(`onboard ${role} over a hand-written policy`);
    expect(status).toBe(200);
    expect(reply).toContain(
      `\`${role}\` already has an inline policy named \`${ONBOARD_POLICY}\` that cases-access did not write`,
    );
    expect(reply).toContain('Nothing was requested');
    expect(rig.h.slack.callsOf('chat.postMessage')).toHaveLength(0);
    expect(await rig.store.listRequests({ roleArn: role })).toEqual([]);
    expect(rig.writes()).toEqual([]);
    expect(inlineOf(role).get(ONBOARD_POLICY)).toBe(HAND_WRITTEN);
  });

  it('appearing after the card was posted: Approve fails ForeignInlinePolicy with no PutRolePolicy; after it is removed, Retry applies', async () => {
    const role = freshRole();
    const id = await rig.ask(`onboard ${role} hand-written policy appears later`);
    inlineOf(role).set(ONBOARD_POLICY, HAND_WRITTEN);
    await approveTo(rig, id, 'failed');
    expect((await rig.get(id)).failure?.code).toBe('ForeignInlinePolicy');
    expect(rig.h.iam.callsOf('PutRolePolicy')).toHaveLength(0);
    expect(rig.writes()).toEqual([]);
    expect(inlineOf(role).get(ONBOARD_POLICY)).toBe(HAND_WRITTEN);
    const said = await threadSays(id, 'ForeignInlinePolicy');
    expect(said).toContain('nothing was written');
    expect(said).toContain(
      `inline policy ${ONBOARD_POLICY} that cases-access did not write; it was not overwritten`,
    );
    expect(said).toContain(`<@${APPROVER}>`);

    inlineOf(role).delete(ONBOARD_POLICY);
    expect(await rig.h.click(ACTION.retry, id, APPROVER)).toBe(200);
    await rig.cardReaches(id, 'applied');
    const { documentText } = await rig.get(id);
    expect(inlineOf(role).get(ONBOARD_POLICY)).toBe(documentText);
    expect(rig.writes().map((w) => w.action)).toEqual(['PutRolePolicy']);
  });
});

describe('an inline policy of that name that an applied grant of ours wrote', () => {
  it('does not block a new request of the same task, here with another instance scope; it is posted and applies', async () => {
    const role = freshRole();
    const first = await rig.ask(`onboard ${role} --instance ${INSTANCE} one instance`);
    await approveTo(rig, first, 'applied');
    const firstDocument = (await rig.get(first)).documentText;
    expect(inlineOf(role).get(ONBOARD_POLICY)).toBe(firstDocument);

    rig.h.slack.reset();
    rig.h.iam.calls.length = 0;
    const second = await rig.ask(`onboard ${role} every instance`);
    expect(rig.h.cardOf(second)).toBeDefined();
    const secondDocument = (await rig.get(second)).documentText;
    expect(secondDocument).not.toBe(firstDocument);
    await approveTo(rig, second, 'applied');
    expect(inlineOf(role).get(ONBOARD_POLICY)).toBe(secondDocument);
    expect(rig.writes().map((w) => w.action)).toEqual(['PutRolePolicy']);
  });
});

describe('Option 2 with a managed policy that cannot be attached: failed before any write', () => {
  afterEach(() => {
    // Brings the managed policies back, all attachable (removeManagedPolicy has no other undo). It also forgets the
    // roles, which is harmless: every test makes a role of its own.
    rig.h.iam.reset();
  });

  it.each<[string, string, () => void]>([
    ['not attachable', 'PolicyNotAttachable', () => rig.h.iam.setPolicyAttachable(FULL_ACCESS, false)],
    ['missing', 'NoSuchEntity', () => rig.h.iam.removeManagedPolicy(FULL_ACCESS)],
  ])(
    'the policy %s: Approve fails %s, no PutRolePolicy either; the thread says nothing was written',
    async (_what, code, breakIt) => {
      const role = freshRole();
      const id = await rig.ask(`onboard ${role} --managed option 2`);
      breakIt();
      await approveTo(rig, id, 'failed');
      expect((await rig.get(id)).failure?.code).toBe(code);
      expect(rig.h.iam.callsOf('PutRolePolicy')).toHaveLength(0);
      expect(rig.h.iam.callsOf('AttachRolePolicy')).toHaveLength(0);
      expect(rig.writes()).toEqual([]);
      expect(inlineOf(role).size).toBe(0);
      expect(attachedOf(role)).toEqual([]);
      const said = await threadSays(id, code);
      expect(said).toContain(FULL_ACCESS);
      expect(said).toContain('Nothing was written');
    },
  );
});

describe('a managed policy already attached before the grant', () => {
  it('the grant applies without attaching it, and revoking it leaves the policy attached: "not attached by this grant"', async () => {
    const role = freshRole();
    attachedOf(role).push(FULL_ACCESS);
    const id = await rig.ask(`onboard ${role} --managed policy already there`);
    await approveTo(rig, id, 'applied');
    expect(rig.writes().map((w) => w.action)).toEqual(['PutRolePolicy']);
    expect((await rig.get(id)).attachedManagedArns).toEqual([]);
    expect(await threadSays(id, 'Already on the role')).toContain(`${FULL_ACCESS} attached`);

    rig.h.iam.calls.length = 0;
    expect(await rig.h.click(ACTION.revoke, id, APPROVER)).toBe(200);
    await rig.h.slack.waitForCall('views.open');
    const submitted = await rig.h.submitView(
      REVOKE_MODAL,
      id,
      { [REASON_BLOCK]: { [REASON_INPUT]: { type: 'plain_text_input', value: 'done' } } },
      APPROVER,
    );
    expect(submitted.status).toBe(200);
    await rig.cardReaches(id, 'revoked');
    expect(attachedOf(role)).toEqual([FULL_ACCESS]);
    expect(inlineOf(role).has(ONBOARD_POLICY)).toBe(false);
    expect(rig.writes().map((w) => w.action)).toEqual(['DeleteRolePolicy']);
    const revoked = await threadSays(id, 'Revoked and verified');
    expect(revoked).toContain(`removed \`${ONBOARD_POLICY}\``);
    expect(revoked).toContain(`kept ${FULL_ACCESS} (not attached by this grant)`);
  });
});
