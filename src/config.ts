import { z } from 'zod';
import { checkDuration } from './access/duration';
import { patternsMatchingRoleName } from './access/roles';
import type { AccessRule } from './access/rules';
import { loadRulesFile, ruleFromVariables, RulesFileError } from './rules-file';

/** Environment → typed, validated configuration. Every problem is reported at once, with how to fix it. */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface ApproverList {
  userIds: string[];
  usergroupIds: string[];
}

export interface Config {
  slack: {
    botToken: string;
    /** Present: Socket Mode. Absent: HTTP mode. */
    appToken?: string;
    signingSecret?: string;
    apiUrl?: string;
    /** The slash command the bot answers, as in the app's manifest (`/cases-access` by default). */
    command: string;
  };
  port: number;
  approvalChannelId: string;
  approvers: ApproverList;
  allowedRolePatterns: string[];
  databaseUrl: string;
  logLevel: LogLevel;
  /** Grant length without `--for`; absent: until revoked (or the maximum, when one is set). */
  defaultGrantSeconds?: number;
  maxGrantSeconds?: number;
  /** A request still pending after this long expires. */
  pendingTtlSeconds: number;
  /** Approvers are reminded once in the card's thread after this long. */
  remindAfterSeconds: number;
  /** How long an apply or revocation owns its request before a restart or another replica resumes it. */
  applyLeaseSeconds: number;
  /** A failing automatic revocation @-mentions the approvers on its first failure and every this many after. */
  revokeAlertEvery: number;
  /** At most `count` new requests per requester within `windowSeconds`; absent (`off`): no limit. */
  requestRateLimit?: { count: number; windowSeconds: number };
  /** The role assumed in other accounts; absent: roles in other accounts are refused. */
  crossAccount?: { roleName: string; externalId?: string };
  /** Approval rules, first match decides (ACCESS_RULES; without it, one rule formed from the variables above). */
  rules: AccessRule[];
  /** Where the rules came from: the file's path, or `variables`. */
  rulesSource: string;
  /** A break-glass grant should be acknowledged by an approver within this long; reminders say when it is overdue. */
  breakGlassReviewSeconds: number;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(
      `cases-access cannot start; fix the environment (or .env):\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    );
  }
}

const list = (value: string | undefined): string[] =>
  (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

const optional = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);

/**
 * Values copied from .env.example (and Slack's and AWS's documentation) that were never filled in: refused by name,
 * since each would otherwise fail later and less clearly (Slack refusing a token, approvals waiting in no channel).
 */
const PLACEHOLDERS = {
  SLACK_BOT_TOKEN: ['xoxb-your-bot-token'],
  SLACK_APP_TOKEN: ['xapp-your-app-level-token'],
  // Slack's own example in "Verifying requests from Slack".
  SLACK_SIGNING_SECRET: ['8f742231b10e8888abcd99yyyzzz85a5'],
  APPROVAL_CHANNEL_ID: ['C0123456789'],
  APPROVERS: ['U0123456789', 'S0123456789'],
} as const;

/** AWS's documentation account, in .env.example's ALLOWED_ROLES. */
const EXAMPLE_ACCOUNT = '123456789012';

const notPlaceholder = (name: keyof typeof PLACEHOLDERS, fix: string, from = '.env.example') =>
  z.string().refine((v) => !(PLACEHOLDERS[name] as readonly string[]).includes(v.trim()), {
    error: (i) => `${name}: "${String(i.input)}" is the example from ${from}; ${fix}`,
  });

/** Slack's rule for a command's name: a slash, then lowercase letters, digits, - or _; 32 characters in all. */
const SLASH_COMMAND = /^\/[a-z0-9_-]{1,31}$/;

const duration = (name: string, fallback?: string) =>
  z.preprocess(
    (v) => optional(v) ?? fallback,
    z
      .string()
      .transform((text, ctx) => {
        const parsed = checkDuration(text);
        if (!parsed.ok)
          ctx.addIssue({
            code: 'custom',
            message:
              parsed.problem === 'too_long'
                ? `${name} is longer than 366 days, the longest grant the bot makes: "${text}"`
                : `${name} must be a duration such as 30m, 8h or 7d, not "${text}"`,
          });
        return parsed.ok ? parsed.seconds : 0;
      })
      .optional(),
  );

/** REQUEST_RATE_LIMIT: `<requests>/<duration>` such as 5/10m, or `off`. */
const rateLimit = (name: string, fallback: string) =>
  z.preprocess(
    (v) => optional(v) ?? fallback,
    z.string().transform((text, ctx) => {
      if (text.trim().toLowerCase() === 'off') return undefined;
      const match = /^\s*(\d{1,4})\s*\/\s*(\S+)\s*$/.exec(text);
      const window = match ? checkDuration(match[2]!) : undefined;
      const count = Number(match?.[1]);
      if (!match || !window?.ok || count < 1 || window.seconds > 86_400) {
        ctx.addIssue({
          code: 'custom',
          message: `${name} must be <requests>/<duration> such as 5/10m (at least 1 request, a window of at most 24h), or off; not "${text}"`,
        });
        return undefined;
      }
      return { count, windowSeconds: window.seconds };
    }),
  );

const schema = z
  .object({
    SLACK_BOT_TOKEN: z
      .string({
        error: 'SLACK_BOT_TOKEN is required: the bot token (xoxb-…) from the app’s OAuth & Permissions page',
      })
      .regex(/^xoxb-/, 'SLACK_BOT_TOKEN must start with xoxb- (the bot token, not a user or app token)')
      .pipe(notPlaceholder('SLACK_BOT_TOKEN', 'set the bot token from the app’s OAuth & Permissions page')),
    SLACK_APP_TOKEN: z.preprocess(
      optional,
      z
        .string()
        .regex(
          /^xapp-/,
          'SLACK_APP_TOKEN must start with xapp- (an app-level token with connections:write), or be empty for HTTP mode',
        )
        .pipe(
          notPlaceholder(
            'SLACK_APP_TOKEN',
            'set the app-level token (Basic Information → App-Level Tokens) for Socket Mode, or leave it empty for HTTP mode',
          ),
        )
        .optional(),
    ),
    SLACK_SIGNING_SECRET: z.preprocess(
      optional,
      notPlaceholder(
        'SLACK_SIGNING_SECRET',
        'set the app’s own signing secret (Basic Information → App Credentials)',
        'Slack’s documentation',
      ).optional(),
    ),
    SLACK_COMMAND: z.preprocess(
      (v) => optional(v) ?? '/cases-access',
      z.string().regex(SLASH_COMMAND, {
        error: (i) =>
          `SLACK_COMMAND must be a slash command as in the app’s manifest: a / then lowercase letters, digits, - or _, 32 characters at most; not "${String(i.input)}"`,
      }),
    ),
    SLACK_API_URL: z.preprocess(
      optional,
      z.url({ error: 'SLACK_API_URL must be a URL such as https://slack.com/api/' }).optional(),
    ),
    PORT: z.preprocess(
      (v) => optional(v) ?? '3000',
      z.coerce
        .number({ error: 'PORT must be a number' })
        .int('PORT must be a whole number')
        .min(0, 'PORT must be 0–65535')
        .max(65535, 'PORT must be 0–65535'),
    ),
    APPROVAL_CHANNEL_ID: z
      .string({
        error: 'APPROVAL_CHANNEL_ID is required: the channel ID (C… or G…) where approval cards are posted',
      })
      .regex(
        /^[CG][A-Z0-9]{2,}$/,
        'APPROVAL_CHANNEL_ID must be a channel ID such as C0123456789 (not a #name)',
      )
      .pipe(
        notPlaceholder(
          'APPROVAL_CHANNEL_ID',
          'set your approval channel’s ID (its details in Slack, at the bottom of the About tab)',
        ),
      ),
    // Required without ACCESS_RULES (see superRefine); with it, each rule names its own approvers.
    APPROVERS: z.preprocess(
      optional,
      z
        .string()
        .transform(list)
        .pipe(
          z
            .array(
              z
                .string()
                .regex(/^[UWS][A-Z0-9]{2,}$/, {
                  error: (i) =>
                    `APPROVERS: "${String(i.input)}" is not a user ID (U…, W…) or usergroup ID (S…)`,
                })
                .pipe(notPlaceholder('APPROVERS', 'list your approvers’ own user and usergroup IDs')),
            )
            .min(1, 'APPROVERS must list at least one user or usergroup ID'),
        )
        .optional(),
    ),
    ALLOWED_ROLES: z
      .string({
        error:
          'ALLOWED_ROLES is required: comma-separated role ARN patterns, e.g. arn:aws:iam::123456789012:role/connect-*',
      })
      .transform(list)
      .pipe(
        z
          .array(
            z
              .string()
              .regex(/^arn:aws[a-z-]*:iam::(\d{12}|\*):role\/\S+$/, {
                error: (i) =>
                  `ALLOWED_ROLES: "${String(i.input)}" is not a role ARN pattern such as arn:aws:iam::123456789012:role/connect-*`,
              })
              .refine((p) => p.split(':')[4] !== EXAMPLE_ACCOUNT, {
                error: (i) =>
                  `ALLOWED_ROLES: "${String(i.input)}" is in ${EXAMPLE_ACCOUNT}, the example account from .env.example (and AWS’s documentation); use your own account’s role ARNs`,
              }),
          )
          .min(1, 'ALLOWED_ROLES must list at least one role ARN pattern'),
      ),
    DATABASE_URL: z.preprocess(
      (v) => optional(v) ?? 'sqlite:./data/cases-access.db',
      z
        .string()
        .regex(/^(sqlite:.+|postgres(ql)?:\/\/.+)$/, 'DATABASE_URL must be sqlite:<path> or postgres://…'),
    ),
    DEFAULT_GRANT_DURATION: duration('DEFAULT_GRANT_DURATION'),
    MAX_GRANT_DURATION: duration('MAX_GRANT_DURATION'),
    PENDING_TTL: duration('PENDING_TTL', '24h'),
    REMIND_AFTER: duration('REMIND_AFTER', '2h'),
    APPLY_LEASE: duration('APPLY_LEASE', '2m'),
    REVOKE_ALERT_EVERY: z.preprocess(
      (v) => optional(v) ?? '6',
      z.coerce
        .number({ error: 'REVOKE_ALERT_EVERY must be a whole number of attempts, such as 6' })
        .int('REVOKE_ALERT_EVERY must be a whole number of attempts, such as 6')
        .min(1, 'REVOKE_ALERT_EVERY must be at least 1'),
    ),
    REQUEST_RATE_LIMIT: rateLimit('REQUEST_RATE_LIMIT', '5/10m'),
    CROSS_ACCOUNT_ROLE_NAME: z.preprocess(
      optional,
      z
        .string()
        .regex(
          /^[\w+=,.@-]{1,64}$/,
          'CROSS_ACCOUNT_ROLE_NAME must be a role name (1–64 of letters, digits and +=,.@_-), not an ARN',
        )
        .optional(),
    ),
    CROSS_ACCOUNT_EXTERNAL_ID: z.preprocess(
      optional,
      z
        .string()
        .regex(
          /^[\w+=,.@:/-]{2,1224}$/,
          'CROSS_ACCOUNT_EXTERNAL_ID must be 2–1224 of letters, digits and +=,.@:/-',
        )
        .optional(),
    ),
    ACCESS_RULES: z.preprocess(optional, z.string().optional()),
    BREAK_GLASS_REVIEW: duration('BREAK_GLASS_REVIEW', '24h'),
    LOG_LEVEL: z.preprocess(
      (v) => optional(v) ?? 'info',
      z.enum(['debug', 'info', 'warn', 'error'], { error: 'LOG_LEVEL must be debug, info, warn or error' }),
    ),
  })
  .superRefine(
    (env, ctx) => {
      if (
        env.DEFAULT_GRANT_DURATION &&
        env.MAX_GRANT_DURATION &&
        env.DEFAULT_GRANT_DURATION > env.MAX_GRANT_DURATION
      )
        ctx.addIssue({
          code: 'custom',
          message: 'DEFAULT_GRANT_DURATION must not be longer than MAX_GRANT_DURATION',
        });
      if (env.CROSS_ACCOUNT_ROLE_NAME && Array.isArray(env.ALLOWED_ROLES))
        for (const pattern of patternsMatchingRoleName(env.ALLOWED_ROLES, env.CROSS_ACCOUNT_ROLE_NAME))
          ctx.addIssue({
            code: 'custom',
            path: ['ALLOWED_ROLES'],
            message: `ALLOWED_ROLES: "${pattern}" matches CROSS_ACCOUNT_ROLE_NAME (${env.CROSS_ACCOUNT_ROLE_NAME}), the role the bot assumes; narrow the pattern so the bot can never write to it`,
          });
      if (!env.APPROVERS && !env.ACCESS_RULES)
        ctx.addIssue({
          code: 'custom',
          path: ['APPROVERS'],
          message:
            'APPROVERS is required: comma-separated Slack user IDs (U…, W…) and usergroup IDs (S…), or rules in ACCESS_RULES',
        });
      if (!env.SLACK_APP_TOKEN && !env.SLACK_SIGNING_SECRET)
        ctx.addIssue({
          code: 'custom',
          path: ['SLACK_SIGNING_SECRET'],
          message:
            'SLACK_SIGNING_SECRET is required in HTTP mode (Basic Information → Signing Secret); or set SLACK_APP_TOKEN for Socket Mode',
        });
    },
    // Run even when other fields failed (zod skips it by default), so one error lists every problem.
    { when: (payload) => typeof payload.value === 'object' && payload.value !== null },
  );

export function loadConfig(env: NodeJS.ProcessEnv): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) throw new ConfigError(parsed.error.issues.map((i) => i.message));
  const e = parsed.data;
  let rules: AccessRule[];
  try {
    rules = e.ACCESS_RULES
      ? loadRulesFile(e.ACCESS_RULES, { channelId: e.APPROVAL_CHANNEL_ID, maxSeconds: e.MAX_GRANT_DURATION })
      : [
          ruleFromVariables({
            allowedRolePatterns: e.ALLOWED_ROLES,
            approvers: e.APPROVERS ?? [],
            channelId: e.APPROVAL_CHANNEL_ID,
            maxSeconds: e.MAX_GRANT_DURATION,
          }),
        ];
  } catch (error) {
    if (error instanceof RulesFileError) throw new ConfigError(error.problems);
    throw error;
  }
  return {
    rules,
    rulesSource: e.ACCESS_RULES ?? 'variables',
    breakGlassReviewSeconds: e.BREAK_GLASS_REVIEW ?? 86_400,
    slack: {
      botToken: e.SLACK_BOT_TOKEN,
      appToken: e.SLACK_APP_TOKEN,
      signingSecret: e.SLACK_SIGNING_SECRET,
      apiUrl: e.SLACK_API_URL,
      command: e.SLACK_COMMAND,
    },
    port: e.PORT,
    approvalChannelId: e.APPROVAL_CHANNEL_ID,
    approvers: approverListOf(rules),
    allowedRolePatterns: e.ALLOWED_ROLES,
    databaseUrl: e.DATABASE_URL,
    logLevel: e.LOG_LEVEL,
    defaultGrantSeconds: e.DEFAULT_GRANT_DURATION,
    maxGrantSeconds: e.MAX_GRANT_DURATION,
    pendingTtlSeconds: e.PENDING_TTL ?? 86_400,
    remindAfterSeconds: e.REMIND_AFTER ?? 7_200,
    applyLeaseSeconds: e.APPLY_LEASE ?? 120,
    revokeAlertEvery: e.REVOKE_ALERT_EVERY,
    requestRateLimit: e.REQUEST_RATE_LIMIT,
    crossAccount: e.CROSS_ACCOUNT_ROLE_NAME
      ? { roleName: e.CROSS_ACCOUNT_ROLE_NAME, externalId: e.CROSS_ACCOUNT_EXTERNAL_ID }
      : undefined,
  };
}

/** Values that must never appear in a log line or a message. */
export function secretsOf(config: Config, env: NodeJS.ProcessEnv): string[] {
  return [
    config.slack.botToken,
    config.slack.appToken,
    config.slack.signingSecret,
    env.AWS_SECRET_ACCESS_KEY,
    env.AWS_SESSION_TOKEN,
  ].filter((s): s is string => typeof s === 'string' && s.length >= 8);
}

/** Everyone who approves under some rule (who may audit, and whose usergroups the bot looks up). */
export function approverListOf(rules: readonly AccessRule[]): ApproverList {
  const ids = [...new Set(rules.flatMap((r) => r.approvers))];
  return {
    userIds: ids.filter((id) => !id.startsWith('S')),
    usergroupIds: ids.filter((id) => id.startsWith('S')),
  };
}
