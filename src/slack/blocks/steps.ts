import type { AccessRequest } from '../../access/types';
import type { StepNotice } from '../../access/ports';
import { code, escapeMrkdwn, mention } from '../mrkdwn';
import { slackDate } from './shared';

/** The replies in a card's thread (and the requester's DMs): one line or a few per step. */

export function stepText(request: AccessRequest, step: StepNotice, approverMentions = 'Approvers'): string {
  switch (step.kind) {
    case 'break_glass':
      return `:rotating_light: *Break-glass* by ${mention(step.by)}: applying now without an approver. ${approverMentions}: review it and press *Acknowledge* on the card (or Revoke it). Reason: ${escapeMrkdwn(step.reason)}`;
    case 'acknowledged':
      return `:white_check_mark: Break-glass grant acknowledged by ${mention(step.by)}.`;
    case 'review_reminder':
      return `:rotating_light: ${approverMentions}: this break-glass grant is ${step.overdue ? '*overdue for review*' : 'still not reviewed'}; press *Acknowledge* on the card, or Revoke it.`;
    case 'approval':
      return `:ballot_box_with_check: Approval by ${mention(step.by)}; this request needs ${step.required} approvals from different approvers before anything is written.`;
    case 'approved':
      return `:white_check_mark: Approved by ${mention(step.by)}. Applying the approved plan (SHA-256 ${code(request.sha256.slice(0, 12))}…).`;
    case 'iam_call':
      return `:wrench: ${code(step.operation)} ${escapeMrkdwn(step.target)} — AWS request ID ${step.awsRequestId ? code(step.awsRequestId) : '_none returned_'}`;
    case 'verified': {
      const managed = step.managedPolicyArns.length
        ? `; attached ${step.managedPolicyArns.map(code).join(', ')}`
        : '';
      return `:mag: Verified by reading back: ${code(step.policyName)} on the role matches the approved document (SHA-256 ${code(step.sha256.slice(0, 12))}…)${managed}.`;
    }
    case 'effective':
      return effectiveText(step);
    case 'applied':
      return `:white_check_mark: Request ${request.id} is applied: ${code(request.role.arn)} has the ${request.task} permissions.`;
    case 'already_in_place':
      return `:ballot_box_with_check: Already on the role: ${escapeMrkdwn(step.what)}; not written again.`;
    case 'resumed':
      return ':arrows_counterclockwise: Resuming this approved request after an interruption: reading the role first, writing only what is missing.';
    case 'retried':
      return `:arrows_counterclockwise: Retry by ${mention(step.by)}: resuming the approved plan where it stopped.`;
    case 'failed': {
      const onRole = step.onRole ? `\nOn the role now: ${escapeMrkdwn(step.onRole)}.` : '';
      const id = step.failure.awsRequestId ? ` (AWS request ID ${code(step.failure.awsRequestId)})` : '';
      return `:x: Failed: ${code(step.failure.code)} ${escapeMrkdwn(step.failure.message)}${id}. Nothing further was written.${onRole}`;
    }
    case 'integrity_failed':
      return `:rotating_light: ${approverMentions}: nothing was written. ${code(step.failure.code)} ${escapeMrkdwn(step.failure.message)}\n${step.problems.map((p) => `• ${escapeMrkdwn(p)}`).join('\n')}`;
    case 'fenced':
      return `:octagonal_sign: A worker that no longer owned this request (now ${escapeMrkdwn(step.state)}) stopped before writing again.`;
    case 'late_write_undone': {
      const removed = step.removed.length ? step.removed.map(code).join(', ') : 'nothing left to remove';
      return `:rotating_light: ${escapeMrkdwn(step.write)} landed after the request was ${escapeMrkdwn(step.state)}; undone and verified by reading back (${removed}).`;
    }
    case 'denied':
      return `:no_entry: Denied by ${mention(step.by)}: ${escapeMrkdwn(step.reason)}`;
    case 'revoking':
      return `:wastebasket: Revoking${step.by === 'bot' ? ' (automatic)' : ` at the request of ${mention(step.by)}`}: ${escapeMrkdwn(step.reason)}`;
    case 'revoked': {
      const removed = step.removed.length
        ? `removed ${step.removed.map(code).join(', ')}`
        : 'nothing needed removing';
      const kept = step.kept.length ? `; kept ${step.kept.map((k) => escapeMrkdwn(k)).join(', ')}` : '';
      return `:white_check_mark: Revoked and verified by reading back: ${removed}${kept}.`;
    }
    case 'revoke_failed': {
      const id = step.failure.awsRequestId ? ` (AWS request ID ${code(step.failure.awsRequestId)})` : '';
      const retry = step.retryAt ? ` The bot tries again after ${slackDate(step.retryAt)}.` : '';
      const call = step.callApprovers
        ? `\n${approverMentions}: revocation failing since ${slackDate(step.failingSince ?? new Date())} (${step.attempts ?? 1} ${step.attempts === 1 ? 'attempt' : 'attempts'}).`
        : '';
      return `:x: Revocation failed: ${code(step.failure.code)} ${escapeMrkdwn(step.failure.message)}${id}. The grant may still be in place.${retry}${call}`;
    }
    case 'expired':
      return `:hourglass: Request ${request.id} expired after ${step.pendingFor} without a decision; nothing was applied.`;
    case 'remind_approvers':
      return `:bell: ${approverMentions}: request ${request.id} has been waiting ${step.pendingFor} for a decision.`;
    case 'ending_soon':
      return `:hourglass_flowing_sand: Your grant ${request.id} on ${code(request.role.arn)} ends at ${slackDate(step.expiresAt)}; the bot will revoke it then.`;
  }
}

/** Actions named in one thread reply before "and N more". */
const EFFECTIVE_SHOWN = 6;

function effectiveText(step: Extract<StepNotice, { kind: 'effective' }>): string {
  const after = step.stage === 'applied' ? 'after applying' : 'after revoking';
  if (step.notChecked)
    return `:grey_question: Effective access not checked ${after}: ${code(step.notChecked)} (IAM's simulator did not answer).`;
  if (step.unexpected.length === 0)
    return step.stage === 'applied'
      ? `:shield: IAM's simulator now allows every documented action on its resource (${step.total} of ${step.total}).`
      : `:shield: IAM's simulator: the grant's ${step.total} documented actions are back to what the role had before it.`;
  const shown = step.unexpected
    .slice(0, EFFECTIVE_SHOWN)
    .map((u) => `${code(u.action)} (${escapeMrkdwn(u.why)})`)
    .join('; ');
  const more =
    step.unexpected.length > EFFECTIVE_SHOWN ? ` and ${step.unexpected.length - EFFECTIVE_SHOWN} more` : '';
  return step.stage === 'applied'
    ? `:warning: IAM's simulator still denies ${step.unexpected.length} of ${step.total} documented actions ${after}: ${shown}${more}.`
    : `:warning: IAM's simulator: ${step.unexpected.length} of the grant's actions are still allowed ${after}, by another policy: ${shown}${more}.`;
}
