import type { ClickOrigin } from '../access/types';

/**
 * Where a click came from, so a decision is honoured only where the bot offered it: on the request's own card (the
 * message a button sat on), or on the clicker's own Home tab, in a block the bot bound to that request; and for the
 * bot's own dialogs, the card or Home they were opened from (carried in `private_metadata`, which only the bot sets
 * and Slack returns unchanged on submission).
 */

interface ActionBody {
  channel?: { id?: string };
  message?: { ts?: string };
  container?: { type?: string; channel_id?: string; message_ts?: string };
  view?: { type?: string; private_metadata?: string };
}

/** The prefix of every block ID on a Home tab that binds a request: `home.<section>.<request ID>`. */
const HOME_BLOCK = 'home';

/** The block ID binding a Home row to its request (unique per section of one view). */
export function homeBlockId(section: string, requestId: string): string {
  return `${HOME_BLOCK}.${section}.${requestId}`;
}

/** Whose Home a view was published as, and which pages it shows. Set by the bot only. */
export interface HomeMetadata {
  owner: string;
  waitingPage: number;
  grantsPage: number;
}

export function homeMetadata(m: HomeMetadata): string {
  return JSON.stringify({ u: m.owner, w: m.waitingPage, g: m.grantsPage });
}

export function parseHomeMetadata(text: string | undefined): HomeMetadata | undefined {
  try {
    const v = JSON.parse(text ?? '') as { u?: unknown; w?: unknown; g?: unknown };
    if (typeof v.u !== 'string') return undefined;
    const page = (n: unknown) => (typeof n === 'number' && Number.isInteger(n) && n >= 0 ? n : 0);
    return { owner: v.u, waitingPage: page(v.w), grantsPage: page(v.g) };
  } catch {
    return undefined;
  }
}

const NOWHERE: ClickOrigin = { channelId: '', messageTs: '' };

/**
 * The message (or Home row) a button was clicked on. A click on no message and no Home of ours (e.g. a dialog)
 * yields an origin matching no card.
 */
export function originOfAction(body: ActionBody, action?: { block_id?: string }): ClickOrigin {
  if (body.container?.type === 'view') {
    const home = body.view?.type === 'home' ? parseHomeMetadata(body.view.private_metadata) : undefined;
    const parts = (action?.block_id ?? '').split('.');
    if (!home || parts.length !== 3 || parts[0] !== HOME_BLOCK) return NOWHERE;
    return { home: { owner: home.owner, requestId: parts[2]! } };
  }
  return {
    channelId: body.container?.channel_id ?? body.channel?.id ?? '',
    messageTs: body.container?.message_ts ?? body.message?.ts ?? '',
  };
}

export interface DialogMetadata {
  requestId: string;
  origin: ClickOrigin;
}

export function dialogMetadata(requestId: string, origin: ClickOrigin): string {
  if ('home' in origin) return JSON.stringify({ r: requestId, h: origin.home.owner });
  return JSON.stringify({ r: requestId, c: origin.channelId, t: origin.messageTs });
}

/** The request and card (or Home) a dialog was opened for; a dialog that carries neither names no origin that matches. */
export function parseDialogMetadata(text: string): DialogMetadata {
  try {
    const v = JSON.parse(text) as { r?: unknown; c?: unknown; t?: unknown; h?: unknown };
    if (typeof v.r === 'string' && typeof v.h === 'string')
      return { requestId: v.r, origin: { home: { owner: v.h, requestId: v.r } } };
    if (typeof v.r === 'string' && typeof v.c === 'string' && typeof v.t === 'string')
      return { requestId: v.r, origin: { channelId: v.c, messageTs: v.t } };
  } catch {
    // not ours: fall through
  }
  return { requestId: text, origin: NOWHERE };
}
