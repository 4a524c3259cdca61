import type { FakeSlack } from '../test/support/fake-slack';
import type { Ledger } from './ledger';
import { DEMO_CHANNEL } from './world';

/** What each person would see in Slack, derived from the calls the bot made to the fake Slack Web API. */

export interface ShownMessage {
  ts: string;
  at: number;
  text: string;
  blocks?: unknown[];
  edited: boolean;
}

export interface ChannelMessage extends ShownMessage {
  replies: ShownMessage[];
}

export interface PrivateItem {
  kind: 'you typed' | 'only visible to you' | 'direct message';
  at: number;
  text: string;
  blocks?: unknown[];
}

export interface OpenDialog {
  key: number;
  user: string;
  view: Record<string, unknown>;
}

export interface SlackView {
  channel: ChannelMessage[];
  /** user → private replies and DMs, oldest first */
  privately: Record<string, PrivateItem[]>;
  dialogs: OpenDialog[];
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const blocksOf = (v: unknown): unknown[] | undefined => (Array.isArray(v) ? v : undefined);

export function slackView(slack: FakeSlack, ledger: Ledger): SlackView {
  const byTs = new Map<string, ChannelMessage>();
  const channel: ChannelMessage[] = [];
  const privately: Record<string, PrivateItem[]> = {};
  const tell = (user: string, item: PrivateItem) => (privately[user] ??= []).push(item);

  // posted() holds every message with the channel Slack resolved (a user ID becomes a DM), in order.
  for (const t of ledger.typed) tell(t.user, { kind: 'you typed', ...t });
  const atOf = new Map(
    slack
      .callsOf('chat.postMessage')
      .filter((c) => !c.error)
      .map((c, i) => [i, c.at]),
  );
  slack.posted().forEach((m, i) => {
    const at = atOf.get(i) ?? Date.now();
    const shown = { ts: m.ts, at, text: str(m.args.text), blocks: blocksOf(m.args.blocks), edited: false };
    const target = str(m.args.channel);
    if (/^[UW]/.test(target)) return tell(target, { kind: 'direct message', ...shown });
    if (m.channel !== DEMO_CHANNEL.id) return;
    const parent = m.args.thread_ts === undefined ? undefined : byTs.get(str(m.args.thread_ts));
    if (parent) return void parent.replies.push(shown);
    const message = { ...shown, replies: [] };
    byTs.set(m.ts, message);
    channel.push(message);
  });
  for (const c of slack.callsOf('chat.update')) {
    const message = c.error ? undefined : byTs.get(str(c.args.ts));
    if (!message) continue;
    message.text = str(c.args.text);
    message.blocks = blocksOf(c.args.blocks);
    message.edited = true;
  }
  for (const c of slack.callsOf('response_url')) {
    const user = ledger.responseUrls.get(c.responseUrlId ?? '');
    if (user && !c.error)
      tell(user, {
        kind: 'only visible to you',
        at: c.at,
        text: str(c.args.text),
        blocks: blocksOf(c.args.blocks),
      });
  }
  for (const c of slack.callsOf('chat.postEphemeral'))
    tell(str(c.args.user), {
      kind: 'only visible to you',
      at: c.at,
      text: str(c.args.text),
      blocks: blocksOf(c.args.blocks),
    });
  for (const r of ledger.ackReplies) tell(r.user, { kind: 'only visible to you', ...r });
  // Stable: what someone typed stays above an answer given in the same millisecond.
  for (const items of Object.values(privately)) items.sort((a, b) => a.at - b.at);

  const dialogs: OpenDialog[] = [];
  slack.callsOf('views.open').forEach((c, key) => {
    const user = ledger.triggers.get(str(c.args.trigger_id));
    const view = c.args.view;
    if (user && !c.error && !ledger.closedViews.has(key) && typeof view === 'object' && view !== null)
      dialogs.push({ key, user, view: view as Record<string, unknown> });
  });
  return { channel, privately, dialogs };
}
