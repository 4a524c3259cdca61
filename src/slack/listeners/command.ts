import type { App } from '@slack/bolt';
import { COMMAND_HELP, parseCommand } from '../../access/command';
import { ApproverLookupError } from '../approvers';
import { isDatabaseUnreachable } from '../../errors';
import { requestModal } from '../blocks';
import { code, escapeMrkdwn, typedText } from '../mrkdwn';
import { auditText, historyText, statusList } from '../reports';
import { BUSY, DATABASE_DOWN, lookupFailed, privately, submitted } from './answers';
import type { ListenerContext } from './context';

/** The slash command: parsed from what the user typed, answered privately. */
export function registerCommand(app: App, context: ListenerContext): void {
  const { service, revocations, queries, store, clock, logger, queue, linkOf, commandName } = context;
  app.command(commandName, async ({ ack, command, respond, client }) => {
    await ack();
    // Slack may deliver the same command twice (a retry after a slow answer, two replicas): handle it once.
    let first = true;
    try {
      if (command.trigger_id) first = await store.claimDelivery(`command:${command.trigger_id}`, clock.now());
    } catch (error) {
      logger.error('command not handled: the database did not answer', { error, user: command.user_id });
      return void (await privately(respond, DATABASE_DOWN).catch(() => undefined));
    }
    if (!first) {
      logger.info('duplicate delivery of a command ignored', { user: command.user_id });
      return;
    }
    const parsed = parseCommand(typedText(command.text ?? ''));
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
              `:warning: ${escapeMrkdwn(parsed.message)}\nNothing was changed. \`${commandName} help\` shows the syntax.`,
            ));
          case 'request': {
            const outcome = await service.submit(user, parsed);
            if (!outcome.ok)
              return void (await privately(
                respond,
                `:warning: ${escapeMrkdwn(outcome.message)}\nNothing was requested.`,
              ));
            const { request, cardLink, duplicate } = outcome.value;
            return void (await privately(respond, submitted(request, cardLink, duplicate)));
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
        if (error instanceof ApproverLookupError) return void (await privately(respond, lookupFailed(error)));
        logger.error('command failed', { error, user, kind: parsed.kind });
        await privately(
          respond,
          isDatabaseUnreachable(error)
            ? DATABASE_DOWN
            : ':x: Something went wrong; nothing was changed. The error is in the bot’s log.',
        );
      }
    }, user);
    if (!ran) await privately(respond, BUSY);
  });
}
