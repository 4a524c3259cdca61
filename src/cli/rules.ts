import { checkDuration, formatDuration } from '../access/duration';
import { explainRules, ruleFor } from '../access/rules';
import type { AccessRule } from '../access/rules';
import { loadRulesFile, ruleFromVariables, RulesFileError } from '../rules-file';

/**
 * `cases-access rules check` and `rules explain`: the approval rules as the bot would load them (ACCESS_RULES, or
 * the one rule APPROVERS & co. form), checked and explained offline, before a deployment uses them.
 */

export interface RulesIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

const list = (v: string | undefined) =>
  (v ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

function loadRules(
  env: NodeJS.ProcessEnv,
  file: string | undefined,
): { rules: AccessRule[]; source: string } {
  const max = env.MAX_GRANT_DURATION ? checkDuration(env.MAX_GRANT_DURATION) : undefined;
  const defaults = {
    channelId: env.APPROVAL_CHANNEL_ID || '(APPROVAL_CHANNEL_ID)',
    maxSeconds: max?.ok ? max.seconds : undefined,
  };
  const path = file ?? env.ACCESS_RULES;
  if (path) return { rules: loadRulesFile(path, defaults), source: path };
  return {
    rules: [
      ruleFromVariables({
        allowedRolePatterns: list(env.ALLOWED_ROLES),
        approvers: list(env.APPROVERS),
        channelId: defaults.channelId,
        maxSeconds: defaults.maxSeconds,
      }),
    ],
    source: 'APPROVERS, ALLOWED_ROLES, APPROVAL_CHANNEL_ID and MAX_GRANT_DURATION (no ACCESS_RULES)',
  };
}

function describe(rule: AccessRule, n: number): string {
  return [
    `${n}. ${rule.name}`,
    `   roles:      ${rule.roles.join(', ') || '(none: ALLOWED_ROLES is empty)'}`,
    `   tasks:      ${rule.tasks.join(', ')}; options: ${rule.options.join(', ')}`,
    `   requesters: ${rule.requesters?.join(', ') ?? 'anyone'}`,
    `   approvers:  ${rule.approvers.join(', ') || '(none)'}; ${rule.approvals} distinct approval(s) needed, never the requester's`,
    `   notify:     ${rule.notify.join(', ')}; card in ${rule.channelId}`,
    `   longest:    ${rule.maxSeconds ? formatDuration(rule.maxSeconds) : 'no maximum'}`,
    `   break-glass: ${rule.breakGlass ? `allowed, at most ${formatDuration(rule.breakGlass.maxSeconds)}` : 'not allowed'}`,
  ].join('\n');
}

/** Returns the exit code: 0 valid, 1 invalid rules, 2 a usage error. */
export function runRules(args: string[], io: RulesIo, env: NodeJS.ProcessEnv): number {
  const fileAt = args.indexOf('--file');
  const file = fileAt >= 0 ? args[fileAt + 1] : undefined;
  const rest = fileAt >= 0 ? args.filter((_, i) => i !== fileAt && i !== fileAt + 1) : args;
  const [sub, ...params] = rest;
  if (sub !== 'check' && sub !== 'explain') {
    io.err('cases-access: rules needs check or explain: cases-access rules check [--file <path>]\n');
    return 2;
  }
  let loaded;
  try {
    loaded = loadRules(env, file);
  } catch (error) {
    if (!(error instanceof RulesFileError)) throw error;
    io.err(`${error.problems.join('\n')}\n`);
    return 1;
  }
  const { rules, source } = loaded;
  if (sub === 'check') {
    io.out(`${rules.length} rule(s) from ${source}; the first that matches a request decides it.\n\n`);
    io.out(`${rules.map((r, i) => describe(r, i + 1)).join('\n\n')}\n`);
    return 0;
  }
  const [roleArn, task, ...flags] = params;
  if (!roleArn || (task !== 'view' && task !== 'onboard') || flags.some((f) => f !== '--managed')) {
    io.err('cases-access: rules explain <role ARN> <view|onboard> [--managed] [--file <path>]\n');
    return 2;
  }
  const query = { roleArn, task, option: flags.includes('--managed') ? 'managed' : 'minimal' } as const;
  io.out(`${explainRules(rules, query).join('\n')}\n`);
  const rule = ruleFor(rules, query);
  if (rule) io.out(`\n${describe(rule, rules.indexOf(rule) + 1)}\n`);
  return 0;
}
