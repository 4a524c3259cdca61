import type { App, BlockAction } from '@slack/bolt';
import { ACTION, HOME_ACTION } from '../blocks';
import { code } from '../mrkdwn';
import { privately } from './answers';
import type { ListenerContext } from './context';

/**
 * What reaches the bot with no listener of its own. Bolt would leave it unacknowledged (a 404 after 3 s in HTTP
 * mode) and Slack would show the user an error. Bolt runs every listener that matches, not the first: these match
 * only what the others do not, so nothing is acknowledged twice.
 */

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** Matches any string but these. */
const anyBut = (names: readonly string[]) => new RegExp(`^(?!(?:${names.map(escapeRegExp).join('|')})$)`);

export function registerFallbacks(app: App, context: ListenerContext): void {
  const { logger, commandName } = context;

  // Another command of this app: the manifest's `command:` and SLACK_COMMAND disagree (one of them was renamed).
  app.command(anyBut([commandName]), async ({ ack, command, respond }) => {
    await ack();
    logger.warn('a slash command the bot does not answer reached it: SLACK_COMMAND must match the manifest', {
      command: command.command,
      answers: commandName,
      user: command.user_id,
    });
    await privately(
      respond,
      `:warning: This bot answers ${code(commandName)}, not ${code(command.command)}; nothing was done. Whoever runs it should make SLACK_COMMAND match the command in the app’s manifest.`,
    ).catch((error: unknown) => logger.warn('could not answer an unknown command', { error }));
  });

  // A button from an older version of the card, or another app's: acknowledged so Slack shows no error, and only
  // its action_id is logged (the payload may carry anything).
  app.action<BlockAction>(
    { type: 'block_actions', action_id: anyBut([...Object.values(ACTION), ...Object.values(HOME_ACTION)]) },
    async ({ ack, action, body }) => {
      await ack();
      logger.warn('a click on a button the bot does not know was acknowledged and ignored', {
        actionId: action.action_id,
        user: body.user.id,
      });
    },
  );
}
