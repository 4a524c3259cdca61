import { randomUUID } from 'node:crypto';
import {
  blockActionBody,
  postSigned,
  slashCommandBody,
  viewSubmissionBody,
} from '../test/support/slack-requests';
import type { ViewStateValues } from '../test/support/slack-requests';
import type { Ledger } from './ledger';
import type { DemoWorld } from './world';

/**
 * What Slack's servers do when a person acts: each command, click and dialog submission goes to the bot as a
 * signed request, built by the same helpers the tests use.
 */

export interface ButtonClick {
  channel: string;
  ts: string;
  actionId: string;
  blockId: string;
  value: string;
}

export class AsSlack {
  private counter = 0;

  constructor(
    private readonly world: DemoWorld,
    private readonly ledger: Ledger,
  ) {}

  private responseUrl(user: string): string {
    const id = `${user}-${++this.counter}`;
    this.ledger.responseUrls.set(id, user);
    return this.world.slack.responseUrl(id);
  }

  private trigger(user: string): string {
    const id = `${Date.now()}.${++this.counter}.${randomUUID().replace(/-/g, '')}`;
    this.ledger.triggers.set(id, user);
    return id;
  }

  /** `/cases-access <text>` as typed; an answer in the acknowledgement is shown to the user alone, as Slack does. */
  async command(user: string, text: string): Promise<number> {
    this.ledger.typed.push({ user, at: Date.now(), text: `/cases-access ${text}`.trimEnd() });
    const res = await postSigned(
      this.world.eventsUrl,
      slashCommandBody({
        text,
        userId: user,
        channelId: 'CDEMOGENERAL',
        responseUrl: this.responseUrl(user),
        triggerId: this.trigger(user),
      }),
      this.world.signingSecret,
    );
    const ack = res.json as { text?: unknown; blocks?: unknown } | undefined;
    if (typeof ack?.text === 'string') {
      const reply = { user, at: Date.now(), text: ack.text };
      this.ledger.ackReplies.push(Array.isArray(ack.blocks) ? { ...reply, blocks: ack.blocks } : reply);
    }
    return res.status;
  }

  async click(user: string, click: ButtonClick): Promise<number> {
    const res = await postSigned(
      this.world.eventsUrl,
      blockActionBody({
        userId: user,
        actionId: click.actionId,
        blockId: click.blockId,
        value: click.value,
        channelId: click.channel,
        messageTs: click.ts,
        responseUrl: this.responseUrl(user),
        triggerId: this.trigger(user),
      }),
      this.world.signingSecret,
    );
    return res.status;
  }

  /** Submits an open dialog; resolves with the errors the bot put on its fields (none: the dialog closed). */
  async submit(
    user: string,
    key: number,
    view: Record<string, unknown>,
    values: ViewStateValues,
  ): Promise<Record<string, string>> {
    const res = await postSigned(
      this.world.eventsUrl,
      viewSubmissionBody({
        userId: user,
        callbackId: typeof view.callback_id === 'string' ? view.callback_id : '',
        privateMetadata: typeof view.private_metadata === 'string' ? view.private_metadata : '',
        values,
      }),
      this.world.signingSecret,
    );
    const ack = res.json as { response_action?: unknown; errors?: unknown } | undefined;
    if (res.status === 200 && ack?.response_action === 'errors' && typeof ack.errors === 'object')
      return ack.errors as Record<string, string>;
    if (res.status !== 200) return { '': `The bot answered HTTP ${res.status}` };
    this.ledger.closedViews.add(key);
    return {};
  }

  close(key: number): void {
    this.ledger.closedViews.add(key);
  }
}
