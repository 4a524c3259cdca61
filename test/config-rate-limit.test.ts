import { ConfigError, loadConfig } from '../src/config';

/** REQUEST_RATE_LIMIT: `<requests>/<duration>`, `off`, or the default 5/10m. */

const BASE: NodeJS.ProcessEnv = {
  SLACK_BOT_TOKEN: 'xoxb-1111-2222-abcdefabcdef',
  SLACK_SIGNING_SECRET: 'signing-secret-0123456789',
  APPROVAL_CHANNEL_ID: 'C0APPROVALS',
  APPROVERS: 'U0APPROVER1',
  ALLOWED_ROLES: 'arn:aws:iam::111122223333:role/connect-*',
};

const limitOf = (value?: string) => loadConfig({ ...BASE, REQUEST_RATE_LIMIT: value }).requestRateLimit;

it('defaults to 5 requests per 10 minutes (also when empty)', () => {
  expect(limitOf(undefined)).toEqual({ count: 5, windowSeconds: 600 });
  expect(limitOf('')).toEqual({ count: 5, windowSeconds: 600 });
});

it('reads <requests>/<duration>, spaces allowed, and off', () => {
  expect(limitOf('20/1h')).toEqual({ count: 20, windowSeconds: 3600 });
  expect(limitOf(' 3 / 90s ')).toEqual({ count: 3, windowSeconds: 90 });
  expect(limitOf('1/24h')).toEqual({ count: 1, windowSeconds: 86_400 });
  expect(limitOf('off')).toBeUndefined();
  expect(limitOf('OFF')).toBeUndefined();
});

it.each(['5', '/10m', 'five/10m', '0/10m', '5/10', '5/2d', '5/10m/1h', '-1/10m', '5 per 10m'])(
  'refuses %j with a message that shows the form',
  (value) => {
    let caught: unknown;
    try {
      limitOf(value);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).problems).toEqual([
      `REQUEST_RATE_LIMIT must be <requests>/<duration> such as 5/10m (at least 1 request, a window of at most 24h), or off; not "${value}"`,
    ]);
  },
);
