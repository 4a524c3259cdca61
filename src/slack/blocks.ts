import type { types } from '@slack/bolt';
import { CATALOG, prettyJson } from '../policy';
import type { AccessRequest, SlackMessageRef } from '../access/types';
import type { StepNotice } from '../access/ports';
import { formatDuration } from '../access/duration';
import { code, escapeMrkdwn, mention } from './mrkdwn';
import { dialogMetadata } from './origin';

type KnownBlock = types.KnownBlock;

/** Block Kit for the approval card, its thread replies and modals. Every fact shown comes from the stored request. */

export const ACTION = {
  approve: 'cases_access_approve',
  deny: 'cases_access_deny',
  revoke: 'cases_access_revoke',
  retry: 'cases_access_retry',
  viewPolicy: 'cases_access_view_policy',
} as const;
export const DENY_MODAL = 'cases_access_deny_modal';
export const REVOKE_MODAL = 'cases_access_revoke_modal';
export const REQUEST_MODAL = 'cases_access_request_modal';
/** The reason field's block and action IDs, shared by the deny and revoke dialogs. */
export const REASON_BLOCK = 'reason_block';
export const REASON_INPUT = 'reason';
/** The request dialog's fields: block ID = action ID = the name. */
export const REQUEST_FIELDS = ['task', 'option', 'role', 'instance', 'duration', 'reason'] as const;
export type RequestFieldName = (typeof REQUEST_FIELDS)[number];

/** Room left for a preformatted policy in one block (Slack caps text around 3,000 characters). */
export const INLINE_POLICY_LIMIT = 2_900;

const STATE_LABEL: Record<AccessRequest['state'], string> = {
  pending: ':hourglass_flowing_sand: Pending approval',
  approved: ':gear: Approved — applying',
  applied: ':white_check_mark: Applied and verified',
  failed: ':x: Failed',
  denied: ':no_entry: Denied',
  expired: ':hourglass: Expired without a decision',
  revoking: ':gear: Revoking',
  revoked: ':wastebasket: Revoked',
};

const slackDate = (date: Date): string =>
  `<!date^${Math.floor(date.getTime() / 1000)}^{date_short_pretty} {time}|${date.toISOString()}>`;

export function policyDisplay(request: AccessRequest): string {
  return prettyJson(JSON.parse(request.documentText));
}

function preformatted(text: string): KnownBlock {
  return {
    type: 'rich_text',
    elements: [{ type: 'rich_text_preformatted', elements: [{ type: 'text', text }] }],
  } as KnownBlock;
}

/**
 * The requester's own text, shown as typed but inert: escaped, and in a code block so its `*`, `_`, backticks and
 * line breaks can't render as the card's own labels (a fake "*Role*" field) below the real ones.
 */
function verbatim(text: string): string {
  return '```' + escapeMrkdwn(text).replace(/`/g, 'ʼ') + '```';
}

function statusLine(request: AccessRequest): string {
  const parts = [`*Status:* ${STATE_LABEL[request.state]}`];
  // A revoked card says who revoked it; the approver stays on its own line below.
  if (request.state === 'revoked') {
    if (request.revokedBy)
      parts.push(`by ${request.revokedBy === 'bot' ? 'the bot' : mention(request.revokedBy)}`);
    if (request.revokedAt) parts.push(`at ${slackDate(request.revokedAt)}`);
  } else {
    if (request.decidedBy) parts.push(`by ${mention(request.decidedBy)}`);
    if (request.decidedAt) parts.push(`at ${slackDate(request.decidedAt)}`);
  }
  let line = parts.join(' ');
  if (request.state === 'revoked') {
    if (request.revokeReason) line += `\n*Reason for revocation:* ${escapeMrkdwn(request.revokeReason)}`;
    if (request.decidedBy) line += `\n*Approved by* ${mention(request.decidedBy)}`;
  }
  if ((request.state === 'applied' || request.state === 'revoking') && request.expiresAt)
    line += `\n*Grant ends:* ${slackDate(request.expiresAt)}; the bot revokes it then.`;
  if (request.state === 'denied' && request.denyReason)
    line += `\n*Reason for denial:* ${escapeMrkdwn(request.denyReason)}`;
  if (request.state === 'failed' && request.failure)
    line += `\n*Error:* ${code(request.failure.code)} ${escapeMrkdwn(request.failure.message)}`;
  return line;
}

export function cardText(request: AccessRequest): string {
  return `Cases access request ${request.id}: ${request.task} (${request.option}) for ${request.role.arn} — ${request.state}`;
}

export function approvalCard(request: AccessRequest): KnownBlock[] {
  const title = CATALOG[request.task][request.option].title;
  const policy = policyDisplay(request);
  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: `Cases access request ${request.id}` } },
    {
      type: 'section',
      fields: [
        { type: 'mrkdwn', text: `*Requester*\n${mention(request.requesterId)}` },
        { type: 'mrkdwn', text: `*Account*\n${code(request.role.accountId)}` },
        { type: 'mrkdwn', text: `*Role*\n${code(request.role.arn)}` },
        { type: 'mrkdwn', text: `*Task · option*\n${request.task} · ${request.option}` },
        {
          type: 'mrkdwn',
          text: `*Grant length*\n${request.durationSeconds ? formatDuration(request.durationSeconds) : 'until revoked'}`,
        },
        { type: 'mrkdwn', text: `*Request ID*\n${code(request.id)}` },
      ],
    },
    { type: 'section', text: { type: 'mrkdwn', text: `*Permissions:* ${escapeMrkdwn(title)}` } },
  ];
  if (request.instance)
    blocks.push({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: `*Amazon Connect instance:* ${code(request.instance.instanceId)} (${code(request.instance.region)})`,
      },
    });
  blocks.push({
    type: 'section',
    text: {
      type: 'mrkdwn',
      text: `*Reason:*${request.reason ? `\n${verbatim(request.reason)}` : ' _none given_'}`,
    },
  });
  blocks.push({
    type: 'section',
    text: {
      type: 'mrkdwn',
      text: `*Inline policy* ${code(request.policyName)} — exactly what will be written:`,
    },
  });
  if (policy.length <= INLINE_POLICY_LIMIT) {
    blocks.push(preformatted(policy));
  } else {
    blocks.push({
      type: 'actions',
      elements: [
        {
          type: 'button',
          action_id: ACTION.viewPolicy,
          text: { type: 'plain_text', text: 'View policy' },
          value: request.id,
        },
      ],
    });
  }
  blocks.push({
    type: 'context',
    elements: [
      { type: 'mrkdwn', text: `SHA-256 of the policy text: ${code(request.sha256)}` },
      {
        type: 'mrkdwn',
        text: `AWS managed policies to attach: ${request.managedPolicyArns.length ? request.managedPolicyArns.map(code).join(', ') : 'none'}`,
      },
    ],
  });
  blocks.push({ type: 'section', text: { type: 'mrkdwn', text: statusLine(request) } });
  if (request.state === 'pending') {
    blocks.push({
      type: 'actions',
      block_id: 'decision',
      elements: [
        {
          type: 'button',
          action_id: ACTION.approve,
          style: 'primary',
          text: { type: 'plain_text', text: 'Approve' },
          value: request.id,
          confirm: {
            title: { type: 'plain_text', text: 'Approve and apply?' },
            text: {
              type: 'mrkdwn',
              text: `The bot will write ${code(request.policyName)} to ${code(request.role.arn)} now.`,
            },
            confirm: { type: 'plain_text', text: 'Approve' },
            deny: { type: 'plain_text', text: 'Cancel' },
          },
        },
        {
          type: 'button',
          action_id: ACTION.deny,
          style: 'danger',
          text: { type: 'plain_text', text: 'Deny' },
          value: request.id,
        },
      ],
    });
  }
  if (request.state === 'failed' && request.decidedBy) {
    blocks.push({
      type: 'actions',
      block_id: 'retry',
      elements: [
        {
          type: 'button',
          action_id: ACTION.retry,
          text: { type: 'plain_text', text: 'Retry' },
          value: request.id,
        },
        {
          type: 'button',
          action_id: ACTION.revoke,
          style: 'danger',
          text: { type: 'plain_text', text: 'Revoke' },
          value: request.id,
        },
      ],
    });
  }
  if (request.revokeFailingSince && (request.state === 'applied' || request.state === 'failed'))
    blocks.push({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: `:warning: *Revocation failing since ${slackDate(request.revokeFailingSince)}* (${request.revokeFailures} attempts); the grant is still on the role. See the thread.`,
      },
    });
  if (request.state === 'applied') {
    blocks.push({
      type: 'actions',
      block_id: 'grant',
      elements: [
        {
          type: 'button',
          action_id: ACTION.revoke,
          style: 'danger',
          text: { type: 'plain_text', text: 'Revoke' },
          value: request.id,
        },
      ],
    });
  }
  return blocks;
}

/** The policy in a modal, for documents too long for the card. */
export function policyModal(request: AccessRequest) {
  const text = policyDisplay(request);
  const chunks: string[] = [];
  for (let i = 0; i < text.length; i += INLINE_POLICY_LIMIT)
    chunks.push(text.slice(i, i + INLINE_POLICY_LIMIT));
  return {
    type: 'modal' as const,
    title: { type: 'plain_text' as const, text: 'Policy' },
    close: { type: 'plain_text' as const, text: 'Close' },
    blocks: [
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: `${code(request.policyName)} for ${code(request.role.arn)}\nSHA-256 ${code(request.sha256)}`,
        },
      },
      ...chunks.map(preformatted),
    ] as KnownBlock[],
  };
}

/** A dialog that asks for a required reason about one request (deny, revoke). */
function reasonModal(
  request: AccessRequest,
  origin: SlackMessageRef,
  o: { callbackId: string; title: string; submit: string; intro: string; label: string },
) {
  return {
    type: 'modal' as const,
    callback_id: o.callbackId,
    private_metadata: dialogMetadata(request.id, origin),
    title: { type: 'plain_text' as const, text: o.title },
    submit: { type: 'plain_text' as const, text: o.submit },
    close: { type: 'plain_text' as const, text: 'Cancel' },
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: o.intro } },
      {
        type: 'input',
        block_id: REASON_BLOCK,
        label: { type: 'plain_text', text: o.label },
        element: {
          type: 'plain_text_input',
          action_id: REASON_INPUT,
          multiline: true,
          min_length: 1,
          max_length: 500,
        },
      },
    ] as KnownBlock[],
  };
}

export function denyModal(request: AccessRequest, origin: SlackMessageRef) {
  return reasonModal(request, origin, {
    callbackId: DENY_MODAL,
    title: 'Deny request',
    submit: 'Deny',
    intro: `Deny ${request.id}: ${request.task} for ${code(request.role.arn)}, requested by ${mention(request.requesterId)}.`,
    label: 'Reason (shown to the requester)',
  });
}

export function revokeModal(request: AccessRequest, origin: SlackMessageRef) {
  return reasonModal(request, origin, {
    callbackId: REVOKE_MODAL,
    title: 'Revoke grant',
    submit: 'Revoke',
    intro: `Remove what ${request.id} added to ${code(request.role.arn)}.`,
    label: 'Reason',
  });
}

const option = (value: string, text: string) => ({ text: { type: 'plain_text' as const, text }, value });

/** `/cases-access` alone: the same request as the command, field by field. */
export function requestModal() {
  const text = (
    name: RequestFieldName,
    label: string,
    placeholder: string,
    optional: boolean,
    multiline = false,
  ) => ({
    type: 'input',
    block_id: name,
    optional,
    label: { type: 'plain_text', text: label },
    element: {
      type: 'plain_text_input',
      action_id: name,
      multiline,
      placeholder: { type: 'plain_text', text: placeholder },
    },
  });
  return {
    type: 'modal' as const,
    callback_id: REQUEST_MODAL,
    title: { type: 'plain_text' as const, text: 'Cases access' },
    submit: { type: 'plain_text' as const, text: 'Request' },
    close: { type: 'plain_text' as const, text: 'Cancel' },
    blocks: [
      {
        type: 'input',
        block_id: 'task',
        label: { type: 'plain_text', text: 'Task' },
        element: {
          type: 'radio_buttons',
          action_id: 'task',
          initial_option: option('onboard', 'Onboard to Cases'),
          options: [option('onboard', 'Onboard to Cases'), option('view', 'View Cases domain details')],
        },
      },
      {
        type: 'input',
        block_id: 'option',
        label: { type: 'plain_text', text: 'Permissions' },
        element: {
          type: 'radio_buttons',
          action_id: 'option',
          initial_option: option('minimal', 'Option 1: minimum permissions (one inline policy)'),
          options: [
            option('minimal', 'Option 1: minimum permissions (one inline policy)'),
            option('managed', 'Option 2: AWS managed policy plus a small inline policy'),
          ],
        },
      },
      text('role', 'Role', 'arn:aws:iam::123456789012:role/connect-admins or a role name', false),
      text(
        'instance',
        'Amazon Connect instance (optional)',
        'instance ID or ARN, to narrow to one instance',
        true,
      ),
      text('duration', 'Duration (optional)', 'e.g. 8h or 7d; empty for the default', true),
      text('reason', 'Reason (optional)', 'shown to approvers', true, true),
    ] as KnownBlock[],
  };
}

export function stepText(request: AccessRequest, step: StepNotice, approverMentions = 'Approvers'): string {
  switch (step.kind) {
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
