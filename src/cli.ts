#!/usr/bin/env node
import { parseArgs } from 'node:util';
import {
  CATALOG,
  DOC_REVISION,
  generatePlan,
  prettyJson,
  TASKS,
  PlanRequestError,
  ACCOUNT_ID,
  INSTANCE_ID,
  REGION,
} from './policy';
import type { PlanRequest, PolicyPlan, Task } from './policy';
import { BotPolicyError, generateBotPolicy, MANAGED_POLICY_SIZE_LIMIT } from './policy/bot-policy';
import type { BotPolicy, BotPolicyRequest } from './policy/bot-policy';
import { config as loadDotenv } from 'dotenv';
import { runRules } from './cli-rules';
import { openStore } from './store';
import { verifyChain } from './store/audit-chain';
import type { AuditEvent } from './access/types';

/** Offline entry point: prints the policy for a task, or the bot's own policy, without Slack or AWS. */

export const CLI_HELP = `cases-access — the Amazon Connect Cases IAM permissions AWS documents, least privilege

Usage:
  cases-access policy <view|onboard> [--managed] [--account <12 digits>]
                      [--instance <uuid> --region <region>] [--json]
  cases-access bot-policy --account <12 digits> --allowed-roles <patterns>
                      [--bot-role-name <name>] [--require-boundary <policy ARN>]
                      [--cross-account-role-name <name>] [--json]
  cases-access audit export [--since <ISO date>]
  cases-access audit verify
  cases-access --help

Commands:
  policy view      permissions to view Cases domain details in the Amazon Connect console
  policy onboard   permissions to onboard an Amazon Connect instance to Cases
  bot-policy       the IAM policy the bot's own role needs, and nothing more
  audit export     the bot's event log as JSON lines, oldest first (reads DATABASE_URL, or .env)
  audit verify     walk the log's hash chain: "ok" and the count, or the first event that does
                   not match (exit 1)
  rules check      validate the approval rules (ACCESS_RULES, or --file <path>) and print, per rule,
                   who may request, who approves and how many, where the card goes (exit 1 if invalid)
  rules explain <role ARN> <view|onboard> [--managed]
                   which rule would decide such a request, and why the ones before it do not

Options of policy:
  --managed              Option 2 of the AWS page: an AWS managed policy plus a small inline policy
                         (default: Option 1, one inline policy with the minimum permissions)
  --account <id>         the 12-digit account of the role that gets the policy; narrows
                         iam:PutRolePolicy to that account's Amazon Connect service-linked role
                         (without it the documented "arn:aws:iam::*:role/..." stays)
  --instance <uuid>      narrow connect:ListIntegrationAssociations, connect:DescribeInstance and
                         connect:CreateIntegrationAssociation to one Amazon Connect instance
  --region <region>      the instance's region (required with --instance)
  --json                 print one JSON object:
                         {"task","option","policyName","document","managedPolicyArns","sha256"}
  -h, --help             this text

Options of bot-policy:
  --account <id>         the 12-digit account of the bot's role; a pattern whose account is "*"
                         is narrowed to it (the bot's own credentials reach IAM there only)
  --allowed-roles <p,…>  the value of ALLOWED_ROLES: comma-separated role ARN patterns, "*"
                         matching any run of characters (IAM's "*" means the same)
  --bot-role-name <name> the name of the role the bot runs as (in a target account: the
                         cross-account role); every write on it is denied, whatever the patterns match
  --require-boundary <policy ARN>
                         writes (put, delete, attach, detach) only on roles whose permissions
                         boundary is that managed policy; recommended in production
  --cross-account-role-name <name>
                         also allow sts:AssumeRole and sts:SetSourceIdentity on that role name in
                         the other accounts the patterns name (each pattern must name its account),
                         and deny every write on that role name
  --json                 print only the policy document, as compact canonical JSON

Exit status: 0 on success, 1 when audit verify finds a mismatch, 2 on bad arguments.
Source: ${DOC_REVISION.source} (revision ${DOC_REVISION.latest}; ${DOC_REVISION.note})
`;

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
}

function parsePolicyArgs(args: string[]): { request: PlanRequest; json: boolean } {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        managed: { type: 'boolean' },
        account: { type: 'string' },
        instance: { type: 'string' },
        region: { type: 'string' },
        json: { type: 'boolean' },
      },
    });
  } catch (error) {
    throw usageFromParseError(error);
  }
  const { values, positionals } = parsed;
  const [task, ...extra] = positionals;
  if (task === undefined) throw new UsageError('policy needs a task: view or onboard');
  if (!(TASKS as readonly string[]).includes(task))
    throw new UsageError(`unknown task "${task}": use view or onboard`);
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  if (values.account !== undefined && !ACCOUNT_ID.test(values.account))
    throw new UsageError(`--account "${values.account}" is not a 12-digit AWS account ID`);
  if (values.instance !== undefined && !INSTANCE_ID.test(values.instance))
    throw new UsageError(`--instance "${values.instance}" is not an Amazon Connect instance ID (a UUID)`);
  if (values.instance !== undefined && values.region === undefined)
    throw new UsageError('--instance needs --region <region>, the instance’s AWS region');
  if (values.region !== undefined && values.instance === undefined)
    throw new UsageError('--region is only used with --instance');
  if (values.region !== undefined && !REGION.test(values.region))
    throw new UsageError(`--region "${values.region}" is not an AWS region such as us-east-1`);
  const request: PlanRequest = {
    task: task as Task,
    option: values.managed ? 'managed' : 'minimal',
    accountId: values.account,
    instance:
      values.instance !== undefined
        ? { instanceId: values.instance, region: values.region as string }
        : undefined,
  };
  return { request, json: values.json === true };
}

function usageFromParseError(error: unknown): UsageError {
  return new UsageError(
    ((error as Error).message.split('. ')[0] ?? 'bad arguments').replace(/^Unknown/, 'unknown'),
  );
}

function parseBotPolicyArgs(args: string[]): { request: BotPolicyRequest; json: boolean } {
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
  if (values.account === undefined)
    throw new UsageError('bot-policy needs --account <12 digits>, the account of the bot’s role');
  if (!ACCOUNT_ID.test(values.account))
    throw new UsageError(`--account "${values.account}" is not a 12-digit AWS account ID`);
  const patterns = (values['allowed-roles'] ?? [])
    .flatMap((v) => v.split(','))
    .map((p) => p.trim())
    .filter(Boolean);
  if (patterns.length === 0)
    throw new UsageError('bot-policy needs --allowed-roles <patterns>, the value of ALLOWED_ROLES');
  const request: BotPolicyRequest = {
    accountId: values.account,
    allowedRolePatterns: patterns,
    crossAccountRoleName: values['cross-account-role-name'],
    botRoleName: values['bot-role-name'],
    requiredBoundaryArn: values['require-boundary'],
  };
  return { request, json: values.json === true };
}

export function formatBotPolicyForPeople(policy: BotPolicy, request: BotPolicyRequest): string {
  const size = policy.documentText.length;
  return [
    `# IAM policy for the cases-access bot's own role in account ${request.accountId}`,
    '# (attach it as an inline or customer managed policy to the role the bot runs as):',
    prettyJson(policy.document),
    size > MANAGED_POLICY_SIZE_LIMIT
      ? `# ${size} characters: too long for a managed policy (${MANAGED_POLICY_SIZE_LIMIT}); use an inline policy`
      : `# ${size} characters without whitespace`,
    `# SHA-256 of the canonical policy text: ${policy.sha256}`,
    ...missingSafeguards(request),
    '',
  ].join('\n');
}

/** The options that cap a compromised bot, named when left out (the JSON output stays the document alone). */
function missingSafeguards(request: BotPolicyRequest): string[] {
  const missing = [
    request.botRoleName === undefined ? '--bot-role-name <the bot’s role>' : undefined,
    request.requiredBoundaryArn === undefined ? '--require-boundary <policy ARN>' : undefined,
  ].filter((m) => m !== undefined);
  return missing.length > 0 ? [`# Recommended in production: ${missing.join(' and ')} (see the README)`] : [];
}

export function formatPlanForPeople(plan: PolicyPlan): string {
  const managed = plan.managedPolicyArns.length
    ? plan.managedPolicyArns.map((a) => `#   ${a}`).join('\n')
    : '#   none';
  return [
    `# ${CATALOG[plan.task][plan.option].title}`,
    `# Inline policy "${plan.policyName}" (IAM console: role → Add permissions → Create inline policy → JSON):`,
    prettyJson(plan.document),
    '# AWS managed policies to attach:',
    managed,
    `# SHA-256 of the canonical policy text: ${plan.sha256}`,
    '',
  ].join('\n');
}

const DEFAULT_DATABASE_URL = 'sqlite:./data/cases-access.db';

function eventJson(event: AuditEvent): string {
  return JSON.stringify({ ...event, at: event.at.toISOString() });
}

async function runAudit(args: string[], io: Io, env: NodeJS.ProcessEnv): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'export' && sub !== 'verify') throw new UsageError('audit needs export or verify');
  let values;
  try {
    values = parseArgs({
      args: rest,
      strict: true,
      allowPositionals: false,
      options: { since: { type: 'string' } },
    }).values;
  } catch (error) {
    throw usageFromParseError(error);
  }
  if (sub === 'verify' && values.since !== undefined)
    throw new UsageError('audit verify checks the whole log; --since is for export');
  let since: Date | undefined;
  if (values.since !== undefined) {
    since = new Date(values.since);
    if (!/^\d{4}-\d{2}-\d{2}/.test(values.since) || Number.isNaN(since.getTime()))
      throw new UsageError(
        `--since "${values.since}" is not an ISO date such as 2026-11-01 or 2026-11-01T12:00:00Z`,
      );
  }
  const store = await openStore(env.DATABASE_URL?.trim() || DEFAULT_DATABASE_URL);
  try {
    const events = await store.listAllEvents(since);
    if (sub === 'export') {
      for (const event of events) io.out(eventJson(event) + '\n');
      return 0;
    }
    const check = verifyChain(events);
    if (check.ok) {
      io.out(`ok: ${check.count} events, hash chain intact\n`);
      return 0;
    }
    io.out(`mismatch at event ${check.seq} (after ${check.count} good events): ${check.reason}\n`);
    return 1;
  } finally {
    await store.close();
  }
}

export async function runCli(argv: string[], io: Io, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
      io.out(CLI_HELP);
      return command === undefined ? 2 : 0;
    }
    if (command === 'policy') {
      if (rest.includes('--help') || rest.includes('-h')) {
        io.out(CLI_HELP);
        return 0;
      }
      const { request, json } = parsePolicyArgs(rest);
      const plan = await generatePlan(request);
      if (json) {
        const { task, option, policyName, document, managedPolicyArns, sha256 } = plan;
        io.out(JSON.stringify({ task, option, policyName, document, managedPolicyArns, sha256 }) + '\n');
      } else {
        io.out(formatPlanForPeople(plan));
      }
      return 0;
    }
    if (command === 'bot-policy') {
      if (rest.includes('--help') || rest.includes('-h')) {
        io.out(CLI_HELP);
        return 0;
      }
      const { request, json } = parseBotPolicyArgs(rest);
      const policy = await generateBotPolicy(request);
      io.out(json ? policy.documentText + '\n' : formatBotPolicyForPeople(policy, request));
      return 0;
    }
    if (command === 'audit') {
      if (rest.includes('--help') || rest.includes('-h')) {
        io.out(CLI_HELP);
        return 0;
      }
      return await runAudit(rest, io, env);
    }
    if (command === 'rules') return runRules(rest, io, env);
    throw new UsageError(`unknown command "${command}": see cases-access --help`);
  } catch (error) {
    if (error instanceof UsageError || error instanceof PlanRequestError || error instanceof BotPolicyError) {
      io.err(`cases-access: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

if (require.main === module) {
  loadDotenv({ quiet: true });
  runCli(process.argv.slice(2), {
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
  }).then(
    (code) => (process.exitCode = code),
    (error: unknown) => {
      process.stderr.write(`cases-access: ${(error as Error).message}\n`);
      process.exitCode = 1;
    },
  );
}
