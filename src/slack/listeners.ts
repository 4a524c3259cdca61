import type { App, BlockButtonAction, RespondFn, ViewOutput } from '@slack/bolt';
import { COMMAND_HELP, MAX_REASON_LENGTH, parseCommand, parseInstanceText } from '../access/command';
import type { RequestCommand } from '../access/command';
import { checkDuration, durationProblem } from '../access/duration';
import type { AccessQueries } from '../access/queries';
import type { RevocationService } from '../access/revocation';
import { noSuchRequest, originRefusal } from '../access/service';
import type { AccessService, RequestField } from '../access/service';
import type { Clock, Notifier } from '../access/ports';
import type { Store } from '../store/store';
import type { Logger } from '../log';
import {
  ACTION,
  DENY_MODAL,
  REASON_BLOCK,
  REASON_INPUT,
  REQUEST_MODAL,
  REVOKE_MODAL,
  denyModal,
  policyModal,
  requestModal,
  revokeModal,
} from './blocks';
import type { RequestFieldName } from './blocks';
import { code, escapeMrkdwn } from './mrkdwn';
import { originOfAction, parseDialogMetadata } from './origin';
import { WorkQueue } from './work-queue';
import { auditText, historyText, statusList } from './reports';

/** Bolt listeners: ack first (Slack's 3-second deadline), then hand the work to the access services. */

export const COMMAND = '/cases-access';

const BUSY = ':hourglass: cases-access is busy right now; nothing was changed. Try again in a minute.';

interface ListenerDeps {
  service: AccessService;
  revocations: RevocationService;
  queries: AccessQueries;
  notifier: Notifier;
  store: Store;
  clock: Clock;
  logger: Logger;
}

const privately = (respond: RespondFn, text: string) =>
  respond({ response_type: 'ephemeral', replace_original: false, text });

const submitted = (
  request: { id: string; task: string; option: string; role: { arn: string } },
  cardLink?: string,
) =>
  `:inbox_tray: Request ${code(request.id)} is waiting for an approver in ${cardLink ? `<${cardLink}|the approval card>` : 'the approval channel'}: ${request.task} (${request.option}) for ${code(request.role.arn)}.`;

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
  const errors: Partial<Record<RequestFieldName, string>> = {};
  if (task !== 'view' && task !== 'onboard') errors.task = 'Choose a task.';
  if (option !== 'minimal' && option !== 'managed') errors.option = 'Choose an option.';
  if (!roleText) errors.role = 'Give a role ARN or name.';
  if (instanceText && !parseInstanceText(instanceText))
    errors.instance = 'Not an Amazon Connect instance ID (a UUID) or instance ARN.';
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
    },
  };
}

const FIELD_BLOCK: Record<RequestField, RequestFieldName> = {
  role: 'role',
  instance: 'instance',
  duration: 'duration',
  reason: 'reason',
};

export function registerListeners(app: App, deps: ListenerDeps): void {
  const { service, revocations, queries, notifier, store, clock, logger } = deps;
  // Work after the ack runs a few at a time so acks never queue behind it (see WorkQueue).
  const queue = new WorkQueue();
  const linkOf = (request: Parameters<Notifier['cardLink']>[0]) => notifier.cardLink(request);

  app.command(COMMAND, async ({ ack, command, respond, client }) => {
    await ack();
    // Slack may deliver the same command twice (a retry after a slow answer, two replicas): handle it once.
    if (command.trigger_id && !(await store.claimDelivery(`command:${command.trigger_id}`, clock.now()))) {
      logger.info('duplicate delivery of a command ignored', { user: command.user_id });
      return;
    }
    const parsed = parseCommand(command.text ?? '');
    const user = command.user_id;
    if (parsed.kind === 'modal')
      return void (await client.views.open({ trigger_id: command.trigger_id, view: requestModal() }));
    const ran = await queue.run(async () => {
      try {
        switch (parsed.kind) {
          case 'help':
            return void (await privately(respond, COMMAND_HELP));
          case 'error':
            return void (await privately(
              respond,
              `:warning: ${escapeMrkdwn(parsed.message)}\nNothing was changed. \`${COMMAND} help\` shows the syntax.`,
            ));
          case 'request': {
            const outcome = await service.submit(user, parsed);
            if (!outcome.ok)
              return void (await privately(
                respond,
                `:warning: ${escapeMrkdwn(outcome.message)}\nNothing was requested.`,
              ));
            return void (await privately(respond, submitted(outcome.value.request, outcome.value.cardLink)));
          }
          case 'revoke': {
            const outcome = await revocations.revoke(parsed.requestId, user, parsed.reason);
            if (!outcome.ok)
              return void (await privately(respond, `:no_entry_sign: ${escapeMrkdwn(outcome.message)}`));
            const { request, already } = outcome.value;
            return void (await privately(
              respond,
              already
                ? `Request ${request.id} was already revoked${request.revokedAt ? ` at ${request.revokedAt.toISOString()}` : ''}; nothing else to do.`
                : `:white_check_mark: Revoked ${request.id}: the grant on ${code(request.role.arn)} is removed and verified.`,
            ));
          }
          case 'status': {
            if (!parsed.requestId)
              return void (await privately(
                respond,
                await statusList(await queries.recentRequests(user), linkOf),
              ));
            const history = await queries.history(user, parsed.requestId);
            return void (await privately(
              respond,
              history.ok
                ? await historyText(history.value, linkOf)
                : `:no_entry_sign: ${escapeMrkdwn(history.message)}`,
            ));
          }
          case 'audit': {
            const audit = await queries.audit(user, parsed.target);
            return void (await privately(
              respond,
              audit.ok
                ? await auditText(audit.value.roleArn, audit.value.grants, linkOf)
                : `:no_entry_sign: ${escapeMrkdwn(audit.message)}`,
            ));
          }
        }
      } catch (error) {
        logger.error('command failed', { error, user, kind: parsed.kind });
        await privately(
          respond,
          ':x: Something went wrong; nothing was changed. The error is in the bot’s log.',
        );
      }
    });
    if (!ran) await privately(respond, BUSY);
  });

  app.view(REQUEST_MODAL, async ({ ack, view, body, client }) => {
    const user = body.user.id;
    const fromModal = commandFromModal(view);
    if ('errors' in fromModal)
      return void (await ack({ response_action: 'errors', errors: fromModal.errors }));
    // Check before closing the dialog so a wrong role is shown on its field; submit checks again.
    let prepared: Awaited<ReturnType<AccessService['prepare']>>;
    try {
      prepared = await service.prepare(user, fromModal.command);
    } catch (error) {
      // An AWS or STS error: still answer within Slack's deadline, on the field being checked.
      logger.error('request dialog check failed', { error, user });
      return void (await ack({
        response_action: 'errors',
        errors: { role: 'The role could not be checked right now; the error is in the bot’s log.' },
      }));
    }
    if (!prepared.ok)
      return void (await ack({
        response_action: 'errors',
        errors: { [FIELD_BLOCK[prepared.field ?? 'role']]: prepared.message.slice(0, 150) },
      }));
    await ack();
    try {
      const outcome = await service.submit(user, fromModal.command);
      await client.chat.postMessage({
        channel: user,
        text: outcome.ok
          ? submitted(outcome.value.request, outcome.value.cardLink)
          : `:warning: ${escapeMrkdwn(outcome.message)}\nNothing was requested.`,
      });
    } catch (error) {
      logger.error('request from dialog failed', { error, user });
    }
  });

  app.action<BlockButtonAction>(ACTION.approve, async ({ ack, body, action, respond }) => {
    await ack();
    const ran = await queue.run(async () => {
      try {
        const outcome = await service.approve(action.value ?? '', body.user.id, originOfAction(body));
        if (!outcome.ok) await privately(respond, `:no_entry_sign: ${outcome.message}`);
      } catch (error) {
        logger.error('approve failed', { error, user: body.user.id });
        await privately(respond, ':x: The approval could not be processed; the error is in the bot’s log.');
      }
    });
    if (!ran) await privately(respond, BUSY);
  });

  app.action<BlockButtonAction>(ACTION.retry, async ({ ack, body, action, respond }) => {
    await ack();
    const ran = await queue.run(async () => {
      try {
        const outcome = await service.retry(action.value ?? '', body.user.id, originOfAction(body));
        if (!outcome.ok) await privately(respond, `:no_entry_sign: ${outcome.message}`);
      } catch (error) {
        logger.error('retry failed', { error, user: body.user.id });
        await privately(respond, ':x: The retry could not be processed; the error is in the bot’s log.');
      }
    });
    if (!ran) await privately(respond, BUSY);
  });

  app.action<BlockButtonAction>(ACTION.deny, async ({ ack, body, action, respond, client }) => {
    await ack();
    try {
      const origin = originOfAction(body);
      const check = await service.checkDecider(action.value ?? '', body.user.id, origin);
      if (!check.ok) return void (await privately(respond, `:no_entry_sign: ${check.message}`));
      await client.views.open({ trigger_id: body.trigger_id, view: denyModal(check.value, origin) });
    } catch (error) {
      logger.error('deny modal failed', { error, user: body.user.id });
      await privately(respond, ':x: The deny dialog could not be opened; the error is in the bot’s log.');
    }
  });

  app.action<BlockButtonAction>(ACTION.revoke, async ({ ack, body, action, respond, client }) => {
    await ack();
    try {
      const request = await store.getRequest(action.value ?? '');
      if (!request) return void (await privately(respond, noSuchRequest(action.value ?? '')));
      const origin = originOfAction(body);
      const elsewhere = originRefusal(request, origin);
      if (elsewhere) return void (await privately(respond, `:no_entry_sign: ${elsewhere}`));
      if (!(await revocations.mayRevoke(request, body.user.id)))
        return void (await privately(
          respond,
          ':no_entry_sign: Only an approver or the requester can revoke this grant; nothing was changed.',
        ));
      if (request.state === 'revoked')
        return void (await privately(
          respond,
          `Request ${request.id} was already revoked; nothing else to do.`,
        ));
      // Nothing was ever written for these; other states go to the dialog and RevocationService decides.
      if (request.state === 'pending' || request.state === 'denied' || request.state === 'expired')
        return void (await privately(
          respond,
          `:no_entry_sign: Request ${request.id} is ${request.state}; there is no grant to revoke.`,
        ));
      await client.views.open({ trigger_id: body.trigger_id, view: revokeModal(request, origin) });
    } catch (error) {
      logger.error('revoke modal failed', { error, user: body.user.id });
      await privately(respond, ':x: The revoke dialog could not be opened; the error is in the bot’s log.');
    }
  });

  app.action<BlockButtonAction>(ACTION.viewPolicy, async ({ ack, body, action, client }) => {
    await ack();
    const request = await store.getRequest(action.value ?? '');
    if (request) await client.views.open({ trigger_id: body.trigger_id, view: policyModal(request) });
  });

  app.view(DENY_MODAL, async ({ ack, view, body }) => {
    const { requestId, origin } = parseDialogMetadata(view.private_metadata);
    const reason = view.state.values[REASON_BLOCK]?.[REASON_INPUT]?.value?.trim() ?? '';
    if (!reason)
      return void (await ack({ response_action: 'errors', errors: { [REASON_BLOCK]: 'Give a reason.' } }));
    const check = await service.checkDecider(requestId, body.user.id, origin);
    if (!check.ok)
      return void (await ack({ response_action: 'errors', errors: { [REASON_BLOCK]: check.message } }));
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
          text: `:no_entry_sign: ${escapeMrkdwn(outcome.message)}`,
        });
    } catch (error) {
      logger.error('revoke failed', { error, user: body.user.id, requestId });
    }
  });
}
