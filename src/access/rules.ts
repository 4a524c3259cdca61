import type { PolicyOption, Task } from '../policy';
import { formatDuration } from './duration';
import { matchesPattern } from './roles';

/**
 * Approval rules: who may ask for what, who decides, how many approvals, where the card goes. The first rule that
 * matches a request's role, task and option decides it (ACCESS_RULES, or one rule formed from APPROVERS,
 * APPROVAL_CHANNEL_ID and MAX_GRANT_DURATION). ALLOWED_ROLES stays the outer bound: a request must pass it and
 * match a rule. Pure.
 */

export interface AccessRule {
  name: string;
  /** Role ARN patterns, ALLOWED_ROLES' syntax. */
  roles: string[];
  tasks: Task[];
  options: PolicyOption[];
  /** Users and usergroups who may request; absent: anyone. */
  requesters?: string[];
  /** Users and usergroups who may approve (and deny). */
  approvers: string[];
  /** Distinct approvers needed; never the requester. */
  approvals: number;
  /** Who is @-mentioned on the card and in reminders. */
  notify: string[];
  /** Where its cards go. */
  channelId: string;
  /** The longest grant; absent: no maximum. */
  maxSeconds?: number;
  /** Present: requesters may apply at once without an approver, for at most this long, reviewed afterwards. */
  breakGlass?: { maxSeconds: number };
  /** Formed from APPROVERS & co. (no ACCESS_RULES): cards and messages stay as they were before rules existed. */
  implicit?: true;
}

export interface RuleQuery {
  roleArn: string;
  task: Task;
  option: PolicyOption;
}

export function ruleMatches(rule: AccessRule, q: RuleQuery): boolean {
  return (
    rule.tasks.includes(q.task) &&
    rule.options.includes(q.option) &&
    rule.roles.some((pattern) => matchesPattern(q.roleArn, pattern))
  );
}

/** The rule that decides such a request: the first that matches. */
export function ruleFor(rules: readonly AccessRule[], q: RuleQuery): AccessRule | undefined {
  return rules.find((rule) => ruleMatches(rule, q));
}

/** Why each rule up to the deciding one does or does not match (for `rules explain`). */
export function explainRules(rules: readonly AccessRule[], q: RuleQuery): string[] {
  const lines: string[] = [];
  for (const rule of rules) {
    const misses: string[] = [];
    if (!rule.roles.some((p) => matchesPattern(q.roleArn, p)))
      misses.push(`role not in ${rule.roles.join(', ')}`);
    if (!rule.tasks.includes(q.task)) misses.push(`task ${q.task} not in ${rule.tasks.join(', ')}`);
    if (!rule.options.includes(q.option)) misses.push(`option ${q.option} not in ${rule.options.join(', ')}`);
    if (misses.length) lines.push(`rule ${rule.name}: does not match (${misses.join('; ')})`);
    else {
      lines.push(`rule ${rule.name}: matches, and decides (the first rule that matches does)`);
      return lines;
    }
  }
  lines.push('no rule matches: such a request is refused before anything is posted');
  return lines;
}

/** What a rule asks, in a line: for the card, `rules check` and help. */
export function ruleSummary(rule: AccessRule, mention: (id: string) => string = (id) => id): string {
  const who = rule.approvers.map(mention).join(', ');
  const parts = [
    `${rule.approvals === 1 ? 'one approval' : `${rule.approvals} approvals`} from ${who}`,
    rule.requesters ? `requested by ${rule.requesters.map(mention).join(', ')}` : 'anyone may request',
    rule.maxSeconds ? `at most ${formatDuration(rule.maxSeconds)}` : 'no maximum length',
  ];
  if (rule.breakGlass)
    parts.push(`break-glass allowed for up to ${formatDuration(rule.breakGlass.maxSeconds)}`);
  return parts.join('; ');
}
