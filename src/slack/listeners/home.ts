import type { App, BlockButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { HOME_ACTION, requestModal } from '../blocks';
import { parseHomeMetadata } from '../origin';
import type { ListenerContext } from './context';

/**
 * The Home tab: built for the person opening it, its pages, and its New request button. Its Approve, Deny, View
 * policy and Revoke buttons are the card's (./clicks), checked the same way, with the Home as their origin.
 */
export function registerHome(app: App, context: ListenerContext): void {
  const { home, logger } = context;
  app.event('app_home_opened', async ({ event }) => {
    if (event.tab !== 'home') return;
    await home.show(event.user).catch((error: unknown) => logger.error('Home failed', { error }));
  });

  const turnPage = async ({
    ack,
    body,
    action,
  }: SlackActionMiddlewareArgs<BlockButtonAction>): Promise<void> => {
    await ack();
    const shown = parseHomeMetadata(body.view?.private_metadata);
    // Only one's own Home turns pages: a page asked from anyone else's view shows nothing new.
    if (!shown || shown.owner !== body.user.id) return;
    const [list, page] = (action.value ?? '').split(':');
    const n = Number(page);
    if (!Number.isInteger(n) || n < 0) return;
    await home.show(body.user.id, list === 'g' ? { grants: n } : { waiting: n });
  };
  app.action<BlockButtonAction>(HOME_ACTION.previousPage, turnPage);
  app.action<BlockButtonAction>(HOME_ACTION.nextPage, turnPage);

  app.action<BlockButtonAction>(HOME_ACTION.newRequest, async ({ ack, body, client }) => {
    await ack();
    await client.views.open({ trigger_id: body.trigger_id, view: requestModal() });
  });
}
