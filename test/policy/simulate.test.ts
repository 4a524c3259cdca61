import { runSimulation } from '@cloud-copilot/iam-simulate';
import { generatePlan } from '../../src/policy';
import type { PolicyPlan, PolicyStatement } from '../../src/policy';

/** IAM's own evaluation logic (tests only: the simulator is AGPL) over each generated inline policy. */
const ACCOUNT = '111122223333';
const REGION = 'us-east-1';
const INSTANCE = '8a9b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d';
const OTHER_INSTANCE = '11111111-2222-4333-8444-555555555555';
const instanceArn = (id: string): string => `arn:aws:connect:${REGION}:${ACCOUNT}:instance/${id}`;
const slrArn = `arn:aws:iam::${ACCOUNT}:role/aws-service-role/connect.amazonaws.com/AWSServiceRoleForAmazonConnect_abc123`;

/** A realistic resource for each documented action. */
const REALISTIC: Record<string, string> = {
  'connect:ListInstances': '*',
  'ds:DescribeDirectories': '*',
  'connect:ListIntegrationAssociations': instanceArn(INSTANCE),
  'connect:DescribeInstance': instanceArn(INSTANCE),
  'connect:CreateIntegrationAssociation': instanceArn(INSTANCE),
  'cases:GetDomain': `arn:aws:cases:${REGION}:${ACCOUNT}:domain/d-1`,
  'cases:CreateDomain': '*',
  'iam:PutRolePolicy': slrArn,
  'profile:SearchProfiles': `arn:aws:profile:${REGION}:${ACCOUNT}:domains/amazon-connect-d1`,
};

async function decide(plan: PolicyPlan, action: string, resource: string): Promise<string> {
  const result = await runSimulation(
    {
      request: {
        principal: `arn:aws:iam::${ACCOUNT}:role/connect-admins`,
        action,
        resource: { resource, accountId: ACCOUNT },
        contextVariables: {},
      },
      identityPolicies: [{ name: plan.policyName, policy: plan.document }],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    },
    {},
  );
  if (result.resultType === 'error') throw new Error(JSON.stringify(result.errors));
  return result.overallResult;
}

const actionsOf = (statements: PolicyStatement[]): string[] =>
  statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));

const scopes = [
  { label: 'account-narrowed', request: { accountId: ACCOUNT } },
  {
    label: 'instance-narrowed',
    request: { accountId: ACCOUNT, instance: { instanceId: INSTANCE, region: REGION } },
  },
];

describe.each(scopes)('simulated IAM evaluation ($label)', ({ request }) => {
  describe.each([
    ['view', 'minimal'],
    ['view', 'managed'],
    ['onboard', 'minimal'],
    ['onboard', 'managed'],
  ] as const)('%s · %s', (task, option) => {
    let plan: PolicyPlan;
    beforeAll(async () => {
      plan = await generatePlan({ task, option, ...request });
    });

    it('allows every documented action on a realistic resource', async () => {
      for (const action of actionsOf(plan.document.Statement)) {
        expect([action, await decide(plan, action, REALISTIC[action]!)]).toEqual([action, 'Allowed']);
      }
    });

    it.each([
      ['cases:DeleteDomain', `arn:aws:cases:${REGION}:${ACCOUNT}:domain/d-1`],
      ['cases:CreateCase', `arn:aws:cases:${REGION}:${ACCOUNT}:domain/d-1`],
      ['iam:PutRolePolicy', `arn:aws:iam::${ACCOUNT}:role/AdminRole`],
      [
        'iam:PutRolePolicy',
        'arn:aws:iam::999999999999:role/aws-service-role/connect.amazonaws.com/AWSServiceRoleForAmazonConnect_x',
      ],
      ['iam:AttachRolePolicy', slrArn],
      ['iam:AttachRolePolicy', `arn:aws:iam::${ACCOUNT}:role/connect-admins`],
      ['iam:CreateRole', `arn:aws:iam::${ACCOUNT}:role/new`],
      ['connect:DeleteInstance', instanceArn(INSTANCE)],
      ['profile:DeleteProfile', `arn:aws:profile:${REGION}:${ACCOUNT}:domains/amazon-connect-d1`],
    ])('denies the near miss %s on %s', async (action, resource) => {
      expect(await decide(plan, action, resource)).not.toBe('Allowed');
    });
  });
});

describe('instance narrowing in simulation', () => {
  it('denies the instance-scoped connect actions on another instance', async () => {
    const plan = await generatePlan({
      task: 'onboard',
      option: 'minimal',
      accountId: ACCOUNT,
      instance: { instanceId: INSTANCE, region: REGION },
    });
    for (const action of [
      'connect:DescribeInstance',
      'connect:ListIntegrationAssociations',
      'connect:CreateIntegrationAssociation',
    ]) {
      expect(await decide(plan, action, instanceArn(INSTANCE))).toBe('Allowed');
      expect([action, await decide(plan, action, instanceArn(OTHER_INSTANCE))]).not.toEqual([
        action,
        'Allowed',
      ]);
    }
    // cases:GetDomain stays on "*" as the page requires.
    expect(await decide(plan, 'cases:GetDomain', `arn:aws:cases:eu-west-1:${ACCOUNT}:domain/other`)).toBe(
      'Allowed',
    );
  });

  it('without narrowing the same instance actions are allowed anywhere (the doc sample)', async () => {
    const plan = await generatePlan({ task: 'onboard', option: 'minimal', verbatim: true });
    expect(await decide(plan, 'connect:DescribeInstance', instanceArn(OTHER_INSTANCE))).toBe('Allowed');
  });
});
