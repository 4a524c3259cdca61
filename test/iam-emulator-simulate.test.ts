/**
 * The emulator's SimulatePrincipalPolicy, GetPolicyVersion and PutRolePermissionsBoundary, through the real SDK:
 * the role's inline and attached policies, its boundary and extra input policies are evaluated as IAM does, and
 * the answer has IAM's shape.
 */
import {
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  IAMClient,
  NoSuchEntityException,
  PutRolePermissionsBoundaryCommand,
  SimulatePrincipalPolicyCommand,
} from '@aws-sdk/client-iam';
import { startIamEmulator, type IamEmulator } from './support/iam-emulator';

const READ_ONLY = 'arn:aws:iam::aws:policy/AmazonConnectReadOnlyAccess';
const FULL = 'arn:aws:iam::aws:policy/AmazonConnect_FullAccess';
const doc = (...statements: object[]): string =>
  JSON.stringify({ Version: '2012-10-17', Statement: statements });
const GET_DOMAIN = doc({ Sid: 'CasesGetDomain', Effect: 'Allow', Action: 'cases:GetDomain', Resource: '*' });

let emulator: IamEmulator;
let iam: IAMClient;
let roleArn: string;

beforeAll(async () => {
  emulator = await startIamEmulator();
  iam = new IAMClient({
    region: 'us-east-1',
    endpoint: emulator.url,
    credentials: { accessKeyId: 'AKIATEST', secretAccessKey: 'x' },
  });
});
afterAll(async () => {
  iam.destroy();
  await emulator.close();
});
beforeEach(() => {
  emulator.reset();
  roleArn = emulator.addRole('connect-admins');
});

const simulate = (actions: string[], extra: string[] = [], resources?: string[]) =>
  iam.send(
    new SimulatePrincipalPolicyCommand({
      PolicySourceArn: roleArn,
      ActionNames: actions,
      PolicyInputList: extra.length > 0 ? extra : undefined,
      ResourceArns: resources,
    }),
  );

it('answers implicitDeny for a role without policies, one result per action', async () => {
  const out = await simulate(['cases:GetDomain', 'connect:ListInstances']);
  expect(out.EvaluationResults?.map((r) => [r.EvalActionName, r.EvalResourceName, r.EvalDecision])).toEqual([
    ['cases:GetDomain', '*', 'implicitDeny'],
    ['connect:ListInstances', '*', 'implicitDeny'],
  ]);
  expect(out.EvaluationResults?.[0]?.MatchedStatements).toEqual([]);
  expect(out.EvaluationResults?.[0]?.PermissionsBoundaryDecisionDetail).toBeUndefined();
  expect(out.IsTruncated).toBe(false);
});

it('names the inline policy, the managed policy and the input policy that allow an action', async () => {
  emulator.role(roleArn)!.inline.set('Other', GET_DOMAIN);
  emulator.role(roleArn)!.attached.push(READ_ONLY);
  const out = await simulate(
    ['cases:GetDomain', 'connect:ListInstances', 'cases:CreateDomain'],
    [doc({ Effect: 'Allow', Action: 'cases:CreateDomain', Resource: '*' })],
  );
  const [get, list, create] = out.EvaluationResults ?? [];
  expect(get?.EvalDecision).toBe('allowed');
  expect(get?.MatchedStatements).toEqual([{ SourcePolicyId: 'Other', SourcePolicyType: 'role' }]);
  expect(list?.MatchedStatements).toEqual([
    { SourcePolicyId: 'AmazonConnectReadOnlyAccess', SourcePolicyType: 'aws-managed' },
  ]);
  expect(create?.MatchedStatements).toEqual([
    { SourcePolicyId: 'PolicyInputList.1', SourcePolicyType: 'none' },
  ]);
});

it('reports an explicit deny with only the denying policy', async () => {
  emulator.role(roleArn)!.attached.push(FULL);
  emulator.role(roleArn)!.inline.set(
    'NoIntegrations',
    doc({
      Sid: 'DenyIntegrations',
      Effect: 'Deny',
      Action: 'connect:CreateIntegrationAssociation',
      Resource: '*',
    }),
  );
  const out = await simulate(['connect:CreateIntegrationAssociation']);
  expect(out.EvaluationResults?.[0]).toMatchObject({
    EvalDecision: 'explicitDeny',
    MatchedStatements: [{ SourcePolicyId: 'NoIntegrations', SourcePolicyType: 'role' }],
  });
});

it('applies the permissions boundary and says so in PermissionsBoundaryDecisionDetail', async () => {
  emulator.role(roleArn)!.inline.set('Other', GET_DOMAIN);
  await iam.send(
    new PutRolePermissionsBoundaryCommand({ RoleName: 'connect-admins', PermissionsBoundary: READ_ONLY }),
  );
  const role = await iam.send(new GetRoleCommand({ RoleName: 'connect-admins' }));
  expect(role.Role?.PermissionsBoundary).toEqual({
    PermissionsBoundaryType: 'Policy',
    PermissionsBoundaryArn: READ_ONLY,
  });
  const out = await simulate(
    ['cases:GetDomain', 'connect:ListInstances'],
    [doc({ Effect: 'Allow', Action: 'connect:ListInstances', Resource: '*' })],
  );
  const [get, list] = out.EvaluationResults ?? [];
  expect(get).toMatchObject({
    EvalDecision: 'implicitDeny',
    PermissionsBoundaryDecisionDetail: { AllowedByPermissionsBoundary: false },
  });
  expect(list).toMatchObject({
    EvalDecision: 'allowed',
    PermissionsBoundaryDecisionDetail: { AllowedByPermissionsBoundary: true },
  });
});

it('evaluates each resource and aggregates to the most restrictive decision', async () => {
  emulator
    .role(roleArn)!
    .inline.set(
      'One',
      doc({ Effect: 'Allow', Action: 'iam:PutRolePolicy', Resource: 'arn:aws:iam::111122223333:role/a' }),
    );
  const out = await simulate(
    ['iam:PutRolePolicy'],
    [],
    ['arn:aws:iam::111122223333:role/a', 'arn:aws:iam::111122223333:role/b'],
  );
  const [result] = out.EvaluationResults ?? [];
  expect(result?.EvalDecision).toBe('implicitDeny');
  expect(result?.ResourceSpecificResults?.map((r) => [r.EvalResourceName, r.EvalResourceDecision])).toEqual([
    ['arn:aws:iam::111122223333:role/a', 'allowed'],
    ['arn:aws:iam::111122223333:role/b', 'implicitDeny'],
  ]);
});

it('refuses an unknown role and a malformed input policy as IAM does', async () => {
  await expect(
    iam.send(
      new SimulatePrincipalPolicyCommand({
        PolicySourceArn: 'arn:aws:iam::111122223333:role/nobody',
        ActionNames: ['cases:GetDomain'],
      }),
    ),
  ).rejects.toBeInstanceOf(NoSuchEntityException);
  await expect(simulate(['cases:GetDomain'], ['{"Statement":'])).rejects.toMatchObject({
    name: 'MalformedPolicyDocumentException',
  });
});

it('serves the default version of a managed policy, URL-encoded as IAM does', async () => {
  const policy = await iam.send(new GetPolicyCommand({ PolicyArn: READ_ONLY }));
  const version = await iam.send(
    new GetPolicyVersionCommand({ PolicyArn: READ_ONLY, VersionId: policy.Policy!.DefaultVersionId! }),
  );
  expect(version.PolicyVersion?.IsDefaultVersion).toBe(true);
  const document = JSON.parse(decodeURIComponent(version.PolicyVersion!.Document!)) as {
    Statement: { Action: string | string[] }[];
  };
  expect(JSON.stringify(document.Statement)).toContain('connect:List*');
  expect(JSON.stringify(document.Statement)).not.toContain('cases:');
  await expect(
    iam.send(new GetPolicyVersionCommand({ PolicyArn: READ_ONLY, VersionId: 'v9' })),
  ).rejects.toBeInstanceOf(NoSuchEntityException);
});

it('evaluates a customer managed policy used as a boundary', async () => {
  const boundary = emulator.addManagedPolicy(
    'no-cases',
    doc(
      { Effect: 'Allow', Action: '*', Resource: '*' },
      { Sid: 'NoCases', Effect: 'Deny', Action: 'cases:*', Resource: '*' },
    ),
  );
  emulator.role(roleArn)!.inline.set('Other', GET_DOMAIN);
  await iam.send(
    new PutRolePermissionsBoundaryCommand({ RoleName: 'connect-admins', PermissionsBoundary: boundary }),
  );
  const out = await simulate(['cases:GetDomain']);
  expect(out.EvaluationResults?.[0]).toMatchObject({
    EvalDecision: 'explicitDeny',
    MatchedStatements: [{ SourcePolicyId: 'no-cases', SourcePolicyType: 'user-managed' }],
    PermissionsBoundaryDecisionDetail: { AllowedByPermissionsBoundary: false },
  });
});

it('evaluates the organization’s SCPs for an account in one and says so in OrganizationsDecisionDetail', async () => {
  emulator.role(roleArn)!.inline.set('Other', GET_DOMAIN);
  emulator.setServiceControlPolicies(emulator.accountId, [
    doc(
      { Effect: 'Allow', Action: '*', Resource: '*' },
      { Effect: 'Deny', Action: 'cases:*', Resource: '*' },
    ),
  ]);
  const [get] = (await simulate(['cases:GetDomain'])).EvaluationResults ?? [];
  expect(get).toMatchObject({
    EvalDecision: 'explicitDeny',
    OrganizationsDecisionDetail: { AllowedByOrganizations: false },
  });
  emulator.setServiceControlPolicies(emulator.accountId, undefined);
  const [again] = (await simulate(['cases:GetDomain'])).EvaluationResults ?? [];
  expect(again?.EvalDecision).toBe('allowed');
  expect(again?.OrganizationsDecisionDetail).toBeUndefined();
});
