import { randomBytes } from 'node:crypto';
import type { types } from '@slack/bolt';
import { CATALOG } from '../../policy';
import type { AccessRequest } from '../../access/types';
import { formatDuration } from '../../access/duration';
import { SLACK_LIMITS } from '../limits';
import { code, escapeMrkdwn, fitMrkdwn, fitPlain, mention } from '../mrkdwn';
import { ruleSummary } from '../../access/rules';
import type { AccessRule } from '../../access/rules';
import { evidenceSummary } from './evidence';
import { ACTION } from './ids';
import { INLINE_POLICY_LIMIT, policyDisplay, preformatted, slackDate } from './shared';
import type { KnownBlock } from './shared';

/** The approval card. Every fact shown comes from the stored request. */

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

/**
 * The card's fallback `text` (notifications, screen readers): escaped like everything else, since Slack acts on
 * `<!channel>` in a role path here too.
 */
export function cardText(request: AccessRequest): string {
  return fitMrkdwn(
    `Cases access request ${request.id}: ${request.task} (${request.option}) for ${escapeMrkdwn(request.role.arn)} — ${request.state}`,
    SLACK_LIMITS.messageText,
  );
}

/**
 * The Approve button's confirmation: plain text (as Slack documents it), within its 300 characters however long the
 * role's path: past that the role is named by its name and account, and the card above shows the full ARN.
 */
export function approveConfirmText(request: AccessRequest): string {
  const full = `The bot will write ${request.policyName} to ${request.role.arn} now.`;
  if (full.length <= SLACK_LIMITS.confirmText) return full;
  return fitPlain(
    `The bot will write ${request.policyName} to the role ${request.role.name} in account ${request.role.accountId} (full ARN on the card) now.`,
    SLACK_LIMITS.confirmText,
  );
}

/**
 * Slack asks for new block IDs in each version of a message (a client keeps input state by block ID): each render
 * of the card gets its own suffix. Listeners match on action IDs, never on block IDs.
 */
const blockId = (name: string, render: string) => `${name}.${render}`;

type Button = types.Button;

/**
 * The rule that decides the request and what it asks, with its quorum so far; while pending, the people it notifies
 * are mentioned here.
 */
function ruleLine(request: AccessRequest, rule: AccessRule, notify: string | undefined): string {
  let line = `*Rule* ${code(rule.name)}: ${ruleSummary(rule, mentionOf)}.`;
  if (rule.approvals > 1 || request.approvals.length > 1)
    line += `\n*Approvals ${Math.min(request.approvals.length, rule.approvals)} of ${rule.approvals}*${request.approvals.length ? `: ${request.approvals.map(mention).join(', ')}` : ''}`;
  if (request.state === 'pending' && notify) line += `\n${notify}`;
  return fitMrkdwn(line, SLACK_LIMITS.sectionText);
}

/** A rule's user or usergroup ID as Slack mentions it. */
const mentionOf = (id: string): string => (id.startsWith('S') ? `<!subteam^${id}>` : mention(id));

export function approvalCard(request: AccessRequest, rule?: AccessRule, notify?: string): KnownBlock[] {
  const render = randomBytes(4).toString('hex');
  const title = CATALOG[request.task][request.option].title;
  const policy = policyDisplay(request);
  const blocks: KnownBlock[] = [
    {
      type: 'header',
      text: {
        type: 'plain_text',
        text: `${request.breakGlass ? ':rotating_light: BREAK-GLASS — ' : ''}Cases access request ${request.id}`,
      },
    },
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
  const evidence = evidenceSummary(request.evidence);
  if (policy.length <= INLINE_POLICY_LIMIT) blocks.push(preformatted(policy));
  // The dialog has the policy when it is too long for the card, and the evidence's whole table when there is one.
  if (policy.length > INLINE_POLICY_LIMIT || request.evidence?.checked) {
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
  if (evidence) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: evidence } });
  blocks.push({ type: 'section', text: { type: 'mrkdwn', text: statusLine(request) } });
  if (rule && !rule.implicit)
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: ruleLine(request, rule, notify) } });
  if (request.state === 'pending') {
    blocks.push({
      type: 'actions',
      block_id: blockId('decision', render),
      elements: [
        {
          type: 'button',
          action_id: ACTION.approve,
          style: 'primary',
          text: { type: 'plain_text', text: 'Approve' },
          value: request.id,
          confirm: {
            title: { type: 'plain_text', text: 'Approve and apply?' },
            text: { type: 'plain_text', text: approveConfirmText(request) },
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
      block_id: blockId('retry', render),
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
  if (request.breakGlass)
    blocks.push({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: request.reviewedBy
          ? `*Break-glass, reviewed:* acknowledged by ${mention(request.reviewedBy)}${request.reviewedAt ? ` at ${slackDate(request.reviewedAt)}` : ''}.`
          : '*Break-glass, not reviewed yet:* applied by its requester without an approver; an approver of the rule must acknowledge it (or revoke it).',
      },
    });
  const buttons: Button[] = [];
  if (request.breakGlass && !request.reviewedBy)
    buttons.push({
      type: 'button',
      action_id: ACTION.acknowledge,
      style: 'primary',
      text: { type: 'plain_text', text: 'Acknowledge' },
      value: request.id,
    });
  if (request.state === 'applied')
    buttons.push({
      type: 'button',
      action_id: ACTION.revoke,
      style: 'danger',
      text: { type: 'plain_text', text: 'Revoke' },
      value: request.id,
    });
  if (buttons.length) blocks.push({ type: 'actions', block_id: blockId('grant', render), elements: buttons });
  return blocks;
}
