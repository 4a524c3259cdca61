import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../src/cli';
import { ConfigError, loadConfig } from '../src/config';
import { explainRules, ruleFor } from '../src/access/rules';
import { parseRules, RulesFileError } from '../src/rules-file';

const DEFAULTS = { channelId: 'CDEFAULT', maxSeconds: 7 * 86_400 };
const ACCOUNT = '210987654321';

const EXAMPLE = `
rules:
  - name: onboarding-prod
    roles: ["arn:aws:iam::${ACCOUNT}:role/connect-prod-*"]
    tasks: [onboard]
    options: [minimal, managed]
    requesters: [S0REQUESTERS]
    approvers: [S0SECURITY, U0LEAD]
    approvals: 2
    notify: [S0SECURITY]
    channel: C0SECURITY
    maxDuration: 8h
    breakGlass:
      maxDuration: 1h
  - name: viewing
    roles: ["arn:aws:iam::${ACCOUNT}:role/connect-*"]
    tasks: [view]
    approvers: [S0LEADS]
`;

const problemsOf = (text: string): string[] => {
  try {
    parseRules(text, DEFAULTS);
  } catch (error) {
    if (error instanceof RulesFileError) return error.problems;
    throw error;
  }
  throw new Error('expected the rules to be refused');
};

describe('ACCESS_RULES file', () => {
  it('reads the documented example, with defaults filled in', () => {
    const [prod, viewing] = parseRules(EXAMPLE, DEFAULTS);
    expect(prod).toEqual({
      name: 'onboarding-prod',
      roles: [`arn:aws:iam::${ACCOUNT}:role/connect-prod-*`],
      tasks: ['onboard'],
      options: ['minimal', 'managed'],
      requesters: ['S0REQUESTERS'],
      approvers: ['S0SECURITY', 'U0LEAD'],
      approvals: 2,
      notify: ['S0SECURITY'],
      channelId: 'C0SECURITY',
      maxSeconds: 8 * 3600,
      breakGlass: { maxSeconds: 3600 },
    });
    expect(viewing).toMatchObject({
      tasks: ['view'],
      options: ['minimal', 'managed'],
      approvals: 1,
      notify: ['S0LEADS'],
      channelId: 'CDEFAULT',
      maxSeconds: 7 * 86_400,
    });
    expect(viewing!.requesters).toBeUndefined();
  });

  it('JSON is YAML too', () => {
    expect(
      parseRules(
        JSON.stringify({ rules: [{ name: 'j', roles: ['arn:aws:iam::*:role/x'], approvers: ['U1X'] }] }),
        DEFAULTS,
      ),
    ).toHaveLength(1);
  });

  it('reports every problem with its rule and field', () => {
    const problems = problemsOf(`
rules:
  - name: first
    roles: ["not-an-arn"]
    approvers: []
    approvals: 0
  - name: second
    roles: ["arn:aws:iam::${ACCOUNT}:role/x-*"]
    approvers: [bob]
    channel: "#security"
    maxDuration: forever
    colour: blue
`);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/rule 1 \(first\), roles\.0: "not-an-arn" is not a role ARN pattern/),
        expect.stringMatching(/rule 1 \(first\), approvers: approvers must name at least one/),
        expect.stringMatching(/rule 1 \(first\), approvals: approvals must be at least 1/),
        expect.stringMatching(/rule 2 \(second\), approvers\.0: "bob" is not a user ID/),
        expect.stringMatching(/rule 2 \(second\), channel: channel must be a channel ID/),
        expect.stringMatching(/rule 2 \(second\), maxDuration: "forever" is not a duration/),
        expect.stringMatching(/rule 2 \(second\).*colour/),
      ]),
    );
  });

  it('refuses duplicate names, a break-glass longer than the rule, bad YAML and an empty list', () => {
    expect(
      problemsOf(
        `rules:\n  - {name: a, roles: ["arn:aws:iam::*:role/x"], approvers: [U1X]}\n  - {name: a, roles: ["arn:aws:iam::*:role/y"], approvers: [U1X]}`,
      ),
    ).toEqual([expect.stringMatching(/rule 2 \(a\), name: another rule has this name/)]);
    expect(
      problemsOf(
        `rules:\n  - {name: a, roles: ["arn:aws:iam::*:role/x"], approvers: [U1X], maxDuration: 1h, breakGlass: {maxDuration: 2h}}`,
      ),
    ).toEqual([expect.stringMatching(/breakGlass\.maxDuration: longer than the rule's maxDuration/)]);
    expect(problemsOf('rules: [')[0]).toMatch(/not valid YAML or JSON/);
    expect(problemsOf('rules: []')[0]).toMatch(/rules must list at least one rule/);
  });
});

describe('matching', () => {
  const rules = parseRules(EXAMPLE, DEFAULTS);
  const prod = `arn:aws:iam::${ACCOUNT}:role/connect-prod-agents`;

  it('the first rule that matches role, task and option decides', () => {
    expect(ruleFor(rules, { roleArn: prod, task: 'onboard', option: 'managed' })?.name).toBe(
      'onboarding-prod',
    );
    expect(ruleFor(rules, { roleArn: prod, task: 'view', option: 'minimal' })?.name).toBe('viewing');
    expect(
      ruleFor(rules, {
        roleArn: `arn:aws:iam::${ACCOUNT}:role/connect-dev`,
        task: 'onboard',
        option: 'minimal',
      }),
    ).toBeUndefined();
  });

  it('explains why each rule before the deciding one does not match', () => {
    expect(explainRules(rules, { roleArn: prod, task: 'view', option: 'minimal' })).toEqual([
      'rule onboarding-prod: does not match (task view not in onboard)',
      'rule viewing: matches, and decides (the first rule that matches does)',
    ]);
  });
});

describe('configuration and the CLI', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'cases-access-rules-'));
    writeFileSync(join(dir, 'good.yaml'), EXAMPLE);
    writeFileSync(join(dir, 'bad.yaml'), 'rules:\n  - name: x\n    roles: [nope]\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const env = {
    SLACK_BOT_TOKEN: 'xoxb-1-2-abc',
    SLACK_SIGNING_SECRET: 'secret-secret',
    APPROVAL_CHANNEL_ID: 'C0APPROVALS',
    ALLOWED_ROLES: `arn:aws:iam::${ACCOUNT}:role/connect-*`,
  };

  it('without ACCESS_RULES one rule is formed from the variables; with it APPROVERS is not needed', () => {
    const plain = loadConfig({ ...env, APPROVERS: 'U0ONE' });
    expect(plain.rules).toEqual([
      expect.objectContaining({
        name: 'default',
        roles: [env.ALLOWED_ROLES],
        approvers: ['U0ONE'],
        approvals: 1,
        channelId: 'C0APPROVALS',
      }),
    ]);
    const ruled = loadConfig({ ...env, ACCESS_RULES: join(dir, 'good.yaml') });
    expect(ruled.rules.map((r) => r.name)).toEqual(['onboarding-prod', 'viewing']);
    expect(ruled.approvers.usergroupIds).toEqual(['S0SECURITY', 'S0LEADS']);
    expect(() => loadConfig(env)).toThrow(/APPROVERS is required/);
  });

  it('a bad rules file stops start-up with its problems', () => {
    expect(() => loadConfig({ ...env, ACCESS_RULES: join(dir, 'bad.yaml') })).toThrow(ConfigError);
    expect(() => loadConfig({ ...env, ACCESS_RULES: join(dir, 'bad.yaml') })).toThrow(
      /rule 1 \(x\), roles\.0/,
    );
    expect(() => loadConfig({ ...env, ACCESS_RULES: join(dir, 'missing.yaml') })).toThrow(/cannot read/);
  });

  const run = async (args: string[], extra: NodeJS.ProcessEnv = {}) => {
    let out = '';
    let err = '';
    const code = await runCli(args, { out: (t) => (out += t), err: (t) => (err += t) }, { ...env, ...extra });
    return { code, out, err };
  };

  it('`rules check` prints each rule, and fails with the problems of a bad file', async () => {
    const good = await run(['rules', 'check', '--file', join(dir, 'good.yaml')]);
    expect(good.code).toBe(0);
    expect(good.out).toContain('2 rule(s)');
    expect(good.out).toMatch(
      /1\. onboarding-prod[\s\S]*requesters: S0REQUESTERS[\s\S]*2 distinct approval\(s\)[\s\S]*card in C0SECURITY/,
    );
    const bad = await run(['rules', 'check'], { ACCESS_RULES: join(dir, 'bad.yaml') });
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/rule 1 \(x\), roles\.0/);
  });

  it('`rules explain` names the deciding rule and why', async () => {
    const { code, out } = await run([
      'rules',
      'explain',
      `arn:aws:iam::${ACCOUNT}:role/connect-prod-x`,
      'view',
      '--file',
      join(dir, 'good.yaml'),
    ]);
    expect(code).toBe(0);
    expect(out).toContain('rule onboarding-prod: does not match (task view not in onboard)');
    expect(out).toContain('rule viewing: matches, and decides');
    const none = await run([
      'rules',
      'explain',
      `arn:aws:iam::${ACCOUNT}:role/other`,
      'onboard',
      '--file',
      join(dir, 'good.yaml'),
    ]);
    expect(none.out).toContain('no rule matches');
    expect((await run(['rules', 'explain', 'x'])).code).toBe(2);
  });
});
