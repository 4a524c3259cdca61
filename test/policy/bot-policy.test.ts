import { runSimulation } from '@cloud-copilot/iam-simulate';
import { isAllowed } from '../../src/access/roles';
import { ALLOWED_MANAGED_POLICY_ARNS, canonicalJson, PlanValidationError } from '../../src/policy';
import {
  BotPolicyError,
  buildBotPolicy,
  generateBotPolicy,
  MANAGED_POLICY_SIZE_LIMIT,
  validateBotPolicy,
} from '../../src/policy/bot-policy';
import type { BotPolicyDocument, BotPolicyRequest, BotPolicyStatement } from '../../src/policy/bot-policy';

/** The bot's own policy under IAM's evaluation logic (tests only: the simulator is AGPL). */
const ACCOUNT = '111122223333';
const OTHER_ACCOUNT = '444455556666';
const BOT = `arn:aws:iam::${ACCOUNT}:role/cases-access-bot`;
const PATTERNS = [`arn:aws:iam::*:role/connect-*`, `arn:aws:iam::${ACCOUNT}:role/teams/cases/*`];
const ALLOWED_ROLE = `arn:aws:iam::${ACCOUNT}:role/connect-admins`;
const ALLOWED_PATH_ROLE = `arn:aws:iam::${ACCOUNT}:role/teams/cases/agents`;
const OUTSIDE_ROLE = `arn:aws:iam::${ACCOUNT}:role/AdminRole`;
const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';
const THIRD_ACCOUNT = '777788889999';
/** Cross-account roles need every pattern to name its account. */
const CROSS_PATTERNS = [
  `arn:aws:iam::${ACCOUNT}:role/connect-*`,
  `arn:aws:iam::${ACCOUNT}:role/teams/cases/*`,
  `arn:aws:iam::${OTHER_ACCOUNT}:role/connect-*`,
  `arn:aws:iam::${THIRD_ACCOUNT}:role/connect-*`,
];
const BOUNDARY = `arn:aws:iam::${ACCOUNT}:policy/cases-access-boundary`;
const WRITES = ['iam:PutRolePolicy', 'iam:DeleteRolePolicy', 'iam:AttachRolePolicy', 'iam:DetachRolePolicy'];

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
/** Every option: the recommended production setting. */
const full: BotPolicyRequest = {
  accountId: ACCOUNT,
  allowedRolePatterns: CROSS_PATTERNS,
  crossAccountRoleName: 'cases-access-target',
  botRoleName: 'cases-access-bot',
  requiredBoundaryArn: BOUNDARY,
};

const bySid = (doc: BotPolicyDocument, sid: string): BotPolicyStatement => {
  const statement = doc.Statement.find((s) => s.Sid === sid);
  if (!statement) throw new Error(`no statement ${sid}`);
  return statement;
};

/** Attach and detach are evaluated for one managed policy: give them a catalog one unless the test names another. */
const contextFor = (action: string, context: Record<string, string> = {}): Record<string, string> =>
  action === 'iam:AttachRolePolicy' || action === 'iam:DetachRolePolicy'
    ? { 'iam:PolicyARN': ALLOWED_MANAGED_POLICY_ARNS[0]!, ...context }
    : context;

async function decide(
  document: BotPolicyDocument,
  action: string,
  resource: string,
  contextVariables: Record<string, string | string[]> = {},
  resourcePolicy?: unknown,
  principal = BOT,
): Promise<string> {
  const accountId = /^arn:[^:]+:iam::(\d{12}):/.exec(resource)?.[1] ?? ACCOUNT;
  const result = await runSimulation(
    {
      request: { principal, action, resource: { resource, accountId }, contextVariables },
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
  it('has the eight statements, alphanumeric Sids, and the catalog’s managed policies as the only attachable ones', async () => {
    const policy = await generateBotPolicy(full);
    expect(policy.document.Statement.map((s) => s.Sid)).toEqual([
      'WhoAmI',
      'ReadAccountQuotas',
      'ReadAllowedRoles',
      'CasesPoliciesOnAllowedRoles',
      'AttachOnlyTheDocumentedManagedPolicies',
      'ReadTheDocumentedManagedPolicies',
      'AssumeCrossAccountRole',
      'NeverWriteTheBotsOwnRoles',
    ]);
    for (const s of policy.document.Statement) expect(s.Sid).toMatch(/^[A-Za-z0-9]+$/);
    expect(bySid(policy.document, 'AttachOnlyTheDocumentedManagedPolicies').Condition).toEqual({
      ArnEquals: { 'iam:PolicyARN': [...ALLOWED_MANAGED_POLICY_ARNS] },
      StringEquals: { 'iam:PermissionsBoundary': BOUNDARY },
    });
    expect(bySid(policy.document, 'CasesPoliciesOnAllowedRoles')).toMatchObject({
      Action: ['iam:PutRolePolicy', 'iam:DeleteRolePolicy'],
      Condition: { StringEquals: { 'iam:PermissionsBoundary': BOUNDARY } },
    });
    expect(bySid(policy.document, 'ReadAllowedRoles').Condition).toBeUndefined();
    expect(bySid(policy.document, 'ReadTheDocumentedManagedPolicies')).toEqual({
      Sid: 'ReadTheDocumentedManagedPolicies',
      Effect: 'Allow',
      Action: ['iam:GetPolicy', 'iam:GetPolicyVersion'],
      Resource: [...ALLOWED_MANAGED_POLICY_ARNS],
    });
    expect(bySid(policy.document, 'AssumeCrossAccountRole')).toMatchObject({
      Action: ['sts:AssumeRole', 'sts:SetSourceIdentity'],
      Resource: [
        `arn:aws:iam::${OTHER_ACCOUNT}:role/cases-access-target`,
        `arn:aws:iam::${THIRD_ACCOUNT}:role/cases-access-target`,
      ],
    });
    expect(bySid(policy.document, 'NeverWriteTheBotsOwnRoles')).toEqual({
      Sid: 'NeverWriteTheBotsOwnRoles',
      Effect: 'Deny',
      Action: WRITES,
      Resource: [
        `arn:aws:iam::${ACCOUNT}:role/cases-access-bot`,
        `arn:aws:iam::${ACCOUNT}:role/*/cases-access-bot`,
        'arn:aws:iam::*:role/cases-access-target',
        'arn:aws:iam::*:role/*/cases-access-target',
      ],
    });
    expect(policy.documentText).toBe(canonicalJson(policy.document));
    expect(policy.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('stays within the managed policy size limit with every option and a long allowlist', async () => {
    const accounts = Array.from({ length: 10 }, (_, i) => String(100000000000 + i));
    const policy = await generateBotPolicy({
      ...full,
      allowedRolePatterns: accounts.flatMap((a) => [
        `arn:aws:iam::${a}:role/connect-*`,
        `arn:aws:iam::${a}:role/teams/amazon-connect-cases/*`,
      ]),
      botRoleName: 'x'.repeat(64),
      crossAccountRoleName: 'y'.repeat(64),
    });
    expect(policy.documentText.length).toBeLessThan(MANAGED_POLICY_SIZE_LIMIT);
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
    for (const sid of [
      'ReadAllowedRoles',
      'CasesPoliciesOnAllowedRoles',
      'AttachOnlyTheDocumentedManagedPolicies',
    ])
      expect(bySid(doc, sid).Resource).toEqual([
        `arn:aws:iam::${ACCOUNT}:role/connect-*`,
        `arn:aws:iam::${OTHER_ACCOUNT}:role/x`,
      ]);
  });

  it('writes one pattern as a string; nothing cross-account, no Deny and no boundary without the options', () => {
    const doc = buildBotPolicy({ accountId: ACCOUNT, allowedRolePatterns: [ALLOWED_ROLE] });
    expect(bySid(doc, 'ReadAllowedRoles').Resource).toBe(ALLOWED_ROLE);
    expect(bySid(doc, 'CasesPoliciesOnAllowedRoles').Condition).toBeUndefined();
    expect(bySid(doc, 'AttachOnlyTheDocumentedManagedPolicies').Condition).toEqual({
      ArnEquals: { 'iam:PolicyARN': [...ALLOWED_MANAGED_POLICY_ARNS] },
    });
    expect(JSON.stringify(doc)).not.toContain('sts:AssumeRole');
    expect(JSON.stringify(doc)).not.toContain('Deny');
    expect(JSON.stringify(doc)).not.toContain('PermissionsBoundary');
  });

  it('--bot-role-name alone denies writes on that role, in the bot’s account only', () => {
    const doc = buildBotPolicy({ ...request, botRoleName: 'cases-access-bot' });
    expect(bySid(doc, 'NeverWriteTheBotsOwnRoles').Resource).toEqual([
      `arn:aws:iam::${ACCOUNT}:role/cases-access-bot`,
      `arn:aws:iam::${ACCOUNT}:role/*/cases-access-bot`,
    ]);
  });

  it('uses the patterns’ partition for the cross-account role and the Deny', () => {
    const doc = buildBotPolicy({
      accountId: ACCOUNT,
      allowedRolePatterns: [
        `arn:aws-cn:iam::${ACCOUNT}:role/connect-*`,
        `arn:aws-cn:iam::${OTHER_ACCOUNT}:role/c`,
      ],
      crossAccountRoleName: 'x',
      botRoleName: 'b',
      requiredBoundaryArn: `arn:aws-cn:iam::${ACCOUNT}:policy/boundary`,
    });
    expect(bySid(doc, 'AssumeCrossAccountRole').Resource).toBe(`arn:aws-cn:iam::${OTHER_ACCOUNT}:role/x`);
    expect(bySid(doc, 'NeverWriteTheBotsOwnRoles').Resource).toEqual([
      `arn:aws-cn:iam::${ACCOUNT}:role/b`,
      `arn:aws-cn:iam::${ACCOUNT}:role/*/b`,
      'arn:aws-cn:iam::*:role/x',
      'arn:aws-cn:iam::*:role/*/x',
    ]);
  });

  it.each([
    'arn:aws:iam::aws:policy/PowerUserAccess',
    `arn:aws:iam::${ACCOUNT}:policy/boundaries/cases/cases-access-boundary`,
  ])('accepts the boundary %s', (arn) => {
    const doc = buildBotPolicy({ ...request, requiredBoundaryArn: arn });
    expect(bySid(doc, 'CasesPoliciesOnAllowedRoles').Condition).toEqual({
      StringEquals: { 'iam:PermissionsBoundary': arn },
    });
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
    [
      { crossAccountRoleName: 'bad name' },
      /--cross-account-role-name "bad name" is not a valid IAM role name/,
    ],
    [{ crossAccountRoleName: 'x'.repeat(65) }, /not a valid IAM role name/],
    [
      { crossAccountRoleName: 'cases-access-target' },
      /"arn:aws:iam::\*:role\/connect-\*" has "\*" as its account; with --cross-account-role-name every pattern must name its account/,
    ],
    [
      { allowedRolePatterns: [`arn:aws:iam::${ACCOUNT}:role/connect-*`], crossAccountRoleName: 'x' },
      /the patterns name no account but 111122223333, the bot's own; leave it out/,
    ],
    [{ botRoleName: 'bad name' }, /--bot-role-name "bad name" is not a valid IAM role name/],
    [{ botRoleName: '' }, /--bot-role-name "" is not a valid IAM role name/],
    [
      { requiredBoundaryArn: 'cases-access-boundary' },
      /--require-boundary "cases-access-boundary" is not a managed policy ARN/,
    ],
    [{ requiredBoundaryArn: `arn:aws:iam::${ACCOUNT}:role/x` }, /not a managed policy ARN/],
    [{ requiredBoundaryArn: 'arn:aws:iam::1234:policy/x' }, /not a managed policy ARN/],
    [{ requiredBoundaryArn: `arn:aws:iam::${ACCOUNT}:policy/` }, /not a managed policy ARN/],
    [{ requiredBoundaryArn: `arn:aws:iam::${ACCOUNT}:policy/cases-*` }, /not a managed policy ARN/],
    [{ requiredBoundaryArn: `arn:aws-mars:iam::${ACCOUNT}:policy/x` }, /not a managed policy ARN/],
    [
      { requiredBoundaryArn: `arn:aws-cn:iam::${ACCOUNT}:policy/x` },
      /is in partition aws-cn; the allowed roles are in aws/,
    ],
  ])('refuses %j', (override, message) => {
    expect(() => buildBotPolicy({ ...request, ...override })).toThrow(BotPolicyError);
    expect(() => buildBotPolicy({ ...request, ...override })).toThrow(message);
  });
});

describe('validateBotPolicy', () => {
  const base = (): BotPolicyDocument => buildBotPolicy(full);

  it('accepts what buildBotPolicy builds, with and without the options', async () => {
    await expect(validateBotPolicy(base())).resolves.toBeUndefined();
    await expect(validateBotPolicy(buildBotPolicy(request))).resolves.toBeUndefined();
  });

  const attach = (d: BotPolicyDocument): BotPolicyStatement =>
    bySid(d, 'AttachOnlyTheDocumentedManagedPolicies');

  it.each<[string, (d: BotPolicyDocument) => void, RegExp]>([
    [
      'an unknown action',
      (d) => void (bySid(d, 'ReadAllowedRoles').Action = ['iam:PutRolePolicies']),
      /not an IAM action/,
    ],
    [
      'attach without the managed-policy condition',
      (d) => void delete attach(d).Condition!.ArnEquals,
      /ArnEquals condition on iam:PolicyARN/,
    ],
    [
      'a condition key the action lacks',
      (d) => void (bySid(d, 'ReadAllowedRoles').Condition = { ArnEquals: { 'iam:PolicyARN': ADMIN } }),
      /iam:GetRole does not support the condition key iam:PolicyARN/,
    ],
    [
      'a string operator on an ARN key',
      (d) => void (attach(d).Condition!.StringEquals = { 'iam:PolicyARN': ADMIN }),
      /StringEquals does not fit iam:PolicyARN/,
    ],
    [
      'a pattern operator on the boundary',
      (d) =>
        void (bySid(d, 'CasesPoliciesOnAllowedRoles').Condition = {
          StringLike: { 'iam:PermissionsBoundary': '*' },
        }),
      /StringLike does not fit iam:PermissionsBoundary/,
    ],
    [
      'role actions on "*"',
      (d) => void (bySid(d, 'ReadAllowedRoles').Resource = '*'),
      /"\*" would grant it on every resource/,
    ],
    [
      'a wildcard-only action on an ARN',
      (d) => void (d.Statement[0]!.Resource = ALLOWED_ROLE),
      /sts:GetCallerIdentity supports only Resource "\*"/,
    ],
    [
      'a resource of the wrong type',
      (d) => void (bySid(d, 'ReadAllowedRoles').Resource = `arn:aws:iam::${ACCOUNT}:user/bob`),
      /is not a resource of iam:GetRole/,
    ],
    [
      'GetPolicy on a role',
      (d) => void (bySid(d, 'ReadTheDocumentedManagedPolicies').Resource = ALLOWED_ROLE),
      /is not a resource of iam:GetPolicy/,
    ],
    [
      'an inline-policy write outside the boundary',
      (d) => void delete bySid(d, 'CasesPoliciesOnAllowedRoles').Condition,
      /CasesPoliciesOnAllowedRoles: its writes must carry the same StringEquals iam:PermissionsBoundary condition/,
    ],
    [
      'an attach under another boundary',
      (d) => void (attach(d).Condition!.StringEquals = { 'iam:PermissionsBoundary': ADMIN }),
      /AttachOnlyTheDocumentedManagedPolicies: its writes must carry the same/,
    ],
    [
      'a conditional Deny',
      (d) =>
        void (bySid(d, 'NeverWriteTheBotsOwnRoles').Condition = {
          StringEquals: { 'iam:PermissionsBoundary': BOUNDARY },
        }),
      /NeverWriteTheBotsOwnRoles: a Deny must not have a Condition/,
    ],
    [
      'an Effect other than Allow or Deny',
      (d) => void ((d.Statement[0] as { Effect: string }).Effect = 'allow'),
      /Effect must be Allow or Deny/,
    ],
    ['a non-alphanumeric Sid', (d) => void (d.Statement[0]!.Sid = 'Who-Am-I'), /not alphanumeric/],
    ['a duplicate Sid', (d) => void (d.Statement[1]!.Sid = 'WhoAmI'), /used twice/],
    [
      'more than IAM allows',
      (d) =>
        void (bySid(d, 'ReadAllowedRoles').Resource = Array.from(
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
  let everything: BotPolicyDocument;
  beforeAll(async () => {
    doc = (await generateBotPolicy(request)).document;
    everything = (await generateBotPolicy({ ...full, requiredBoundaryArn: undefined })).document;
  });

  const roleCalls = [
    'iam:GetRole',
    'iam:PutRolePolicy',
    'iam:GetRolePolicy',
    'iam:DeleteRolePolicy',
    'iam:ListRolePolicies',
    'iam:ListAttachedRolePolicies',
    'iam:SimulatePrincipalPolicy',
  ];

  /** Every call the bot makes on an allowed role, with `context` added to each request. */
  async function expectEveryCallAllowed(
    policy: BotPolicyDocument,
    role: string,
    context: Record<string, string> = {},
  ): Promise<void> {
    for (const action of roleCalls)
      expect([action, await decide(policy, action, role, context)]).toEqual([action, 'Allowed']);
    for (const action of ['iam:AttachRolePolicy', 'iam:DetachRolePolicy'])
      for (const arn of ALLOWED_MANAGED_POLICY_ARNS)
        expect([
          action,
          arn,
          await decide(policy, action, role, { ...context, 'iam:PolicyARN': arn }),
        ]).toEqual([action, arn, 'Allowed']);
    for (const action of ['sts:GetCallerIdentity', 'iam:GetAccountSummary'])
      expect([action, await decide(policy, action, '*')]).toEqual([action, 'Allowed']);
    for (const action of ['iam:GetPolicy', 'iam:GetPolicyVersion'])
      for (const arn of ALLOWED_MANAGED_POLICY_ARNS)
        expect([action, arn, await decide(policy, action, arn)]).toEqual([action, arn, 'Allowed']);
  }

  it.each([ALLOWED_ROLE, ALLOWED_PATH_ROLE])('allows every call the bot makes on %s', async (role) => {
    await expectEveryCallAllowed(doc, role);
    await expectEveryCallAllowed(everything, role);
  });

  it.each<[string, string, Record<string, string>]>([
    ['iam:PutRolePolicy', OUTSIDE_ROLE, {}],
    ['iam:GetRole', OUTSIDE_ROLE, {}],
    ['iam:SimulatePrincipalPolicy', OUTSIDE_ROLE, {}],
    ['iam:SimulatePrincipalPolicy', `arn:aws:iam::${ACCOUNT}:role/cases-access-bot`, {}],
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
    ['iam:GetPolicy', ADMIN, {}],
    ['iam:GetPolicyVersion', ADMIN, {}],
    ['iam:GetPolicy', `arn:aws:iam::${ACCOUNT}:policy/AmazonConnect_FullAccess`, {}],
    ['iam:CreateRole', ALLOWED_ROLE, {}],
    ['iam:PassRole', ALLOWED_ROLE, {}],
    ['iam:UpdateAssumeRolePolicy', ALLOWED_ROLE, {}],
    ['iam:DeleteRole', ALLOWED_ROLE, {}],
    ['iam:PutRolePermissionsBoundary', ALLOWED_ROLE, {}],
    ['iam:DeleteRolePermissionsBoundary', ALLOWED_ROLE, {}],
    ['iam:TagRole', ALLOWED_ROLE, {}],
    ['iam:CreatePolicyVersion', `arn:aws:iam::${ACCOUNT}:policy/anything`, {}],
    ['iam:CreatePolicyVersion', ALLOWED_MANAGED_POLICY_ARNS[0]!, {}],
    ['iam:PutUserPolicy', `arn:aws:iam::${ACCOUNT}:user/connect-admins`, {}],
  ])('denies %s on %s %j', async (action, resource, context) => {
    expect(await decide(doc, action, resource, context)).not.toBe('Allowed');
    expect(await decide(everything, action, resource, context)).not.toBe('Allowed');
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
    it('allows assuming that role, with a source identity, in the accounts the allowlist names', async () => {
      for (const account of [OTHER_ACCOUNT, THIRD_ACCOUNT])
        for (const action of ['sts:AssumeRole', 'sts:SetSourceIdentity'])
          expect(
            await decide(everything, action, `arn:aws:iam::${account}:role/cases-access-target`, {}, TRUST),
          ).toBe('Allowed');
    });

    it('denies assuming it in any other account, and assuming any other role', async () => {
      for (const account of ['999988887777', '123456789012'])
        for (const action of ['sts:AssumeRole', 'sts:SetSourceIdentity'])
          expect(
            await decide(everything, action, `arn:aws:iam::${account}:role/cases-access-target`, {}, TRUST),
          ).not.toBe('Allowed');
      for (const name of ['cases-access-target2', 'Admin', 'path/cases-access-target'])
        expect(
          await decide(everything, 'sts:AssumeRole', `arn:aws:iam::${OTHER_ACCOUNT}:role/${name}`, {}, TRUST),
        ).not.toBe('Allowed');
    });
  });

  describe('the Deny on the bot’s own roles', () => {
    /** Patterns that match every role, the bot's own included: only the Deny stands between them and the bot. */
    const wide: BotPolicyRequest = {
      accountId: ACCOUNT,
      allowedRolePatterns: [`arn:aws:iam::${ACCOUNT}:role/*`, `arn:aws:iam::${OTHER_ACCOUNT}:role/*`],
      crossAccountRoleName: 'cases-access-target',
      botRoleName: 'cases-access-bot',
    };
    const protectedRoles = [
      `arn:aws:iam::${ACCOUNT}:role/cases-access-bot`,
      `arn:aws:iam::${ACCOUNT}:role/service/cases-access-bot`,
      `arn:aws:iam::${ACCOUNT}:role/cases-access-target`,
      `arn:aws:iam::${ACCOUNT}:role/a/b/cases-access-target`,
    ];

    it('denies every write on them explicitly, although "role/*" matches them', async () => {
      const denied = (await generateBotPolicy(wide)).document;
      const open = (
        await generateBotPolicy({ ...wide, botRoleName: undefined, crossAccountRoleName: undefined })
      ).document;
      for (const role of protectedRoles)
        for (const action of WRITES) {
          const context = contextFor(action);
          expect([role, action, await decide(open, action, role, context)]).toEqual([
            role,
            action,
            'Allowed',
          ]);
          expect([role, action, await decide(denied, action, role, context)]).toEqual([
            role,
            action,
            'ExplicitlyDenied',
          ]);
        }
    });

    it('still lets the bot read them, and write to roles whose names only resemble them', async () => {
      const denied = (await generateBotPolicy(wide)).document;
      for (const role of protectedRoles) expect(await decide(denied, 'iam:GetRole', role)).toBe('Allowed');
      for (const name of [
        'cases-access-bot2',
        'x-cases-access-bot',
        'cases-access-bot/x',
        'other-cases-access-target',
      ])
        for (const action of WRITES)
          expect(
            await decide(denied, action, `arn:aws:iam::${ACCOUNT}:role/${name}`, contextFor(action)),
          ).toBe('Allowed');
    });

    it('in a target account, --bot-role-name <the cross-account role> denies writes on that role', async () => {
      const target = (
        await generateBotPolicy({
          accountId: OTHER_ACCOUNT,
          allowedRolePatterns: [`arn:aws:iam::${OTHER_ACCOUNT}:role/*`],
          botRoleName: 'cases-access-target',
        })
      ).document;
      // The principal is now the assumed cross-account role, whose policy this is.
      const self = `arn:aws:iam::${OTHER_ACCOUNT}:role/cases-access-target`;
      for (const action of WRITES) {
        const context = contextFor(action);
        expect(await decide(target, action, self, context, undefined, self)).toBe('ExplicitlyDenied');
        expect(
          await decide(
            target,
            action,
            `arn:aws:iam::${OTHER_ACCOUNT}:role/connect-admins`,
            context,
            undefined,
            self,
          ),
        ).toBe('Allowed');
      }
    });
  });

  describe('with --require-boundary', () => {
    let bounded: BotPolicyDocument;
    beforeAll(async () => {
      bounded = (await generateBotPolicy(full)).document;
    });
    const withBoundary = { 'iam:PermissionsBoundary': BOUNDARY };

    it.each([ALLOWED_ROLE, ALLOWED_PATH_ROLE])(
      'allows every call the bot makes on %s when it carries the boundary',
      async (role) => {
        await expectEveryCallAllowed(bounded, role, withBoundary);
      },
    );

    it.each<[string, Record<string, string>]>([
      ['no boundary', {}],
      ['another boundary', { 'iam:PermissionsBoundary': `arn:aws:iam::${ACCOUNT}:policy/other-boundary` }],
      ['an AWS managed boundary', { 'iam:PermissionsBoundary': ADMIN }],
      ['the boundary in other case', { 'iam:PermissionsBoundary': BOUNDARY.toUpperCase() }],
    ])('denies every write on a role with %s', async (_label, context) => {
      for (const action of WRITES)
        expect([action, await decide(bounded, action, ALLOWED_ROLE, contextFor(action, context))]).toEqual([
          action,
          'ImplicitlyDenied',
        ]);
    });

    it('still lets the bot read roles without the boundary', async () => {
      for (const action of [
        'iam:GetRole',
        'iam:GetRolePolicy',
        'iam:ListRolePolicies',
        'iam:ListAttachedRolePolicies',
        'iam:SimulatePrincipalPolicy',
      ])
        expect(await decide(bounded, action, ALLOWED_ROLE)).toBe('Allowed');
    });

    it('keeps the other limits: attaching AdministratorAccess, roles outside the allowlist, the bot’s own role', async () => {
      expect(
        await decide(bounded, 'iam:AttachRolePolicy', ALLOWED_ROLE, {
          ...withBoundary,
          'iam:PolicyARN': ADMIN,
        }),
      ).not.toBe('Allowed');
      expect(await decide(bounded, 'iam:PutRolePolicy', OUTSIDE_ROLE, withBoundary)).not.toBe('Allowed');
      expect(
        await decide(
          bounded,
          'iam:PutRolePolicy',
          `arn:aws:iam::${ACCOUNT}:role/cases-access-bot`,
          withBoundary,
        ),
      ).not.toBe('Allowed');
    });
  });
});
