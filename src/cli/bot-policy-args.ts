import { parseArgs } from 'node:util';
import { ACCOUNT_ID } from '../policy';
import type { BotPolicyRequest } from '../policy/bot-policy';
import { UsageError, usageFromParseError } from './usage';

/** `bot-policy …`: flags first, else ALLOWED_ROLES (and its account) from the environment or `.env`. */
export interface BotPolicyArgs {
  request: BotPolicyRequest;
  json: boolean;
  /** Said on stderr (stdout stays the policy alone): where values came from, patterns worth a second look. */
  notes: string[];
}

export function parseBotPolicyArgs(args: string[], env: NodeJS.ProcessEnv): BotPolicyArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        account: { type: 'string' },
        'allowed-roles': { type: 'string', multiple: true },
        'cross-account-role-name': { type: 'string' },
        'bot-role-name': { type: 'string' },
        'require-boundary': { type: 'string' },
        json: { type: 'boolean' },
      },
    });
  } catch (error) {
    throw usageFromParseError(error);
  }
  const { values, positionals } = parsed;
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const notes: string[] = [];
  const split = (v: string[]) =>
    v
      .flatMap((p) => p.split(','))
      .map((p) => p.trim())
      .filter(Boolean);
  let patterns = split(values['allowed-roles'] ?? []);
  if (values['allowed-roles'] === undefined && env.ALLOWED_ROLES?.trim()) {
    patterns = split([env.ALLOWED_ROLES]);
    notes.push(`--allowed-roles taken from ALLOWED_ROLES (the environment or .env): ${patterns.join(',')}`);
  }
  if (patterns.length === 0)
    throw new UsageError(
      'bot-policy needs --allowed-roles <patterns> (or ALLOWED_ROLES in the environment or .env)',
    );
  let account = values.account;
  if (account === undefined) {
    account = accountOfPatterns(patterns);
    notes.push(`--account taken from the allowed role patterns: ${account}`);
  }
  if (!ACCOUNT_ID.test(account))
    throw new UsageError(`--account "${account}" is not a 12-digit AWS account ID`);
  for (const pattern of patterns.filter(matchesEveryRole))
    notes.push(
      `warning: "${pattern}" matches every role in its account${/::\*:/.test(pattern) ? 's' : ''}, admin roles too: ` +
        'name the roles or a prefix (role/connect-*), and use --bot-role-name and --require-boundary (see the README)',
    );
  const request: BotPolicyRequest = {
    accountId: account,
    allowedRolePatterns: patterns,
    crossAccountRoleName: values['cross-account-role-name'],
    botRoleName: values['bot-role-name'],
    requiredBoundaryArn: values['require-boundary'],
  };
  return { request, json: values.json === true, notes };
}

/** The one account the patterns name; the bot's role is there (a pattern's `*` account narrows to it). */
function accountOfPatterns(patterns: string[]): string {
  const accounts = [
    ...new Set(patterns.map((p) => /^arn:[^:]+:iam::(\d{12}):/.exec(p)?.[1]).filter(Boolean)),
  ];
  if (accounts.length === 1) return accounts[0]!;
  throw new UsageError(
    accounts.length === 0
      ? 'bot-policy needs --account <12 digits>: no allowed role pattern names an account'
      : `bot-policy needs --account <12 digits>: the patterns name several accounts (${accounts.join(', ')})`,
  );
}

/** `…:role/*`: every role, whatever its path. */
const matchesEveryRole = (pattern: string): boolean => /:role\/\*$/.test(pattern);
