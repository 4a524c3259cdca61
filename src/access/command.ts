import { INSTANCE_ID } from '../policy';
import type { PolicyOption, Task } from '../policy';

/** The slash command's grammar, parsed into what was asked. Pure. */

export const MAX_REASON_LENGTH = 500;

export const COMMAND_HELP = [
  '*cases-access* grants the Amazon Connect Cases permissions AWS documents to an IAM role, after approval.',
  '```',
  '/cases-access onboard <role> [--managed] [--instance <connect-instance-id>] [reason…]',
  '/cases-access view    <role> [--managed] [--instance <connect-instance-id>] [reason…]',
  '/cases-access help',
  '```',
  '• `<role>`: a role ARN (`arn:aws:iam::123456789012:role/connect-admins`) or a role name in the bot’s own account.',
  '• `onboard`: permissions to onboard an Amazon Connect instance to Cases; `view`: to view Cases domain details.',
  '• `--managed`: AWS’s Option 2 (an AWS managed policy plus a small inline policy). Without it, Option 1: one inline policy with the minimum permissions.',
  '• `--instance`: narrow the instance-scoped Amazon Connect actions to one instance (its ID, or its instance ARN).',
  `• The reason (up to ${MAX_REASON_LENGTH} characters) is shown to approvers. Flags go before it.`,
].join('\n');

export type ParsedCommand =
  | { kind: 'help' }
  | {
      kind: 'request';
      task: Task;
      option: PolicyOption;
      roleText: string;
      /** A bare instance ID or an instance ARN, as typed. */
      instanceText?: string;
      reason: string;
    }
  | { kind: 'error'; message: string };

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
  if (verb === undefined || verb.toLowerCase() === 'help') return { kind: 'help' };
  const task = verb.toLowerCase();
  if (task !== 'onboard' && task !== 'view')
    return { kind: 'error', message: `Unknown command \`${verb}\`. Use \`onboard\`, \`view\` or \`help\`.` };
  if (roleText === undefined || roleText.startsWith('--'))
    return {
      kind: 'error',
      message: `\`${task}\` needs a role: \`/cases-access ${task} <role ARN or name> [reason…]\`.`,
    };

  let option: PolicyOption = 'minimal';
  let instanceText: string | undefined;
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
    } else {
      return {
        kind: 'error',
        message: `Unknown flag \`${token}\`. The flags are \`--managed\` and \`--instance <id>\`.`,
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
  return { kind: 'request', task, option, roleText, instanceText, reason };
}
