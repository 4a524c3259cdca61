import { INSTANCE_ID } from '../policy';
import { echo } from './echo';
import { checkDuration, durationProblem } from './duration';
import type { PolicyOption, Task } from '../policy';

/** The slash command's grammar, parsed into what was asked. Pure. */

export const MAX_REASON_LENGTH = 500;
/** A break-glass reason says what is on fire: at least this long. */
export const MIN_BREAK_GLASS_REASON = 20;

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
  /** `--break-glass`: applied at once by the requester where a rule allows it (after a confirming dialog). */
  breakGlass?: true;
}

export type ParsedCommand =
  | { kind: 'help'; roleText?: string }
  | { kind: 'modal' }
  | RequestCommand
  | { kind: 'revoke'; requestId: string; reason: string }
  | { kind: 'status'; requestId?: string; page: number }
  | { kind: 'audit'; target: string; page: number }
  | { kind: 'error'; message: string };

const REQUEST_ID = /^CA-[0-9A-HJKMNP-TV-Z]{10}$/;

export function isRequestId(text: string): boolean {
  return REQUEST_ID.test(text.toUpperCase());
}

// ARNs are case-sensitive: partition, service and region are lower-case (an upper-case region is no region).
const INSTANCE_ARN =
  /^arn:(aws|aws-cn|aws-us-gov):connect:([a-z0-9-]+):(\d{12}):instance\/([0-9a-fA-F-]{36})$/;

/** Why `text` is not an instance: a sentence for the user, with a hint when only the case is wrong. */
export function instanceProblem(text: string): string {
  const caseOnly = !INSTANCE_ARN.test(text) && INSTANCE_ARN.test(text.toLowerCase());
  return (
    `${echo(text)} is not an Amazon Connect instance ID (a UUID) or instance ARN` +
    (caseOnly ? ': in an ARN the partition, service and region are lower-case (e.g. `us-east-1`).' : '.')
  );
}

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
  // `help <role>` also says which rules would decide requests for that role.
  if (task === 'help') return roleText === undefined ? { kind: 'help' } : { kind: 'help', roleText };
  if (task === 'revoke' || task === 'status' || task === 'audit')
    return parseLifecycleCommand(task, text, matches);
  if (task !== 'onboard' && task !== 'view')
    return {
      kind: 'error',
      message: `Unknown command ${echo(verb)}. Use \`onboard\`, \`view\`, \`revoke\`, \`status\`, \`audit\` or \`help\`.`,
    };
  if (roleText === undefined || roleText.startsWith('--'))
    return {
      kind: 'error',
      message: `${echo(task)} needs a role: \`/cases-access ${task} <role ARN or name> [reason…]\`.`,
    };

  let option: PolicyOption = 'minimal';
  let instanceText: string | undefined;
  let durationSeconds: number | undefined;
  let breakGlass = false;
  let i = 0;
  for (; i < rest.length; i++) {
    const typed = rest[i]!;
    const token = KNOWN_FLAGS.has(flagName(typed)) ? flagName(typed) : typed;
    if (!token.startsWith('--')) break;
    if (token === '--managed') {
      option = 'managed';
    } else if (token === '--break-glass') {
      breakGlass = true;
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
          message: instanceProblem(value),
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
          message: `\`--for\` needs a duration such as \`30m\`, \`8h\` or \`7d\`${value ? `, not ${echo(value)}` : ''}.`,
        };
      durationSeconds = parsed.seconds;
      i++;
    } else {
      return {
        kind: 'error',
        message: `Unknown flag ${echo(token)}. The flags are \`--managed\`, \`--instance <id>\`, \`--for <duration>\` and \`--break-glass\`.`,
      };
    }
  }
  const reasonTokens = rest.slice(i);
  const misplaced = reasonTokens.find((t) => /^--[a-z]/i.test(t) || KNOWN_FLAGS.has(flagName(t)));
  if (misplaced)
    return {
      kind: 'error',
      message: `${echo(misplaced)} comes after the reason; put flags right after the role.`,
    };
  // The reason keeps the requester's own spacing and line breaks.
  const reasonStart = matches[i + 2]?.index;
  const reason = reasonStart === undefined ? '' : text.slice(reasonStart).trim();
  if (reason.length > MAX_REASON_LENGTH)
    return {
      kind: 'error',
      message: `The reason is ${reason.length} characters; keep it to ${MAX_REASON_LENGTH}.`,
    };
  return {
    kind: 'request',
    task,
    option,
    roleText,
    instanceText,
    durationSeconds,
    reason,
    ...(breakGlass ? { breakGlass: true as const } : {}),
  };
}

function parseLifecycleCommand(
  verb: 'revoke' | 'status' | 'audit',
  text: string,
  matches: RegExpMatchArray[],
): ParsedCommand {
  let page = 1;
  if (verb !== 'revoke') {
    // `--page <n>` may come anywhere after the verb; it is taken out before the rest is read.
    const at = matches.findIndex((m, i) => i > 0 && flagName(m[0]) === '--page');
    if (at > 0) {
      const value = matches[at + 1]?.[0];
      if (value === undefined || !/^[1-9]\d{0,3}$/.test(value))
        return { kind: 'error', message: '`--page` needs a page number, such as `--page 2`.' };
      page = Number(value);
      matches = matches.filter((_, i) => i !== at && i !== at + 1);
    }
  }
  const arg = matches[1]?.[0];
  if (verb === 'status') {
    if (arg === undefined) return { kind: 'status', page };
    if (!isRequestId(arg)) return { kind: 'error', message: `${echo(arg)} is not a request ID (CA-…).` };
    if (matches.length > 2) return { kind: 'error', message: '`status` takes at most one request ID.' };
    return { kind: 'status', requestId: arg.toUpperCase(), page };
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
    return { kind: 'audit', target: isRequestId(arg) ? arg.toUpperCase() : arg, page };
  }
  if (!isRequestId(arg)) return { kind: 'error', message: `${echo(arg)} is not a request ID (CA-…).` };
  const reasonStart = matches[2]?.index;
  const reason = reasonStart === undefined ? '' : text.slice(reasonStart).trim();
  if (reason.length > MAX_REASON_LENGTH)
    return {
      kind: 'error',
      message: `The reason is ${reason.length} characters; keep it to ${MAX_REASON_LENGTH}.`,
    };
  return { kind: 'revoke', requestId: arg.toUpperCase(), reason };
}

/**
 * A token as a flag: `--for`, or the same typed with an em or en dash (macOS turns `--` into `—` as you type), which
 * would otherwise become part of the reason and make the grant last until revoked.
 */
const KNOWN_FLAGS = new Set(['--managed', '--instance', '--for', '--page', '--break-glass']);

export function flagName(token: string): string {
  return token.replace(/^[\u2012\u2013\u2014\u2015\u2212]/, '--').toLowerCase();
}
