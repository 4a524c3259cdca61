import { INSTANCE_ID } from '../policy';
import { checkDuration, durationProblem } from './duration';
import type { PolicyOption, Task } from '../policy';

/** The slash command's grammar, parsed into what was asked. Pure. */

export const MAX_REASON_LENGTH = 500;

export const COMMAND_HELP = [
  '*cases-access* grants the Amazon Connect Cases permissions AWS documents to an IAM role, after approval.',
  '```',
  '/cases-access onboard <role> [--managed] [--instance <connect-instance-id>] [--for <duration>] [reason…]',
  '/cases-access view    <role> [--managed] [--instance <connect-instance-id>] [--for <duration>] [reason…]',
  '/cases-access revoke  <request-id> [reason…]',
  '/cases-access status  [request-id]',
  '/cases-access audit   <role ARN | role name | request-id>',
  '/cases-access help',
  '```',
  '• `/cases-access` alone opens a dialog that asks for the same things.',
  '• `<role>`: a role ARN (`arn:aws:iam::123456789012:role/connect-admins`) or a role name in the bot’s own account.',
  '• `onboard`: permissions to onboard an Amazon Connect instance to Cases; `view`: to view Cases domain details.',
  '• `--managed`: AWS’s Option 2 (an AWS managed policy plus a small inline policy). Without it, Option 1: one inline policy with the minimum permissions.',
  '• `--instance`: narrow the instance-scoped Amazon Connect actions to one instance (its ID, or its instance ARN).',
  '• `--for`: how long the grant lasts, e.g. `30m`, `8h`, `7d`; the bot revokes it by itself at the end.',
  '• `revoke`: remove a grant early (approvers and the requester). `status`: your requests, or one request’s history. `audit`: every grant on a role (approvers).',
  `• The reason (up to ${MAX_REASON_LENGTH} characters) is shown to approvers. Flags go before it.`,
].join('\n');

export interface RequestCommand {
  kind: 'request';
  task: Task;
  option: PolicyOption;
  roleText: string;
  /** A bare instance ID or an instance ARN, as typed. */
  instanceText?: string;
  /** Seconds, from `--for`; absent means the configured default. */
  durationSeconds?: number;
  reason: string;
}

export type ParsedCommand =
  | { kind: 'help' }
  | { kind: 'modal' }
  | RequestCommand
  | { kind: 'revoke'; requestId: string; reason: string }
  | { kind: 'status'; requestId?: string }
  | { kind: 'audit'; target: string }
  | { kind: 'error'; message: string };

const REQUEST_ID = /^CA-[0-9A-HJKMNP-TV-Z]{10}$/;

export function isRequestId(text: string): boolean {
  return REQUEST_ID.test(text.toUpperCase());
}

const INSTANCE_ARN = /^arn:(aws|aws-cn|aws-us-gov):connect:([a-z0-9-]+):(\d{12}):instance\/([0-9a-f-]{36})$/i;

export function parseInstanceText(
  text: string,
): { instanceId: string; region?: string; accountId?: string } | undefined {
  if (INSTANCE_ID.test(text)) return { instanceId: text.toLowerCase() };
  const m = INSTANCE_ARN.exec(text);
  if (m && INSTANCE_ID.test(m[4]!))
    return { instanceId: m[4]!.toLowerCase(), region: m[2]!, accountId: m[3]! };
  return undefined;
}

export function parseCommand(text: string): ParsedCommand {
  const matches = [...text.matchAll(/\S+/g)];
  const tokens = matches.map((m) => m[0]);
  const [verb, roleText, ...rest] = tokens;
  if (verb === undefined) return { kind: 'modal' };
  const task = verb.toLowerCase();
  if (task === 'help') return { kind: 'help' };
  if (task === 'revoke' || task === 'status' || task === 'audit')
    return parseLifecycleCommand(task, text, matches);
  if (task !== 'onboard' && task !== 'view')
    return {
      kind: 'error',
      message: `Unknown command \`${verb}\`. Use \`onboard\`, \`view\`, \`revoke\`, \`status\`, \`audit\` or \`help\`.`,
    };
  if (roleText === undefined || roleText.startsWith('--'))
    return {
      kind: 'error',
      message: `\`${task}\` needs a role: \`/cases-access ${task} <role ARN or name> [reason…]\`.`,
    };

  let option: PolicyOption = 'minimal';
  let instanceText: string | undefined;
  let durationSeconds: number | undefined;
  let i = 0;
  for (; i < rest.length; i++) {
    const token = rest[i]!;
    if (!token.startsWith('--')) break;
    if (token === '--managed') {
      option = 'managed';
    } else if (token === '--instance') {
      const value = rest[i + 1];
      if (value === undefined || value.startsWith('--'))
        return {
          kind: 'error',
          message: '`--instance` needs an Amazon Connect instance ID or instance ARN after it.',
        };
      if (!parseInstanceText(value))
        return {
          kind: 'error',
          message: `\`${value}\` is not an Amazon Connect instance ID (a UUID) or instance ARN.`,
        };
      instanceText = value;
      i++;
    } else if (token === '--for') {
      const value = rest[i + 1];
      const parsed = value === undefined ? undefined : checkDuration(value);
      if (parsed?.ok === false && parsed.problem === 'too_long')
        return { kind: 'error', message: `\`--for\`: ${durationProblem(value ?? '', 'too_long')}` };
      if (!parsed?.ok)
        return {
          kind: 'error',
          message: `\`--for\` needs a duration such as \`30m\`, \`8h\` or \`7d\`${value ? `, not \`${value}\`` : ''}.`,
        };
      durationSeconds = parsed.seconds;
      i++;
    } else {
      return {
        kind: 'error',
        message: `Unknown flag \`${token}\`. The flags are \`--managed\`, \`--instance <id>\` and \`--for <duration>\`.`,
      };
    }
  }
  const reasonTokens = rest.slice(i);
  const misplaced = reasonTokens.find((t) => /^--[a-z]/i.test(t));
  if (misplaced)
    return {
      kind: 'error',
      message: `\`${misplaced}\` comes after the reason; put flags right after the role.`,
    };
  // The reason keeps the requester's own spacing and line breaks.
  const reasonStart = matches[i + 2]?.index;
  const reason = reasonStart === undefined ? '' : text.slice(reasonStart).trim();
  if (reason.length > MAX_REASON_LENGTH)
    return {
      kind: 'error',
      message: `The reason is ${reason.length} characters; keep it to ${MAX_REASON_LENGTH}.`,
    };
  return { kind: 'request', task, option, roleText, instanceText, durationSeconds, reason };
}

function parseLifecycleCommand(
  verb: 'revoke' | 'status' | 'audit',
  text: string,
  matches: RegExpMatchArray[],
): ParsedCommand {
  const arg = matches[1]?.[0];
  if (verb === 'status') {
    if (arg === undefined) return { kind: 'status' };
    if (!isRequestId(arg)) return { kind: 'error', message: `\`${arg}\` is not a request ID (CA-…).` };
    if (matches.length > 2) return { kind: 'error', message: '`status` takes at most one request ID.' };
    return { kind: 'status', requestId: arg.toUpperCase() };
  }
  if (arg === undefined)
    return {
      kind: 'error',
      message:
        verb === 'revoke'
          ? '`revoke` needs a request ID: `/cases-access revoke CA-… [reason…]`.'
          : '`audit` needs a role ARN, role name or request ID.',
    };
  if (verb === 'audit') {
    if (matches.length > 2)
      return { kind: 'error', message: '`audit` takes one role ARN, role name or request ID.' };
    return { kind: 'audit', target: isRequestId(arg) ? arg.toUpperCase() : arg };
  }
  if (!isRequestId(arg)) return { kind: 'error', message: `\`${arg}\` is not a request ID (CA-…).` };
  const reasonStart = matches[2]?.index;
  const reason = reasonStart === undefined ? '' : text.slice(reasonStart).trim();
  if (reason.length > MAX_REASON_LENGTH)
    return {
      kind: 'error',
      message: `The reason is ${reason.length} characters; keep it to ${MAX_REASON_LENGTH}.`,
    };
  return { kind: 'revoke', requestId: arg.toUpperCase(), reason };
}
