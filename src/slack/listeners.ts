import type { App, BlockButtonAction, RespondFn } from '@slack/bolt';
import { COMMAND_HELP, parseCommand } from '../access/command';
import type { AccessService } from '../access/service';
import type { Store } from '../store/store';
import type { Logger } from '../log';
import { ACTION, DENY_MODAL, DENY_REASON_BLOCK, DENY_REASON_INPUT, denyModal, policyModal } from './blocks';
import { code } from './mrkdwn';

/** Bolt listeners: ack first (Slack's 3-second deadline), then hand the work to the access service. */

export const COMMAND = '/cases-access';

interface ListenerDeps {
  service: AccessService;
  store: Store;
  logger: Logger;
}

const privately = (respond: RespondFn, text: string) =>
  respond({ response_type: 'ephemeral', replace_original: false, text });

export function registerListeners(app: App, { service, store, logger }: ListenerDeps): void {
  app.command(COMMAND, async ({ ack, command, respond }) => {
    await ack();
    const parsed = parseCommand(command.text ?? '');
    if (parsed.kind === 'help') return void (await privately(respond, COMMAND_HELP));
    if (parsed.kind === 'error')
      return void (await privately(
        respond,
        `:warning: ${parsed.message}\nNothing was requested. \`${COMMAND} help\` shows the syntax.`,
      ));
    try {
      const outcome = await service.submit(command.user_id, parsed);
      if (!outcome.ok)
        return void (await privately(respond, `:warning: ${outcome.message}\nNothing was requested.`));
      const { request, cardLink } = outcome.value;
      const where = cardLink ? `<${cardLink}|the approval card>` : 'the approval channel';
      await privately(
        respond,
        `:inbox_tray: Request ${code(request.id)} is waiting for an approver in ${where}: ${request.task} (${request.option}) for ${code(request.role.arn)}.`,
      );
    } catch (error) {
      logger.error('command failed', { error, user: command.user_id });
      await privately(
        respond,
        ':x: Something went wrong while checking the request; nothing was requested. The error is in the bot’s log.',
      );
    }
  });

  app.action<BlockButtonAction>(ACTION.approve, async ({ ack, body, action, respond }) => {
    await ack();
    try {
      const outcome = await service.approve(action.value ?? '', body.user.id);
      if (!outcome.ok) await privately(respond, `:no_entry_sign: ${outcome.message}`);
    } catch (error) {
      logger.error('approve failed', { error, user: body.user.id });
      await privately(respond, ':x: The approval could not be processed; the error is in the bot’s log.');
    }
  });

  app.action<BlockButtonAction>(ACTION.deny, async ({ ack, body, action, respond, client }) => {
    await ack();
    try {
      const check = await service.checkDecider(action.value ?? '', body.user.id);
      if (!check.ok) return void (await privately(respond, `:no_entry_sign: ${check.message}`));
      await client.views.open({ trigger_id: body.trigger_id, view: denyModal(check.value) });
    } catch (error) {
      logger.error('deny modal failed', { error, user: body.user.id });
      await privately(respond, ':x: The deny dialog could not be opened; the error is in the bot’s log.');
    }
  });

  app.action<BlockButtonAction>(ACTION.viewPolicy, async ({ ack, body, action, client }) => {
    await ack();
    const request = await store.getRequest(action.value ?? '');
    if (request) await client.views.open({ trigger_id: body.trigger_id, view: policyModal(request) });
  });

  app.view(DENY_MODAL, async ({ ack, view, body }) => {
    const requestId = view.private_metadata;
    const reason = view.state.values[DENY_REASON_BLOCK]?.[DENY_REASON_INPUT]?.value?.trim() ?? '';
    if (!reason)
      return void (await ack({
        response_action: 'errors',
        errors: { [DENY_REASON_BLOCK]: 'Give a reason.' },
      }));
    const check = await service.checkDecider(requestId, body.user.id);
    if (!check.ok)
      return void (await ack({ response_action: 'errors', errors: { [DENY_REASON_BLOCK]: check.message } }));
    await ack();
    try {
      await service.deny(requestId, body.user.id, reason);
    } catch (error) {
      logger.error('deny failed', { error, user: body.user.id, requestId });
    }
  });
}
