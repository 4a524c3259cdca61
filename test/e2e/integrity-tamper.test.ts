import { ACTION } from '../../src/slack/blocks';
import { APPROVER, waitFor } from '../support/harness';
import {
  ADMIN,
  approveTo,
  FULL_ACCESS,
  ONBOARD_POLICY,
  OTHER_ROLE,
  ROLE,
  startRig,
} from '../support/integrity-rig';
import type { Rig } from '../support/integrity-rig';

/**
 * Someone with write access to the bot's database swaps a pending request's plan. Nothing they write may reach IAM:
 * before each write the plan is derived again from the catalog and compared with the stored text, the stored and
 * recorded SHA-256, the role and the managed policies.
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
  for (const arn of [ROLE, OTHER_ROLE]) {
    const role = rig.h.iam.role(arn)!;
    role.inline.clear();
    role.attached.length = 0;
  }
});

/** Approves a tampered request and checks that it ended IntegrityError with nothing written anywhere. */
async function approveTampered(id: string, problem: RegExp): Promise<void> {
  await approveTo(rig, id, 'failed');
  const request = await rig.get(id);
  expect(request.failure?.code).toBe('IntegrityError');
  expect(rig.writes()).toEqual([]);
  expect(rig.h.iam.role(ROLE)!.inline.size).toBe(0);
  expect(rig.h.iam.role(OTHER_ROLE)!.inline.size).toBe(0);
  expect(rig.h.iam.role(OTHER_ROLE)!.attached).toEqual([]);
  // The thread calls the approvers and says what did not match; no "Verified" line with the old hash.
  await waitFor(async () => (await rig.thread(id)).some((t) => t.includes('nothing was written')));
  const thread = (await rig.thread(id)).join('\n');
  expect(thread).toContain(`<@${APPROVER}>`);
  expect(thread).toMatch(problem);
  expect(thread).not.toMatch(/Verified/);
  expect(
    rig.h.logLines.some(
      (l) => l.includes('"level":"error"') && l.includes(id) && l.includes('IntegrityError'),
    ),
  ).toBe(true);
  // The requester is not told anything was applied.
  expect(
    rig.h.slack.posted().some((m) => m.channel !== 'CAPPROVALS' && /is applied/.test(String(m.args.text))),
  ).toBe(false);
}

it('the issue’s swap: document "Allow * on *", a role outside ALLOWED_ROLES and AdministratorAccess, sha256 left alone', async () => {
  const id = await rig.ask(`onboard ${ROLE} --managed tamper test`);
  rig.tamper(
    'update requests set document_text = ?, role_name = ?, managed_policy_arns = ? where id = ?',
    JSON.stringify({ Effect: 'Allow', Action: '*', Resource: '*' }),
    'finance-admins',
    JSON.stringify([ADMIN]),
    id,
  );
  await approveTampered(id, /stored role .* is not the role ARN|hashes to/);
  expect(rig.h.iam.callsOf('AttachRolePolicy')).toHaveLength(0);
  expect(rig.h.iam.callsOf('PutRolePolicy')).toHaveLength(0);
});

it('the document alone, with its SHA-256 recomputed so the row agrees with itself', async () => {
  const id = await rig.ask(`onboard ${ROLE} tamper test`);
  const evil = JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
  });
  const { createHash } = await import('node:crypto');
  rig.tamper(
    'update requests set document_text = ?, sha256 = ? where id = ?',
    evil,
    createHash('sha256').update(evil).digest('hex'),
    id,
  );
  // The `requested` event still holds the SHA-256 of what was asked for.
  await approveTampered(id, /the SHA-256: stored .*, recorded when requested/);
});

it('the whole role (ARN, name and account fields together) moved to a role outside ALLOWED_ROLES', async () => {
  const id = await rig.ask(`onboard ${ROLE} tamper test`);
  rig.tamper(
    'update requests set role_arn = ?, role_name = ? where id = ?',
    OTHER_ROLE,
    'finance-admins',
    id,
  );
  await approveTampered(id, /the role: stored .*finance-admins.*, recorded when requested .*connect-admins/);
});

it('the managed policies alone: AdministratorAccess instead of the catalog’s', async () => {
  const id = await rig.ask(`onboard ${ROLE} --managed tamper test`);
  rig.tamper(
    'update requests set managed_policy_arns = ? where id = ?',
    JSON.stringify([FULL_ACCESS, ADMIN]),
    id,
  );
  await approveTampered(id, /the managed policies: stored .*AdministratorAccess.*, recorded when requested/);
});

it('a plan that is consistent with its record but not with today’s catalog (an upgrade) is written in neither version', async () => {
  const id = await rig.ask(`onboard ${ROLE} from before an upgrade`);
  // As if an older catalog had produced it: the row and its recorded event agree with each other.
  const older = JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Sid: 'CasesGetDomain', Effect: 'Allow', Action: ['cases:GetDomain'], Resource: '*' }],
  });
  const { createHash } = await import('node:crypto');
  const sha = createHash('sha256').update(older).digest('hex');
  rig.tamper('update requests set document_text = ?, sha256 = ? where id = ?', older, sha, id);
  rig.tamper(
    "update events set details = json_set(details, '$.sha256', ?) where request_id = ? and type = 'requested'",
    sha,
    id,
  );
  await approveTo(rig, id, 'failed');
  expect((await rig.get(id)).failure).toMatchObject({
    code: 'CatalogChanged',
    message: expect.stringMatching(/catalog changed .* Make a new request/),
  });
  expect(rig.writes()).toEqual([]);
});

it('the task and the recorded event together: a view request turned into onboarding', async () => {
  const id = await rig.ask(`view ${ROLE} tamper test`);
  rig.tamper("update requests set task = 'onboard', policy_name = ? where id = ?", ONBOARD_POLICY, id);
  await approveTampered(id, /the task: stored "onboard", recorded when requested "view"/);
});

it('an approved-then-failed request tampered before Retry is refused on Retry too', async () => {
  rig.h.iam.queueFault('PutRolePolicy', { code: 'AccessDenied', message: 'not now' });
  const id = await rig.ask(`onboard ${ROLE} tamper test`);
  await approveTo(rig, id, 'failed');
  rig.tamper(
    'update requests set document_text = ? where id = ?',
    JSON.stringify({ Effect: 'Allow', Action: '*', Resource: '*' }),
    id,
  );
  rig.h.slack.reset();
  expect(await rig.h.click(ACTION.retry, id, APPROVER)).toBe(200);
  await rig.cardReaches(id, 'failed');
  expect((await rig.get(id)).failure?.code).toBe('IntegrityError');
  expect(rig.writes()).toEqual([]);
});

it('an untouched request still applies, with every write under its lease generation', async () => {
  const id = await rig.ask(`onboard ${ROLE} --managed honest`);
  await approveTo(rig, id, 'applied');
  const { leaseGeneration } = await rig.get(id);
  expect(rig.writes().map((w) => [w.action, w.fence])).toEqual([
    ['PutRolePolicy', `${id}/${leaseGeneration}`],
    ['AttachRolePolicy', `${id}/${leaseGeneration}`],
  ]);
});
