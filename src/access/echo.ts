/**
 * User input quoted back in a message: in a code span, bounded (a 5,000-character role name must not come back as a
 * 5,000-character reply), and unable to close its span (a backtick is shown as a look-alike). Messages mark code
 * with backticks and people with `<@U…>`; the Slack adapter renders both and escapes everything else.
 */
export function echo(input: string, max = 120): string {
  const inline = input.replace(/`/g, 'ʼ').replace(/\s+/g, ' ');
  const chars = [...inline];
  const shown = chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : inline;
  return `\`${shown}\``;
}

/** A role ARN that passed validation is shown whole: IAM caps a path at 512 and a name at 64 characters. */
export const MAX_ARN_ECHO = 640;
