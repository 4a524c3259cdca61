import type { App } from '@slack/bolt';
import { MIN_BREAK_GLASS_REASON } from '../../access/command';
import type { RequestCommand } from '../../access/command';
import { BREAK_GLASS_CONFIRM, BREAK_GLASS_MODAL, BREAK_GLASS_REASON } from '../blocks';
import { code, messageMrkdwn } from '../mrkdwn';
import type { ListenerContext } from './context';

/** The requester's command as the break-glass dialog carries it; undefined when it is not one. */
function commandOf(metadata: string, reason: string): RequestCommand | undefined {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(metadata) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const { task, option, roleText, instanceText, durationSeconds } = raw;
  if ((task !== 'view' && task !== 'onboard') || (option !== 'minimal' && option !== 'managed'))
    return undefined;
  if (typeof roleText !== 'string') return undefined;
  return {
    kind: 'request',
    task,
    option,
    roleText,
    ...(typeof instanceText === 'string' ? { instanceText } : {}),
    ...(typeof durationSeconds === 'number' ? { durationSeconds } : {}),
    reason,
    breakGlass: true,
  };
}

/**
 * The break-glass dialog: checked (reason, confirmation) before it closes, then submitted like any request with
 * `breakGlass`, which the service checks against the rule again and applies at once; the answer comes as a DM.
 */
export function registerBreakGlass(app: App, context: ListenerContext): void {
  const { service, logger } = context;
  app.view(BREAK_GLASS_MODAL, async ({ ack, view, body, client }) => {
    const user = body.user.id;
    const reason = view.state.values[BREAK_GLASS_REASON]?.[BREAK_GLASS_REASON]?.value?.trim() ?? '';
    const confirmed = (
      view.state.values[BREAK_GLASS_CONFIRM]?.[BREAK_GLASS_CONFIRM]?.selected_options ?? []
    ).some((o) => o.value === 'confirmed');
    const errors: Record<string, string> = {};
    if (reason.length < MIN_BREAK_GLASS_REASON)
      errors[BREAK_GLASS_REASON] = `Say what is on fire in at least ${MIN_BREAK_GLASS_REASON} characters.`;
    if (!confirmed) errors[BREAK_GLASS_CONFIRM] = 'Confirm that this is an emergency.';
    if (Object.keys(errors).length) return void (await ack({ response_action: 'errors', errors }));
    const command = commandOf(view.private_metadata, reason);
    if (!command)
      return void (await ack({
        response_action: 'errors',
        errors: { [BREAK_GLASS_REASON]: 'This dialog is not one the bot opened.' },
      }));
    await ack();
    try {
      const outcome = await service.submit(user, command);
      await client.chat.postMessage({
        channel: user,
        text: outcome.ok
          ? `:rotating_light: Break-glass ${code(outcome.value.request.id)} is ${outcome.value.request.state}: ${command.task} for ${code(outcome.value.request.role.arn)}. Every approver of its rule was called to review it.`
          : `:warning: ${messageMrkdwn(outcome.message)}\nNothing was applied.`,
      });
    } catch (error) {
      logger.error('break-glass request failed', { error, user });
    }
  });
}
