/**
 * The demo runs the real bot with fake Slack and fake AWS. It must never reach the real ones, nor be reachable from
 * other machines: these checks run before anything starts and name every reason to refuse.
 */

/** The static credentials the demo gives the AWS SDK; the IAM/STS emulator accepts any key. */
export const DEMO_AWS_ACCESS_KEY_ID = 'AKIADEMO000000000000';
export const DEMO_AWS_SECRET_ACCESS_KEY = 'demo-secret-access-key-not-a-real-one-000';

/** Variables that mean real credentials, or a real Slack app, are at hand. */
const REAL_LOOKING = [
  'AWS_PROFILE',
  'AWS_DEFAULT_PROFILE',
  'AWS_SESSION_TOKEN',
  'AWS_ROLE_ARN',
  'AWS_WEB_IDENTITY_TOKEN_FILE',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  'SLACK_BOT_TOKEN',
  'SLACK_APP_TOKEN',
  'SLACK_SIGNING_SECRET',
  'SLACK_API_URL',
] as const;

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/** Every reason the demo must not start with this environment and bind address; empty when it may. */
export function demoRefusals(env: NodeJS.ProcessEnv, host: string): string[] {
  const reasons: string[] = [];
  const set = (name: string) => (env[name] ?? '').trim() !== '';
  for (const name of REAL_LOOKING)
    if (set(name)) reasons.push(`${name} is set: the demo uses fake Slack and fake AWS only; unset it`);
  if (set('AWS_ACCESS_KEY_ID') && env.AWS_ACCESS_KEY_ID !== DEMO_AWS_ACCESS_KEY_ID)
    reasons.push('AWS_ACCESS_KEY_ID is set to real-looking credentials; unset it');
  if (set('AWS_SECRET_ACCESS_KEY') && env.AWS_SECRET_ACCESS_KEY !== DEMO_AWS_SECRET_ACCESS_KEY)
    reasons.push('AWS_SECRET_ACCESS_KEY is set; unset it');
  if (!LOOPBACK.has(host))
    reasons.push(`DEMO_HOST ${JSON.stringify(host)} is not a loopback address: use 127.0.0.1 (the default)`);
  return reasons;
}
