import type { Harness } from './harness';
import { SIGNING_SECRET } from './harness';
import { JSON_BODY, appHomeOpenedBody, blockActionBody, postSigned, waitFor } from './slack-requests';

/** Opening and clicking a Home tab as Slack does, and reading what the bot published there. */

export interface PublishedHome {
  user: string;
  view: { type: string; private_metadata?: string; blocks: Block[] };
}

export interface Block {
  type: string;
  block_id?: string;
  text?: { text: string };
  elements?: Array<{ action_id?: string; value?: string; text?: { text: string } }>;
  accessory?: { action_id?: string; value?: string };
}

/** Every Home the bot published for `user`, oldest first. */
export function homesOf(h: Harness, user: string): PublishedHome[] {
  return h.slack
    .callsOf('views.publish')
    .filter((c) => c.args.user_id === user && !c.error)
    .map((c) => ({ user, view: c.args.view as PublishedHome['view'] }));
}

/** The Home last published for `user`. */
export function lastHome(h: Harness, user: string): PublishedHome | undefined {
  return homesOf(h, user).at(-1);
}

/** Sends `app_home_opened` for `user`; resolves with the Home the bot published in answer. */
export async function openHome(h: Harness, user: string): Promise<PublishedHome> {
  const before = homesOf(h, user).length;
  const res = await postSigned(h.url, appHomeOpenedBody(user), SIGNING_SECRET, { headers: JSON_BODY });
  if (res.status !== 200) throw new Error(`app_home_opened answered ${res.status}`);
  return waitFor(() => homesOf(h, user)[before]);
}

/** All the text a Home shows, in one string. */
export function homeText(home: PublishedHome): string {
  return home.view.blocks.map((b) => b.text?.text ?? '').join('\n');
}

/** The buttons of a Home as `action value` pairs with the block that holds them. */
export function homeButtons(home: PublishedHome): Array<{ action: string; value: string; blockId: string }> {
  const out: Array<{ action: string; value: string; blockId: string }> = [];
  for (const b of home.view.blocks) {
    for (const e of [...(b.elements ?? []), ...(b.accessory ? [b.accessory] : [])])
      if (e.action_id) out.push({ action: e.action_id, value: e.value ?? '', blockId: b.block_id ?? '' });
  }
  return out;
}

/**
 * Clicks a button on a published Home as `user` (by default the Home's owner), as Slack sends it; `value` and
 * `blockId` override what the button carries (to forge a click).
 */
export async function clickHome(
  h: Harness,
  home: PublishedHome,
  action: string,
  value: string,
  opts: { user?: string; blockId?: string } = {},
): Promise<number> {
  const button = homeButtons(home).find((b) => b.action === action && b.value === value);
  const blockId = opts.blockId ?? button?.blockId;
  if (blockId === undefined) throw new Error(`no ${action} for ${value} on ${home.user}'s Home`);
  const res = await postSigned(
    h.url,
    blockActionBody({
      userId: opts.user ?? home.user,
      actionId: action,
      blockId,
      value,
      channelId: '',
      messageTs: '',
      home: { privateMetadata: home.view.private_metadata ?? '' },
    }),
    SIGNING_SECRET,
  );
  return res.status;
}
