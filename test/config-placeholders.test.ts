import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'dotenv';
import { ConfigError, loadConfig } from '../src/config';

/** Values left as .env.example (or Slack's and AWS's documentation) has them are refused, each by its variable. */

const BASE: NodeJS.ProcessEnv = {
  SLACK_BOT_TOKEN: 'xoxb-1111-2222-abcdefabcdef',
  SLACK_SIGNING_SECRET: 'signing-secret-0123456789',
  APPROVAL_CHANNEL_ID: 'C0APPROVALS',
  APPROVERS: 'U0APPROVER1',
  ALLOWED_ROLES: 'arn:aws:iam::111122223333:role/connect-*',
};

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('loadConfig accepted the environment');
}

it('the base environment is accepted (so each refusal below is about its own value)', () => {
  expect(() => loadConfig(BASE)).not.toThrow();
});

it.each([
  ['SLACK_BOT_TOKEN', 'xoxb-your-bot-token'],
  ['SLACK_APP_TOKEN', 'xapp-your-app-level-token'],
  ['APPROVAL_CHANNEL_ID', 'C0123456789'],
  ['APPROVERS', 'U0123456789'],
  ['APPROVERS', 'UREAL000001,S0123456789'],
])('%s=%s is refused as the example value, naming the variable', (name, value) => {
  const problems = problemsOf({ ...BASE, [name]: value });
  expect(problems).toHaveLength(1);
  expect(problems[0]).toMatch(new RegExp(`^${name}: ".*" is the example from \\.env\\.example; `));
});

it('Slack’s documented example signing secret is refused, naming the variable', () => {
  expect(problemsOf({ ...BASE, SLACK_SIGNING_SECRET: '8f742231b10e8888abcd99yyyzzz85a5' })).toEqual([
    expect.stringMatching(/^SLACK_SIGNING_SECRET: ".*" is the example from Slack’s documentation; /),
  ]);
});

it('an ALLOWED_ROLES pattern in AWS’s documentation account (123456789012) is refused, whatever its role', () => {
  const problems = problemsOf({
    ...BASE,
    ALLOWED_ROLES: 'arn:aws:iam::111122223333:role/ops-*,arn:aws:iam::123456789012:role/agents',
  });
  expect(problems).toEqual([
    expect.stringMatching(
      /^ALLOWED_ROLES: "arn:aws:iam::123456789012:role\/agents" is in 123456789012, the example account/,
    ),
  ]);
});

it('.env.example copied as it is lists every placeholder it holds, each by name', () => {
  const example = parse(readFileSync(join(__dirname, '..', '.env.example')));
  const problems = problemsOf(example);
  const named = problems.map((p) => /^([A-Z_]+)[: ]/.exec(p)?.[1]);
  expect(named.sort()).toEqual(
    [
      'ALLOWED_ROLES',
      'APPROVAL_CHANNEL_ID',
      'APPROVERS',
      'APPROVERS',
      'SLACK_APP_TOKEN',
      'SLACK_BOT_TOKEN',
    ].sort(),
  );
});
