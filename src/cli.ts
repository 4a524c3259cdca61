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

/** Offline entry point: prints the policy for a task without Slack or AWS. */

export const CLI_HELP = `cases-access — the Amazon Connect Cases IAM permissions AWS documents, least privilege

Usage:
  cases-access policy <view|onboard> [--managed] [--account <12 digits>]
                      [--instance <uuid> --region <region>] [--json]
  cases-access --help

Commands:
  policy view      permissions to view Cases domain details in the Amazon Connect console
  policy onboard   permissions to onboard an Amazon Connect instance to Cases

Options:
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

Exit status: 0 on success, 2 on bad arguments.
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
    throw new UsageError(
      ((error as Error).message.split('. ')[0] ?? 'bad arguments').replace(/^Unknown/, 'unknown'),
    );
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

export async function runCli(argv: string[], io: Io): Promise<number> {
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
    throw new UsageError(`unknown command "${command}": see cases-access --help`);
  } catch (error) {
    if (error instanceof UsageError || error instanceof PlanRequestError) {
      io.err(`cases-access: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

if (require.main === module) {
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
