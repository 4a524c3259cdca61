import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { checkDuration } from './access/duration';
import type { AccessRule } from './access/rules';

/**
 * ACCESS_RULES: a YAML (or JSON, which is YAML) file of approval rules, validated with every problem named by its rule
 * and field; or, without one, the single rule today's variables describe.
 */

const SLACK_PERSON = /^[UWS][A-Z0-9]{2,}$/;
const people = (what: string) =>
  z
    .array(
      z.string().regex(SLACK_PERSON, {
        error: (i) => `"${String(i.input)}" is not a user ID (U…, W…) or usergroup ID (S…)`,
      }),
      { error: `${what} must be a list of user and usergroup IDs` },
    )
    .min(1, `${what} must name at least one user or usergroup`);

const duration = z.string({ error: 'must be a duration such as 8h or 7d' }).transform((text, ctx) => {
  const parsed = checkDuration(text);
  if (!parsed.ok) {
    ctx.addIssue({
      code: 'custom',
      message: `"${text}" is not a duration such as 30m, 8h or 7d (at most 366d)`,
    });
    return 0;
  }
  return parsed.seconds;
});

const ruleSchema = z
  .object({
    name: z
      .string({ error: 'name is required' })
      .regex(/^[\w.-]{1,64}$/, 'name: 1–64 of letters, digits and ._-'),
    roles: z
      .array(
        z.string().regex(/^arn:aws[a-z-]*:iam::(\d{12}|\*):role\/\S+$/, {
          error: (i) =>
            `"${String(i.input)}" is not a role ARN pattern such as arn:aws:iam::123456789012:role/connect-*`,
        }),
        { error: 'roles must be a list of role ARN patterns' },
      )
      .min(1, 'roles must list at least one pattern'),
    tasks: z
      .array(z.enum(['view', 'onboard'], { error: 'tasks are view or onboard' }))
      .min(1)
      .default(['view', 'onboard']),
    options: z
      .array(z.enum(['minimal', 'managed'], { error: 'options are minimal or managed' }))
      .min(1)
      .default(['minimal', 'managed']),
    requesters: people('requesters').optional(),
    approvers: people('approvers'),
    approvals: z
      .number({ error: 'approvals must be a number' })
      .int('approvals must be a whole number')
      .min(1, 'approvals must be at least 1')
      .max(10, 'approvals must be at most 10')
      .default(1),
    notify: people('notify').optional(),
    channel: z
      .string()
      .regex(/^[CG][A-Z0-9]{2,}$/, 'channel must be a channel ID such as C0123456789 (not a #name)')
      .optional(),
    maxDuration: duration.optional(),
    breakGlass: z
      .object({ maxDuration: duration }, { error: 'breakGlass must be an object with maxDuration' })
      .strict()
      .optional(),
  })
  .strict();

const fileSchema = z
  .object({ rules: z.array(ruleSchema).min(1, 'rules must list at least one rule') })
  .strict();

export class RulesFileError extends Error {
  override readonly name = 'RulesFileError';
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
  }
}

export interface RuleDefaults {
  channelId: string;
  maxSeconds?: number;
}

/** Parses and validates a rules file's text; every problem is named by rule (number and name) and field. */
export function parseRules(text: string, defaults: RuleDefaults, source = 'ACCESS_RULES'): AccessRule[] {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    throw new RulesFileError([
      `${source}: not valid YAML or JSON: ${(error as Error).message.split('\n')[0]}`,
    ]);
  }
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success)
    throw new RulesFileError(
      parsed.error.issues.map((issue) => {
        const [top, index, field, ...rest] = issue.path;
        if (top !== 'rules' || typeof index !== 'number') return `${source}: ${issue.message}`;
        const name = (raw as { rules?: Array<{ name?: unknown }> }).rules?.[index]?.name;
        const where = `rule ${index + 1}${typeof name === 'string' ? ` (${name})` : ''}`;
        const path = [field, ...rest].filter((p) => p !== undefined).join('.');
        return `${source}: ${where}${path ? `, ${path}` : ''}: ${issue.message}`;
      }),
    );
  const problems: string[] = [];
  const names = new Set<string>();
  const rules = parsed.data.rules.map((r, i): AccessRule => {
    if (names.has(r.name))
      problems.push(`${source}: rule ${i + 1} (${r.name}), name: another rule has this name`);
    names.add(r.name);
    const maxSeconds = r.maxDuration ?? defaults.maxSeconds;
    if (r.breakGlass && maxSeconds && r.breakGlass.maxDuration > maxSeconds)
      problems.push(
        `${source}: rule ${i + 1} (${r.name}), breakGlass.maxDuration: longer than the rule's maxDuration`,
      );
    return {
      name: r.name,
      roles: r.roles,
      tasks: r.tasks,
      options: r.options,
      ...(r.requesters ? { requesters: r.requesters } : {}),
      approvers: r.approvers,
      approvals: r.approvals,
      notify: r.notify ?? r.approvers,
      channelId: r.channel ?? defaults.channelId,
      ...(maxSeconds ? { maxSeconds } : {}),
      ...(r.breakGlass ? { breakGlass: { maxSeconds: r.breakGlass.maxDuration } } : {}),
    };
  });
  if (problems.length) throw new RulesFileError(problems);
  return rules;
}

export function loadRulesFile(path: string, defaults: RuleDefaults): AccessRule[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new RulesFileError([`ACCESS_RULES: cannot read ${path}: ${(error as Error).message}`]);
  }
  return parseRules(text, defaults, `ACCESS_RULES (${path})`);
}

/** Without ACCESS_RULES: the one rule today's variables describe, so existing deployments keep working unchanged. */
export function ruleFromVariables(v: {
  allowedRolePatterns: string[];
  approvers: string[];
  channelId: string;
  maxSeconds?: number;
}): AccessRule {
  return {
    name: 'default',
    implicit: true,
    roles: v.allowedRolePatterns,
    tasks: ['view', 'onboard'],
    options: ['minimal', 'managed'],
    approvers: v.approvers,
    approvals: 1,
    notify: v.approvers,
    channelId: v.channelId,
    ...(v.maxSeconds ? { maxSeconds: v.maxSeconds } : {}),
  };
}
