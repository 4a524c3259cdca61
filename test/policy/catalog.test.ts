import samples from '../fixtures/aws-doc-samples.json';
import {
  buildDocument,
  canonicalJson,
  generatePlan,
  MANAGED_POLICY,
  PlanRequestError,
  PlanValidationError,
  sha256Hex,
  validatePlan,
} from '../../src/policy';
import type { PolicyPlan, PolicyStatement } from '../../src/policy';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const INSTANCE = '8a9b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d';
const iamStatement = samples.onboardMinimal.Statement.find(
  (s) => s.Sid === 'AttachAnyPolicyToAmazonConnectRole',
);

const actionsOf = (statements: PolicyStatement[]): string[] =>
  statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])).sort();

describe('verbatim documents equal the AWS page (latest revision)', () => {
  it('view, Option 1', () => {
    expect(buildDocument({ task: 'view', option: 'minimal', verbatim: true })).toEqual(samples.viewMinimal);
  });
  it('view, Option 2', () => {
    expect(buildDocument({ task: 'view', option: 'managed', verbatim: true })).toEqual(samples.viewManaged);
  });
  it('onboard, Option 1', () => {
    expect(buildDocument({ task: 'onboard', option: 'minimal', verbatim: true })).toEqual(
      samples.onboardMinimal,
    );
  });
  it('onboard, Option 2: the sample plus the iam:PutRolePolicy statement the page requires beside AmazonConnect_FullAccess', () => {
    expect(buildDocument({ task: 'onboard', option: 'managed', verbatim: true })).toEqual({
      ...samples.onboardManaged,
      Statement: [...samples.onboardManaged.Statement, iamStatement],
    });
  });
  it('Option 1 of onboarding has exactly the nine actions the page lists', () => {
    const doc = buildDocument({ task: 'onboard', option: 'minimal' });
    expect(actionsOf(doc.Statement)).toEqual(
      [
        'connect:ListInstances',
        'ds:DescribeDirectories',
        'connect:ListIntegrationAssociations',
        'cases:GetDomain',
        'cases:CreateDomain',
        'connect:CreateIntegrationAssociation',
        'connect:DescribeInstance',
        'iam:PutRolePolicy',
        'profile:SearchProfiles',
      ].sort(),
    );
  });
  it('every action the page lists as a bullet appears in the matching Option 1 document', () => {
    const page = readFileSync(join(__dirname, '../fixtures/aws-doc-page-latest.txt'), 'utf8');
    const [viewPart, onboardPart] = page.split('Onboard to Cases\n');
    const bullets = (text: string | undefined): string[] =>
      [...(text ?? '').split('Following is a sample')[0]!.matchAll(/^-\n([a-z]+:[A-Za-z]+)$/gm)]
        .map((m) => m[1]!)
        .sort();
    expect(actionsOf(buildDocument({ task: 'view', option: 'minimal' }).Statement)).toEqual(
      bullets(viewPart),
    );
    expect(actionsOf(buildDocument({ task: 'onboard', option: 'minimal' }).Statement)).toEqual(
      bullets(onboardPart),
    );
  });
});

describe('generated plans', () => {
  it('narrow the service-linked role to the target account and change nothing else', async () => {
    const plan = await generatePlan({ task: 'onboard', option: 'minimal', accountId: '111122223333' });
    const verbatim = samples.onboardMinimal.Statement;
    expect(plan.document.Statement).toHaveLength(verbatim.length);
    plan.document.Statement.forEach((statement, i) => {
      if (statement.Sid === 'AttachAnyPolicyToAmazonConnectRole') {
        expect(statement).toEqual({
          ...verbatim[i],
          Resource:
            'arn:aws:iam::111122223333:role/aws-service-role/connect.amazonaws.com/AWSServiceRoleForAmazonConnect*',
        });
      } else {
        expect(statement).toEqual(verbatim[i]);
      }
    });
  });

  it('without an account keep the documented wildcard account', async () => {
    const plan = await generatePlan({ task: 'onboard', option: 'minimal' });
    expect(plan.document).toEqual(samples.onboardMinimal);
  });

  it('with an instance narrow the three instance-scoped connect actions and nothing else', async () => {
    const plan = await generatePlan({
      task: 'onboard',
      option: 'minimal',
      accountId: '111122223333',
      instance: { instanceId: INSTANCE, region: 'eu-west-2' },
    });
    const instanceArn = `arn:aws:connect:eu-west-2:111122223333:instance/${INSTANCE}`;
    const bySid = Object.fromEntries(plan.document.Statement.map((s) => [s.Sid, s]));
    expect(bySid.ListIntegrationAssociations!.Resource).toBe(instanceArn);
    expect(bySid.CreateIntegrationAssociationsAndDependencies).toEqual({
      Sid: 'CreateIntegrationAssociationsAndDependencies',
      Effect: 'Allow',
      Action: ['connect:CreateIntegrationAssociation'],
      Resource: [instanceArn, `${instanceArn}/integration-association/*`],
    });
    expect(bySid.DescribeConnectInstance).toEqual({
      Sid: 'DescribeConnectInstance',
      Effect: 'Allow',
      Action: ['connect:DescribeInstance'],
      Resource: instanceArn,
    });
    // Never narrowed: wildcard-only actions and cases:GetDomain (the page requires "*").
    for (const sid of [
      'AllowsViewingConnectConsole',
      'CasesGetDomain',
      'CasesCreateDomain',
      'ProfileSearchProfiles',
    ])
      expect(bySid[sid]!.Resource).toBe('*');
    expect(actionsOf(plan.document.Statement)).toEqual(
      actionsOf(samples.onboardMinimal.Statement as PolicyStatement[]),
    );
  });

  it('Option 2 attaches exactly the documented AWS managed policy', async () => {
    expect((await generatePlan({ task: 'view', option: 'managed' })).managedPolicyArns).toEqual([
      MANAGED_POLICY.readOnly,
    ]);
    expect((await generatePlan({ task: 'onboard', option: 'managed' })).managedPolicyArns).toEqual([
      MANAGED_POLICY.fullAccess,
    ]);
    expect((await generatePlan({ task: 'onboard', option: 'minimal' })).managedPolicyArns).toEqual([]);
  });

  it('hash the exact canonical text sent to IAM, the same every time', async () => {
    const a = await generatePlan({ task: 'view', option: 'minimal', accountId: '111122223333' });
    const b = await generatePlan({ task: 'view', option: 'minimal', accountId: '111122223333' });
    expect(a.documentText).toBe(canonicalJson(a.document));
    expect(a.documentText).not.toMatch(/\s/);
    expect(a.sha256).toBe(sha256Hex(a.documentText));
    expect(a.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(b).toEqual(a);
    expect(a.policyName).toBe('cases-access-view');
  });

  it('refuse malformed requests', async () => {
    await expect(generatePlan({ task: 'view', option: 'minimal', accountId: '1234' })).rejects.toThrow(
      PlanRequestError,
    );
    await expect(
      generatePlan({
        task: 'view',
        option: 'minimal',
        instance: { instanceId: 'nope', region: 'us-east-1' },
      }),
    ).rejects.toThrow(/UUID/);
    await expect(
      generatePlan({ task: 'view', option: 'minimal', instance: { instanceId: INSTANCE, region: 'mars' } }),
    ).rejects.toThrow(/region/);
  });
});

describe('validation fails loudly on catalog defects', () => {
  async function planWith(
    statements: PolicyStatement[],
    extra: Partial<PolicyPlan> = {},
  ): Promise<PolicyPlan> {
    const base = await generatePlan({ task: 'view', option: 'minimal' });
    const document = { ...base.document, Statement: statements };
    const documentText = canonicalJson(document);
    return { ...base, document, documentText, sha256: sha256Hex(documentText), ...extra };
  }
  const stmt = (over: Partial<PolicyStatement>): PolicyStatement => ({
    Sid: 'Test',
    Effect: 'Allow',
    Action: ['cases:GetDomain'],
    Resource: '*',
    ...over,
  });

  it.each<[string, PolicyStatement[], RegExp]>([
    ['an unknown action', [stmt({ Action: ['cases:GetDomians'] })], /not an IAM action/],
    [
      'a wildcard-only action narrowed',
      [
        stmt({
          Action: ['connect:ListInstances'],
          Resource: 'arn:aws:connect:us-east-1:111122223333:instance/x',
        }),
      ],
      /only Resource "\*"/,
    ],
    [
      'a resource of the wrong type',
      [stmt({ Action: ['iam:PutRolePolicy'], Resource: 'arn:aws:s3:::bucket' })],
      /not a resource of iam:PutRolePolicy/,
    ],
    ['duplicate Sids', [stmt({}), stmt({})], /used twice/],
    ['a non-alphanumeric Sid', [stmt({ Sid: 'has-dash' })], /not alphanumeric/],
    [
      'an oversize document',
      Array.from({ length: 200 }, (_, i) =>
        stmt({ Sid: `S${i}`, Action: ['cases:GetDomain', 'cases:CreateDomain'] }),
      ),
      /IAM allows 10240/,
    ],
  ])('%s', async (_label, statements, message) => {
    const plan = await planWith(statements);
    await expect(validatePlan(plan)).rejects.toThrow(PlanValidationError);
    await expect(validatePlan(plan)).rejects.toThrow(message);
  });

  it('a managed policy outside the catalog', async () => {
    const plan = await planWith([stmt({})], {
      managedPolicyArns: ['arn:aws:iam::aws:policy/AdministratorAccess'],
    });
    await expect(validatePlan(plan)).rejects.toThrow(/not in the catalog/);
  });

  it('a document text that is not the document', async () => {
    const plan = await planWith([stmt({})]);
    await expect(
      validatePlan({ ...plan, documentText: plan.documentText.replace('GetDomain', 'DeleteDomain') }),
    ).rejects.toThrow(/not the canonical document/);
    await expect(validatePlan({ ...plan, sha256: '0'.repeat(64) })).rejects.toThrow(/sha256/);
  });

  it('accepts every catalog plan', async () => {
    for (const task of ['view', 'onboard'] as const)
      for (const option of ['minimal', 'managed'] as const)
        await expect(
          generatePlan({
            task,
            option,
            accountId: '111122223333',
            instance: { instanceId: INSTANCE, region: 'us-east-1' },
          }),
        ).resolves.toBeDefined();
  });
});
