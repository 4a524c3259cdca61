/**
 * Slack's control characters are & < >: escaped, user text can't form a mention (<!channel>, <@U…>) or a
 * disguised link (<https://evil|docs.aws.amazon.com>). Backticks are softened so it can't close our code spans.
 */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Inside `code`, a backtick would end the span early. */
export function code(text: string): string {
  return '`' + escapeMrkdwn(text).replace(/`/g, 'ʼ') + '`';
}

export const mention = (userId: string): string => `<@${userId}>`;
