#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { CATALOG, generatePlan, prettyJson, PlanRequestError } from './policy';
import type { PolicyPlan } from './policy';
import { BotPolicyError, generateBotPolicy, MANAGED_POLICY_SIZE_LIMIT } from './policy/bot-policy';
import type { BotPolicy, BotPolicyRequest } from './policy/bot-policy';
import { config as loadDotenv } from 'dotenv';
import { openStore } from './store';
import { verifyChain } from './store/audit-chain';
import type { AuditEvent } from './access/types';
import { parseBotPolicyArgs } from './cli/bot-policy-args';
import { CLI_HELP } from './cli/help';
import { parsePolicyArgs } from './cli/policy-args';
import { runRules } from './cli/rules';
import { SHORT_USAGE, UsageError, usageFromParseError } from './cli/usage';

export { CLI_HELP, UsageError };

/** Offline entry point: prints the policy for a task, or the bot's own policy, without Slack or AWS. */

interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
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
    if (command === undefined) {
      io.err(SHORT_USAGE);
      return 2;
    }
    if (command === '--help' || command === '-h' || command === 'help') {
      io.out(CLI_HELP);
      return 0;
    }
    if (command === 'policy') {
      if (rest.includes('--help') || rest.includes('-h')) {
        io.out(CLI_HELP);
        return 0;
      }
      const { request, output } = parsePolicyArgs(rest, env);
      const plan = await generatePlan(request);
      if (output === 'json') {
        const { task, option, policyName, document, managedPolicyArns, sha256 } = plan;
        io.out(JSON.stringify({ task, option, policyName, document, managedPolicyArns, sha256 }) + '\n');
      } else {
        // --document: the exact text the bot writes, for `aws iam put-role-policy --policy-document`.
        io.out(output === 'document' ? plan.documentText + '\n' : formatPlanForPeople(plan));
      }
      return 0;
    }
    if (command === 'bot-policy') {
      if (rest.includes('--help') || rest.includes('-h')) {
        io.out(CLI_HELP);
        return 0;
      }
      const { request, json, notes } = parseBotPolicyArgs(rest, env);
      const policy = await generateBotPolicy(request);
      for (const note of notes) io.err(`cases-access: ${note}\n`);
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
