import Database from 'better-sqlite3';
import { runCli } from '../../src/cli';
import { generatePlan, sameDocument } from '../../src/policy';
import { openStore, sqlitePath } from '../../src/store';
import { verifyChain } from '../../src/store/audit-chain';
import {
  ACTION,
  REASON_BLOCK,
  REASON_INPUT,
  REQUEST_FIELDS,
  REQUEST_MODAL,
  REVOKE_MODAL,
} from '../../src/slack/blocks';
import {
  ACCOUNT,
  APPROVAL_CHANNEL,
  APPROVER,
  APPROVER_2,
  APPROVER_GROUP,
  GROUP_MEMBER,
  OUTSIDER,
  REQUESTER,
  SIGNING_SECRET,
  requestIdFrom,
  startHarness,
  waitFor,
} from '../support/harness';
import type { Harness } from '../support/harness';
import type { SlackCall } from '../support/fake-slack';
import { postSigned, slashCommandBody } from '../support/slack-requests';
import type { ViewStateValues } from '../support/slack-requests';
import { DAY, HOUR, MINUTE, TestClock } from '../support/test-clock';
import { parseDialogMetadata } from '../../src/slack/origin';

/**
 * The grant lifecycle, sealed end to end: signed Slack requests into the real bot, the fake Slack Web API, the
 * IAM emulator behind the real AWS SDK, SQLite on disk. Time moves only when the test moves the injected clock,
 * and time-based work runs when the test calls runScheduledWork() (the bot's own timer is set to an hour of real
 * time, so it never fires during a test).
 */

const ROLE = `arn:aws:iam::${ACCOUNT}:role/connect-admins`;
const AGENTS = `arn:aws:iam::${ACCOUNT}:role/connect-agents`;
const ONBOARD_POLICY = 'cases-access-onboard';
const FULL_ACCESS = 'arn:aws:iam::aws:policy/AmazonConnect_FullAccess';
const T0 = new Date('2026-03-02T09:00:00.000Z');

let h: Harness;
let clock: TestClock;
const open: Harness[] = [];

async function boot(env: NodeJS.ProcessEnv = {}): Promise<void> {
  clock = new TestClock(T0);
  h = await startHarness({ env, start: { clock, schedulerIntervalMs: 3_600_000 } });
  open.push(h);
  h.iam.addRole('connect-admins');
  h.iam.addRole('connect-agents');
  h.iam.addRole('finance-admins');
}

afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

// ---------------------------------------------------------------------------------------------------------------
// What Slack and IAM saw.

const posts = (): SlackCall[] => h.slack.callsOf('chat.postMessage');

const cardPost = (id: string): SlackCall | undefined =>
  posts().find(
    (c) => c.args.channel === APPROVAL_CHANNEL && !c.args.thread_ts && String(c.args.text).includes(id),
  );

/** The card's ts: the permalink the bot asks for right after posting the card carries it. */
function cardTs(id: string): string {
  const card = cardPost(id);
  if (!card) throw new Error(`no card for ${id}`);
  const after = h.slack.calls.slice(h.slack.calls.indexOf(card) + 1);
  const link = after.find((c) => c.method === 'chat.getPermalink');
  if (!link) throw new Error(`no permalink for ${id}`);
  return String(link.args.message_ts);
}

/** Replies in the card's thread, oldest first. */
const thread = (id: string): string[] => {
  const ts = cardTs(id);
  return posts()
    .filter((c) => c.args.thread_ts === ts)
    .map((c) => String(c.args.text));
};

/** Direct messages to `user` about request `id`. */
const dms = (id: string, user = REQUESTER): string[] =>
  posts()
    .filter((c) => c.args.channel === user && String(c.args.text).includes(id))
    .map((c) => String(c.args.text));

const cardUpdates = (id: string): SlackCall[] =>
  h.slack.callsOf('chat.update').filter((c) => String(c.args.text).includes(id));

const lastCard = (id: string): string => JSON.stringify(cardUpdates(id).at(-1)?.args.blocks ?? null);

const waitForCard = (id: string, pattern: RegExp): Promise<SlackCall> =>
  waitFor(() => cardUpdates(id).find((c) => pattern.test(JSON.stringify(c.args.blocks))), 10_000);

const iamCalls = (action: string, roleName?: string) =>
  h.iam.callsOf(action).filter((c) => c.status === 200 && (!roleName || c.params.RoleName === roleName));

const inlineOf = (arn: string) => h.iam.role(arn)!.inline;
const attachedOf = (arn: string) => h.iam.role(arn)!.attached;

// ---------------------------------------------------------------------------------------------------------------
// What people do.

async function request(text: string, user = REQUESTER): Promise<string> {
  const { status, reply } = await h.command(text, user);
  expect(status).toBe(200);
  return requestIdFrom(reply);
}

async function approveAndWait(id: string, user = APPROVER): Promise<void> {
  expect(await h.click(ACTION.approve, id, user)).toBe(200);
  await waitForCard(id, /Applied and verified|:x: Failed/);
}

async function granted(text: string, user = REQUESTER): Promise<string> {
  const id = await request(text, user);
  await approveAndWait(id);
  expect(lastCard(id)).toContain('Applied and verified');
  return id;
}

const reasonValues = (value: string | null): ViewStateValues => ({
  [REASON_BLOCK]: { [REASON_INPUT]: { type: 'plain_text_input', value } },
});

// =================================================================================================================

describe('revoke', () => {
  beforeEach(() => boot());

  it('the Revoke button on an applied card: an approver gives a reason in a modal, the policy goes, verified, card and thread updated, requester told; an outsider is refused', async () => {
    const id = await granted(`onboard ${ROLE} migrating to Cases`);
    const plan = await generatePlan({ task: 'onboard', option: 'minimal', accountId: ACCOUNT });
    expect(inlineOf(ROLE).get(ONBOARD_POLICY)).toBe(plan.documentText);
    const applied = lastCard(id);
    expect(applied).toContain(ACTION.revoke);
    expect(applied).not.toContain(ACTION.approve);

    // An outsider: refused privately, no dialog, nothing written.
    expect(await h.click(ACTION.revoke, id, OUTSIDER, 'outsider-revoke')).toBe(200);
    const refused = await h.slack.waitForCall('response_url', (c) => c.responseUrlId === 'outsider-revoke');
    expect(String(refused.args.text)).toMatch(/Only an approver or the requester/);
    expect(refused.args.response_type).toBe('ephemeral');
    expect(h.slack.callsOf('views.open')).toHaveLength(0);

    // A different approver than the one who approved.
    expect(await h.click(ACTION.revoke, id, APPROVER_2)).toBe(200);
    const opened = await h.slack.waitForCall('views.open');
    const view = opened.args.view as { callback_id: string; private_metadata: string };
    expect(view.callback_id).toBe(REVOKE_MODAL);
    // The dialog carries the request and the card it was opened from.
    expect(parseDialogMetadata(view.private_metadata)).toEqual({ requestId: id, origin: h.cardOf(id) });

    const empty = await h.submitView(REVOKE_MODAL, id, reasonValues('   '), APPROVER_2);
    expect(empty.json).toMatchObject({
      response_action: 'errors',
      errors: { [REASON_BLOCK]: expect.any(String) },
    });
    expect(iamCalls('DeleteRolePolicy')).toHaveLength(0);

    const ok = await h.submitView(REVOKE_MODAL, id, reasonValues('migration finished'), APPROVER_2);
    expect(ok.status).toBe(200);
    expect((ok.json as { response_action?: string } | undefined)?.response_action).toBeUndefined();
    await waitForCard(id, /Revoked/);

    const deletes = iamCalls('DeleteRolePolicy');
    expect(deletes).toHaveLength(1);
    expect(deletes[0]!.params).toMatchObject({ RoleName: 'connect-admins', PolicyName: ONBOARD_POLICY });
    expect(inlineOf(ROLE).has(ONBOARD_POLICY)).toBe(false);
    // Verified by reading back after the delete.
    const afterDelete = h.iam.calls.slice(h.iam.calls.indexOf(deletes[0]!));
    expect(afterDelete.some((c) => c.action === 'GetRolePolicy')).toBe(true);

    const card = lastCard(id);
    expect(card).toContain(':wastebasket: Revoked');
    expect(card).toContain(`<@${APPROVER_2}>`);
    expect(card).toContain('migration finished');
    expect(card).not.toContain(ACTION.revoke);
    expect(card).not.toContain(ACTION.approve);

    const replies = thread(id);
    const revoking = replies.findIndex((t) => t.includes('Revoking'));
    expect(replies[revoking]).toContain(`at the request of <@${APPROVER_2}>`);
    expect(replies[revoking]).toContain('migration finished');
    const del = replies.find((t) => t.includes('DeleteRolePolicy'));
    expect(del).toContain(deletes[0]!.requestId);
    const revoked = replies.findIndex((t) => t.includes('Revoked and verified'));
    expect(revoked).toBeGreaterThan(revoking);
    expect(replies[revoked]).toContain(ONBOARD_POLICY);

    await waitFor(() => dms(id).find((t) => t.includes('Revoked and verified')));

    // A late outsider click on the revoked card still changes nothing.
    await h.click(ACTION.revoke, id, OUTSIDER, 'outsider-late');
    const late = await h.slack.waitForCall('response_url', (c) => c.responseUrlId === 'outsider-late');
    expect(String(late.args.text)).toMatch(/Only an approver or the requester/);
    expect(iamCalls('DeleteRolePolicy')).toHaveLength(1);
  });

  it('`/cases-access revoke <id> reason` by the requester works; revoking again is harmless; outsiders are refused', async () => {
    const id = await granted(`view ${ROLE}`);
    const outsider = await h.command(`revoke ${id} not mine`, OUTSIDER);
    expect(outsider.reply).toMatch(/Only an approver or the requester/);
    expect(iamCalls('DeleteRolePolicy')).toHaveLength(0);

    const first = await h.command(`revoke ${id.toLowerCase()} done   with it`);
    expect(first.reply).toContain(`Revoked ${id}`);
    expect(iamCalls('DeleteRolePolicy')).toHaveLength(1);
    expect(inlineOf(ROLE).has('cases-access-view')).toBe(false);
    // The reason keeps the requester's spacing.
    expect(thread(id).find((t) => t.includes('Revoking'))).toContain(`<@${REQUESTER}>: done   with it`);
    expect(lastCard(id)).toContain(':wastebasket: Revoked');
    expect(dms(id).some((t) => t.includes('Revoked and verified'))).toBe(true);

    const updatesBefore = cardUpdates(id).length;
    const threadBefore = thread(id).length;
    const second = await h.command(`revoke ${id}`);
    expect(second.reply).toMatch(/already revoked/);
    expect(iamCalls('DeleteRolePolicy')).toHaveLength(1);
    expect(cardUpdates(id)).toHaveLength(updatesBefore);
    expect(thread(id)).toHaveLength(threadBefore);

    // Also harmless from the card's button.
    await h.click(ACTION.revoke, id, APPROVER, 'button-again');
    const again = await h.slack.waitForCall('response_url', (c) => c.responseUrlId === 'button-again');
    expect(String(again.args.text)).toMatch(/already revoked/);
    expect(h.slack.callsOf('views.open')).toHaveLength(0);
  });

  it('only an applied grant can be revoked', async () => {
    const id = await request(`view ${ROLE}`);
    const { reply } = await h.command(`revoke ${id}`);
    expect(reply).toMatch(/is pending; only an applied \(or partly applied\) grant can be revoked/);
    expect((await h.command('revoke CA-0000000000')).reply).toMatch(/There is no request CA-0000000000/);
    expect((await h.command('revoke nope')).reply).toMatch(/not a request ID/);
    expect(iamCalls('DeleteRolePolicy')).toHaveLength(0);
  });

  it('Option 2: revoke detaches the managed policy the grant attached', async () => {
    const id = await granted(`onboard ${ROLE} --managed`);
    expect(attachedOf(ROLE)).toEqual([FULL_ACCESS]);
    expect((await h.command(`revoke ${id} done`)).reply).toContain(`Revoked ${id}`);
    const detaches = iamCalls('DetachRolePolicy');
    expect(detaches).toHaveLength(1);
    expect(detaches[0]!.params.PolicyArn).toBe(FULL_ACCESS);
    expect(iamCalls('DeleteRolePolicy')).toHaveLength(1);
    expect(attachedOf(ROLE)).toEqual([]);
    expect(inlineOf(ROLE).size).toBe(0);
    expect(thread(id).find((t) => t.includes('DetachRolePolicy'))).toContain(detaches[0]!.requestId);
  });

  it('Option 2: a managed policy the role had before the grant stays attached', async () => {
    attachedOf(ROLE).push(FULL_ACCESS); // attached outside the bot, before any request
    const id = await granted(`onboard ${ROLE} --managed`);
    expect(iamCalls('AttachRolePolicy')).toHaveLength(0);
    expect((await h.command(`revoke ${id} done`)).reply).toContain(`Revoked ${id}`);
    expect(iamCalls('DetachRolePolicy')).toHaveLength(0);
    expect(attachedOf(ROLE)).toEqual([FULL_ACCESS]);
    expect(inlineOf(ROLE).has(ONBOARD_POLICY)).toBe(false);
    expect(thread(id).find((t) => t.includes('Revoked and verified'))).toMatch(/not attached by this grant/);
  });

  it('two active grants of the same task on one role: revoking one keeps the inline policy the other needs', async () => {
    const a = await granted(`onboard ${ROLE} first`);
    const b = await granted(`onboard ${ROLE} second`, APPROVER_2);
    const doc = inlineOf(ROLE).get(ONBOARD_POLICY);
    expect(doc).toBeDefined();

    expect((await h.command(`revoke ${a}`)).reply).toContain(`Revoked ${a}`);
    expect(iamCalls('DeleteRolePolicy')).toHaveLength(0);
    expect(inlineOf(ROLE).get(ONBOARD_POLICY)).toBe(doc);
    expect(thread(a).find((t) => t.includes('Revoked and verified'))).toContain(`still needed by ${b}`);
    expect(lastCard(b)).toContain('Applied and verified');

    expect((await h.command(`revoke ${b}`, APPROVER_2)).reply).toContain(`Revoked ${b}`);
    expect(iamCalls('DeleteRolePolicy')).toHaveLength(1);
    expect(inlineOf(ROLE).has(ONBOARD_POLICY)).toBe(false);
  });

  it('two Option 2 grants: the managed policy stays while either needs it and goes with the last one', async () => {
    const a = await granted(`onboard ${ROLE} --managed first`);
    const b = await granted(`onboard ${ROLE} --managed second`, APPROVER_2);
    expect(iamCalls('AttachRolePolicy')).toHaveLength(1); // b found it attached already

    await h.command(`revoke ${a}`);
    expect(iamCalls('DetachRolePolicy')).toHaveLength(0);
    expect(attachedOf(ROLE)).toEqual([FULL_ACCESS]);
    expect(inlineOf(ROLE).has(ONBOARD_POLICY)).toBe(true);

    await h.command(`revoke ${b}`, APPROVER_2);
    expect(iamCalls('DetachRolePolicy')).toHaveLength(1);
    expect(attachedOf(ROLE)).toEqual([]);
    expect(inlineOf(ROLE).size).toBe(0);
  });

  it('Option 1 and Option 2 of one task share the inline policy name: revoking the later one puts back the earlier one’s approved document', async () => {
    const minimal = await granted(`onboard ${ROLE} option 1`);
    const managed = await granted(`onboard ${ROLE} --managed option 2`, APPROVER_2);
    const minimalPlan = await generatePlan({ task: 'onboard', option: 'minimal', accountId: ACCOUNT });
    const managedPlan = await generatePlan({ task: 'onboard', option: 'managed', accountId: ACCOUNT });
    expect(sameDocument(inlineOf(ROLE).get(ONBOARD_POLICY)!, managedPlan.documentText)).toBe(true);

    expect((await h.command(`revoke ${managed}`, APPROVER_2)).reply).toContain(`Revoked ${managed}`);
    expect(sameDocument(inlineOf(ROLE).get(ONBOARD_POLICY)!, minimalPlan.documentText)).toBe(true);
    expect(attachedOf(ROLE)).toEqual([]);
    expect(iamCalls('DeleteRolePolicy')).toHaveLength(0);
    expect(
      thread(managed).some((t) => t.includes('PutRolePolicy') && t.includes(`restoring ${minimal}`)),
    ).toBe(true);

    await h.command(`revoke ${minimal}`);
    expect(inlineOf(ROLE).size).toBe(0);
  });

  it('an IAM error during revocation is reported and the grant stays revocable', async () => {
    const id = await granted(`view ${ROLE}`);
    h.iam.queueFault('DeleteRolePolicy', {
      code: 'AccessDenied',
      message: 'User is not authorized to perform iam:DeleteRolePolicy',
    });
    const failed = await h.command(`revoke ${id}`);
    expect(failed.reply).toMatch(/revocation failed: AccessDenied/);
    expect(thread(id).some((t) => t.includes(':x: Revocation failed') && t.includes('AccessDenied'))).toBe(
      true,
    );
    expect(lastCard(id)).toContain('Applied and verified');
    expect(lastCard(id)).toContain(ACTION.revoke);

    expect((await h.command(`revoke ${id}`)).reply).toContain(`Revoked ${id}`);
    expect(inlineOf(ROLE).size).toBe(0);
  });
});

// =================================================================================================================

describe('time-bound grants', () => {
  beforeEach(() => boot());

  it('`--for 1h`: the card shows the end; nothing at 59m; revoked once just after the end; never again', async () => {
    const id = await request(`onboard ${ROLE} --for 1h quick fix`);
    const pending = JSON.stringify(cardPost(id)!.args.blocks);
    expect(pending).toContain('*Grant length*\\n1h');
    await approveAndWait(id);
    const ends = new Date(T0.getTime() + HOUR);
    expect(lastCard(id)).toContain('Grant ends');
    expect(lastCard(id)).toContain(ends.toISOString());

    clock.advance(59 * MINUTE);
    await h.tick();
    expect(iamCalls('DeleteRolePolicy')).toHaveLength(0);
    expect(inlineOf(ROLE).has(ONBOARD_POLICY)).toBe(true);
    expect(thread(id).some((t) => t.includes('Revoking'))).toBe(false);
    expect(lastCard(id)).toContain('Applied and verified');

    clock.advance(2 * MINUTE);
    await h.tick();
    expect(iamCalls('DeleteRolePolicy')).toHaveLength(1);
    expect(inlineOf(ROLE).has(ONBOARD_POLICY)).toBe(false);
    const replies = thread(id);
    expect(replies.find((t) => t.includes('Revoking'))).toMatch(
      /Revoking \(automatic\): the grant’s time ended/,
    );
    expect(replies.some((t) => t.includes('Revoked and verified'))).toBe(true);
    const card = lastCard(id);
    expect(card).toContain(':wastebasket: Revoked by the bot');
    expect(card).not.toContain(ACTION.revoke);
    expect(dms(id).some((t) => t.includes('Revoked and verified'))).toBe(true);

    const counts = () => [
      iamCalls('DeleteRolePolicy').length,
      thread(id).length,
      cardUpdates(id).length,
      dms(id).length,
    ];
    const after = counts();
    await h.tick();
    clock.advance(DAY);
    await h.tick();
    expect(counts()).toEqual(after);

    const status = await h.command(`status ${id}`);
    expect(status.reply).toContain('*revoked*');
    expect(status.reply).toMatch(/revoked · the bot/);
  });

  it('a grant that came due while the bot was down is revoked once after the restart', async () => {
    const id = await granted(`onboard ${ROLE} --for 1h`);
    const other = await granted(`view ${AGENTS} --for 8h`);
    await h.bot.stop();
    clock.advance(90 * MINUTE);
    await h.restart(); // same database, same clock; the start-up pass catches up
    await waitForCard(id, /Revoked/);
    await h.tick();
    expect(iamCalls('DeleteRolePolicy', 'connect-admins')).toHaveLength(1);
    expect(inlineOf(ROLE).has(ONBOARD_POLICY)).toBe(false);
    expect(thread(id).filter((t) => t.includes('Revoked and verified'))).toHaveLength(1);
    // The one not yet due stays.
    expect(inlineOf(AGENTS).has('cases-access-view')).toBe(true);
    expect(cardUpdates(other).at(-1)).toBeDefined();
    expect(lastCard(other)).toContain('Applied and verified');

    await h.restart();
    await h.tick();
    expect(iamCalls('DeleteRolePolicy', 'connect-admins')).toHaveLength(1);
    expect(thread(id).filter((t) => t.includes('Revoking'))).toHaveLength(1);

    clock.advance(8 * HOUR);
    await h.tick();
    expect(iamCalls('DeleteRolePolicy', 'connect-agents')).toHaveLength(1);
  });

  it('a failed automatic revocation is retried later, not at once', async () => {
    const id = await granted(`view ${ROLE} --for 30m`);
    clock.advance(31 * MINUTE);
    // Not a code the SDK retries by itself (a 5xx would be).
    h.iam.queueFault('DeleteRolePolicy', { code: 'AccessDenied', message: 'not right now' });
    await h.tick();
    expect(thread(id).some((t) => t.includes(':x: Revocation failed') && t.includes('tries again'))).toBe(
      true,
    );
    expect(inlineOf(ROLE).has('cases-access-view')).toBe(true);

    await h.tick(); // still before the retry time
    expect(h.iam.callsOf('DeleteRolePolicy')).toHaveLength(1);

    clock.advance(6 * MINUTE);
    await h.tick();
    expect(iamCalls('DeleteRolePolicy')).toHaveLength(1);
    expect(inlineOf(ROLE).has('cases-access-view')).toBe(false);
    expect(lastCard(id)).toContain(':wastebasket: Revoked');
  });

  it('refuses `--for` with a bad duration before anyone is asked', async () => {
    const { reply } = await h.command(`onboard ${ROLE} --for forever`);
    expect(reply).toMatch(/`--for` needs a duration such as `30m`, `8h` or `7d`, not `forever`/);
    expect(cardPost('CA-')).toBeUndefined();
  });
});

describe('MAX_GRANT_DURATION', () => {
  beforeEach(() => boot({ MAX_GRANT_DURATION: '8h' }));

  it('refuses `--for` beyond the maximum, with a message, writing nothing', async () => {
    const { status, reply } = await h.command(`onboard ${ROLE} --for 9h`);
    expect(status).toBe(200);
    expect(reply).toMatch(/longer than the maximum of 8h \(MAX_GRANT_DURATION\)/);
    expect(reply).toMatch(/Nothing was requested/);
    expect(posts()).toHaveLength(0);
  });

  it('without `--for` the grant lasts the maximum, and is revoked when it ends', async () => {
    const id = await request(`onboard ${ROLE}`);
    expect(JSON.stringify(cardPost(id)!.args.blocks)).toContain('*Grant length*\\n8h');
    await approveAndWait(id);
    expect(lastCard(id)).toContain(new Date(T0.getTime() + 8 * HOUR).toISOString());
    clock.advance(8 * HOUR - MINUTE);
    await h.tick();
    expect(inlineOf(ROLE).has(ONBOARD_POLICY)).toBe(true);
    clock.advance(MINUTE);
    await h.tick();
    expect(inlineOf(ROLE).has(ONBOARD_POLICY)).toBe(false);
  });

  it('`--for` within the maximum is kept', async () => {
    const id = await request(`view ${ROLE} --for 30m`);
    expect(JSON.stringify(cardPost(id)!.args.blocks)).toContain('*Grant length*\\n30m');
  });
});

describe('DEFAULT_GRANT_DURATION', () => {
  beforeEach(() => boot({ DEFAULT_GRANT_DURATION: '2h', MAX_GRANT_DURATION: '8h' }));

  it('applies to requests without `--for`', async () => {
    const id = await request(`view ${ROLE}`);
    expect(JSON.stringify(cardPost(id)!.args.blocks)).toContain('*Grant length*\\n2h');
  });
});

// =================================================================================================================

describe('pending requests', () => {
  beforeEach(() => boot());

  it('approvers are reminded once after REMIND_AFTER; the request expires after PENDING_TTL; approving then is refused', async () => {
    const id = await request(`onboard ${ROLE}`);
    const reminders = () => thread(id).filter((t) => t.includes(':bell:'));

    clock.advance(2 * HOUR - MINUTE);
    await h.tick();
    expect(reminders()).toHaveLength(0);

    clock.advance(MINUTE);
    await h.tick();
    expect(reminders()).toHaveLength(1);
    const reminder = reminders()[0]!;
    expect(reminder).toContain(`<@${APPROVER}>`);
    expect(reminder).toContain(`<@${APPROVER_2}>`);
    expect(reminder).toContain(`<!subteam^${APPROVER_GROUP}>`);
    expect(reminder).toContain(id);
    expect(reminder).toContain('waiting 2h');

    clock.advance(HOUR);
    await h.tick();
    clock.advance(HOUR);
    await h.tick();
    expect(reminders()).toHaveLength(1);
    expect(cardUpdates(id)).toHaveLength(0);

    clock.set(new Date(T0.getTime() + DAY - MINUTE));
    await h.tick();
    expect(cardUpdates(id)).toHaveLength(0);

    clock.advance(MINUTE);
    await h.tick();
    const card = lastCard(id);
    expect(card).toContain('Expired without a decision');
    expect(card).not.toContain(ACTION.approve);
    expect(card).not.toContain(ACTION.deny);
    expect(card).not.toContain(ACTION.revoke);
    const expired = thread(id).filter((t) => t.includes('expired'));
    expect(expired).toHaveLength(1);
    expect(expired[0]).toContain(`Request ${id} expired after 1d without a decision`);
    expect(dms(id).some((t) => t.includes('expired after 1d'))).toBe(true);

    clock.advance(DAY);
    await h.tick();
    expect(thread(id).filter((t) => t.includes('expired'))).toHaveLength(1);
    expect(reminders()).toHaveLength(1);

    await h.click(ACTION.approve, id, APPROVER, 'late');
    const late = await h.slack.waitForCall('response_url', (c) => c.responseUrlId === 'late');
    expect(String(late.args.text)).toMatch(/expired without a decision/);
    expect(iamCalls('PutRolePolicy')).toHaveLength(0);
    await h.click(ACTION.deny, id, APPROVER, 'late-deny');
    const lateDeny = await h.slack.waitForCall('response_url', (c) => c.responseUrlId === 'late-deny');
    expect(String(lateDeny.args.text)).toMatch(/expired/);
    expect(h.slack.callsOf('views.open')).toHaveLength(0);
  });

  it('a request decided before REMIND_AFTER gets no reminder and never expires', async () => {
    const id = await request(`view ${ROLE}`);
    clock.advance(HOUR);
    await approveAndWait(id);
    clock.advance(2 * DAY);
    await h.tick();
    expect(thread(id).some((t) => t.includes(':bell:') || t.includes('expired'))).toBe(false);
    expect(lastCard(id)).toContain('Applied and verified');
  });

  it('honours PENDING_TTL and REMIND_AFTER from the environment', async () => {
    await boot({ PENDING_TTL: '3h', REMIND_AFTER: '30m' });
    const id = await request(`view ${ROLE}`);
    clock.advance(30 * MINUTE);
    await h.tick();
    expect(thread(id).filter((t) => t.includes(':bell:'))).toHaveLength(1);
    clock.advance(150 * MINUTE);
    await h.tick();
    expect(lastCard(id)).toContain('Expired without a decision');
    expect(thread(id).find((t) => t.includes('expired'))).toContain('after 3h');
  });
});

describe('ending-soon reminder', () => {
  beforeEach(() => boot());

  it('the requester is told once, shortly before the grant ends', async () => {
    const id = await granted(`onboard ${ROLE} --for 2h`);
    const endingSoon = () => dms(id).filter((t) => t.includes('ends at'));

    clock.advance(HOUR + 44 * MINUTE);
    await h.tick();
    expect(endingSoon()).toHaveLength(0);

    clock.advance(2 * MINUTE);
    await h.tick();
    expect(endingSoon()).toHaveLength(1);
    expect(endingSoon()[0]).toContain(new Date(T0.getTime() + 2 * HOUR).toISOString());
    expect(endingSoon()[0]).toContain(ROLE);

    clock.advance(5 * MINUTE);
    await h.tick();
    await h.tick();
    expect(endingSoon()).toHaveLength(1);
    expect(iamCalls('DeleteRolePolicy')).toHaveLength(0);

    clock.advance(10 * MINUTE);
    await h.tick();
    expect(iamCalls('DeleteRolePolicy')).toHaveLength(1);
    expect(endingSoon()).toHaveLength(1);
  });

  it('a grant too short for a warning gets none', async () => {
    const id = await granted(`view ${ROLE} --for 20m`);
    clock.advance(10 * MINUTE);
    await h.tick();
    expect(dms(id).filter((t) => t.includes('ends at'))).toHaveLength(0);
  });
});

// =================================================================================================================

describe('status and audit', () => {
  beforeEach(() => boot());

  it('status lists the caller’s requests; status <id> shows the history to its requester and approvers only; audit is for approvers', async () => {
    const revoked = await granted(`onboard ${ROLE} first`);
    await h.command(`revoke ${revoked} done`);
    clock.advance(MINUTE);
    const pending = await request(`view ${AGENTS} --for 1h later`);
    clock.advance(MINUTE);
    const denied = await request(`view ${ROLE} for someone else`, APPROVER_2);
    await h.click(ACTION.deny, denied, APPROVER);
    await h.slack.waitForCall('views.open');
    await h.submitView('cases_access_deny_modal', denied, reasonValues('not needed'), APPROVER);
    await waitForCard(denied, /Denied/);
    clock.advance(MINUTE);
    const failed = await request(`view ${ROLE} will fail`);
    h.iam.queueFault('PutRolePolicy', { code: 'AccessDenied', message: 'no iam:PutRolePolicy for you' });
    await approveAndWait(failed);

    // status: the caller's own requests, newest first, with links to the cards.
    const list = (await h.command('status')).reply;
    expect(list).toContain('Your recent requests');
    for (const id of [revoked, pending, failed]) expect(list).toContain(id);
    expect(list).not.toContain(denied);
    expect(list).toMatch(
      new RegExp(`<https://fake\\.slack\\.test/archives/${APPROVAL_CHANNEL}/p\\d+\\|${revoked}>`),
    );
    expect(list).toMatch(new RegExp(`${revoked}>? — \\*revoked\\*`));
    expect(list).toMatch(new RegExp(`${pending}>? — \\*pending\\*`));
    expect(list.indexOf(failed)).toBeLessThan(list.indexOf(revoked));
    expect((await h.command('status', OUTSIDER)).reply).toMatch(/no cases-access requests/);

    // status <id>: the full history.
    const put = iamCalls('PutRolePolicy')[0]!;
    const del = iamCalls('DeleteRolePolicy')[0]!;
    const history = (await h.command(`status ${revoked}`)).reply;
    for (const type of [
      'requested',
      'card_posted',
      'approved',
      'iam_call',
      'verified',
      'applied',
      'revoking',
      'revoked',
    ])
      expect(history).toContain(` · ${type} · `);
    expect(history).toContain(`approved · <@${APPROVER}>`);
    expect(history).toContain(put.requestId);
    expect(history).toContain(del.requestId);
    expect(history).toContain('done');
    expect((await h.command(`status ${revoked}`, APPROVER_2)).reply).toContain(put.requestId);
    const outsider = (await h.command(`status ${revoked}`, OUTSIDER)).reply;
    expect(outsider).toMatch(/not yours/);
    expect(outsider).not.toContain(put.requestId);
    expect((await h.command('status CA-0000000000')).reply).toMatch(/There is no request/);
    expect((await h.command('status whatever')).reply).toMatch(/not a request ID/);

    // audit <role ARN>: every request on the role, who decided, AWS request IDs, links; approvers only.
    const audit = (await h.command(`audit ${ROLE}`, APPROVER)).reply;
    expect(audit).toContain(`Audit of \`${ROLE}\``);
    for (const id of [revoked, denied, failed]) expect(audit).toContain(id);
    expect(audit).not.toContain(pending);
    expect(audit).toContain(`approved · <@${APPROVER}>`);
    expect(audit).toContain(`denied · <@${APPROVER}> · not needed`);
    expect(audit).toContain('AccessDenied');
    expect(audit).toContain(put.requestId);
    expect(audit).toContain(del.requestId);
    expect(audit).toMatch(/<https:\/\/fake\.slack\.test\/archives\/CAPPROVALS\/p\d+\|CA-/);

    expect((await h.command(`audit ${ROLE}`, REQUESTER)).reply).toMatch(/Only approvers/);
    expect((await h.command(`audit ${ROLE}`, OUTSIDER)).reply).toMatch(/Only approvers/);

    // By request ID and by bare role name; a usergroup member is an approver too.
    const byId = (await h.command(`audit ${pending}`, APPROVER_2)).reply;
    expect(byId).toContain(`Audit of \`${AGENTS}\``);
    expect(byId).toContain(pending);
    expect(byId).not.toContain(revoked);
    const byName = (await h.command('audit connect-admins', GROUP_MEMBER)).reply;
    expect(byName).toContain(`Audit of \`${ROLE}\``);
    for (const id of [revoked, denied, failed]) expect(byName).toContain(id);
    expect((await h.command('audit finance-admins', APPROVER)).reply).toMatch(/No cases-access requests/);
    expect((await h.command('audit', APPROVER)).reply).toMatch(/needs a role ARN, role name or request ID/);
  });
});

// =================================================================================================================

describe('the request modal', () => {
  const radio = (value: string) => ({
    type: 'radio_buttons',
    selected_option: { text: { type: 'plain_text', text: value }, value },
  });
  const text = (value: string | undefined) => ({ type: 'plain_text_input', value: value ?? null });
  const values = (f: {
    task?: string;
    option?: string;
    role?: string;
    instance?: string;
    duration?: string;
    reason?: string;
  }): ViewStateValues => ({
    task: { task: radio(f.task ?? 'onboard') },
    option: { option: radio(f.option ?? 'minimal') },
    role: { role: text(f.role) },
    instance: { instance: text(f.instance) },
    duration: { duration: text(f.duration) },
    reason: { reason: text(f.reason) },
  });
  const submit = async (f: Parameters<typeof values>[0]) => {
    const res = await h.submitView(REQUEST_MODAL, '', values(f), REQUESTER);
    expect(res.status).toBe(200);
    return res.json as { response_action?: string; errors?: Record<string, string> } | undefined;
  };

  describe('with defaults', () => {
    beforeEach(() => boot());

    it('`/cases-access` alone opens the dialog', async () => {
      const res = await postSigned(
        h.url,
        slashCommandBody({ text: '', userId: REQUESTER, responseUrl: h.slack.responseUrl('modal') }),
        SIGNING_SECRET,
      );
      expect(res.status).toBe(200);
      const opened = await h.slack.waitForCall('views.open');
      const view = opened.args.view as { callback_id: string; blocks: Array<{ block_id?: string }> };
      expect(view.callback_id).toBe(REQUEST_MODAL);
      expect(view.blocks.map((b) => b.block_id)).toEqual([...REQUEST_FIELDS]);
      expect(h.slack.callsOf('response_url')).toHaveLength(0);
    });

    it('shows field errors inline and creates nothing', async () => {
      expect(await submit({ role: 'bad/name!' })).toMatchObject({
        response_action: 'errors',
        errors: { role: expect.stringMatching(/not a valid IAM role name/) },
      });
      expect(await submit({ role: `arn:aws:iam::${ACCOUNT}:role/finance-admins` })).toMatchObject({
        response_action: 'errors',
        errors: { role: expect.stringMatching(/not in ALLOWED_ROLES/) },
      });
      expect(await submit({ role: 'connect-missing' })).toMatchObject({
        response_action: 'errors',
        errors: { role: expect.stringMatching(/does not exist/) },
      });
      expect(await submit({})).toMatchObject({
        response_action: 'errors',
        errors: { role: expect.any(String) },
      });
      const badDuration = await submit({ role: 'connect-admins', duration: 'forever' });
      expect(badDuration).toMatchObject({
        response_action: 'errors',
        errors: { duration: expect.stringMatching(/30m, 8h or 7d/) },
      });
      expect(Object.keys(badDuration!.errors!)).toEqual(['duration']);
      expect(await submit({ role: 'connect-admins', instance: 'nope' })).toMatchObject({
        response_action: 'errors',
        errors: { instance: expect.any(String) },
      });
      // IAM failing the check still gets an answer on the role field, within Slack's deadline.
      h.iam.queueFault('GetRole', { code: 'AccessDenied', message: 'not allowed to iam:GetRole' });
      expect(await submit({ role: 'connect-admins' })).toMatchObject({
        response_action: 'errors',
        errors: { role: expect.stringMatching(/could not be checked/) },
      });
      expect(posts()).toHaveLength(0);
      expect(iamCalls('PutRolePolicy')).toHaveLength(0);
    });

    it('a good submission closes the dialog, posts the card and tells the requester; it can be approved', async () => {
      const answer = await submit({
        task: 'onboard',
        option: 'managed',
        role: ROLE,
        duration: '8h',
        reason: 'from the dialog',
      });
      expect(answer?.response_action).toBeUndefined();
      const dm = await waitFor(() =>
        posts().find(
          (c) => c.args.channel === REQUESTER && String(c.args.text).includes('waiting for an approver'),
        ),
      );
      const id = requestIdFrom(String(dm.args.text));
      const card = JSON.stringify(cardPost(id)!.args.blocks);
      expect(card).toContain('from the dialog');
      expect(card).toContain('onboard · managed');
      expect(card).toContain('*Grant length*\\n8h');
      expect(card).toContain(ACTION.approve);

      await approveAndWait(id);
      expect(attachedOf(ROLE)).toEqual([FULL_ACCESS]);
      expect(lastCard(id)).toContain(new Date(T0.getTime() + 8 * HOUR).toISOString());
    });
  });

  describe('with MAX_GRANT_DURATION', () => {
    beforeEach(() => boot({ MAX_GRANT_DURATION: '8h' }));

    it('a duration beyond the maximum is an error on the duration field', async () => {
      expect(await submit({ role: 'connect-admins', duration: '9h' })).toMatchObject({
        response_action: 'errors',
        errors: { duration: expect.stringMatching(/maximum of 8h/) },
      });
      expect(posts()).toHaveLength(0);
    });
  });
});

// =================================================================================================================

describe('the tamper-evident log', () => {
  beforeEach(() => boot());

  it('every event of a run chains; export prints them all (denied and failed included); an edited row is caught at its seq', async () => {
    const applied = await granted(`onboard ${ROLE}`);
    await h.click(ACTION.approve, applied, OUTSIDER, 'refused');
    await h.slack.waitForCall('response_url', (c) => c.responseUrlId === 'refused');
    await h.command(`revoke ${applied} done`);
    const denied = await request(`view ${ROLE}`);
    await h.click(ACTION.deny, denied, APPROVER);
    await h.submitView('cases_access_deny_modal', denied, reasonValues('no'), APPROVER);
    await waitForCard(denied, /Denied/);
    const failed = await request(`view ${AGENTS}`);
    h.iam.queueFault('PutRolePolicy', { code: 'AccessDenied', message: 'denied by IAM' });
    await approveAndWait(failed);
    const expiring = await request(`view ${AGENTS} expires`);
    clock.advance(2 * HOUR);
    await h.tick(); // approvers reminded
    clock.advance(DAY);
    await h.tick(); // expired
    await waitForCard(expiring, /Expired/);

    const url = h.env.DATABASE_URL!;
    const store = await openStore(url);
    let events;
    try {
      events = await store.listAllEvents();
    } finally {
      await store.close();
    }
    expect(verifyChain(events)).toEqual({ ok: true, count: events.length });
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    const types = new Set(events.map((e) => e.type));
    for (const type of [
      'requested',
      'approval_refused',
      'approved',
      'iam_call',
      'verified',
      'applied',
      'revoking',
      'revoked',
      'denied',
      'failed',
      'expired',
      'reminded',
    ])
      expect(types).toContain(type);

    let out = '';
    const io = { out: (t: string) => (out += t), err: () => undefined };
    expect(await runCli(['audit', 'export'], io, h.env)).toBe(0);
    const exported = out
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { seq: number; type: string });
    expect(exported.map((e) => e.seq)).toEqual(events.map((e) => e.seq));
    out = '';
    expect(await runCli(['audit', 'verify'], io, h.env)).toBe(0);
    expect(out).toContain(`ok: ${events.length} events`);

    // Edit one row behind the bot's back: its details no longer match its hash.
    const target = events.find((e) => e.type === 'denied')!;
    const db = new Database(sqlitePath(url));
    try {
      db.prepare('UPDATE events SET details = ? WHERE seq = ?').run(
        JSON.stringify({ ...target.details, reason: 'yes' }),
        target.seq,
      );
    } finally {
      db.close();
    }
    const again = await openStore(url);
    try {
      expect(verifyChain(await again.listAllEvents())).toMatchObject({
        ok: false,
        seq: target.seq,
        count: target.seq - 1,
      });
    } finally {
      await again.close();
    }
    out = '';
    expect(await runCli(['audit', 'verify'], io, h.env)).toBe(1);
    expect(out).toContain(`mismatch at event ${target.seq}`);
  });
});
