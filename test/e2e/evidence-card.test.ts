/**
 * The approval card's evidence: before anyone approves, IAM's simulator (the emulator, evaluating like IAM) says
 * which documented actions the role already has, which the grant adds and which would still be denied, and why.
 */
import { ACTION } from '../../src/slack/blocks';
import { APPROVAL_CHANNEL, APPROVER, requestIdFrom, startHarness } from '../support/harness';
import type { Harness } from '../support/harness';

/** A role of its own for each test: an identical request still pending would be answered with the earlier card. */
let roleName = '';
let ROLE = '';
let tests = 0;
const READ_ONLY = 'arn:aws:iam::aws:policy/AmazonConnectReadOnlyAccess';
const doc = (...statements: object[]): string =>
  JSON.stringify({ Version: '2012-10-17', Statement: statements });
let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});
beforeEach(() => {
  h.slack.reset();
  h.iam.reset();
  roleName = `connect-evidence-${++tests}`;
  ROLE = h.iam.addRole(roleName);
});

async function request(text: string): Promise<string> {
  const { status, reply } = await h.command(text);
  expect(status).toBe(200);
  return requestIdFrom(reply);
}

/** The card's text as Slack shows it: every block's text, joined. */
function cardText(requestId: string): string {
  const card = h.slack
    .callsOf('chat.postMessage')
    .find(
      (c) =>
        c.args.channel === APPROVAL_CHANNEL && !c.args.thread_ts && String(c.args.text).includes(requestId),
    );
  expect(card).toBeDefined();
  return JSON.stringify(card!.args.blocks);
}

it('counts an action the role already has through another inline policy as already allowed, and lists that policy', async () => {
  h.iam
    .role(ROLE)!
    .inline.set('ExistingCases', doc({ Effect: 'Allow', Action: 'cases:GetDomain', Resource: '*' }));
  const card = cardText(await request(`onboard ${ROLE} migrating`));
  expect(card).toContain('of 9 documented actions, 1 already allowed, 8 added by this grant');
  expect(card).not.toContain('Would not work');
  expect(card).toMatch(/The role already has:\*.*inline `ExistingCases`; managed _none_/);
});

it('says the grant would not work when the permissions boundary allows no cases: action, and names the boundary', async () => {
  h.iam.role(ROLE)!.attached.push(READ_ONLY);
  const boundary = h.iam.addManagedPolicy(
    'connect-read-boundary',
    doc({ Effect: 'Allow', Action: 'connect:*', Resource: '*' }),
  );
  await setBoundary(boundary);
  const card = cardText(await request(`onboard ${ROLE} migrating`));
  expect(card).toContain('Would not work');
  expect(card).toMatch(/`cases:GetDomain` \(the permissions boundary connect-read-boundary\)/);
  expect(card).toContain('permissions boundary `connect-read-boundary`');
  expect(card).toContain('managed `AmazonConnectReadOnlyAccess`');
});

it('names the denying statement’s policy when an explicit Deny blocks connect:CreateIntegrationAssociation', async () => {
  h.iam.role(ROLE)!.inline.set(
    'NoIntegrations',
    doc({
      Sid: 'DenyIntegrations',
      Effect: 'Deny',
      Action: 'connect:CreateIntegrationAssociation',
      Resource: '*',
    }),
  );
  const card = cardText(await request(`onboard ${ROLE} migrating`));
  expect(card).toContain('Would not work');
  expect(card).toContain('1 still denied after the grant');
  expect(card).toContain('`connect:CreateIntegrationAssociation` (an explicit deny in NoIntegrations)');
});

it('says the grant would not work when an organization’s SCP denies cases: actions', async () => {
  h.iam.setServiceControlPolicies(h.iam.accountId, [
    doc(
      { Effect: 'Allow', Action: '*', Resource: '*' },
      { Effect: 'Deny', Action: 'cases:*', Resource: '*' },
    ),
  ]);
  const card = cardText(await request(`onboard ${ROLE} migrating`));
  expect(card).toContain('2 still denied after the grant');
  expect(card).toContain('`cases:GetDomain` (an organization’s SCP)');
});

it('simulates Option 2 with the managed policy’s default version, fetched with GetPolicy and GetPolicyVersion', async () => {
  const card = cardText(await request(`onboard ${ROLE} --managed migrating`));
  expect(h.iam.callsOf('GetPolicyVersion').map((c) => c.params.PolicyArn)).toContain(
    'arn:aws:iam::aws:policy/AmazonConnect_FullAccess',
  );
  const withPlan = h.iam
    .callsOf('SimulatePrincipalPolicy')
    .filter((c) => c.params['PolicyInputList.member.2']);
  expect(withPlan.length).toBeGreaterThan(0);
  expect(withPlan[0]!.params['PolicyInputList.member.2']).toContain('connect:*');
  // Option 2's inline policy has no connect: action; the managed policy's document is what allows them.
  expect(card).toMatch(/of \d+ documented actions?, 0 already allowed, \d+ added by this grant/);
  expect(card).not.toContain('Would not work');
});

it('degrades to "not checked" when the simulation is denied, and the request still goes to the approvers', async () => {
  h.iam.queueFault(
    'SimulatePrincipalPolicy',
    { code: 'AccessDenied', message: 'not authorized', status: 403 },
    50,
  );
  const requestId = await request(`onboard ${ROLE} migrating`);
  const card = cardText(requestId);
  expect(card).toContain('Effective access not checked:* `AccessDenied`');
  expect(card).toContain(ACTION.approve);
});

it('shows the whole table in the View policy dialog: action, resource, before, after, deciding', async () => {
  h.iam
    .role(ROLE)!
    .inline.set('ExistingCases', doc({ Effect: 'Allow', Action: 'cases:GetDomain', Resource: '*' }));
  const requestId = await request(`onboard ${ROLE} migrating`);
  expect(await h.click(ACTION.viewPolicy, requestId, APPROVER)).toBe(200);
  const opened = await h.slack.waitForCall('views.open');
  const view = JSON.stringify(opened.args.view);
  expect(view).toMatch(/action +resource +before +after +deciding/);
  expect(view).toMatch(/cases:GetDomain +\* +allowed +allowed +ExistingCases/);
  expect(view).toMatch(/cases:CreateDomain +\* +not allowed +allowed +this grant/);
});

async function setBoundary(arn: string): Promise<void> {
  const { IAMClient, PutRolePermissionsBoundaryCommand } = await import('@aws-sdk/client-iam');
  const iam = new IAMClient({
    region: 'us-east-1',
    endpoint: h.iam.url,
    credentials: { accessKeyId: 'AKIATEST', secretAccessKey: 'x' },
  });
  try {
    await iam.send(new PutRolePermissionsBoundaryCommand({ RoleName: roleName, PermissionsBoundary: arn }));
  } finally {
    iam.destroy();
  }
}
