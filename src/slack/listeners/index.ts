import type { App } from '@slack/bolt';
import { RefusalLimiter } from '../refusal-limiter';
import type { LinkOf } from '../reports';
import { WorkQueue } from '../work-queue';
import { privately, slackTime } from './answers';
import type { Reply } from './answers';
import { registerBreakGlass } from './break-glass';
import { registerClicks } from './clicks';
import { registerCommand } from './command';
import type { ListenerContext, ListenerDeps } from './context';
import { registerDialogs } from './dialogs';
import { registerHome } from './home';
import { registerFallbacks } from './fallbacks';

/** Bolt listeners: ack first (Slack's 3-second deadline), then hand the work to the access services. */

export type { ListenerDeps } from './context';

export function registerListeners(app: App, deps: ListenerDeps): void {
  const { notifier, logger } = deps;
  // Work after the ack runs a few at a time so acks never queue behind it, and no user holds every slot (WorkQueue).
  const queue = new WorkQueue();
  // Refusals to clicks, per user: past the limit that user's clicks are dropped before they reach the queue.
  const refusals = new RefusalLimiter();
  const linkOf: LinkOf = (request) => notifier.cardLink(request);

  /** Tells `user` a click was refused, unless they were refused too often lately (then nothing is sent). */
  const refuseClick = async (user: string, respond: Reply, text: string) => {
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

  const context: ListenerContext = { ...deps, queue, linkOf, refuseClick, mutedClick };
  registerCommand(app, context);
  registerDialogs(app, context);
  registerBreakGlass(app, context);
  registerClicks(app, context);
  registerHome(app, context);
  // Last, for readability: they match only what the listeners above do not.
  registerFallbacks(app, context);
}
