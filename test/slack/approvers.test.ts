import {
  APPROVER_CACHE_MS,
  APPROVER_FAILURE_CACHE_MS,
  APPROVER_LOOKUP_TIMEOUT_MS,
  ApproverLookupError,
  approverLookupClient,
  SlackApproverDirectory,
} from '../../src/slack/approvers';
import { startFakeSlack } from '../support/fake-slack';
import type { FakeSlack } from '../support/fake-slack';
import { startSlackProxy } from '../support/slack-proxy';
import type { SlackProxy } from '../support/slack-proxy';
import { TestClock } from '../support/test-clock';

/** The approver directory over real HTTP: the fake Slack Web API, behind a proxy that can hold calls. */

const GROUP = 'SAPPROVERS';
const OTHER_GROUP = 'SOTHERS';
let slack: FakeSlack;
let proxy: SlackProxy;
let clock: TestClock;

const directory = (usergroupIds = [GROUP]) =>
  new SlackApproverDirectory(
    approverLookupClient('xoxb-test-token', proxy.apiUrl),
    { userIds: ['UAPPROVER'], usergroupIds },
    { clock },
  );
const lookups = () => slack.callsOf('usergroups.users.list').length;

beforeEach(async () => {
  slack = await startFakeSlack();
  proxy = await startSlackProxy();
  proxy.setTarget(slack.apiUrl);
  slack.setUsergroup(GROUP, ['UMEMBER']);
  slack.setUsergroup(OTHER_GROUP, ['UOTHER']);
  clock = new TestClock();
});
afterEach(async () => {
  await proxy.close();
  await slack.close();
});

it('a listed user is an approver without asking Slack', async () => {
  expect(await directory().isApprover('UAPPROVER')).toBe(true);
  expect(lookups()).toBe(0);
});

it('keeps a usergroup’s members for a minute; concurrent clicks share one call', async () => {
  const approvers = directory();
  const answers = await Promise.all(
    ['UMEMBER', 'UOUT1', 'UOUT2', 'UMEMBER', 'UOUT3'].map((u) => approvers.isApprover(u)),
  );
  expect(answers).toEqual([true, false, false, true, false]);
  expect(lookups()).toBe(1);

  clock.advance(APPROVER_CACHE_MS - 1);
  slack.setUsergroup(GROUP, ['UNEWCOMER']);
  expect(await approvers.isApprover('UMEMBER')).toBe(true);
  expect(lookups()).toBe(1);

  // After the TTL the group is asked again, and a membership change counts.
  clock.advance(1);
  expect(await approvers.isApprover('UMEMBER')).toBe(false);
  expect(await approvers.isApprover('UNEWCOMER')).toBe(true);
  expect(lookups()).toBe(2);
});

it('a 429 refuses at once and is remembered for its Retry-After: a flood of clicks asks Slack once', async () => {
  slack.queueRateLimit('usergroups.users.list', 20);
  const approvers = directory();
  const started = Date.now();
  const outcomes = await Promise.allSettled(
    Array.from({ length: 50 }, (_, i) => approvers.isApprover(`UOUT${i}`)),
  );
  expect(Date.now() - started).toBeLessThan(1_000);
  for (const outcome of outcomes) {
    expect(outcome.status).toBe('rejected');
    const error = (outcome as PromiseRejectedResult).reason as ApproverLookupError;
    expect(error).toBeInstanceOf(ApproverLookupError);
    expect(error.reason).toContain('Retry-After 20 s');
    expect(error.retryAt).toEqual(new Date(clock.now().getTime() + 20_000));
  }
  // A member is refused too (fails closed) while the failure is remembered.
  await expect(approvers.isApprover('UMEMBER')).rejects.toBeInstanceOf(ApproverLookupError);
  expect(lookups()).toBe(1);

  clock.advance(20_000);
  expect(await approvers.isApprover('UMEMBER')).toBe(true);
  expect(lookups()).toBe(2);
});

it('an error answer refuses at once and is remembered briefly', async () => {
  slack.queueError('usergroups.users.list', 'internal_error');
  const approvers = directory();
  await expect(approvers.isApprover('UMEMBER')).rejects.toThrow(/internal_error/);
  clock.advance(APPROVER_FAILURE_CACHE_MS - 1);
  await expect(approvers.isApprover('UMEMBER')).rejects.toBeInstanceOf(ApproverLookupError);
  expect(lookups()).toBe(1);
  clock.advance(1);
  expect(await approvers.isApprover('UMEMBER')).toBe(true);
});

it('a lookup that gets no answer refuses within its timeout, once for every click waiting on it', async () => {
  proxy.hold('usergroups.users.list');
  const approvers = directory();
  const started = Date.now();
  const outcomes = await Promise.allSettled(
    ['UMEMBER', 'UOUT1', 'UOUT2'].map((u) => approvers.isApprover(u)),
  );
  const took = Date.now() - started;
  expect(took).toBeGreaterThanOrEqual(APPROVER_LOOKUP_TIMEOUT_MS - 50);
  expect(took).toBeLessThan(APPROVER_LOOKUP_TIMEOUT_MS + 1_000);
  expect(outcomes.every((o) => o.status === 'rejected')).toBe(true);
  expect(proxy.held('usergroups.users.list')).toBe(1);
  // Remembered: the next click is refused without waiting again.
  const again = Date.now();
  await expect(approvers.isApprover('UMEMBER')).rejects.toBeInstanceOf(ApproverLookupError);
  expect(Date.now() - again).toBeLessThan(200);
});

it('with two groups, a member of the one that answers is an approver even while the other fails', async () => {
  slack.queueError('usergroups.users.list', 'internal_error');
  const approvers = directory([GROUP, OTHER_GROUP]);
  // GROUP failed; OTHER_GROUP answered and has UOTHER.
  expect(await approvers.isApprover('UOTHER')).toBe(true);
  await expect(approvers.isApprover('UNOBODY')).rejects.toBeInstanceOf(ApproverLookupError);
});
