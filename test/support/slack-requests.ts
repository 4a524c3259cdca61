/**
 * Builders for the signed requests Slack sends to an HTTP-mode Bolt app (slash commands, block actions,
 * view submissions), so tests go through Bolt's real signature check and body parsing.
 */
import { createHmac, randomUUID } from 'node:crypto';

export interface SlackSignedHeaders {
  'x-slack-signature': string;
  'x-slack-request-timestamp': string;
  'content-type': 'application/x-www-form-urlencoded';
}

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/** Headers Slack attaches to each request: `v0=` HMAC-SHA256 of `v0:<ts>:<body>` with the signing secret. */
export function signSlackRequest(
  body: string,
  secret: string,
  timestamp: number = nowSeconds(),
): SlackSignedHeaders {
  const signature = createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex');
  return {
    'x-slack-signature': `v0=${signature}`,
    'x-slack-request-timestamp': String(timestamp),
    // Exactly this value: Bolt's HTTPReceiver compares the header verbatim (a charset breaks parsing).
    'content-type': 'application/x-www-form-urlencoded',
  };
}

// Slack trigger ids look like "<digits>.<digits>.<hex>"; tests only need them unique.
const fakeTriggerId = (): string =>
  `${Date.now()}.${Math.floor(Math.random() * 1e9)}.${randomUUID().replace(/-/g, '')}`;
const fakeActionTs = (): string => (Date.now() / 1000).toFixed(6);

/** An Enterprise Grid organization; outside Grid (the default) Slack sends `enterprise: null` and no enterprise ids. */
export interface GridOrg {
  id: string;
  name: string;
}

/**
 * The workspace and organization fields of an interactivity payload (block_actions, view_submission): `team` (with
 * the org's id and name inside Grid), `enterprise` (null outside Grid) and `is_enterprise_install`.
 * https://docs.slack.dev/reference/interaction-payloads/block_actions-payload
 */
function workspaceOf(teamId: string, grid: GridOrg | undefined): Record<string, unknown> {
  if (grid === undefined)
    return { team: { id: teamId, domain: 'fake' }, enterprise: null, is_enterprise_install: false };
  return {
    team: { id: teamId, domain: 'fake', enterprise_id: grid.id, enterprise_name: grid.name },
    enterprise: { id: grid.id, name: grid.name },
    is_enterprise_install: false,
  };
}

export interface SlashCommandInput {
  command?: string;
  /** What the user typed: sent escaped as Slack does, unless `rawText`. */
  text: string;
  /** Send `text` exactly as given (to show what a payload Slack never sends would do). */
  rawText?: boolean;
  userId: string;
  userName?: string;
  channelId?: string;
  channelName?: string;
  responseUrl: string;
  triggerId?: string;
  teamId?: string;
  apiAppId?: string;
  /** Inside Enterprise Grid: adds `enterprise_id` and `enterprise_name`, which Slack omits elsewhere. */
  grid?: GridOrg;
}

/** Slack escapes &, < and > in a slash command's text (dialog values are sent as typed). */
export function slackEscaped(typed: string): string {
  return typed.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Form body of a slash command, with the fields Slack sends.
 * https://docs.slack.dev/interactivity/implementing-slash-commands
 */
export function slashCommandBody(input: SlashCommandInput): string {
  const grid: Record<string, string> = input.grid
    ? { enterprise_id: input.grid.id, enterprise_name: input.grid.name }
    : {};
  return new URLSearchParams({
    token: 'fake-verification-token',
    team_id: input.teamId ?? 'T1',
    team_domain: 'fake',
    ...grid,
    channel_id: input.channelId ?? 'C1',
    channel_name: input.channelName ?? 'general',
    user_id: input.userId,
    user_name: input.userName ?? input.userId.toLowerCase(),
    command: input.command ?? '/cases-access',
    // What the user typed, escaped as Slack sends command text (&, <, > as entities); `rawText` sends it as is.
    text: input.rawText ? input.text : slackEscaped(input.text),
    api_app_id: input.apiAppId ?? 'A1',
    is_enterprise_install: 'false',
    response_url: input.responseUrl,
    trigger_id: input.triggerId ?? fakeTriggerId(),
  }).toString();
}

/** Form body carrying a JSON `payload`, as Slack posts interactivity requests. */
export function payloadBody(payload: unknown): string {
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

export interface BlockActionInput {
  userId: string;
  userName?: string;
  actionId: string;
  blockId?: string;
  value: string;
  channelId: string;
  messageTs: string;
  triggerId?: string;
  responseUrl?: string;
  teamId?: string;
  apiAppId?: string;
  /** Merged over a default bot message at `messageTs` (e.g. its `blocks`). */
  message?: Record<string, unknown>;
  /** The thread the clicked message is a reply in: Slack sends it in `container` and on the message. */
  threadTs?: string;
  /** A click on an ephemeral message: `container.is_ephemeral` is true and Slack sends no `message`. */
  ephemeral?: boolean;
  grid?: GridOrg;
  /**
   * A click on the user's Home tab instead of a message: Slack sends `container.type: 'view'` and the view as the
   * bot published it (its `private_metadata`), with no channel, message or response_url.
   */
  home?: { privateMetadata: string; viewId?: string };
}

/**
 * A `block_actions` payload for a button click on a channel message (or a Home tab, see `home`), shaped as Slack sends it.
 * https://docs.slack.dev/reference/interaction-payloads/block_actions-payload
 */
export function blockActionPayload(input: BlockActionInput): Record<string, unknown> {
  const teamId = input.teamId ?? 'T1';
  const thread = input.threadTs === undefined ? {} : { thread_ts: input.threadTs };
  const payload: Record<string, unknown> = {
    type: 'block_actions',
    user: {
      id: input.userId,
      username: input.userName ?? input.userId.toLowerCase(),
      name: input.userName ?? input.userId.toLowerCase(),
      team_id: teamId,
    },
    api_app_id: input.apiAppId ?? 'A1',
    token: 'fake-verification-token',
    container: {
      type: 'message',
      message_ts: input.messageTs,
      channel_id: input.channelId,
      is_ephemeral: input.ephemeral === true,
      ...thread,
    },
    trigger_id: input.triggerId ?? fakeTriggerId(),
    ...workspaceOf(teamId, input.grid),
    channel: { id: input.channelId, name: 'general' },
    state: { values: {} },
    actions: [
      {
        type: 'button',
        action_id: input.actionId,
        block_id: input.blockId ?? 'actions',
        text: { type: 'plain_text', text: input.actionId, emoji: true },
        value: input.value,
        action_ts: fakeActionTs(),
      },
    ],
  };
  if (input.home) {
    const viewId = input.home.viewId ?? 'VHOME0001';
    payload.container = { type: 'view', view_id: viewId };
    payload.view = {
      id: viewId,
      team_id: teamId,
      type: 'home',
      blocks: [],
      private_metadata: input.home.privateMetadata,
      callback_id: '',
      state: { values: {} },
      hash: `${Math.floor(Date.now() / 1000)}.fakehash`,
      app_id: input.apiAppId ?? 'A1',
      bot_id: 'BBOT',
    };
    delete payload.channel;
    return payload;
  }
  if (input.ephemeral !== true)
    payload.message = {
      type: 'message',
      subtype: 'bot_message',
      text: '',
      user: 'UBOT',
      bot_id: 'BBOT',
      team: teamId,
      ts: input.messageTs,
      ...thread,
      blocks: [],
      ...input.message,
    };
  if (input.responseUrl !== undefined) payload.response_url = input.responseUrl;
  return payload;
}

export function blockActionBody(input: BlockActionInput): string {
  return payloadBody(blockActionPayload(input));
}

/** `view.state.values`: block_id → action_id → element state (`{ type, value }`, `{ type, selected_option }`…). */
export type ViewStateValues = Record<string, Record<string, Record<string, unknown>>>;

export interface ViewSubmissionInput {
  userId: string;
  userName?: string;
  callbackId: string;
  privateMetadata: string;
  values: ViewStateValues;
  viewId?: string;
  teamId?: string;
  apiAppId?: string;
  triggerId?: string;
  /** Set when the modal has `response_url_enabled` inputs; Bolt's respond() then uses the first one. */
  responseUrls?: Array<{ block_id: string; action_id: string; channel_id: string; response_url: string }>;
  grid?: GridOrg;
}

/**
 * A `view_submission` payload for a modal, shaped as Slack sends it (the view with its team, app, bot and hash).
 * https://docs.slack.dev/reference/interaction-payloads/view-interactions-payload
 */
export function viewSubmissionPayload(input: ViewSubmissionInput): Record<string, unknown> {
  const teamId = input.teamId ?? 'T1';
  const appId = input.apiAppId ?? 'A1';
  const viewId = input.viewId ?? 'V00000001';
  return {
    type: 'view_submission',
    ...workspaceOf(teamId, input.grid),
    user: {
      id: input.userId,
      username: input.userName ?? input.userId.toLowerCase(),
      name: input.userName ?? input.userId.toLowerCase(),
      team_id: teamId,
    },
    api_app_id: appId,
    token: 'fake-verification-token',
    trigger_id: input.triggerId ?? fakeTriggerId(),
    view: {
      id: viewId,
      team_id: teamId,
      type: 'modal',
      blocks: [],
      private_metadata: input.privateMetadata,
      callback_id: input.callbackId,
      state: { values: input.values },
      hash: `${Math.floor(Date.now() / 1000)}.fakehash`,
      title: { type: 'plain_text', text: 'Modal', emoji: true },
      clear_on_close: false,
      notify_on_close: false,
      close: { type: 'plain_text', text: 'Cancel', emoji: true },
      submit: { type: 'plain_text', text: 'Submit', emoji: true },
      previous_view_id: null,
      root_view_id: viewId,
      app_id: appId,
      external_id: '',
      app_installed_team_id: teamId,
      bot_id: 'BBOT',
    },
    response_urls: input.responseUrls ?? [],
  };
}

export function viewSubmissionBody(input: ViewSubmissionInput): string {
  return payloadBody(viewSubmissionPayload(input));
}

/**
 * An `app_home_opened` event as Slack posts it to the Events API (JSON, in an `event_callback` envelope).
 * https://docs.slack.dev/reference/events/app_home_opened
 */
export function appHomeOpenedBody(userId: string, opts: { teamId?: string; apiAppId?: string } = {}): string {
  const teamId = opts.teamId ?? 'T1';
  return JSON.stringify({
    token: 'fake-verification-token',
    team_id: teamId,
    api_app_id: opts.apiAppId ?? 'A1',
    event: {
      type: 'app_home_opened',
      user: userId,
      channel: `D${userId.slice(1)}`,
      tab: 'home',
      event_ts: fakeActionTs(),
    },
    type: 'event_callback',
    event_id: `Ev${randomUUID().replace(/-/g, '').slice(0, 10).toUpperCase()}`,
    event_time: Math.floor(Date.now() / 1000),
    authorizations: [{ team_id: teamId, user_id: 'UBOT', is_bot: true, is_enterprise_install: false }],
    is_ext_shared_channel: false,
  });
}

/** Headers for a JSON body (Events API) signed like every Slack request. */
export const JSON_BODY = { 'content-type': 'application/json' };

export interface PostResult {
  status: number;
  text: string;
  /** The parsed body when it is JSON. */
  json?: unknown;
}

/** POSTs `body` with Slack's signature headers (overridable through `opts.headers`). */
export async function postSigned(
  url: string,
  body: string,
  secret: string,
  opts: { timestamp?: number; headers?: Record<string, string> } = {},
): Promise<PostResult> {
  const headers = { ...signSlackRequest(body, secret, opts.timestamp), ...opts.headers };
  const res = await fetch(url, { method: 'POST', headers, body });
  const text = await res.text();
  const result: PostResult = { status: res.status, text };
  if (text !== '') {
    try {
      result.json = JSON.parse(text) as unknown;
    } catch {
      // Not JSON: callers use `text`.
    }
  }
  return result;
}

/** Polls `fn` until it returns something other than `undefined` (or `false`/`null`), or times out. */
export async function waitFor<T>(
  fn: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 5000,
  intervalMs = 20,
): Promise<T> {
  const started = Date.now();
  let lastError: unknown;
  for (;;) {
    try {
      const value = await fn();
      if (value !== undefined && value !== null && value !== false) return value;
      lastError = undefined;
    } catch (e) {
      // Assertions inside fn may fail until the condition holds; report the last one on timeout.
      lastError = e;
    }
    if (Date.now() - started >= timeoutMs) {
      const reason = lastError instanceof Error ? `: ${lastError.message}` : '';
      throw new Error(`waitFor: condition not met within ${timeoutMs} ms${reason}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * What Slack shows for a mrkdwn text (the parts that matter to these tests): `<@U…>` as `@U…`, `<url|label>` as
 * its label, `<!date^…|fallback>` as the fallback, and the escapes `&lt;` `&gt;` `&amp;` as the characters.
 */
export function shownBySlack(mrkdwn: string): string {
  return mrkdwn
    .replace(/<@([UW][A-Z0-9]+)>/g, '@$1')
    .replace(/<!date\^[^|>]*\|([^>]*)>/g, '$1')
    .replace(/<[^|>]+\|([^>]*)>/g, '$1')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}
