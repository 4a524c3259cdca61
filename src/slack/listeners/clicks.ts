import type { App, BlockButtonAction } from '@slack/bolt';
import { ApproverLookupError } from '../approvers';
import { ACTION, denyModal, policyModal, revokeModal } from '../blocks';
import { messageMrkdwn } from '../mrkdwn';
import { originOfAction } from '../origin';
import {
  BUSY,
  CHECK_TIMED_OUT,
  DIALOG_CHECK_MS,
  clickFailed,
  lookupFailed,
  privately,
  replyTo,
  within,
} from './answers';
import type { ListenerContext } from './context';

/** The card's buttons: each click is checked against the request it names and the message it came from. */
export function registerClicks(app: App, context: ListenerContext): void {
  const { service, revocations, queries, logger, queue, refuseClick, mutedClick } = context;
  app.action<BlockButtonAction>(ACTION.approve, async ({ ack, body, action, respond: given, client }) => {
    await ack();
    const respond = replyTo(body, given, client);
    const user = body.user.id;
    if (mutedClick(user, 'approve')) return;
    const ran = await queue.run(async () => {
      try {
        const outcome = await service.approve(action.value ?? '', user, originOfAction(body, action));
        if (!outcome.ok)
          await refuseClick(user, respond, `:no_entry_sign: ${messageMrkdwn(outcome.message)}`);
      } catch (error) {
        if (error instanceof ApproverLookupError)
          return void (await refuseClick(user, respond, lookupFailed(error)));
        logger.error('approve failed', { error, user });
        await privately(respond, clickFailed(error, 'approval'));
      }
    }, user);
    if (!ran) await refuseClick(user, respond, BUSY);
  });

  app.action<BlockButtonAction>(ACTION.retry, async ({ ack, body, action, respond: given, client }) => {
    await ack();
    const respond = replyTo(body, given, client);
    const user = body.user.id;
    if (mutedClick(user, 'retry')) return;
    const ran = await queue.run(async () => {
      try {
        const outcome = await service.retry(action.value ?? '', user, originOfAction(body, action));
        if (!outcome.ok)
          await refuseClick(user, respond, `:no_entry_sign: ${messageMrkdwn(outcome.message)}`);
      } catch (error) {
        if (error instanceof ApproverLookupError)
          return void (await refuseClick(user, respond, lookupFailed(error)));
        logger.error('retry failed', { error, user });
        await privately(respond, clickFailed(error, 'retry'));
      }
    }, user);
    if (!ran) await refuseClick(user, respond, BUSY);
  });

  app.action<BlockButtonAction>(ACTION.deny, async ({ ack, body, action, respond: given, client }) => {
    await ack();
    const respond = replyTo(body, given, client);
    const user = body.user.id;
    if (mutedClick(user, 'deny')) return;
    try {
      const origin = originOfAction(body, action);
      // The dialog opens only while the click's trigger ID lives (3 s): the check must finish before that.
      const check = await within(
        DIALOG_CHECK_MS,
        service.checkDecider(action.value ?? '', user, origin),
        logger,
        'deny check',
      );
      if (!check) return void (await refuseClick(user, respond, `:hourglass: ${CHECK_TIMED_OUT}`));
      if (!check.ok)
        return void (await refuseClick(user, respond, `:no_entry_sign: ${messageMrkdwn(check.message)}`));
      await client.views.open({ trigger_id: body.trigger_id, view: denyModal(check.value, origin) });
    } catch (error) {
      if (error instanceof ApproverLookupError)
        return void (await refuseClick(user, respond, lookupFailed(error)));
      logger.error('deny modal failed', { error, user });
      await privately(respond, ':x: The deny dialog could not be opened; the error is in the bot’s log.');
    }
  });

  app.action<BlockButtonAction>(ACTION.revoke, async ({ ack, body, action, respond: given, client }) => {
    await ack();
    const respond = replyTo(body, given, client);
    const user = body.user.id;
    if (mutedClick(user, 'revoke')) return;
    try {
      const origin = originOfAction(body, action);
      // As for Deny: the dialog needs the click's trigger ID, which lives 3 s.
      const check = await within(
        DIALOG_CHECK_MS,
        revocations.checkRevoker(action.value ?? '', user, origin),
        logger,
        'revoke check',
      );
      if (!check) return void (await refuseClick(user, respond, `:hourglass: ${CHECK_TIMED_OUT}`));
      if (!check.ok)
        return void (await refuseClick(user, respond, `:no_entry_sign: ${messageMrkdwn(check.message)}`));
      await client.views.open({ trigger_id: body.trigger_id, view: revokeModal(check.value, origin) });
    } catch (error) {
      if (error instanceof ApproverLookupError)
        return void (await refuseClick(user, respond, lookupFailed(error)));
      logger.error('revoke modal failed', { error, user });
      await privately(respond, ':x: The revoke dialog could not be opened; the error is in the bot’s log.');
    }
  });

  app.action<BlockButtonAction>(ACTION.viewPolicy, async ({ ack, body, action, client }) => {
    await ack();
    const request = await queries.request(action.value ?? '');
    if (request) await client.views.open({ trigger_id: body.trigger_id, view: policyModal(request) });
  });

  app.action<BlockButtonAction>(ACTION.acknowledge, async ({ ack, body, action, respond: given, client }) => {
    await ack();
    const respond = replyTo(body, given, client);
    const user = body.user.id;
    if (mutedClick(user, 'acknowledge')) return;
    const ran = await queue.run(async () => {
      try {
        const outcome = await service.acknowledge(action.value ?? '', user, originOfAction(body, action));
        if (!outcome.ok)
          await refuseClick(user, respond, `:no_entry_sign: ${messageMrkdwn(outcome.message)}`);
      } catch (error) {
        if (error instanceof ApproverLookupError)
          return void (await refuseClick(user, respond, lookupFailed(error)));
        logger.error('acknowledge failed', { error, user });
        await privately(respond, clickFailed(error, 'acknowledgement'));
      }
    }, user);
    if (!ran) await refuseClick(user, respond, BUSY);
  });
}
