import { isDatabaseUnreachable } from '../errors';
import type { App, BlockButtonAction, RespondFn, ViewOutput } from '@slack/bolt';
import { COMMAND_HELP, MAX_REASON_LENGTH, parseCommand, parseInstanceText } from '../access/command';
import type { RequestCommand } from '../access/command';
import { checkDuration, durationProblem } from '../access/duration';
import type { AccessQueries } from '../access/queries';
import type { RevocationService } from '../access/revocation';
import { ApplyInterrupted, noSuchRequest, originRefusal } from '../access/service';
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
import { code, escapeMrkdwn, typedText } from './mrkdwn';
import { originOfAction, parseDialogMetadata } from './origin';
import { ApproverLookupError } from './approvers';
import { RefusalLimiter } from './refusal-limiter';
import { WorkQueue } from './work-queue';
import { auditText, historyText, statusList } from './reports';

/** Bolt listeners: ack first (Slack's 3-second deadline), then hand the work to the access services. */

export const COMMAND = '/cases-access';

const DATABASE_DOWN =
  ':hourglass: The bot’s database is unreachable right now; nothing was changed. Try again in a minute.';

/** The decision is recorded; the database went away while applying it (see ApplyInterrupted). */
const applyInterrupted = (error: ApplyInterrupted, decision: 'approval' | 'retry') =>
  `:hourglass: Your ${decision} of \`${error.requestId}\` is recorded, but the bot’s database became unreachable while the policy was being applied. Nothing is lost: the bot finishes applying it by itself once the database is back, and the request’s thread will show each step. There is no need to click again.`;

/** What a decider is told when their click met an error: the database's state decides what happened. */
function clickFailed(error: unknown, decision: 'approval' | 'retry'): string {
  if (error instanceof ApplyInterrupted) return applyInterrupted(error, decision);
  if (isDatabaseUnreachable(error)) return DATABASE_DOWN;
  return `:x: The ${decision} could not be processed; the error is in the bot’s log.`;
}

const BUSY =
  ':hourglass: cases-access is busy right now (or still working on your earlier clicks and commands); nothing was changed. Try again in a minute.';

/**
 * How long a dialog's check may take before its answer. Slack drops a view submission not acked within 3 s (and a
 * trigger ID expires then): past this the user is asked to try again, whatever the check was waiting for.
 */
export const DIALOG_CHECK_MS = 2_000;

/** Slack renders the time in the reader's own time zone. */
const slackTime = (date: Date) =>
  `<!date^${Math.floor(date.getTime() / 1000)}^{time_secs}|${date.toISOString()}>`;

/** A click refused because the approvers could not be looked up (fails closed, says why and when to retry). */
const lookupFailed = (error: ApproverLookupError) =>
  `:no_entry_sign: The bot could not check just now whether you are an approver (${escapeMrkdwn(error.reason)}), so nothing was changed. Try again after ${slackTime(error.retryAt)}.`;

/** The same, as a dialog's inline error (plain text, short). */
const LOOKUP_FAILED_INLINE =
  'The bot could not check just now whether you are an approver (Slack is slow or rate limiting); nothing was changed. Try again in a moment.';
/** A check that ran out of time (DIALOG_CHECK_MS). */
const CHECK_TIMED_OUT =
  'The check took too long (Slack or the database is slow); nothing was changed. Try again in a moment.';

/** Runs `work` for at most `ms`: its value, or `undefined` when it ran out (its late result or error is dropped). */
async function within<T>(ms: number, work: Promise<T>, logger: Logger, what: string): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)));
  let timedOut = false;
  try {
    return await Promise.race([work, late.then(() => ((timedOut = true), undefined))]);
  } finally {
    clearTimeout(timer);
    if (timedOut)
      work.catch((error: unknown) => logger.warn(`${what} failed after its answer was given`, { error }));
  }
}

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
  duplicate?: boolean,
) =>
  `:inbox_tray: Request ${code(request.id)} is waiting for an approver in ${cardLink ? `<${cardLink}|the approval card>` : 'the approval channel'}: ${request.task} (${request.option}) for ${code(request.role.arn)}.` +
  (duplicate ? ' You already asked for this; no second card was posted.' : '');

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
  // Work after the ack runs a few at a time so acks never queue behind it, and no user holds every slot (WorkQueue).
  const queue = new WorkQueue();
  // Refusals to clicks, per user: past the limit that user's clicks are dropped before they reach the queue.
  const refusals = new RefusalLimiter();
  const linkOf = (request: Parameters<Notifier['cardLink']>[0]) => notifier.cardLink(request);

  /** Tells `user` a click was refused, unless they were refused too often lately (then nothing is sent). */
  const refuseClick = async (user: string, respond: RespondFn, text: string) => {
    const verdict = refusals.refuse(user);
    if (!verdict.tell) return;
    await privately(
      respond,
      verdict.last
        ? `${text}\n_That is many refusals in a minute: the bot ignores your clicks until ${slackTime(verdict.until)}._`
        : text,
    );
  };
  /** True when the user's clicks are being ignored (see RefusalLimiter): the click was acked and is dropped. */
  const mutedClick = (user: string, action: string) => {
    if (!refusals.muted(user)) return false;
    logger.debug('click ignored: too many refusals lately', { user, action });
    return true;
  };

  app.command(COMMAND, async ({ ack, command, respond, client }) => {
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
              `:warning: ${escapeMrkdwn(parsed.message)}\nNothing was changed. \`${COMMAND} help\` shows the syntax.`,
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

  app.view(REQUEST_MODAL, async ({ ack, view, body, client }) => {
    const user = body.user.id;
    const fromModal = commandFromModal(view);
    if ('errors' in fromModal)
      return void (await ack({ response_action: 'errors', errors: fromModal.errors }));
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
        errors: { [FIELD_BLOCK[prepared.field ?? 'role']]: prepared.message.slice(0, 150) },
      }));
    await ack();
    try {
      const outcome = await service.submit(user, fromModal.command);
      await client.chat.postMessage({
        channel: user,
        text: outcome.ok
          ? submitted(outcome.value.request, outcome.value.cardLink, outcome.value.duplicate)
          : `:warning: ${escapeMrkdwn(outcome.message)}\nNothing was requested.`,
      });
    } catch (error) {
      logger.error('request from dialog failed', { error, user });
    }
  });

  app.action<BlockButtonAction>(ACTION.approve, async ({ ack, body, action, respond }) => {
    await ack();
    const user = body.user.id;
    if (mutedClick(user, 'approve')) return;
    const ran = await queue.run(async () => {
      try {
        const outcome = await service.approve(action.value ?? '', user, originOfAction(body));
        if (!outcome.ok) await refuseClick(user, respond, `:no_entry_sign: ${outcome.message}`);
      } catch (error) {
        if (error instanceof ApproverLookupError)
          return void (await refuseClick(user, respond, lookupFailed(error)));
        logger.error('approve failed', { error, user });
        await privately(respond, clickFailed(error, 'approval'));
      }
    }, user);
    if (!ran) await refuseClick(user, respond, BUSY);
  });

  app.action<BlockButtonAction>(ACTION.retry, async ({ ack, body, action, respond }) => {
    await ack();
    const user = body.user.id;
    if (mutedClick(user, 'retry')) return;
    const ran = await queue.run(async () => {
      try {
        const outcome = await service.retry(action.value ?? '', user, originOfAction(body));
        if (!outcome.ok) await refuseClick(user, respond, `:no_entry_sign: ${outcome.message}`);
      } catch (error) {
        if (error instanceof ApproverLookupError)
          return void (await refuseClick(user, respond, lookupFailed(error)));
        logger.error('retry failed', { error, user });
        await privately(respond, clickFailed(error, 'retry'));
      }
    }, user);
    if (!ran) await refuseClick(user, respond, BUSY);
  });

  app.action<BlockButtonAction>(ACTION.deny, async ({ ack, body, action, respond, client }) => {
    await ack();
    const user = body.user.id;
    if (mutedClick(user, 'deny')) return;
    try {
      const origin = originOfAction(body);
      // The dialog opens only while the click's trigger ID lives (3 s): the check must finish before that.
      const check = await within(
        DIALOG_CHECK_MS,
        service.checkDecider(action.value ?? '', user, origin),
        logger,
        'deny check',
      );
      if (!check) return void (await refuseClick(user, respond, `:hourglass: ${CHECK_TIMED_OUT}`));
      if (!check.ok) return void (await refuseClick(user, respond, `:no_entry_sign: ${check.message}`));
      await client.views.open({ trigger_id: body.trigger_id, view: denyModal(check.value, origin) });
    } catch (error) {
      if (error instanceof ApproverLookupError)
        return void (await refuseClick(user, respond, lookupFailed(error)));
      logger.error('deny modal failed', { error, user });
      await privately(respond, ':x: The deny dialog could not be opened; the error is in the bot’s log.');
    }
  });

  app.action<BlockButtonAction>(ACTION.revoke, async ({ ack, body, action, respond, client }) => {
    await ack();
    const user = body.user.id;
    if (mutedClick(user, 'revoke')) return;
    try {
      const request = await store.getRequest(action.value ?? '');
      if (!request) return void (await refuseClick(user, respond, noSuchRequest(action.value ?? '')));
      const origin = originOfAction(body);
      const elsewhere = originRefusal(request, origin);
      if (elsewhere) return void (await refuseClick(user, respond, `:no_entry_sign: ${elsewhere}`));
      // As for Deny: the dialog needs the click's trigger ID, which lives 3 s.
      const may = await within(DIALOG_CHECK_MS, revocations.mayRevoke(request, user), logger, 'revoke check');
      if (may === undefined) return void (await refuseClick(user, respond, `:hourglass: ${CHECK_TIMED_OUT}`));
      if (!may)
        return void (await refuseClick(
          user,
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
      if (error instanceof ApproverLookupError)
        return void (await refuseClick(user, respond, lookupFailed(error)));
      logger.error('revoke modal failed', { error, user });
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
      if (error instanceof ApproverLookupError)
        return void (await client.chat
          .postMessage({ channel: body.user.id, text: lookupFailed(error) })
          .catch(() => undefined));
      logger.error('revoke failed', { error, user: body.user.id, requestId });
    }
  });
}
