import type { types } from '@slack/bolt';
import { CATALOG, prettyJson } from '../policy';
import type { AccessRequest } from '../access/types';
import type { StepNotice } from '../access/ports';
import { code, escapeMrkdwn, mention } from './mrkdwn';

type KnownBlock = types.KnownBlock;

/** Block Kit for the approval card, its thread replies and modals. Every fact shown comes from the stored request. */

export const ACTION = {
  approve: 'cases_access_approve',
  deny: 'cases_access_deny',
  viewPolicy: 'cases_access_view_policy',
} as const;
export const DENY_MODAL = 'cases_access_deny_modal';
export const DENY_REASON_BLOCK = 'deny_reason';
export const DENY_REASON_INPUT = 'reason';

/** Room left for a preformatted policy in one block (Slack caps text around 3,000 characters). */
export const INLINE_POLICY_LIMIT = 2_900;

const STATE_LABEL: Record<AccessRequest['state'], string> = {
  pending: ':hourglass_flowing_sand: Pending approval',
  approved: ':gear: Approved — applying',
  applied: ':white_check_mark: Applied and verified',
  failed: ':x: Failed',
  denied: ':no_entry: Denied',
};

export function policyDisplay(request: AccessRequest): string {
  return prettyJson(JSON.parse(request.documentText));
}

function preformatted(text: string): KnownBlock {
  return {
    type: 'rich_text',
    elements: [{ type: 'rich_text_preformatted', elements: [{ type: 'text', text }] }],
  } as KnownBlock;
}

function statusLine(request: AccessRequest): string {
  const parts = [`*Status:* ${STATE_LABEL[request.state]}`];
  if (request.decidedBy) parts.push(`by ${mention(request.decidedBy)}`);
  if (request.decidedAt)
    parts.push(
      `at <!date^${Math.floor(request.decidedAt.getTime() / 1000)}^{date_short_pretty} {time}|${request.decidedAt.toISOString()}>`,
    );
  let line = parts.join(' ');
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
      text: `*Reason:* ${request.reason ? escapeMrkdwn(request.reason) : '_none given_'}`,
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

export function denyModal(request: AccessRequest) {
  return {
    type: 'modal' as const,
    callback_id: DENY_MODAL,
    private_metadata: request.id,
    title: { type: 'plain_text' as const, text: 'Deny request' },
    submit: { type: 'plain_text' as const, text: 'Deny' },
    close: { type: 'plain_text' as const, text: 'Cancel' },
    blocks: [
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: `Deny ${request.id}: ${request.task} for ${code(request.role.arn)}, requested by ${mention(request.requesterId)}.`,
        },
      },
      {
        type: 'input',
        block_id: DENY_REASON_BLOCK,
        label: { type: 'plain_text', text: 'Reason (shown to the requester)' },
        element: {
          type: 'plain_text_input',
          action_id: DENY_REASON_INPUT,
          multiline: true,
          min_length: 1,
          max_length: 500,
        },
      },
    ] as KnownBlock[],
  };
}

export function stepText(request: AccessRequest, step: StepNotice): string {
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
    case 'failed': {
      const id = step.failure.awsRequestId ? ` (AWS request ID ${code(step.failure.awsRequestId)})` : '';
      return `:x: Failed: ${code(step.failure.code)} ${escapeMrkdwn(step.failure.message)}${id}. Nothing further was written.`;
    }
    case 'denied':
      return `:no_entry: Denied by ${mention(step.by)}: ${escapeMrkdwn(step.reason)}`;
  }
}
