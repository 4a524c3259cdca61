import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { runCli } from '../src/cli';

const run = async (argv: string[]): Promise<{ code: number; out: string; err: string }> => {
  let out = '';
  let err = '';
  // An empty environment: AWS_REGION and ALLOWED_ROLES of the machine must not change what these tests see.
  const code = await runCli(argv, { out: (t) => (out += t), err: (t) => (err += t) }, {});
  return { code, out, err };
};
const INSTANCE = '8a9b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d';

describe('cases-access policy', () => {
  it('--json prints the nine onboarding actions with the service-linked role in the given account', async () => {
    const { code, out, err } = await run(['policy', 'onboard', '--account', '111122223333', '--json']);
    expect([code, err]).toEqual([0, '']);
    const plan = JSON.parse(out);
    expect(Object.keys(plan)).toEqual([
      'task',
      'option',
      'policyName',
      'document',
      'managedPolicyArns',
      'sha256',
    ]);
    expect(plan).toMatchObject({ task: 'onboard', option: 'minimal', managedPolicyArns: [] });
    const actions = plan.document.Statement.flatMap((s: { Action: string | string[] }) => s.Action);
    expect(actions).toHaveLength(9);
    expect(actions).toContain('profile:SearchProfiles');
    const iam = plan.document.Statement.find(
      (s: { Sid: string }) => s.Sid === 'AttachAnyPolicyToAmazonConnectRole',
    );
    expect(iam.Resource).toBe(
      'arn:aws:iam::111122223333:role/aws-service-role/connect.amazonaws.com/AWSServiceRoleForAmazonConnect*',
    );
  });

  it('--managed prints the Option 2 plan', async () => {
    const { out } = await run(['policy', 'onboard', '--managed', '--json']);
    const plan = JSON.parse(out);
    expect(plan.option).toBe('managed');
    expect(plan.managedPolicyArns).toEqual(['arn:aws:iam::aws:policy/AmazonConnect_FullAccess']);
  });

  it('without --account keeps the documented wildcard', async () => {
    const { out } = await run(['policy', 'onboard', '--json']);
    expect(out).toContain(
      'arn:aws:iam::*:role/aws-service-role/connect.amazonaws.com/AWSServiceRoleForAmazonConnect*',
    );
  });

  it('--instance with --region narrows to the instance', async () => {
    const { out } = await run([
      'policy',
      'view',
      '--account',
      '111122223333',
      '--instance',
      INSTANCE,
      '--region',
      'eu-west-2',
      '--json',
    ]);
    expect(out).toContain(`"Resource":"arn:aws:connect:eu-west-2:111122223333:instance/${INSTANCE}"`);
  });

  it('plain output is pasteable JSON plus the managed policies and the hash', async () => {
    const { code, out } = await run(['policy', 'view', '--managed']);
    expect(code).toBe(0);
    const json = out
      .split('\n')
      .filter((l) => !l.startsWith('#'))
      .join('\n');
    expect(JSON.parse(json).Statement[0].Sid).toBe('CasesGetDomain');
    expect(out).toContain('arn:aws:iam::aws:policy/AmazonConnectReadOnlyAccess');
    expect(out).toMatch(/SHA-256 of the canonical policy text: [0-9a-f]{64}/);
  });

  it.each([
    [['policy', 'delete'], /unknown task "delete"/],
    [['policy'], /needs a task/],
    [['policy', 'view', '--bogus'], /unknown option '--bogus'/],
    [['policy', 'view', '--account', '12345'], /not a 12-digit AWS account ID/],
    [
      ['policy', 'view', '--instance', 'not-a-uuid', '--region', 'us-east-1'],
      /not an Amazon Connect instance ID/,
    ],
    [['policy', 'view', '--instance', INSTANCE], /needs --region/],
    [['policy', 'view', '--region', 'us-east-1'], /only used with --instance/],
    [['policy', 'view', 'extra'], /unexpected argument "extra"/],
    [['frobnicate'], /unknown command "frobnicate"/],
  ])('%j exits 2 with one line on stderr', async (argv, message) => {
    const { code, out, err } = await run(argv);
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err).toMatch(message);
    expect(err.trim().split('\n')).toHaveLength(1);
  });

  it('--help explains the options', async () => {
    const { code, out } = await run(['--help']);
    expect(code).toBe(0);
    for (const word of ['--managed', '--account', '--instance', '--region', '--json'])
      expect(out).toContain(word);
  });
});

describe('cases-access bot-policy', () => {
  const ACCOUNT = '111122223333';
  const OTHER = '444455556666';
  const ROLES = `arn:aws:iam::*:role/connect-*, arn:aws:iam::${ACCOUNT}:role/teams/cases/*`;
  const BOUNDARY = `arn:aws:iam::${ACCOUNT}:policy/cases-access-boundary`;
  interface Statement {
    Sid: string;
    Resource: string | string[];
    Condition?: Record<string, Record<string, string | string[]>>;
  }
  const bySid = (doc: { Statement: Statement[] }, sid: string): Statement => {
    const statement = doc.Statement.find((s) => s.Sid === sid);
    if (!statement) throw new Error(`no statement ${sid}`);
    return statement;
  };

  it('--json prints only the canonical policy document', async () => {
    const { code, out, err } = await run([
      'bot-policy',
      '--account',
      ACCOUNT,
      '--allowed-roles',
      ROLES,
      '--json',
    ]);
    expect([code, err]).toEqual([0, '']);
    expect(out.endsWith('}\n')).toBe(true);
    expect(out.trim().split('\n')).toHaveLength(1);
    const doc = JSON.parse(out);
    expect(Object.keys(doc)).toEqual(['Version', 'Statement']);
    expect(doc.Statement.map((s: { Sid: string }) => s.Sid)).toEqual([
      'WhoAmI',
      'ReadAccountQuotas',
      'ReadAllowedRoles',
      'CasesPoliciesOnAllowedRoles',
      'AttachOnlyTheDocumentedManagedPolicies',
      'ReadTheDocumentedManagedPolicies',
    ]);
    expect(doc.Statement[2].Resource).toEqual([
      `arn:aws:iam::${ACCOUNT}:role/connect-*`,
      `arn:aws:iam::${ACCOUNT}:role/teams/cases/*`,
    ]);
    expect(doc.Statement[4].Condition.ArnEquals['iam:PolicyARN']).toEqual([
      'arn:aws:iam::aws:policy/AmazonConnectReadOnlyAccess',
      'arn:aws:iam::aws:policy/AmazonConnect_FullAccess',
    ]);
    expect(out).not.toContain('sts:AssumeRole');
  });

  it('repeated --allowed-roles add up; --cross-account-role-name assumes into the other accounts named', async () => {
    const { code, out } = await run([
      'bot-policy',
      '--account',
      ACCOUNT,
      '--allowed-roles',
      `arn:aws:iam::${ACCOUNT}:role/a`,
      '--allowed-roles',
      `arn:aws:iam::${OTHER}:role/b`,
      '--cross-account-role-name',
      'cases-access-target',
      '--json',
    ]);
    expect(code).toBe(0);
    const doc = JSON.parse(out);
    expect(doc.Statement[2].Resource).toEqual([
      `arn:aws:iam::${ACCOUNT}:role/a`,
      `arn:aws:iam::${OTHER}:role/b`,
    ]);
    expect(bySid(doc, 'AssumeCrossAccountRole')).toEqual({
      Sid: 'AssumeCrossAccountRole',
      Effect: 'Allow',
      Action: ['sts:AssumeRole', 'sts:SetSourceIdentity'],
      Resource: `arn:aws:iam::${OTHER}:role/cases-access-target`,
    });
    expect(bySid(doc, 'NeverWriteTheBotsOwnRoles').Resource).toEqual([
      'arn:aws:iam::*:role/cases-access-target',
      'arn:aws:iam::*:role/*/cases-access-target',
    ]);
  });

  it('--bot-role-name denies writes on the bot’s role; --require-boundary conditions every write', async () => {
    const { code, out, err } = await run([
      'bot-policy',
      '--account',
      ACCOUNT,
      '--allowed-roles',
      ROLES,
      '--bot-role-name',
      'cases-access-bot',
      '--require-boundary',
      BOUNDARY,
      '--json',
    ]);
    expect([code, err]).toEqual([0, '']);
    const doc = JSON.parse(out);
    expect(bySid(doc, 'NeverWriteTheBotsOwnRoles')).toEqual({
      Sid: 'NeverWriteTheBotsOwnRoles',
      Effect: 'Deny',
      Action: ['iam:PutRolePolicy', 'iam:DeleteRolePolicy', 'iam:AttachRolePolicy', 'iam:DetachRolePolicy'],
      Resource: [
        `arn:aws:iam::${ACCOUNT}:role/cases-access-bot`,
        `arn:aws:iam::${ACCOUNT}:role/*/cases-access-bot`,
      ],
    });
    for (const sid of ['CasesPoliciesOnAllowedRoles', 'AttachOnlyTheDocumentedManagedPolicies'])
      expect(bySid(doc, sid).Condition?.StringEquals).toEqual({ 'iam:PermissionsBoundary': BOUNDARY });
    expect(bySid(doc, 'ReadAllowedRoles').Condition).toBeUndefined();
  });

  it('plain output is pasteable pretty JSON between comment lines', async () => {
    const { code, out, err } = await run(['bot-policy', '--account', ACCOUNT, '--allowed-roles', ROLES]);
    expect([code, err]).toEqual([0, '']);
    const json = out
      .split('\n')
      .filter((l) => !l.startsWith('#'))
      .join('\n');
    expect(json).toContain('\n  "Statement": [');
    expect(JSON.parse(json).Statement[0]).toEqual({
      Sid: 'WhoAmI',
      Effect: 'Allow',
      Action: 'sts:GetCallerIdentity',
      Resource: '*',
    });
    expect(out).toContain(`account ${ACCOUNT}`);
    expect(out).toMatch(/SHA-256 of the canonical policy text: [0-9a-f]{64}/);
    expect(out).toContain(
      '# Recommended in production: --bot-role-name <the bot’s role> and --require-boundary <policy ARN>',
    );
  });

  it('plain output recommends nothing more once both safeguards are given', async () => {
    const { out } = await run([
      'bot-policy',
      '--account',
      ACCOUNT,
      '--allowed-roles',
      ROLES,
      '--bot-role-name',
      'cases-access-bot',
      '--require-boundary',
      BOUNDARY,
    ]);
    expect(out).not.toContain('Recommended');
  });

  it('--help explains the options', async () => {
    const { code, out } = await run(['bot-policy', '--help']);
    expect(code).toBe(0);
    for (const word of [
      'bot-policy',
      '--allowed-roles',
      '--cross-account-role-name',
      '--bot-role-name',
      '--require-boundary',
    ])
      expect(out).toContain(word);
  });

  it.each([
    [
      ['bot-policy', '--allowed-roles', 'arn:aws:iam::*:role/connect-*'],
      /no allowed role pattern names an account/,
    ],
    [['bot-policy', '--allowed-roles', `${ROLES},arn:aws:iam::${OTHER}:role/x`], /name several accounts/],
    [['bot-policy', '--account', ACCOUNT], /needs --allowed-roles/],
    [['bot-policy', '--account', ACCOUNT, '--allowed-roles', ' , '], /needs --allowed-roles/],
    [['bot-policy', '--account', '12345', '--allowed-roles', ROLES], /not a 12-digit AWS account ID/],
    [
      ['bot-policy', '--account', ACCOUNT, '--allowed-roles', 'connect-*'],
      /"connect-\*" is not a role ARN pattern/,
    ],
    [
      ['bot-policy', '--account', ACCOUNT, '--allowed-roles', `arn:aws:iam::${ACCOUNT}:role/connect-?`],
      /only "\*" is a wildcard/,
    ],
    [
      ['bot-policy', '--account', ACCOUNT, '--allowed-roles', ROLES, '--cross-account-role-name', 'a b'],
      /not a valid IAM role name/,
    ],
    [
      ['bot-policy', '--account', ACCOUNT, '--allowed-roles', ROLES, '--managed'],
      /unknown option '--managed'/,
    ],
    [['bot-policy', '--account', ACCOUNT, '--allowed-roles', ROLES, 'extra'], /unexpected argument "extra"/],
    [['bot-policy', '--account'], /argument missing/],
    [
      ['bot-policy', '--account', ACCOUNT, '--allowed-roles', ROLES, '--cross-account-role-name', 'x'],
      /"arn:aws:iam::\*:role\/connect-\*" has "\*" as its account; with --cross-account-role-name every pattern must name its account/,
    ],
    [
      [
        'bot-policy',
        '--account',
        ACCOUNT,
        '--allowed-roles',
        ROLES,
        '--bot-role-name',
        'arn:aws:iam::1:role/x',
      ],
      /--bot-role-name "arn:aws:iam::1:role\/x" is not a valid IAM role name/,
    ],
    [['bot-policy', '--account', ACCOUNT, '--allowed-roles', ROLES, '--bot-role-name'], /argument missing/],
    [
      ['bot-policy', '--account', ACCOUNT, '--allowed-roles', ROLES, '--require-boundary', 'cases-boundary'],
      /--require-boundary "cases-boundary" is not a managed policy ARN/,
    ],
    [
      ['bot-policy', '--account', ACCOUNT, '--allowed-roles', ROLES, '--require-boundary', `${BOUNDARY}*`],
      /is not a managed policy ARN/,
    ],
    [
      [
        'bot-policy',
        '--account',
        ACCOUNT,
        '--allowed-roles',
        ROLES,
        '--require-boundary',
        `arn:aws-us-gov:iam::${ACCOUNT}:policy/b`,
      ],
      /is in partition aws-us-gov; the allowed roles are in aws/,
    ],
  ])('%j exits 2 with one line on stderr', async (argv, message) => {
    const { code, out, err } = await run(argv);
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err).toMatch(/^cases-access: /);
    expect(err).toMatch(message);
    expect(err.trim().split('\n')).toHaveLength(1);
  });
});

describe('the built bin', () => {
  const exec = promisify(execFile);
  const bin = join(__dirname, '../dist/cli.js');

  it('prints the plan and exits 0', async () => {
    const { stdout } = await exec(process.execPath, [bin, 'policy', 'view', '--json']);
    expect(JSON.parse(stdout).policyName).toBe('cases-access-view');
  });

  it('exits 2 on bad input', async () => {
    await expect(exec(process.execPath, [bin, 'policy', 'view', '--account', 'x'])).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('not a 12-digit'),
    });
  });
});
