import { runSimulation } from '@cloud-copilot/iam-simulate';
import { isAllowed } from '../../src/access/roles';
import { ALLOWED_MANAGED_POLICY_ARNS, canonicalJson, PlanValidationError } from '../../src/policy';
import {
  BotPolicyError,
  buildBotPolicy,
  generateBotPolicy,
  validateBotPolicy,
} from '../../src/policy/bot-policy';
import type { BotPolicyDocument, BotPolicyRequest } from '../../src/policy/bot-policy';

/** The bot's own policy under IAM's evaluation logic (tests only: the simulator is AGPL). */
const ACCOUNT = '111122223333';
const OTHER_ACCOUNT = '444455556666';
const BOT = `arn:aws:iam::${ACCOUNT}:role/cases-access-bot`;
const PATTERNS = [`arn:aws:iam::*:role/connect-*`, `arn:aws:iam::${ACCOUNT}:role/teams/cases/*`];
const ALLOWED_ROLE = `arn:aws:iam::${ACCOUNT}:role/connect-admins`;
const ALLOWED_PATH_ROLE = `arn:aws:iam::${ACCOUNT}:role/teams/cases/agents`;
const OUTSIDE_ROLE = `arn:aws:iam::${ACCOUNT}:role/AdminRole`;
const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';

/** The trust policy of the role in the other account: trusts the bot, so only the bot's own policy decides. */
const TRUST = {
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Principal: { AWS: BOT },
      Action: ['sts:AssumeRole', 'sts:SetSourceIdentity'],
    },
  ],
};

const request: BotPolicyRequest = { accountId: ACCOUNT, allowedRolePatterns: PATTERNS };

async function decide(
  document: BotPolicyDocument,
  action: string,
  resource: string,
  contextVariables: Record<string, string | string[]> = {},
  resourcePolicy?: unknown,
): Promise<string> {
  const accountId = /^arn:[^:]+:iam::(\d{12}):/.exec(resource)?.[1] ?? ACCOUNT;
  const result = await runSimulation(
    {
      request: { principal: BOT, action, resource: { resource, accountId }, contextVariables },
      identityPolicies: [{ name: 'cases-access-bot', policy: document }],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy,
    },
    {},
  );
  if (result.resultType === 'error') throw new Error(JSON.stringify(result.errors));
  return result.overallResult;
}

describe('buildBotPolicy', () => {
  it('has the five statements, alphanumeric Sids, and the catalog’s managed policies as the only attachable ones', async () => {
    const policy = await generateBotPolicy({ ...request, crossAccountRoleName: 'cases-access-target' });
    expect(policy.document.Statement.map((s) => s.Sid)).toEqual([
      'WhoAmI',
      'ReadAccountQuotas',
      'CasesPoliciesOnAllowedRoles',
      'AttachOnlyTheDocumentedManagedPolicies',
      'AssumeCrossAccountRole',
    ]);
    for (const s of policy.document.Statement) expect(s.Sid).toMatch(/^[A-Za-z0-9]+$/);
    const attach = policy.document.Statement[3]!;
    expect(attach.Condition).toEqual({ ArnEquals: { 'iam:PolicyARN': [...ALLOWED_MANAGED_POLICY_ARNS] } });
    expect(policy.document.Statement[4]).toMatchObject({
      Action: ['sts:AssumeRole', 'sts:SetSourceIdentity'],
      Resource: 'arn:aws:iam::*:role/cases-access-target',
    });
    expect(policy.documentText).toBe(canonicalJson(policy.document));
    expect(policy.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('narrows a "*" account to --account, keeps other accounts as given, and drops duplicates', () => {
    const doc = buildBotPolicy({
      accountId: ACCOUNT,
      allowedRolePatterns: [
        'arn:aws:iam::*:role/connect-*',
        ` arn:aws:iam::${ACCOUNT}:role/connect-* `,
        `arn:aws:iam::${OTHER_ACCOUNT}:role/x`,
        '',
      ],
    });
    expect(doc.Statement[2]!.Resource).toEqual([
      `arn:aws:iam::${ACCOUNT}:role/connect-*`,
      `arn:aws:iam::${OTHER_ACCOUNT}:role/x`,
    ]);
  });

  it('writes one pattern as a string, and nothing cross-account without the role name', () => {
    const doc = buildBotPolicy({ accountId: ACCOUNT, allowedRolePatterns: [ALLOWED_ROLE] });
    expect(doc.Statement[2]!.Resource).toBe(ALLOWED_ROLE);
    expect(JSON.stringify(doc)).not.toContain('sts:AssumeRole');
  });

  it('uses the patterns’ partition for the cross-account role', () => {
    const doc = buildBotPolicy({
      accountId: ACCOUNT,
      allowedRolePatterns: [`arn:aws-cn:iam::${ACCOUNT}:role/connect-*`],
      crossAccountRoleName: 'x',
    });
    expect(doc.Statement[4]!.Resource).toBe('arn:aws-cn:iam::*:role/x');
  });

  it.each([
    [{ accountId: '12345' }, /not a 12-digit AWS account ID/],
    [{ allowedRolePatterns: [] }, /no role ARN patterns/],
    [{ allowedRolePatterns: ['  ', ''] }, /no role ARN patterns/],
    [{ allowedRolePatterns: ['connect-*'] }, /not a role ARN pattern/],
    [{ allowedRolePatterns: [`arn:aws:iam::${ACCOUNT}:user/bob`] }, /not a role ARN pattern/],
    [{ allowedRolePatterns: [`arn:aws:iam::1234:role/x`] }, /not a role ARN pattern/],
    [{ allowedRolePatterns: [`arn:aws:iam::${ACCOUNT}:role/`] }, /not a role ARN pattern/],
    [{ allowedRolePatterns: [`arn:aws-mars:iam::${ACCOUNT}:role/x`] }, /not an AWS partition/],
    [{ allowedRolePatterns: [`arn:aws:iam::${ACCOUNT}:role/connect-?`] }, /only "\*" is a wildcard/],
    [{ allowedRolePatterns: [`arn:aws:iam::${ACCOUNT}:role/\${aws:username}`] }, /only "\*" is a wildcard/],
    [
      { allowedRolePatterns: [`arn:aws:iam::${ACCOUNT}:role/a`, `arn:aws-cn:iam::${ACCOUNT}:role/b`] },
      /span partitions aws, aws-cn/,
    ],
    [{ crossAccountRoleName: 'bad name' }, /not a valid IAM role name/],
    [{ crossAccountRoleName: 'x'.repeat(65) }, /not a valid IAM role name/],
  ])('refuses %j', (override, message) => {
    expect(() => buildBotPolicy({ ...request, ...override })).toThrow(BotPolicyError);
    expect(() => buildBotPolicy({ ...request, ...override })).toThrow(message);
  });
});

describe('validateBotPolicy', () => {
  const base = (): BotPolicyDocument =>
    buildBotPolicy({ ...request, crossAccountRoleName: 'cases-access-target' });

  it('accepts what buildBotPolicy builds', async () => {
    await expect(validateBotPolicy(base())).resolves.toBeUndefined();
  });

  it.each<[string, (d: BotPolicyDocument) => void, RegExp]>([
    [
      'an unknown action',
      (d) => void (d.Statement[2]!.Action = ['iam:PutRolePolicies']),
      /not an IAM action/,
    ],
    [
      'attach without the condition',
      (d) => void delete d.Statement[3]!.Condition,
      /ArnEquals condition on iam:PolicyARN/,
    ],
    [
      'a condition key the action lacks',
      (d) => void (d.Statement[2]!.Condition = { ArnEquals: { 'iam:PolicyARN': ADMIN } }),
      /iam:GetRole does not support the condition key iam:PolicyARN/,
    ],
    [
      'a string operator on an ARN key',
      (d) => void (d.Statement[3]!.Condition = { StringEquals: { 'iam:PolicyARN': ADMIN } }),
      /StringEquals does not fit iam:PolicyARN/,
    ],
    [
      'role actions on "*"',
      (d) => void (d.Statement[2]!.Resource = '*'),
      /"\*" would grant it on every resource/,
    ],
    [
      'a wildcard-only action on an ARN',
      (d) => void (d.Statement[0]!.Resource = ALLOWED_ROLE),
      /sts:GetCallerIdentity supports only Resource "\*"/,
    ],
    [
      'a resource of the wrong type',
      (d) => void (d.Statement[2]!.Resource = `arn:aws:iam::${ACCOUNT}:user/bob`),
      /is not a resource of iam:GetRole/,
    ],
    ['a non-alphanumeric Sid', (d) => void (d.Statement[0]!.Sid = 'Who-Am-I'), /not alphanumeric/],
    ['a duplicate Sid', (d) => void (d.Statement[1]!.Sid = 'WhoAmI'), /used twice/],
    [
      'more than IAM allows',
      (d) =>
        void (d.Statement[2]!.Resource = Array.from(
          { length: 300 },
          (_, i) => `arn:aws:iam::${ACCOUNT}:role/connect-${i}-*`,
        )),
      /IAM allows 10240/,
    ],
  ])('refuses %s', async (_label, tamper, message) => {
    const doc = base();
    tamper(doc);
    const failure = validateBotPolicy(doc);
    await expect(failure).rejects.toThrow(PlanValidationError);
    await expect(failure).rejects.toThrow(message);
  });
});

describe('the bot policy under simulated IAM evaluation', () => {
  let doc: BotPolicyDocument;
  beforeAll(async () => {
    doc = (await generateBotPolicy(request)).document;
  });

  const roleCalls = [
    'iam:GetRole',
    'iam:PutRolePolicy',
    'iam:GetRolePolicy',
    'iam:DeleteRolePolicy',
    'iam:ListRolePolicies',
    'iam:ListAttachedRolePolicies',
  ];

  it.each([ALLOWED_ROLE, ALLOWED_PATH_ROLE])('allows every call the bot makes on %s', async (role) => {
    for (const action of roleCalls)
      expect([action, await decide(doc, action, role)]).toEqual([action, 'Allowed']);
    for (const action of ['iam:AttachRolePolicy', 'iam:DetachRolePolicy'])
      for (const arn of ALLOWED_MANAGED_POLICY_ARNS)
        expect([action, arn, await decide(doc, action, role, { 'iam:PolicyARN': arn })]).toEqual([
          action,
          arn,
          'Allowed',
        ]);
  });

  it('allows GetCallerIdentity and GetAccountSummary', async () => {
    expect(await decide(doc, 'sts:GetCallerIdentity', '*')).toBe('Allowed');
    expect(await decide(doc, 'iam:GetAccountSummary', '*')).toBe('Allowed');
  });

  it.each<[string, string, Record<string, string>]>([
    ['iam:PutRolePolicy', OUTSIDE_ROLE, {}],
    ['iam:GetRole', OUTSIDE_ROLE, {}],
    ['iam:PutRolePolicy', `arn:aws:iam::${OTHER_ACCOUNT}:role/connect-admins`, {}],
    ['iam:AttachRolePolicy', ALLOWED_ROLE, { 'iam:PolicyARN': ADMIN }],
    ['iam:DetachRolePolicy', ALLOWED_ROLE, { 'iam:PolicyARN': ADMIN }],
    ['iam:AttachRolePolicy', ALLOWED_ROLE, {}],
    ['iam:DetachRolePolicy', ALLOWED_ROLE, {}],
    ['iam:AttachRolePolicy', OUTSIDE_ROLE, { 'iam:PolicyARN': ALLOWED_MANAGED_POLICY_ARNS[0]! }],
    [
      'iam:AttachRolePolicy',
      ALLOWED_ROLE,
      { 'iam:PolicyARN': `arn:aws:iam::${ACCOUNT}:policy/AmazonConnect_FullAccess` },
    ],
    ['iam:CreateRole', ALLOWED_ROLE, {}],
    ['iam:PassRole', ALLOWED_ROLE, {}],
    ['iam:UpdateAssumeRolePolicy', ALLOWED_ROLE, {}],
    ['iam:DeleteRole', ALLOWED_ROLE, {}],
    ['iam:PutRolePermissionsBoundary', ALLOWED_ROLE, {}],
    ['iam:TagRole', ALLOWED_ROLE, {}],
    ['iam:CreatePolicyVersion', `arn:aws:iam::${ACCOUNT}:policy/anything`, {}],
    ['iam:PutUserPolicy', `arn:aws:iam::${ACCOUNT}:user/connect-admins`, {}],
  ])('denies %s on %s %j', async (action, resource, context) => {
    expect(await decide(doc, action, resource, context)).not.toBe('Allowed');
  });

  it('without --cross-account-role-name denies assuming a role that trusts the bot', async () => {
    const target = `arn:aws:iam::${OTHER_ACCOUNT}:role/cases-access-target`;
    expect(await decide(doc, 'sts:AssumeRole', target, {}, TRUST)).not.toBe('Allowed');
  });

  it('allows a role exactly when ALLOWED_ROLES does (same "*" meaning) in the bot’s account', async () => {
    const patterns = [
      `arn:aws:iam::${ACCOUNT}:role/connect-*`,
      `arn:aws:iam::${ACCOUNT}:role/*/cases-*`,
      `arn:aws:iam::${ACCOUNT}:role/exact.name@x`,
    ];
    const own = (await generateBotPolicy({ accountId: ACCOUNT, allowedRolePatterns: patterns })).document;
    for (const name of [
      'connect-admins',
      'connect-',
      'connect',
      'xconnect-admins',
      'ops/connect-admins',
      'teams/cases-agents',
      'a/b/cases-x',
      'cases-agents',
      'exact.name@x',
      'exact.name@xy',
      'exactAname@x',
    ]) {
      const arn = `arn:aws:iam::${ACCOUNT}:role/${name}`;
      const expected = isAllowed(arn, patterns) ? 'Allowed' : 'not allowed';
      const actual = (await decide(own, 'iam:PutRolePolicy', arn)) === 'Allowed' ? 'Allowed' : 'not allowed';
      expect([arn, actual]).toEqual([arn, expected]);
    }
  });

  describe('with --cross-account-role-name', () => {
    let cross: BotPolicyDocument;
    beforeAll(async () => {
      cross = (await generateBotPolicy({ ...request, crossAccountRoleName: 'cases-access-target' })).document;
    });

    it('allows assuming that role, with a source identity, in any account', async () => {
      for (const account of [OTHER_ACCOUNT, '777788889999'])
        for (const action of ['sts:AssumeRole', 'sts:SetSourceIdentity'])
          expect(
            await decide(cross, action, `arn:aws:iam::${account}:role/cases-access-target`, {}, TRUST),
          ).toBe('Allowed');
    });

    it('denies assuming any other role', async () => {
      for (const name of ['cases-access-target2', 'Admin', 'path/cases-access-target'])
        expect(
          await decide(cross, 'sts:AssumeRole', `arn:aws:iam::${OTHER_ACCOUNT}:role/${name}`, {}, TRUST),
        ).not.toBe('Allowed');
    });
  });
});
