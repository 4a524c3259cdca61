import type { AccessQueries } from '../../access/queries';
import type { RevocationService } from '../../access/revocation';
import type { AccessService } from '../../access/service';
import type { Clock, Notifier } from '../../access/ports';
import type { Store } from '../../store/store';
import type { Logger } from '../../log';
import type { HomePublisher } from '../home-publisher';
import type { LinkOf } from '../reports';
import type { WorkQueue } from '../work-queue';
import type { Reply } from './answers';

export interface ListenerDeps {
  service: AccessService;
  revocations: RevocationService;
  queries: AccessQueries;
  notifier: Notifier;
  store: Store;
  clock: Clock;
  logger: Logger;
  /** Each person's Home tab, published when opened and kept current. */
  home: HomePublisher;
  /** The slash command the bot answers (SLACK_COMMAND), as users type it: `/cases-access` unless configured. */
  commandName: string;
}

/** What every listener shares: the services, the work queue, and how a refused click is told. */
export interface ListenerContext extends ListenerDeps {
  queue: WorkQueue;
  linkOf: LinkOf;
  /** Tells `user` a click was refused, unless they were refused too often lately (then nothing is sent). */
  refuseClick(user: string, respond: Reply, text: string): Promise<void>;
  /** True when the user's clicks are being ignored (see RefusalLimiter): the click was acked and is dropped. */
  mutedClick(user: string, action: string): boolean;
}
