import { webApi } from '@slack/bolt';
import type { Logger } from '../log';
import type { Notifier, StepNotice } from '../access/ports';
import type { AccessRequest, SlackMessageRef } from '../access/types';
import { ruleFor } from '../access/rules';
import type { AccessRule } from '../access/rules';
import { approvalCard, cardText, stepText } from './blocks';
import { SLACK_LIMITS } from './limits';
import { code, fitMrkdwn } from './mrkdwn';

/** The workflow's Notifier over Slack's Web API: the card, its thread, and direct messages to the requester. */
export class SlackNotifier implements Notifier {
  private readonly permalinks = new Map<string, string>();

  /**
   * `client` (the app's, with its patient retries) posts cards and asks for permalinks, where a person waits for the
   * answer; `delivery` sends the outbox's messages, which the outbox itself retries and paces. `rules` decide where
   * each request's card goes and whom it mentions (the rule that matches it now; the first rule if none does).
   */
  constructor(
    private readonly client: webApi.WebClient,
    private readonly rules: readonly AccessRule[],
    private readonly delivery: webApi.WebClient = client,
  ) {}

  private ruleOf(request: AccessRequest): AccessRule {
    return (
      this.rules.find((r) => r.name === request.ruleName) ??
      ruleFor(this.rules, { roleArn: request.role.arn, task: request.task, option: request.option }) ??
      this.rules[0]!
    );
  }

  /** The rule's `notify` list as mentions (users, and usergroups as `<!subteam^…>`); break-glass calls every approver. */
  private mentions(request: AccessRequest): string {
    const rule = this.ruleOf(request);
    return (request.breakGlass ? rule.approvers : rule.notify)
      .map((id) => (id.startsWith('S') ? `<!subteam^${id}>` : `<@${id}>`))
      .join(' ');
  }

  async postApprovalCard(request: AccessRequest): Promise<SlackMessageRef> {
    const out = await this.client.chat.postMessage({
      channel: this.ruleOf(request).channelId,
      text: cardText(request),
      blocks: approvalCard(request, this.ruleOf(request), this.mentions(request)),
      unfurl_links: false,
      unfurl_media: false,
    });
    if (!out.ts || !out.channel) throw new Error('chat.postMessage returned no ts');
    return { channelId: out.channel, messageTs: out.ts };
  }

  async updateCard(request: AccessRequest): Promise<void> {
    if (!request.card) return;
    await this.delivery.chat.update({
      channel: request.card.channelId,
      ts: request.card.messageTs,
      text: cardText(request),
      blocks: approvalCard(request, this.ruleOf(request), this.mentions(request)),
    });
  }

  async postStep(request: AccessRequest, step: StepNotice): Promise<string | undefined> {
    // No card means nothing to thread under: a request whose card never posted (it failed as a SlackError).
    if (!request.card) return undefined;
    const out = await this.delivery.chat.postMessage({
      channel: request.card.channelId,
      thread_ts: request.card.messageTs,
      text: fitMrkdwn(stepText(request, step, this.mentions(request)), SLACK_LIMITS.messageText),
      unfurl_links: false,
      unfurl_media: false,
    });
    return out.ts;
  }

  async tellRequester(request: AccessRequest, step: StepNotice): Promise<string | undefined> {
    const link = await this.cardLink(request).catch(() => undefined);
    const suffix = link ? `\n<${link}|Open the request>` : '';
    const out = await this.delivery.chat.postMessage({
      channel: request.requesterId,
      text: fitMrkdwn(
        `Your request ${request.id} (${request.task} for ${code(request.role.arn)}):\n${stepText(request, step)}${suffix}`,
        SLACK_LIMITS.messageText,
      ),
      unfurl_links: false,
    });
    return out.ts;
  }

  /** Permalinks never change: asked once per card (bounded, oldest forgotten first). */
  async cardLink(request: AccessRequest): Promise<string | undefined> {
    if (!request.card) return undefined;
    const key = `${request.card.channelId}/${request.card.messageTs}`;
    const known = this.permalinks.get(key);
    if (known) return known;
    const out = await this.client.chat.getPermalink({
      channel: request.card.channelId,
      message_ts: request.card.messageTs,
    });
    if (out.permalink) {
      this.permalinks.set(key, out.permalink);
      if (this.permalinks.size > 1000) this.permalinks.delete(this.permalinks.keys().next().value as string);
    }
    return out.permalink;
  }
}

/**
 * The Web API client the outbox sends through: an explicit timeout and a small retry budget, and 429s handed back at
 * once (with Retry-After) so the outbox, not the client, decides when to try again. Without this, Bolt's client
 * waits and retries for about half an hour, holding a message (and those after it) in memory.
 */
export function slackDeliveryClient(
  token: string,
  slackApiUrl: string | undefined,
  logger: Logger,
): webApi.WebClient {
  return new webApi.WebClient(token, {
    ...(slackApiUrl ? { slackApiUrl } : {}),
    timeout: 5_000,
    retryConfig: { retries: 1, minTimeout: 500, maxTimeout: 500 },
    rejectRateLimitedCalls: true,
    logger: {
      debug: () => undefined,
      info: () => undefined,
      warn: (...m: unknown[]) => logger.warn(m.map(String).join(' '), { source: 'slack-web-api' }),
      error: (...m: unknown[]) => logger.error(m.map(String).join(' '), { source: 'slack-web-api' }),
      setLevel: () => undefined,
      getLevel: () => webApi.LogLevel.WARN,
      setName: () => undefined,
    },
  });
}
