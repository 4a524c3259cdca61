import type { App, ViewOutput } from '@slack/bolt';
import { instanceProblem, MAX_REASON_LENGTH, parseInstanceText } from '../../access/command';
import type { RequestCommand } from '../../access/command';
import { checkDuration, durationProblem } from '../../access/duration';
import type { AccessService, RequestField } from '../../access/service';
import { ApproverLookupError } from '../approvers';
import {
  breakGlassModal,
  DENY_MODAL,
  REASON_BLOCK,
  REASON_INPUT,
  REQUEST_MODAL,
  REVOKE_MODAL,
} from '../blocks';
import type { RequestFieldName } from '../blocks';
import { messageMrkdwn, messagePlain } from '../mrkdwn';
import { parseDialogMetadata } from '../origin';
import {
  CHECK_TIMED_OUT,
  DIALOG_CHECK_MS,
  LOOKUP_FAILED_INLINE,
  lookupFailed,
  submitted,
  within,
} from './answers';
import type { ListenerContext } from './context';

/** The request dialog's values → the same command the slash command yields, or the field that is wrong. */
function commandFromModal(
  view: ViewOutput,
): { command: RequestCommand } | { errors: Partial<Record<RequestFieldName, string>> } {
  const field = (name: RequestFieldName) => view.state.values[name]?.[name];
  const task = field('task')?.selected_option?.value;
  const option = field('option')?.selected_option?.value;
  const roleText = field('role')?.value?.trim() ?? '';
  const instanceText = field('instance')?.value?.trim() || undefined;
  const durationText = field('duration')?.value?.trim() || undefined;
  const reason = field('reason')?.value?.trim() ?? '';
  const breakGlass = (field('break_glass')?.selected_options ?? []).some((o) => o.value === 'break_glass');
  const errors: Partial<Record<RequestFieldName, string>> = {};
  if (task !== 'view' && task !== 'onboard') errors.task = 'Choose a task.';
  if (option !== 'minimal' && option !== 'managed') errors.option = 'Choose an option.';
  if (!roleText) errors.role = 'Give a role ARN or name.';
  if (instanceText && !parseInstanceText(instanceText))
    errors.instance = messagePlain(instanceProblem(instanceText));
  const duration = durationText === undefined ? undefined : checkDuration(durationText);
  if (durationText !== undefined && duration?.ok === false)
    errors.duration = durationProblem(durationText, duration.problem);
  const durationSeconds = duration?.ok ? duration.seconds : undefined;
  if (reason.length > MAX_REASON_LENGTH) errors.reason = `Keep it to ${MAX_REASON_LENGTH} characters.`;
  if (Object.keys(errors).length) return { errors };
  return {
    command: {
      kind: 'request',
      task: task as RequestCommand['task'],
      option: option as RequestCommand['option'],
      roleText,
      instanceText,
      durationSeconds,
      reason,
      ...(breakGlass ? { breakGlass: true as const } : {}),
    },
  };
}

const FIELD_BLOCK: Record<RequestField, RequestFieldName> = {
  role: 'role',
  instance: 'instance',
  duration: 'duration',
  reason: 'reason',
};

/** Dialog submissions: checked before the dialog closes (within Slack's deadline), then handed to the services. */
export function registerDialogs(app: App, context: ListenerContext): void {
  const { service, revocations, logger } = context;
  app.view(REQUEST_MODAL, async ({ ack, view, body, client }) => {
    const user = body.user.id;
    const fromModal = commandFromModal(view);
    if ('errors' in fromModal)
      return void (await ack({ response_action: 'errors', errors: fromModal.errors }));
    // Break-glass: its confirmation dialog comes next, on top of this one.
    if (fromModal.command.breakGlass)
      return void (await ack({ response_action: 'push', view: breakGlassModal(fromModal.command) }));
    // Check before closing the dialog so a wrong role is shown on its field; submit checks again. Bounded: past
    // DIALOG_CHECK_MS the dialog closes and submit's answer (a refusal too) comes as a direct message.
    let prepared: Awaited<ReturnType<AccessService['prepare']>> | undefined;
    try {
      prepared = await within(
        DIALOG_CHECK_MS,
        service.prepare(user, fromModal.command),
        logger,
        'request dialog check',
      );
    } catch (error) {
      // An AWS or STS error: still answer within Slack's deadline, on the field being checked.
      logger.error('request dialog check failed', { error, user });
      return void (await ack({
        response_action: 'errors',
        errors: { role: 'The role could not be checked right now; the error is in the bot’s log.' },
      }));
    }
    if (prepared?.ok === false)
      return void (await ack({
        response_action: 'errors',
        errors: { [FIELD_BLOCK[prepared.field ?? 'role']]: messagePlain(prepared.message) },
      }));
    await ack();
    try {
      const outcome = await service.submit(user, fromModal.command);
      await client.chat.postMessage({
        channel: user,
        text: outcome.ok
          ? submitted(outcome.value.request, outcome.value.cardLink, outcome.value.duplicate)
          : `:warning: ${messageMrkdwn(outcome.message)}\nNothing was requested.`,
      });
    } catch (error) {
      logger.error('request from dialog failed', { error, user });
    }
  });

  app.view(DENY_MODAL, async ({ ack, view, body }) => {
    const { requestId, origin } = parseDialogMetadata(view.private_metadata);
    const reason = view.state.values[REASON_BLOCK]?.[REASON_INPUT]?.value?.trim() ?? '';
    if (!reason)
      return void (await ack({ response_action: 'errors', errors: { [REASON_BLOCK]: 'Give a reason.' } }));
    // Checked before the dialog closes, so a refusal shows in it; bounded, so the ack meets Slack's deadline.
    let check: Awaited<ReturnType<AccessService['checkDecider']>> | undefined;
    try {
      check = await within(
        DIALOG_CHECK_MS,
        service.checkDecider(requestId, body.user.id, origin),
        logger,
        'deny dialog check',
      );
    } catch (error) {
      const lookup = error instanceof ApproverLookupError;
      if (!lookup) logger.error('deny dialog check failed', { error, requestId });
      return void (await ack({
        response_action: 'errors',
        errors: {
          [REASON_BLOCK]: lookup
            ? LOOKUP_FAILED_INLINE
            : 'The request could not be checked; nothing was changed. The error is in the bot’s log.',
        },
      }));
    }
    if (!check)
      return void (await ack({ response_action: 'errors', errors: { [REASON_BLOCK]: CHECK_TIMED_OUT } }));
    if (!check.ok)
      return void (await ack({
        response_action: 'errors',
        errors: { [REASON_BLOCK]: messagePlain(check.message) },
      }));
    await ack();
    try {
      await service.deny(requestId, body.user.id, reason, origin);
    } catch (error) {
      logger.error('deny failed', { error, user: body.user.id, requestId });
    }
  });

  app.view(REVOKE_MODAL, async ({ ack, view, body, client }) => {
    const { requestId, origin } = parseDialogMetadata(view.private_metadata);
    const reason = view.state.values[REASON_BLOCK]?.[REASON_INPUT]?.value?.trim() ?? '';
    if (!reason)
      return void (await ack({ response_action: 'errors', errors: { [REASON_BLOCK]: 'Give a reason.' } }));
    await ack();
    try {
      const outcome = await revocations.revoke(requestId, body.user.id, reason, origin);
      // Refusals (not allowed, not applied) reach only the one who tried.
      if (!outcome.ok)
        await client.chat.postMessage({
          channel: body.user.id,
          text: `:no_entry_sign: ${messageMrkdwn(outcome.message)}`,
        });
    } catch (error) {
      if (error instanceof ApproverLookupError)
        return void (await client.chat
          .postMessage({ channel: body.user.id, text: lookupFailed(error) })
          .catch(() => undefined));
      logger.error('revoke failed', { error, user: body.user.id, requestId });
    }
  });
}
