import { ConfigError, loadConfig, secretsOf } from '../src/config';

/** The smallest valid HTTP-mode environment; each test changes what it is about. */
const BASE: NodeJS.ProcessEnv = {
  SLACK_BOT_TOKEN: 'xoxb-1111-2222-abcdefabcdef',
  SLACK_SIGNING_SECRET: 'signing-secret-0123456789',
  APPROVAL_CHANNEL_ID: 'C0APPROVALS',
  APPROVERS: 'U0APPROVER1',
  ALLOWED_ROLES: 'arn:aws:iam::111122223333:role/connect-*',
};

const env = (overrides: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => {
  const out: NodeJS.ProcessEnv = { ...BASE, ...overrides };
  for (const [k, v] of Object.entries(out)) if (v === undefined) delete out[k];
  return out;
};

/** The ConfigError loadConfig throws for `e` (fails the test when it does not throw one). */
function problemsOf(e: NodeJS.ProcessEnv): ConfigError {
  let caught: unknown;
  try {
    loadConfig(e);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ConfigError);
  return caught as ConfigError;
}

describe('loadConfig defaults', () => {
  it('PORT 3000, DATABASE_URL sqlite:./data/cases-access.db, LOG_LEVEL info when unset', () => {
    const config = loadConfig(env());
    expect(config.port).toBe(3000);
    expect(config.databaseUrl).toBe('sqlite:./data/cases-access.db');
    expect(config.logLevel).toBe('info');
    expect(config.slack.apiUrl).toBeUndefined();
  });

  it('treats empty and blank values as unset (a .env line `PORT=` keeps the default)', () => {
    const config = loadConfig(env({ PORT: '', DATABASE_URL: '  ', LOG_LEVEL: '', SLACK_API_URL: '' }));
    expect(config.port).toBe(3000);
    expect(config.databaseUrl).toBe('sqlite:./data/cases-access.db');
    expect(config.logLevel).toBe('info');
    expect(config.slack.apiUrl).toBeUndefined();
  });

  it('takes explicit values as given', () => {
    const config = loadConfig(
      env({
        PORT: '8080',
        DATABASE_URL: 'sqlite:/var/lib/cases-access/db.sqlite',
        LOG_LEVEL: 'debug',
        SLACK_API_URL: 'http://127.0.0.1:9999/api/',
      }),
    );
    expect(config.port).toBe(8080);
    expect(config.databaseUrl).toBe('sqlite:/var/lib/cases-access/db.sqlite');
    expect(config.logLevel).toBe('debug');
    expect(config.slack.apiUrl).toBe('http://127.0.0.1:9999/api/');
    expect(config.approvalChannelId).toBe('C0APPROVALS');
    expect(config.allowedRolePatterns).toEqual(['arn:aws:iam::111122223333:role/connect-*']);
  });

  it('PORT 0 is accepted (an ephemeral port), but not a negative, a fraction or a word', () => {
    expect(loadConfig(env({ PORT: '0' })).port).toBe(0);
    for (const bad of ['-1', '65536', '80.5', 'eighty'])
      expect(problemsOf(env({ PORT: bad })).problems.join('\n')).toMatch(/PORT/);
  });
});

describe('HTTP mode vs Socket Mode', () => {
  it('no SLACK_APP_TOKEN: HTTP mode with the signing secret', () => {
    const config = loadConfig(env());
    expect(config.slack.appToken).toBeUndefined();
    expect(config.slack.signingSecret).toBe(BASE.SLACK_SIGNING_SECRET);
  });

  it('an empty SLACK_APP_TOKEN is HTTP mode, not an invalid token', () => {
    for (const empty of ['', '   ']) {
      const config = loadConfig(env({ SLACK_APP_TOKEN: empty }));
      expect(config.slack.appToken).toBeUndefined();
    }
  });

  it('an xapp- token selects Socket Mode, where no signing secret is needed', () => {
    const config = loadConfig(
      env({ SLACK_APP_TOKEN: 'xapp-1-A111-222-abcdef', SLACK_SIGNING_SECRET: undefined }),
    );
    expect(config.slack.appToken).toBe('xapp-1-A111-222-abcdef');
    expect(config.slack.signingSecret).toBeUndefined();
  });

  it('the signing secret is required in HTTP mode (unset or empty)', () => {
    for (const secret of [undefined, '']) {
      const error = problemsOf(env({ SLACK_SIGNING_SECRET: secret }));
      expect(error.problems).toHaveLength(1);
      expect(error.problems[0]).toMatch(/SLACK_SIGNING_SECRET is required in HTTP mode/);
    }
  });

  it('refuses a SLACK_APP_TOKEN that is not an app-level token', () => {
    const error = problemsOf(env({ SLACK_APP_TOKEN: 'xoxb-not-an-app-token' }));
    expect(error.problems.join('\n')).toMatch(/SLACK_APP_TOKEN must start with xapp-/);
  });

  it('refuses a user token as the bot token', () => {
    const error = problemsOf(env({ SLACK_BOT_TOKEN: 'xoxp-user-token' }));
    expect(error.problems.join('\n')).toMatch(/SLACK_BOT_TOKEN must start with xoxb-/);
  });
});

describe('APPROVERS', () => {
  it('splits user IDs (U…, W…) from usergroup IDs (S…), trimming spaces and skipping empty entries', () => {
    const config = loadConfig(env({ APPROVERS: ' U0AAA111 , S0GROUP1,W0ENT222,, S0GROUP2 ' }));
    expect(config.approvers).toEqual({
      userIds: ['U0AAA111', 'W0ENT222'],
      usergroupIds: ['S0GROUP1', 'S0GROUP2'],
    });
  });

  it('refuses an entry that is not an ID, naming it', () => {
    const error = problemsOf(env({ APPROVERS: 'U0AAA111,bob,@alice' }));
    expect(error.problems).toEqual(
      expect.arrayContaining([expect.stringContaining('"bob"'), expect.stringContaining('"@alice"')]),
    );
  });

  it('refuses an empty list', () => {
    expect(problemsOf(env({ APPROVERS: ' , ' })).problems.join('\n')).toMatch(/at least one/);
  });
});

describe('one error listing every problem', () => {
  it('reports each problem in the message, not just the first', () => {
    const error = problemsOf({
      SLACK_APP_TOKEN: '',
      APPROVAL_CHANNEL_ID: '#general',
      APPROVERS: 'bob',
      ALLOWED_ROLES: 'connect-admins',
      PORT: 'http',
      LOG_LEVEL: 'verbose',
      DATABASE_URL: 'mysql://db',
    });
    const expected = [
      /SLACK_BOT_TOKEN is required/,
      /SLACK_SIGNING_SECRET is required in HTTP mode/,
      /APPROVAL_CHANNEL_ID must be a channel ID/,
      /APPROVERS: "bob"/,
      /ALLOWED_ROLES: "connect-admins"/,
      /PORT must be/,
      /LOG_LEVEL must be debug, info, warn or error/,
      /DATABASE_URL must be sqlite:<path> or postgres/,
    ];
    expect(error.problems).toHaveLength(expected.length);
    for (const re of expected) {
      expect(error.problems.some((p) => re.test(p))).toBe(true);
      expect(error.message).toMatch(re);
    }
    // One line per problem under a single heading.
    expect(error.message.split('\n')).toHaveLength(expected.length + 1);
    expect(error.message.split('\n')[0]).toMatch(/cannot start/);
  });

  it('an empty environment names all five required variables', () => {
    const error = problemsOf({});
    for (const name of [
      'SLACK_BOT_TOKEN',
      'SLACK_SIGNING_SECRET',
      'APPROVAL_CHANNEL_ID',
      'APPROVERS',
      'ALLOWED_ROLES',
    ])
      expect(error.message).toContain(name);
  });

  it('accepts a PostgreSQL URL', () => {
    expect(loadConfig(env({ DATABASE_URL: 'postgres://u:p@localhost/db' })).databaseUrl).toBe(
      'postgres://u:p@localhost/db',
    );
  });

  it('reads the lifecycle durations, with defaults, and refuses bad ones', () => {
    const defaults = loadConfig(env());
    expect([defaults.pendingTtlSeconds, defaults.remindAfterSeconds]).toEqual([86_400, 7_200]);
    expect(defaults.defaultGrantSeconds).toBeUndefined();
    expect(defaults.maxGrantSeconds).toBeUndefined();
    const set = loadConfig(
      env({
        DEFAULT_GRANT_DURATION: '8h',
        MAX_GRANT_DURATION: '7d',
        PENDING_TTL: '30m',
        REMIND_AFTER: '10m',
      }),
    );
    expect([
      set.defaultGrantSeconds,
      set.maxGrantSeconds,
      set.pendingTtlSeconds,
      set.remindAfterSeconds,
    ]).toEqual([28_800, 604_800, 1_800, 600]);
    expect(problemsOf(env({ PENDING_TTL: 'soon' })).problems).toEqual([
      'PENDING_TTL must be a duration such as 30m, 8h or 7d, not "soon"',
    ]);
    expect(problemsOf(env({ DEFAULT_GRANT_DURATION: '8d', MAX_GRANT_DURATION: '7d' })).problems).toEqual([
      'DEFAULT_GRANT_DURATION must not be longer than MAX_GRANT_DURATION',
    ]);
  });

  it('refuses durations past the bot’s ceiling of 366 days', () => {
    expect(
      problemsOf(env({ MAX_GRANT_DURATION: '400d', DEFAULT_GRANT_DURATION: '99999999999d' })).problems,
    ).toEqual([
      'DEFAULT_GRANT_DURATION is longer than 366 days, the longest grant the bot makes: "99999999999d"',
      'MAX_GRANT_DURATION is longer than 366 days, the longest grant the bot makes: "400d"',
    ]);
    expect(loadConfig(env({ MAX_GRANT_DURATION: '366d' })).maxGrantSeconds).toBe(366 * 86_400);
  });
});

describe('the bot’s own identities', () => {
  it('refuses an ALLOWED_ROLES pattern that matches CROSS_ACCOUNT_ROLE_NAME, naming it', () => {
    expect(
      problemsOf(
        env({
          CROSS_ACCOUNT_ROLE_NAME: 'connect-bot-target',
          ALLOWED_ROLES: 'arn:aws:iam::*:role/connect-*,arn:aws:iam::111122223333:role/ops/*',
        }),
      ).problems,
    ).toEqual([
      'ALLOWED_ROLES: "arn:aws:iam::*:role/connect-*" matches CROSS_ACCOUNT_ROLE_NAME (connect-bot-target), the role the bot assumes; narrow the pattern so the bot can never write to it',
    ]);
    expect(
      loadConfig(
        env({
          CROSS_ACCOUNT_ROLE_NAME: 'cases-access-target',
          ALLOWED_ROLES: 'arn:aws:iam::*:role/connect-*',
        }),
      ).crossAccount?.roleName,
    ).toBe('cases-access-target');
  });
});

describe('secretsOf', () => {
  it('lists the Slack secrets and the AWS secret key, skipping absent and too-short values', () => {
    const e = env({
      SLACK_APP_TOKEN: 'xapp-1-A111-222-abcdef',
      AWS_SECRET_ACCESS_KEY: 'aws-secret-0000000000',
    });
    const secrets = secretsOf(loadConfig(e), { ...e, AWS_SESSION_TOKEN: 'short' });
    expect(secrets).toEqual([
      BASE.SLACK_BOT_TOKEN,
      'xapp-1-A111-222-abcdef',
      BASE.SLACK_SIGNING_SECRET,
      'aws-secret-0000000000',
    ]);
  });
});
