import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../src/config';

/** manifest.yml agrees with the code: the command SLACK_COMMAND defaults to, and a usage hint with the real syntax. */

const manifest = readFileSync(join(__dirname, '..', 'manifest.yml'), 'utf8');
const field = (name: string) => {
  const match = new RegExp(`^\\s+(?:- )?${name}: (['"]?)(.*?)\\1$`, 'm').exec(manifest);
  if (!match) throw new Error(`manifest.yml has no ${name}`);
  return match[2]!;
};

it('its command is the one SLACK_COMMAND defaults to', () => {
  const config = loadConfig({
    SLACK_BOT_TOKEN: 'xoxb-1111-2222-abcdefabcdef',
    SLACK_SIGNING_SECRET: 'signing-secret-0123456789',
    APPROVAL_CHANNEL_ID: 'C0APPROVALS',
    APPROVERS: 'U0APPROVER1',
    ALLOWED_ROLES: 'arn:aws:iam::111122223333:role/connect-*',
  });
  expect(field('command')).toBe(config.slack.command);
});

it('its usage hint names every verb and flag the parser takes, within Slack’s 1,000 characters', () => {
  const hint = field('usage_hint');
  expect(hint.length).toBeLessThanOrEqual(1000);
  for (const part of [
    'onboard|view <role>',
    'revoke',
    'status',
    'audit',
    'help',
    '--managed',
    '--instance',
    '--for',
  ])
    expect(hint).toContain(part);
});
