import type { AccessRequest, ClickOrigin } from '../../access/types';
import { MAX_REASON_LENGTH, MIN_BREAK_GLASS_REASON } from '../../access/command';
import type { RequestCommand } from '../../access/command';
import { code, mention } from '../mrkdwn';
import { dialogMetadata } from '../origin';
import {
  BREAK_GLASS_MODAL,
  DENY_MODAL,
  REASON_BLOCK,
  REASON_INPUT,
  REQUEST_MODAL,
  REVOKE_MODAL,
} from './ids';
import type { RequestFieldName } from './ids';
import { evidenceTableBlocks } from './evidence';
import { INLINE_POLICY_LIMIT, policyDisplay, preformatted } from './shared';
import type { KnownBlock } from './shared';

/** The dialogs: the policy, deny and revoke (a reason each), and the request form. */

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
      ...(request.evidence?.checked
        ? [
            {
              type: 'section',
              text: {
                type: 'mrkdwn',
                text: "*What IAM's simulator says* for each documented action, before and after this grant:",
              },
            },
            ...evidenceTableBlocks(request.evidence),
          ]
        : []),
    ] as KnownBlock[],
  };
}

/** A dialog that asks for a required reason about one request (deny, revoke). */
function reasonModal(
  request: AccessRequest,
  origin: ClickOrigin,
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
          max_length: MAX_REASON_LENGTH,
        },
      },
    ] as KnownBlock[],
  };
}

export function denyModal(request: AccessRequest, origin: ClickOrigin) {
  return reasonModal(request, origin, {
    callbackId: DENY_MODAL,
    title: 'Deny request',
    submit: 'Deny',
    intro: `Deny ${request.id}: ${request.task} for ${code(request.role.arn)}, requested by ${mention(request.requesterId)}.`,
    label: 'Reason (shown to the requester)',
  });
}

export function revokeModal(request: AccessRequest, origin: ClickOrigin) {
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
    maxLength?: number,
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
      ...(maxLength ? { max_length: maxLength } : {}),
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
      text('reason', 'Reason (optional)', 'shown to approvers', true, true, MAX_REASON_LENGTH),
      {
        type: 'input',
        block_id: 'break_glass',
        optional: true,
        label: { type: 'plain_text', text: 'Emergency' },
        element: {
          type: 'checkboxes',
          action_id: 'break_glass',
          options: [
            {
              text: { type: 'plain_text', text: 'Break-glass: apply now, reviewed by approvers after' },
              description: {
                type: 'plain_text',
                text: 'Only where a rule allows it; a confirmation follows.',
              },
              value: 'break_glass',
            },
          ],
        },
      },
    ] as KnownBlock[],
  };
}

/** The break-glass dialog's fields. */
export const BREAK_GLASS_REASON = 'break_glass_reason';
export const BREAK_GLASS_CONFIRM = 'break_glass_confirm';

/**
 * `--break-glass`: a confirmation before anything is applied. The command rides in private_metadata (it is the
 * requester's own; the service checks it all again on submit); the reason is asked again, at least 20 characters.
 */
export function breakGlassModal(command: RequestCommand) {
  const { task, option, roleText, instanceText, durationSeconds } = command;
  return {
    type: 'modal' as const,
    callback_id: BREAK_GLASS_MODAL,
    title: { type: 'plain_text' as const, text: 'Break-glass' },
    submit: { type: 'plain_text' as const, text: 'Apply now' },
    close: { type: 'plain_text' as const, text: 'Cancel' },
    private_metadata: JSON.stringify({ task, option, roleText, instanceText, durationSeconds }),
    blocks: [
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: `:rotating_light: *${task}* (${option}) for ${code(roleText)} is applied *at once, without an approver*, for at most the rule's break-glass time. Every approver of the rule is called, and one of them must acknowledge it afterwards.`,
        },
      },
      {
        type: 'input',
        block_id: BREAK_GLASS_REASON,
        label: { type: 'plain_text', text: 'What is on fire? (shown to every approver)' },
        element: {
          type: 'plain_text_input',
          action_id: BREAK_GLASS_REASON,
          multiline: true,
          min_length: MIN_BREAK_GLASS_REASON,
          max_length: MAX_REASON_LENGTH,
          ...(command.reason ? { initial_value: command.reason.slice(0, MAX_REASON_LENGTH) } : {}),
        },
      },
      {
        type: 'input',
        block_id: BREAK_GLASS_CONFIRM,
        label: { type: 'plain_text', text: 'Confirm' },
        element: {
          type: 'checkboxes',
          action_id: BREAK_GLASS_CONFIRM,
          options: [
            {
              text: { type: 'plain_text', text: 'This is an emergency, and I answer for this grant.' },
              value: 'confirmed',
            },
          ],
        },
      },
    ] as KnownBlock[],
  };
}
