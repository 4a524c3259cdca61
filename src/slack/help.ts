import { MAX_REASON_LENGTH } from '../access/command';
import { escapeMrkdwn } from './mrkdwn';

/**
 * `/cases-access help`, for the command as it is named in this workspace (SLACK_COMMAND). Written as it should read,
 * then escaped: its `<role>` placeholders would otherwise be taken by Slack for links (`<a | b>` shows only `b`).
 */
export function helpText(command: string): string {
  return escapeMrkdwn(
    [
      '*cases-access* grants the Amazon Connect Cases permissions AWS documents to an IAM role, after approval.',
      '```',
      `${command} onboard <role> [--managed] [--instance <connect-instance-id>] [--for <duration>] [reason…]`,
      `${command} view    <role> [--managed] [--instance <connect-instance-id>] [--for <duration>] [reason…]`,
      `${command} revoke  <request-id> [reason…]`,
      `${command} status  [request-id] [--page <n>]`,
      `${command} audit   <role ARN | role name | request-id> [--page <n>]`,
      `${command} help`,
      '```',
      `• \`${command}\` alone opens a dialog that asks for the same things.`,
      '• `<role>`: a role ARN (`arn:aws:iam::123456789012:role/connect-admins`) or a role name in the bot’s own account.',
      '• `onboard`: permissions to onboard an Amazon Connect instance to Cases; `view`: to view Cases domain details.',
      '• `--managed`: AWS’s Option 2 (an AWS managed policy plus a small inline policy). Without it, Option 1: one inline policy with the minimum permissions.',
      '• `--instance`: narrow the instance-scoped Amazon Connect actions to one instance (its ID, or its instance ARN).',
      '• `--for`: how long the grant lasts, e.g. `30m`, `8h`, `7d`; the bot revokes it by itself at the end.',
      '• `revoke`: remove a grant early (approvers and the requester). `status`: your requests, or one request’s history. `audit`: every grant on a role (approvers). Long answers come in pages: `--page 2` shows the next.',
      `• The reason (up to ${MAX_REASON_LENGTH} characters) is shown to approvers. Flags go before it.`,
    ].join('\n'),
  );
}
