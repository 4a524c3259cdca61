import type { SlackMessageRef } from '../access/types';

/**
 * Where a click came from, so a decision is honoured only on the request's own card: the message a button sat on,
 * and for the bot's own dialogs, the card they were opened from (carried in `private_metadata`, which only the bot
 * sets and Slack returns unchanged on submission).
 */

interface ActionBody {
  channel?: { id?: string };
  message?: { ts?: string };
  container?: { channel_id?: string; message_ts?: string };
}

/** The message a button was clicked on. A click on no message (e.g. a dialog) yields an origin matching no card. */
export function originOfAction(body: ActionBody): SlackMessageRef {
  return {
    channelId: body.container?.channel_id ?? body.channel?.id ?? '',
    messageTs: body.container?.message_ts ?? body.message?.ts ?? '',
  };
}

export interface DialogMetadata {
  requestId: string;
  origin: SlackMessageRef;
}

export function dialogMetadata(requestId: string, origin: SlackMessageRef): string {
  return JSON.stringify({ r: requestId, c: origin.channelId, t: origin.messageTs });
}

/** The request and card a dialog was opened for; a dialog that carries no card names no origin that matches. */
export function parseDialogMetadata(text: string): DialogMetadata {
  try {
    const v = JSON.parse(text) as { r?: unknown; c?: unknown; t?: unknown };
    if (typeof v.r === 'string' && typeof v.c === 'string' && typeof v.t === 'string')
      return { requestId: v.r, origin: { channelId: v.c, messageTs: v.t } };
  } catch {
    // not ours: fall through
  }
  return { requestId: text, origin: { channelId: '', messageTs: '' } };
}
