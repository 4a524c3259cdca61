import { ConfigError, loadConfig } from '../src/config';

/** SLACK_COMMAND: the slash command the bot answers, as Slack allows command names; `/cases-access` by default. */

const BASE: NodeJS.ProcessEnv = {
  SLACK_BOT_TOKEN: 'xoxb-1111-2222-abcdefabcdef',
  SLACK_SIGNING_SECRET: 'signing-secret-0123456789',
  APPROVAL_CHANNEL_ID: 'C0APPROVALS',
  APPROVERS: 'U0APPROVER1',
  ALLOWED_ROLES: 'arn:aws:iam::111122223333:role/connect-*',
};

const commandOf = (value?: string) => loadConfig({ ...BASE, SLACK_COMMAND: value }).slack.command;

it('defaults to /cases-access, also when empty', () => {
  expect(commandOf(undefined)).toBe('/cases-access');
  expect(commandOf('  ')).toBe('/cases-access');
});

it('takes a slash, then lowercase letters, digits, - and _, up to 32 characters in all (Slack’s limit)', () => {
  for (const ok of ['/access', '/a', '/cases_access-2', `/${'a'.repeat(31)}`]) expect(commandOf(ok)).toBe(ok);
});

it.each([
  ['no slash', 'cases-access'],
  ['uppercase', '/Cases-Access'],
  ['a space', '/cases access'],
  ['a slash alone', '/'],
  ['33 characters', `/${'a'.repeat(32)}`],
  ['another character', '/cases.access'],
])('refuses %s, naming the variable and the value', (_what, value) => {
  let caught: unknown;
  try {
    loadConfig({ ...BASE, SLACK_COMMAND: value });
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ConfigError);
  expect((caught as ConfigError).problems).toEqual([
    `SLACK_COMMAND must be a slash command as in the app’s manifest: a / then lowercase letters, digits, - or _, 32 characters at most; not "${value}"`,
  ]);
});
