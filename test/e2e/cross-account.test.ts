import { ACTION } from '../../src/slack/blocks';
import { ACCOUNT, APPROVER, REQUESTER, requestIdFrom, startHarness, waitFor } from '../support/harness';
import type { Harness } from '../support/harness';

/** A role in another account: the bot assumes its cross-account role there, naming the request and the approver. */

const TARGET = '444455556666';
const TARGET_ROLE = `arn:aws:iam::${TARGET}:role/connect-admins`;
let h: Harness;

beforeAll(async () => {
  h = await startHarness({
    env: {
      CROSS_ACCOUNT_ROLE_NAME: 'cases-access-target',
      CROSS_ACCOUNT_EXTERNAL_ID: 'cases-access-external-id',
      ALLOWED_ROLES: `arn:aws:iam::${ACCOUNT}:role/connect-*,arn:aws:iam::${TARGET}:role/connect-*`,
    },
  });
});
afterAll(async () => {
  await h.close();
});
beforeEach(() => {
  h.slack.reset();
  h.iam.reset();
  h.iam.addRole('cases-access-target', { account: TARGET });
  h.iam.addRole('connect-admins', { account: TARGET });
  h.iam.addRole('connect-admins'); // a role of the same name in the bot's own account must stay untouched
});

it('writes with assumed-role credentials whose session names the request and carries the approver', async () => {
  const { reply } = await h.command(`onboard ${TARGET_ROLE} cross-account onboarding`);
  const id = requestIdFrom(reply);
  // The existence check already ran in the target account, as the requester.
  const getRole = h.iam.callsOf('GetRole').at(-1)!;
  expect(h.iam.sessionOf(getRole.accessKeyId!)).toMatchObject({ account: TARGET, sourceIdentity: REQUESTER });

  await h.click(ACTION.approve, id, APPROVER);
  await waitFor(
    () =>
      h.slack
        .callsOf('chat.update')
        .find((c) => JSON.stringify(c.args.blocks).includes('Applied and verified')),
    10_000,
  );

  const puts = h.iam.callsOf('PutRolePolicy');
  expect(puts).toHaveLength(1);
  const session = h.iam.sessionOf(puts[0]!.accessKeyId!);
  expect(session).toMatchObject({
    account: TARGET,
    roleArn: `arn:aws:iam::${TARGET}:role/cases-access-target`,
    sessionName: `cases-access-${id}`,
    sourceIdentity: APPROVER,
    externalId: 'cases-access-external-id',
  });
  const assume = h.iam.callsOf('AssumeRole').find((c) => c.params.RoleSessionName === `cases-access-${id}`)!;
  expect(assume.params.SourceIdentity).toBe(APPROVER);
  // The service-linked role is narrowed to the target account; the bot's own account is untouched.
  expect(h.iam.role(TARGET_ROLE)!.inline.get('cases-access-onboard')).toContain(
    `arn:aws:iam::${TARGET}:role/aws-service-role/connect.amazonaws.com/AWSServiceRoleForAmazonConnect*`,
  );
  expect(h.iam.role(`arn:aws:iam::${ACCOUNT}:role/connect-admins`)!.inline.size).toBe(0);
  // Every IAM call of the apply was made with the assumed credentials, none with the bot's own; the checks made
  // when the request came in (GetRole, GetRolePolicy, then the card's evidence: reads and simulations only) ran in
  // a session of their own, also assumed.
  const checks = h.iam.calls.filter(
    (c) => c.service === 'iam' && c.sessionName === 'cases-access-request-check',
  );
  expect([...new Set(checks.map((c) => c.action))].sort()).toEqual([
    'GetRole',
    'GetRolePolicy',
    'ListAttachedRolePolicies',
    'ListRolePolicies',
    'SimulatePrincipalPolicy',
  ]);
  for (const call of h.iam.calls.filter((c) => c.service === 'iam' && !checks.includes(c)))
    expect(call.accessKeyId).toBe(puts[0]!.accessKeyId);
});

it('a refused AssumeRole is reported to the requester; nothing is requested or written', async () => {
  h.iam.removeRole(`arn:aws:iam::${TARGET}:role/cases-access-target`);
  // Another requester, so no session from the first test is reused.
  const { reply } = await h.command(`onboard ${TARGET_ROLE}`, 'UOTHERREQUESTER');
  expect(reply).toMatch(/could not be checked in account 444455556666: AccessDenied/);
  expect(reply).toContain('Nothing was requested');
  expect(h.iam.callsOf('PutRolePolicy')).toHaveLength(0);
  expect(h.slack.callsOf('chat.postMessage')).toHaveLength(0);
});
