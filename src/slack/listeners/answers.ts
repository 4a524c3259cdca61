import type { RespondArguments, RespondFn, webApi } from '@slack/bolt';
import { isDatabaseUnreachable } from '../../errors';
import type { Logger } from '../../log';
import { ApplyInterrupted } from '../../access/service';
import type { ApproverLookupError } from '../approvers';
import { SLACK_LIMITS } from '../limits';
import { code, escapeMrkdwn, fitMrkdwn } from '../mrkdwn';

/** What the listeners say, and the small helpers they share. */

export const DATABASE_DOWN =
  ':hourglass: The bot’s database is unreachable right now; nothing was changed. Try again in a minute.';

/** The decision is recorded; the database went away while applying it (see ApplyInterrupted). */
export const applyInterrupted = (
  error: ApplyInterrupted,
  decision: 'approval' | 'retry' | 'acknowledgement',
) =>
  `:hourglass: Your ${decision} of \`${error.requestId}\` is recorded, but the bot’s database became unreachable while the policy was being applied. Nothing is lost: the bot finishes applying it by itself once the database is back, and the request’s thread will show each step. There is no need to click again.`;

/** What a decider is told when their click met an error: the database's state decides what happened. */
export function clickFailed(error: unknown, decision: 'approval' | 'retry' | 'acknowledgement'): string {
  if (error instanceof ApplyInterrupted) return applyInterrupted(error, decision);
  if (isDatabaseUnreachable(error)) return DATABASE_DOWN;
  return `:x: The ${decision} could not be processed; the error is in the bot’s log.`;
}

export const BUSY =
  ':hourglass: cases-access is busy right now (or still working on your earlier clicks and commands); nothing was changed. Try again in a minute.';

/**
 * How long a dialog's check may take before its answer. Slack drops a view submission not acked within 3 s (and a
 * trigger ID expires then): past this the user is asked to try again, whatever the check was waiting for.
 */
export const DIALOG_CHECK_MS = 2_000;

/** Slack renders the time in the reader's own time zone. */
export const slackTime = (date: Date) =>
  `<!date^${Math.floor(date.getTime() / 1000)}^{time_secs}|${date.toISOString()}>`;

/** A click refused because the approvers could not be looked up (fails closed, says why and when to retry). */
export const lookupFailed = (error: ApproverLookupError) =>
  `:no_entry_sign: The bot could not check just now whether you are an approver (${escapeMrkdwn(error.reason)}), so nothing was changed. Try again after ${slackTime(error.retryAt)}.`;

/** The same, as a dialog's inline error (plain text, short). */
export const LOOKUP_FAILED_INLINE =
  'The bot could not check just now whether you are an approver (Slack is slow or rate limiting); nothing was changed. Try again in a moment.';
/** A check that ran out of time (DIALOG_CHECK_MS). */
export const CHECK_TIMED_OUT =
  'The check took too long (Slack or the database is slow); nothing was changed. Try again in a moment.';

/** Runs `work` for at most `ms`: its value, or `undefined` when it ran out (its late result or error is dropped). */
export async function within<T>(
  ms: number,
  work: Promise<T>,
  logger: Logger,
  what: string,
): Promise<T | undefined> {
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

/** Answers one person privately (a RespondFn, or a direct message where there is no response_url). */
export type Reply = (message: RespondArguments) => Promise<unknown>;

/** A private answer on the response_url, within Slack's message limit whatever it says. */
export const privately = (respond: Reply, text: string) =>
  respond({
    response_type: 'ephemeral',
    replace_original: false,
    text: fitMrkdwn(text, SLACK_LIMITS.messageText),
  });

export const submitted = (
  request: { id: string; task: string; option: string; role: { arn: string } },
  cardLink?: string,
  duplicate?: boolean,
) =>
  `:inbox_tray: Request ${code(request.id)} is waiting for an approver in ${cardLink ? `<${cardLink}|the approval card>` : 'the approval channel'}: ${request.task} (${request.option}) for ${code(request.role.arn)}.` +
  (duplicate ? ' You already asked for this; no second card was posted.' : '');

/**
 * How to answer a click privately: on its response_url, or for a click on a Home tab (which has none), in the
 * person's direct messages with the bot.
 */
export function replyTo(
  body: { user: { id: string }; response_url?: string },
  respond: RespondFn | undefined,
  client: webApi.WebClient,
): Reply {
  if (respond && body.response_url) return respond;
  return (message) =>
    client.chat.postMessage({ channel: body.user.id, text: message.text ?? '', unfurl_links: false });
}
