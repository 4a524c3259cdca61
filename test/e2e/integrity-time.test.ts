import { ACTION, REQUEST_MODAL } from '../../src/slack/blocks';
import { APPROVER, REQUESTER, waitFor } from '../support/harness';
import { approveTo, ONBOARD_POLICY, ROLE, startRig, T0 } from '../support/integrity-rig';
import type { Rig } from '../support/integrity-rig';
import { HOUR, MINUTE } from '../support/test-clock';

/**
 * A grant's end is fixed when it is approved, whatever happens to the apply, and the scheduler takes off the role
 * whatever a grant left there when its time ends, applied or partly applied. Durations have a ceiling.
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
  const role = rig.h.iam.role(ROLE)!;
  role.inline.clear();
  role.attached.length = 0;
});

it('the issue’s scenario: `--managed --for 1s` with AttachRolePolicy failing ends on time, inline policy removed', async () => {
  rig.h.iam.queueFault('AttachRolePolicy', { code: 'AccessDenied', message: 'not allowed to attach' });
  const id = await rig.ask(`onboard ${ROLE} --managed --for 1s partial`);
  const approvedAt = rig.clock.now();
  await approveTo(rig, id, 'failed');
  const failed = await rig.get(id);
  expect(failed.failure?.code).toBe('AccessDenied');
  expect(failed.expiresAt).toEqual(new Date(approvedAt.getTime() + 1000));
  expect(rig.h.iam.role(ROLE)!.inline.has(ONBOARD_POLICY)).toBe(true); // the partial grant

  rig.clock.advance(2000);
  await rig.h.tick();
  expect((await rig.get(id)).state).toBe('revoked');
  expect(rig.h.iam.role(ROLE)!.inline.has(ONBOARD_POLICY)).toBe(false);
  expect(rig.h.iam.role(ROLE)!.attached).toEqual([]);
  await waitFor(async () => (await rig.thread(id)).some((t) => t.includes('Revoked and verified')));
  expect((await rig.thread(id)).join('\n')).toContain('(automatic)');
});

it('the end is the approval time plus the duration, not the time the apply finished', async () => {
  const id = await rig.ask(`onboard ${ROLE} --for 8h timing`);
  rig.clock.advance(2 * HOUR);
  const approvedAt = rig.clock.now();
  await approveTo(rig, id, 'applied');
  expect((await rig.get(id)).expiresAt).toEqual(new Date(approvedAt.getTime() + 8 * HOUR));
  rig.clock.advance(8 * HOUR + MINUTE);
  await rig.h.tick();
  expect((await rig.get(id)).state).toBe('revoked');
});

it.each([
  ['99999999999d', /longer than 366 days/],
  ['2739726w', /longer than 366 days/],
  ['367d', /longer than 366 days/],
  [`${'9'.repeat(30)}s`, /longer than 366 days/],
])('`--for %s` is refused with a clear message; nothing is requested', async (text, message) => {
  const { reply } = await rig.h.command(`onboard ${ROLE} --for ${text} forever`);
  expect(reply).toMatch(message);
  expect(reply).toContain('Nothing was changed');
  expect(rig.h.slack.callsOf('chat.postMessage')).toHaveLength(0);
  expect(rig.writes()).toEqual([]);
});

it('`--for 366d` is the longest grant, and its end is stored and compared correctly', async () => {
  const id = await rig.ask(`onboard ${ROLE} --for 366d a year and a day`);
  await approveTo(rig, id, 'applied');
  const { expiresAt } = await rig.get(id);
  expect(expiresAt!.getTime() - rig.clock.now().getTime()).toBe(366 * 24 * HOUR);
  // Not due before its time …
  rig.clock.advance(365 * 24 * HOUR);
  await rig.h.tick();
  expect((await rig.get(id)).state).toBe('applied');
  // … and due after it.
  rig.clock.advance(2 * 24 * HOUR);
  await rig.h.tick();
  expect((await rig.get(id)).state).toBe('revoked');
  rig.clock.set(T0);
});

it('the request dialog refuses a duration past the ceiling on its field', async () => {
  const values = {
    task: { task: { type: 'static_select', selected_option: { value: 'onboard' } } },
    option: { option: { type: 'static_select', selected_option: { value: 'minimal' } } },
    role: { role: { type: 'plain_text_input', value: ROLE } },
    instance: { instance: { type: 'plain_text_input', value: null } },
    duration: { duration: { type: 'plain_text_input', value: '99999999999d' } },
    reason: { reason: { type: 'plain_text_input', value: null } },
  };
  const { json } = await rig.h.submitView(REQUEST_MODAL, '', values, REQUESTER);
  expect(json).toMatchObject({
    response_action: 'errors',
    errors: { duration: expect.stringMatching(/longer than 366 days/) },
  });
  expect(rig.h.slack.callsOf('chat.postMessage')).toHaveLength(0);
});

it('Retry after the grant’s end is refused: the time was fixed at approval', async () => {
  rig.h.iam.queueFault('PutRolePolicy', { code: 'AccessDenied', message: 'not now' });
  const id = await rig.ask(`onboard ${ROLE} --for 1h retry late`);
  await approveTo(rig, id, 'failed');
  rig.clock.advance(2 * HOUR);
  const responseId = 'late-retry';
  expect(await rig.h.click(ACTION.retry, id, APPROVER, responseId)).toBe(200);
  const answer = await rig.h.slack.waitForCall('response_url', (c) => c.responseUrlId === responseId);
  expect(String(answer.args.text)).toMatch(/time ended .* cannot be retried/);
  expect(rig.writes()).toEqual([]);
});
