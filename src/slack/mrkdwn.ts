import { SLACK_LIMITS } from './limits';

/**
 * Text in and out of Slack, each way in one place:
 * - in: `typedText` turns a slash command's text into what the user typed (Slack sends `&`, `<`, `>` in it as
 *   `&amp;`, `&lt;`, `&gt;`; dialog values arrive as typed and are not passed through it);
 * - out: `escapeMrkdwn` makes any text safe inside mrkdwn, and `fitMrkdwn` / `fitPlain` bound a text to one of
 *   Slack's limits (src/slack/limits.ts) without cutting an escape, a mention, a link or a surrogate pair.
 */

/** A slash command's text as the user typed it (Slack's escapes undone: `&amp;` last, so `&amp;lt;` stays `&lt;`). */
export function typedText(slackText: string): string {
  return slackText.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/**
 * Slack's control characters are & < >: escaped, user text can't form a mention (<!channel>, <@U…>) or a
 * disguised link (<https://evil|docs.aws.amazon.com>).
 */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Inside `code`, a backtick would end the span early: it is shown as a look-alike. */
export function code(text: string): string {
  return '`' + escapeMrkdwn(text).replace(/`/g, 'ʼ') + '`';
}

export const mention = (userId: string): string => `<@${userId}>`;

const ELLIPSIS = '…';

/** The longest prefix of `text` of at most `max` UTF-16 units that does not end inside a surrogate pair. */
function headOf(text: string, max: number): string {
  let cut = Math.max(0, max);
  const last = text.charCodeAt(cut - 1);
  if (cut > 0 && last >= 0xd800 && last <= 0xdbff) cut -= 1;
  return text.slice(0, cut);
}

/** Plain text (a header, a dialog error, a modal title) within `max` characters, with an ellipsis when cut. */
export function fitPlain(text: string, max: number): string {
  if (text.length <= max) return text;
  return headOf(text, max - ELLIPSIS.length) + ELLIPSIS;
}

/**
 * Mrkdwn (already escaped) within `max` characters, with an ellipsis when cut: never inside an escape (`&amp;`), a
 * `<…>` mention, link or date, or a surrogate pair, and a code block left open by the cut is closed.
 */
export function fitMrkdwn(text: string, max: number): string {
  if (text.length <= max) return text;
  const fence = '```';
  // Room for the ellipsis and for closing a code block the cut may leave open.
  let head = headOf(text, max - ELLIPSIS.length - fence.length);
  // In escaped text every `&` starts an escape: one without its `;` is cut in the middle.
  const amp = head.lastIndexOf('&');
  if (amp > head.lastIndexOf(';')) head = head.slice(0, amp);
  const open = head.lastIndexOf('<');
  if (open > head.lastIndexOf('>')) head = head.slice(0, open);
  const fences = head.split(fence).length - 1;
  return head + ELLIPSIS + (fences % 2 === 1 ? fence : '');
}

/** A message's own markup (see access/echo.ts): code spans, people as `<@U…>` and usergroups as `<!subteam^S…>`. */
const MESSAGE_MARKUP = /(`[^`\n]*`)|(<@[UW][A-Z0-9]{2,}>|<!subteam\^S[A-Z0-9]{2,}>)/g;

/**
 * A workflow message (a refusal, an error) as mrkdwn: its code spans and mentions kept, everything else escaped, so
 * input quoted in it can neither mention anyone nor form a link; bounded to `max`.
 */
export function messageMrkdwn(message: string, max: number = SLACK_LIMITS.messageText): string {
  let out = '';
  let last = 0;
  for (const m of message.matchAll(MESSAGE_MARKUP)) {
    out += escapeMrkdwn(message.slice(last, m.index));
    out += m[1] !== undefined ? `\`${escapeMrkdwn(m[1].slice(1, -1))}\`` : m[2]!;
    last = m.index! + m[0].length;
  }
  return fitMrkdwn(out + escapeMrkdwn(message.slice(last)), max);
}

/** The same message as plain text (a dialog's inline error): mentions as `@U…`, bounded. */
export function messagePlain(message: string, max: number = SLACK_LIMITS.dialogError): string {
  return fitPlain(
    message.replace(MESSAGE_MARKUP, (all: string, span?: string) =>
      span !== undefined ? span : `@${all.replace(/^<[@!](subteam\^)?|>$/g, '')}`,
    ),
    max,
  );
}
