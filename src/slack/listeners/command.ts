import type { App } from '@slack/bolt';
import { parseCommand } from '../../access/command';
import { ApproverLookupError } from '../approvers';
import { isDatabaseUnreachable } from '../../errors';
import { breakGlassModal, requestModal } from '../blocks';
import { helpText } from '../help';
import { SLACK_LIMITS } from '../limits';
import { code, escapeMrkdwn, fitMrkdwn, messageMrkdwn, typedText } from '../mrkdwn';
import { auditText, historyText, statusList } from '../reports';
import { BUSY, DATABASE_DOWN, lookupFailed, privately, submitted } from './answers';
import type { ListenerContext } from './context';

/** A private answer in the ack's own body. */
const ephemeral = (text: string) => ({
  response_type: 'ephemeral' as const,
  text: fitMrkdwn(text, SLACK_LIMITS.messageText),
});

/** The slash command: parsed from what the user typed, answered privately. */
export function registerCommand(app: App, context: ListenerContext): void {
  const { service, revocations, queries, store, clock, logger, queue, linkOf, commandName } = context;
  const pageOf = (parsed: { page: number }) => ({ page: parsed.page, command: commandName });
  app.command(commandName, async ({ ack, command, respond, client }) => {
    const parsed = parseCommand(typedText(command.text ?? ''));
    // Answers known at once go back in the ack itself: one round trip, nothing left to deliver afterwards.
    if (parsed.kind === 'help' && parsed.roleText === undefined)
      return void (await ack(ephemeral(helpText(commandName))));
    if (parsed.kind === 'error')
      return void (await ack(
        ephemeral(
          `:warning: ${messageMrkdwn(parsed.message)}\nNothing was changed. \`${escapeMrkdwn(commandName)} help\` shows the syntax.`,
        ),
      ));
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
    const user = command.user_id;
    if (parsed.kind === 'modal')
      return void (await client.views.open({ trigger_id: command.trigger_id, view: requestModal() }));
    // Break-glass is confirmed in a dialog first (its trigger ID lives 3 s: opened before any other work).
    if (parsed.kind === 'request' && parsed.breakGlass)
      return void (await client.views.open({
        trigger_id: command.trigger_id,
        view: breakGlassModal(parsed),
      }));
    const ran = await queue.run(async () => {
      try {
        switch (parsed.kind) {
          case 'help': {
            const rules = await queries.rulesFor(parsed.roleText ?? '');
            return void (await privately(
              respond,
              rules.ok
                ? `${helpText(commandName)}\n\n*Rules for ${code(rules.value.roleArn)}*\n${rules.value.lines.map((l) => `• ${messageMrkdwn(l)}`).join('\n')}`
                : `:warning: ${messageMrkdwn(rules.message)}`,
            ));
          }
          case 'request': {
            const outcome = await service.submit(user, parsed);
            if (!outcome.ok)
              return void (await privately(
                respond,
                `:warning: ${messageMrkdwn(outcome.message)}\nNothing was requested.`,
              ));
            const { request, cardLink, duplicate } = outcome.value;
            return void (await privately(respond, submitted(request, cardLink, duplicate)));
          }
          case 'revoke': {
            const outcome = await revocations.revoke(parsed.requestId, user, parsed.reason);
            if (!outcome.ok)
              return void (await privately(respond, `:no_entry_sign: ${messageMrkdwn(outcome.message)}`));
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
                await statusList(await queries.recentRequests(user), linkOf, pageOf(parsed)),
              ));
            const history = await queries.history(user, parsed.requestId);
            return void (await privately(
              respond,
              history.ok
                ? await historyText(history.value, linkOf, pageOf(parsed))
                : `:no_entry_sign: ${messageMrkdwn(history.message)}`,
            ));
          }
          case 'audit': {
            const audit = await queries.audit(user, parsed.target);
            return void (await privately(
              respond,
              audit.ok
                ? await auditText(audit.value.roleArn, audit.value.grants, linkOf, pageOf(parsed))
                : `:no_entry_sign: ${messageMrkdwn(audit.message)}`,
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
