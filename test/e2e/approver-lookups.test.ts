import { ACTION, DENY_MODAL, REASON_BLOCK, REASON_INPUT } from '../../src/slack/blocks';
import { APPROVER_FAILURE_CACHE_MS } from '../../src/slack/approvers';
import { REFUSALS_PER_WINDOW } from '../../src/slack/refusal-limiter';
import { APPROVER, GROUP_MEMBER, OUTSIDER, REQUESTER, waitFor } from '../support/harness';
import { shownBySlack } from '../support/slack-requests';
import { approveTo, ROLE, startRig } from '../support/integrity-rig';
import type { Rig } from '../support/integrity-rig';
import { startSlackProxy } from '../support/slack-proxy';
import type { SlackProxy } from '../support/slack-proxy';
import { MINUTE } from '../support/test-clock';

/**
 * Approver lookups cannot block anyone. A usergroup's members are looked up through their own bounded Web API call
 * (no retries, 429s handed back), kept for a minute, shared by concurrent clicks, and a failure is kept briefly: a
 * slow or rate-limited Slack refuses group members quickly (fails closed) while listed approvers, `help` and other
 * users go on as usual. Dialogs checked before their ack are acked within Slack's deadline whatever the lookup does.
 *
 * The bot talks to the fake Slack through a proxy that can hold usergroups.users.list unanswered.
 */

const AGENTS = ROLE.replace('connect-admins', 'connect-agents');
const NON_APPROVERS = ['UNOTAPPROVER1', 'UNOTAPPROVER2', 'UNOTAPPROVER3', 'UNOTAPPROVER4'];
const LOOKUP = 'usergroups.users.list';
/** Slack's deadline for an ack is 3 s; the bot aims well inside it. */
const ACK_DEADLINE_MS = 2_500;
const LOOKUP_REFUSED = 'could not check just now whether you are an approver';

let rig: Rig;
let proxy: SlackProxy;
beforeEach(async () => {
  proxy = await startSlackProxy();
  // The harness starts the fake Slack with the bot: the proxy points at it before the bot asks Slack anything.
  rig = await startRig({ SLACK_API_URL: proxy.apiUrl }, (slack) => proxy.setTarget(slack.apiUrl));
});
afterEach(async () => {
  proxy.release(LOOKUP);
  await rig.close();
  await proxy.close();
});

const lookups = () => rig.h.slack.callsOf(LOOKUP).length;
const timed = async <T>(work: () => Promise<T>): Promise<[T, number]> => {
  const started = performance.now();
  const value = await work();
  return [value, Math.round(performance.now() - started)];
};
const reason = (text: string) => ({
  [REASON_BLOCK]: { [REASON_INPUT]: { type: 'plain_text_input', value: text } },
});
const timings: Record<string, number | number[]> = {};

afterAll(() => {
  if (process.env.SHOW_TIMINGS) process.stdout.write(`lookup timings (ms): ${JSON.stringify(timings)}\n`);
});

it('while usergroups.users.list answers 429 (Retry-After 20 s) four non-approvers are refused at once; help, a listed approver’s approval and a Deny dialog are not held', async () => {
  const toApprove = await rig.ask(`onboard ${ROLE} issue 11`);
  const toDeny = await rig.ask(`view ${ROLE} issue 11`);
  const forMember = await rig.ask(`onboard ${AGENTS} issue 11`);
  for (let i = 0; i < 10; i++) rig.h.slack.queueRateLimit(LOOKUP, 20);

  const [refusals, allRefused] = await timed(() =>
    Promise.all(
      NON_APPROVERS.map((user) => timed(() => rig.clickForAnswer(ACTION.approve, toApprove, user))),
    ),
  );
  timings.nonApproverRefusals = refusals.map(([, ms]) => ms);
  for (const [text, ms] of refusals) {
    expect(text).toContain(LOOKUP_REFUSED);
    expect(text).toContain('Retry-After 20 s');
    expect(ms).toBeLessThan(1_000);
  }
  expect(allRefused).toBeLessThan(1_500);
  // One call answered 429 and was remembered: the four clicks did not ask Slack again.
  expect(lookups()).toBe(1);

  const [help, helpMs] = await timed(() => rig.h.command('help', REQUESTER));
  timings.help = helpMs;
  expect(shownBySlack(help.reply)).toContain('/cases-access onboard <role>');
  expect(helpMs).toBeLessThan(1_000);

  // A listed approver (a user ID) needs no lookup: the approval applies at once.
  const [, approveMs] = await timed(() => approveTo(rig, toApprove, 'applied', APPROVER));
  timings.approvalApplied = approveMs;
  expect(approveMs).toBeLessThan(3_000);

  // A Deny dialog is checked before its ack; the listed approver's is acked well inside Slack's deadline.
  expect(await rig.h.click(ACTION.deny, toDeny, APPROVER)).toBe(200);
  await rig.h.slack.waitForCall('views.open');
  const [denied, denyAckMs] = await timed(() =>
    rig.h.submitView(DENY_MODAL, toDeny, reason('not now'), APPROVER),
  );
  timings.denyDialogAck = denyAckMs;
  expect(denied.status).toBe(200);
  expect(denied.json).toBeUndefined();
  expect(denyAckMs).toBeLessThan(ACK_DEADLINE_MS);
  await rig.cardReaches(toDeny, 'denied');

  // A usergroup member's dialog while the lookup is refused: acked in time, with "try again" in the dialog.
  const [member, memberAckMs] = await timed(() =>
    rig.h.submitView(DENY_MODAL, forMember, reason('not now'), GROUP_MEMBER),
  );
  timings.memberDenyDialogAck = memberAckMs;
  expect(member.status).toBe(200);
  expect(member.json).toMatchObject({
    response_action: 'errors',
    errors: { [REASON_BLOCK]: expect.stringContaining('Try again') },
  });
  expect(memberAckMs).toBeLessThan(ACK_DEADLINE_MS);
  expect((await rig.get(forMember)).state).toBe('pending');
  expect(lookups()).toBe(1);
}, 30_000);

it('a lookup that gets no answer refuses a member within about 1.5 s; the Deny dialog is acked in time; others are not held', async () => {
  const first = await rig.ask(`onboard ${ROLE} slow`);
  const second = await rig.ask(`onboard ${AGENTS} slow`);
  proxy.hold(LOOKUP);

  const memberClick = timed(() => rig.clickForAnswer(ACTION.approve, first, GROUP_MEMBER));
  // While that lookup hangs, help and a listed approver are served at once.
  const [help, helpMs] = await timed(() => rig.h.command('help', REQUESTER));
  expect(help.reply).toContain('/cases-access');
  expect(helpMs).toBeLessThan(1_000);
  const [text, memberMs] = await memberClick;
  timings.slowLookupRefusal = memberMs;
  expect(text).toContain(LOOKUP_REFUSED);
  expect(memberMs).toBeLessThan(2_500);
  expect((await rig.get(first)).state).toBe('pending');

  // The failure is remembered briefly; after that the member's Deny dialog waits on a new lookup, which hangs too.
  rig.clock.advance(APPROVER_FAILURE_CACHE_MS);
  const [dialog, ackMs] = await timed(() =>
    rig.h.submitView(DENY_MODAL, second, reason('slow slack'), GROUP_MEMBER),
  );
  timings.slowLookupDenyDialogAck = ackMs;
  expect(dialog.json).toMatchObject({ response_action: 'errors' });
  expect(ackMs).toBeLessThan(ACK_DEADLINE_MS);
  expect(proxy.held(LOOKUP)).toBe(2);

  const [, approveMs] = await timed(() => approveTo(rig, first, 'applied', APPROVER));
  expect(approveMs).toBeLessThan(3_000);
}, 30_000);

it('a failed lookup refuses at once and nothing changes; once its brief hold ends the member can approve', async () => {
  const id = await rig.ask(`onboard ${ROLE} failing lookup`);
  rig.h.slack.queueError(LOOKUP, 'internal_error');
  const [text, ms] = await timed(() => rig.clickForAnswer(ACTION.approve, id, GROUP_MEMBER));
  timings.failedLookupRefusal = ms;
  expect(text).toContain(LOOKUP_REFUSED);
  expect(text).toContain('internal_error');
  expect(ms).toBeLessThan(1_000);
  expect((await rig.get(id)).state).toBe('pending');
  expect(rig.writes()).toEqual([]);

  rig.clock.advance(APPROVER_FAILURE_CACHE_MS);
  await approveTo(rig, id, 'applied', GROUP_MEMBER);
  expect(lookups()).toBe(2);
}, 30_000);

it('members are looked up once a minute: two clicks within it make one call, a click after it a new one', async () => {
  const first = await rig.ask(`onboard ${ROLE} cache`);
  const second = await rig.ask(`view ${ROLE} cache`);
  const third = await rig.ask(`onboard ${AGENTS} cache`);
  await approveTo(rig, first, 'applied', GROUP_MEMBER);
  expect(lookups()).toBe(1);
  rig.clock.advance(59_000);
  await approveTo(rig, second, 'applied', GROUP_MEMBER);
  expect(lookups()).toBe(1);
  rig.clock.advance(MINUTE);
  // Removed from the group since: the new lookup says so.
  rig.h.slack.setUsergroup('SAPPROVERS', []);
  expect(await rig.clickForAnswer(ACTION.approve, third, GROUP_MEMBER)).toContain('not an approver');
  expect(lookups()).toBe(2);
}, 30_000);

it('one user’s flood of refused clicks does not delay another user’s command, and is answered only a few times', async () => {
  const id = await rig.ask(`onboard ${ROLE} flood`);
  proxy.hold(LOOKUP); // the worst case: every lookup would wait for its timeout
  const floodStarted = performance.now();
  const flood = await Promise.all(
    Array.from({ length: 100 }, (_, i) => rig.h.click(ACTION.approve, id, OUTSIDER, `flood-${i}`)),
  );
  expect(flood).toEqual(Array(100).fill(200));
  timings.floodAcked = Math.round(performance.now() - floodStarted);
  // All acked; the flooder's work still waits on the hung lookup. Another user's commands go straight through.
  expect(proxy.held(LOOKUP)).toBe(1);
  const [help, helpMs] = await timed(() => rig.h.command('help', REQUESTER));
  const [status, statusMs] = await timed(() => rig.h.command('status', REQUESTER));
  timings.helpDuringFlood = helpMs;
  timings.statusDuringFlood = statusMs;
  expect(help.reply).toContain('/cases-access');
  expect(status.reply).toContain(id);
  expect(helpMs).toBeLessThan(1_000);
  expect(statusMs).toBeLessThan(1_000);

  // The flooder is told only so many times in a minute (the last saying their clicks are ignored for now).
  const told = () => rig.h.slack.callsOf('response_url').filter((c) => c.responseUrlId?.startsWith('flood-'));
  await waitFor(() => told().length === REFUSALS_PER_WINDOW);
  await new Promise((r) => setTimeout(r, 2_000));
  expect(told()).toHaveLength(REFUSALS_PER_WINDOW);
  expect(told().some((c) => String(c.args.text).includes('ignores your clicks until'))).toBe(true);
  // One lookup for the whole flood, and nothing decided.
  expect(proxy.held(LOOKUP)).toBe(1);
  expect((await rig.get(id)).state).toBe('pending');

  // Muted now: a further click is acked and dropped; other users are answered as usual.
  expect(await rig.h.click(ACTION.approve, id, OUTSIDER, 'after-flood')).toBe(200);
  await approveTo(rig, id, 'applied', APPROVER);
  expect(told()).toHaveLength(REFUSALS_PER_WINDOW);
  expect(rig.h.slack.callsOf('response_url').some((c) => c.responseUrlId === 'after-flood')).toBe(false);
}, 30_000);
