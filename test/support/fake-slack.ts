/**
 * In-process fake of the Slack Web API, response_url endpoints and Socket Mode, on 127.0.0.1.
 *
 * The real Bolt App talks to it through `clientOptions: { slackApiUrl: fake.apiUrl }` (the Socket Mode
 * client inherits the App's clientOptions), so tests exercise Bolt's own request signing, parsing, ack
 * and retry code instead of mocking it away.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer } from 'ws';
import type { RawData, WebSocket } from 'ws';
import { checkMethod, checkResponseUrl } from './slack-surfaces';
import type { Rejection } from './slack-surfaces';
import { bearer, parseArgs, readBody, str } from './slack-wire';

export interface SlackCall {
  /** Web API method name (`chat.postMessage`), or `response_url` for a POST to `fake.responseUrl(id)`. */
  method: string;
  /** Decoded arguments. Form bodies keep scalars as strings (as on the wire); JSON-encoded fields such
   *  as `blocks` or `view` are parsed back to objects. JSON bodies keep their types. */
  args: Record<string, unknown>;
  /** Token from `Authorization: Bearer` or from a `token` argument. */
  token?: string;
  /** `Date.now()` when the request arrived. */
  at: number;
  /** The id given to `responseUrl(id)`, for `response_url` calls. */
  responseUrlId?: string;
  /** Set when the fake answered with an error (queued, 429 → `ratelimited`, or a built-in check). */
  error?: string;
  /** With a refusal for breaking one of Slack's limits: Slack's `[ERROR] … [json-pointer:…]` messages. */
  messages?: string[];
}

export interface PostedMessage {
  channel: string;
  ts: string;
  args: Record<string, unknown>;
}

export interface SocketAck {
  envelope_id: string;
  payload?: unknown;
}

export interface FakeSlack {
  /** `http://127.0.0.1:PORT/api/` — pass as `clientOptions.slackApiUrl`. */
  readonly apiUrl: string;
  /** Every request received, in arrival order (including rejected ones, see `SlackCall.error`). */
  readonly calls: SlackCall[];
  callsOf(method: string): SlackCall[];
  /** Resolves with the first recorded call (already recorded or future) matching; rejects on timeout. */
  waitForCall(method: string, predicate?: (c: SlackCall) => boolean, timeoutMs?: number): Promise<SlackCall>;
  /** Members returned by `usergroups.users.list` for this usergroup id. */
  setUsergroup(id: string, users: string[]): void;
  /** Extra fields merged into the `users.info` answer for this user (e.g. `{ deleted: true }`). */
  setUser(id: string, fields: Record<string, unknown>): void;
  /** The next call of `method` answers `{ ok: false, error }` (FIFO, one per queued entry). For
   *  `response_url`, the next POST gets HTTP 404 with `error` as text body, like an expired Slack URL. */
  queueError(method: string, error: string): void;
  /** The next call of `method` answers HTTP 429 with `Retry-After: retryAfterSeconds`. */
  queueRateLimit(method: string, retryAfterSeconds?: number): void;
  /** Forgets queued errors and rate limits (Slack is back). */
  clearQueued(): void;
  /** `http://127.0.0.1:PORT/respond/<id>`: use as a payload's `response_url`. */
  responseUrl(id: string): string;
  /** Resolves once a Socket Mode client is connected and has been sent `hello`. */
  socketConnected(): Promise<void>;
  /** Sends an envelope to the most recently connected Socket Mode client; resolves with its ack. */
  sendSocketEnvelope(
    type: string,
    payload: unknown,
    opts?: { timeoutMs?: number; acceptsResponsePayload?: boolean },
  ): Promise<SocketAck>;
  /** Clears recorded calls (keeps usergroups, users, queued errors and open sockets). */
  reset(): void;
  /** Every message chat.postMessage posted since the fake started (reset() does not forget them). */
  posted(): readonly PostedMessage[];
  /** Closes WebSocket clients, HTTP connections and the server. Stop the Bolt App first. */
  close(): Promise<void>;
}

export interface FakeSlackOptions {
  botUserId?: string;
  botId?: string;
  teamId?: string;
  appId?: string;
}

type Answer = { kind: 'error'; error: string } | { kind: 'ratelimit'; retryAfterSeconds: number };

export async function startFakeSlack(opts: FakeSlackOptions = {}): Promise<FakeSlack> {
  const botUserId = opts.botUserId ?? 'UBOT';
  const botId = opts.botId ?? 'BBOT';
  const teamId = opts.teamId ?? 'T1';
  const appId = opts.appId ?? 'A1';

  const calls: SlackCall[] = [];
  /** Every message posted, kept across reset(): a channel's history as Slack would keep it. */
  const posted: PostedMessage[] = [];
  const usergroups = new Map<string, string[]>();
  const users = new Map<string, Record<string, unknown>>();
  const queued = new Map<string, Answer[]>();
  const dmChannels = new Map<string, string>();
  const sockets = new Set<Socket>();
  const wsClients: WebSocket[] = [];
  const pendingAcks = new Map<string, { resolve: (a: SocketAck) => void; reject: (e: Error) => void }>();
  const connectWaiters: Array<() => void> = [];
  let helloSent = false;
  let closed = false;

  // Slack timestamps are "seconds.micro" strings; a counter in the fraction keeps them unique and increasing.
  const tsBase = Math.floor(Date.now() / 1000);
  let tsCounter = 0;
  const nextTs = (): string => `${tsBase}.${String(++tsCounter).padStart(6, '0')}`;
  let viewCounter = 0;

  const dmFor = (user: string): string => {
    let id = dmChannels.get(user);
    if (id === undefined) {
      id = `D${String(dmChannels.size + 1).padStart(8, '0')}`;
      dmChannels.set(user, id);
    }
    return id;
  };
  // chat.postMessage to a user id posts into the DM with the bot, as Slack does.
  const resolveChannel = (channel: string): string => (/^[UW]/.test(channel) ? dmFor(channel) : channel);

  const messageFrom = (args: Record<string, unknown>, ts: string): Record<string, unknown> => {
    const message: Record<string, unknown> = {
      type: 'message',
      user: botUserId,
      bot_id: botId,
      team: teamId,
      ts,
    };
    for (const key of ['text', 'blocks', 'attachments', 'thread_ts', 'metadata']) {
      if (args[key] !== undefined) message[key] = args[key];
    }
    if (message.text === undefined) message.text = '';
    return message;
  };

  const homeViews = new Map<string, string>();
  const buildView = (view: unknown, id: string): Record<string, unknown> => {
    const v = typeof view === 'object' && view !== null ? (view as Record<string, unknown>) : {};
    return {
      id,
      team_id: teamId,
      app_id: appId,
      bot_id: botId,
      private_metadata: '',
      callback_id: '',
      external_id: '',
      state: { values: {} },
      hash: `${Date.now()}.${randomUUID().slice(0, 8)}`,
      root_view_id: id,
      previous_view_id: null,
      ...v,
    };
  };

  const handlers: Record<
    string,
    (args: Record<string, unknown>, token: string | undefined) => Record<string, unknown>
  > = {
    'auth.test': () => ({
      url: 'https://fake.slack.test/',
      team: 'Fake Team',
      user: 'cases-access',
      team_id: teamId,
      user_id: botUserId,
      bot_id: botId,
      app_id: appId,
      is_enterprise_install: false,
    }),
    'chat.postMessage': (args) => {
      const channel = resolveChannel(str(args.channel) ?? '');
      const ts = nextTs();
      posted.push({ channel, ts, args });
      return { channel, ts, message: messageFrom(args, ts) };
    },
    'chat.update': (args) => {
      const channel = str(args.channel) ?? '';
      const ts = str(args.ts) ?? '';
      return { channel, ts, text: str(args.text) ?? '', message: messageFrom(args, ts) };
    },
    'chat.postEphemeral': () => ({ message_ts: nextTs() }),
    'chat.getPermalink': (args) => {
      const channel = str(args.channel) ?? '';
      const ts = (str(args.message_ts) ?? '').replace('.', '');
      return { channel, permalink: `https://fake.slack.test/archives/${channel}/p${ts}` };
    },
    'views.open': (args) => {
      const view = buildView(args.view, `V${String(++viewCounter).padStart(8, '0')}`);
      return { view };
    },
    'views.push': (args) => {
      const view = buildView(args.view, `V${String(++viewCounter).padStart(8, '0')}`);
      return { view };
    },
    // A Home tab: one view per user, the same ID each time it is published again.
    'views.publish': (args) => {
      const user = str(args.user_id) ?? '';
      const id = homeViews.get(user) ?? `V${String(++viewCounter).padStart(8, '0')}`;
      homeViews.set(user, id);
      return { view: { ...buildView(args.view, id), type: 'home' } };
    },
    'views.update': (args) => {
      const id = str(args.view_id) ?? `V${String(++viewCounter).padStart(8, '0')}`;
      const view = buildView(args.view, id);
      return { view };
    },
    'usergroups.users.list': (args) => {
      const members = usergroups.get(str(args.usergroup) ?? '');
      if (members === undefined) throw new SlackError('no_such_subteam');
      return { users: [...members] };
    },
    'conversations.open': (args) => {
      const ids = (str(args.users) ?? '').split(',').filter((u) => u !== '');
      const first = ids[0];
      if (first === undefined) throw new SlackError('users_list_not_supplied');
      const id = ids.length === 1 ? dmFor(first) : `G${ids.join('').slice(0, 10)}`;
      return { channel: { id, is_im: ids.length === 1, user: ids.length === 1 ? first : undefined } };
    },
    'users.info': (args) => {
      const id = str(args.user) ?? '';
      return {
        user: {
          id,
          team_id: teamId,
          name: id.toLowerCase(),
          real_name: `User ${id}`,
          deleted: false,
          is_bot: false,
          is_admin: false,
          tz: 'UTC',
          profile: { display_name: id.toLowerCase(), real_name: `User ${id}` },
          ...users.get(id),
        },
      };
    },
    'apps.connections.open': (_args, token) => {
      // Slack only accepts an app-level token here; catching a bot token mirrors the real failure.
      if (token !== undefined && !token.startsWith('xapp-')) throw new SlackError('not_allowed_token_type');
      return { url: `ws://127.0.0.1:${port}/socket` };
    },
  };

  const sendJson = (
    res: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
    res.end(JSON.stringify(body));
  };

  const takeQueued = (method: string): Answer | undefined => queued.get(method)?.shift();

  const handleApi = async (
    req: IncomingMessage,
    res: ServerResponse,
    method: string,
    query: URLSearchParams,
  ) => {
    const raw = await readBody(req);
    const args = await parseArgs(req, raw);
    for (const [key, value] of query) if (args[key] === undefined) args[key] = value;
    const token = bearer(req) ?? str(args.token);
    const call: SlackCall = { method, args, at: Date.now() };
    if (token !== undefined) call.token = token;
    calls.push(call);

    const answer = takeQueued(method);
    if (answer?.kind === 'ratelimit') {
      call.error = 'ratelimited';
      sendJson(
        res,
        429,
        { ok: false, error: 'ratelimited' },
        { 'retry-after': String(answer.retryAfterSeconds) },
      );
      return;
    }
    if (answer?.kind === 'error') {
      call.error = answer.error;
      sendJson(res, 200, { ok: false, error: answer.error });
      return;
    }
    if (token === undefined) {
      call.error = 'not_authed';
      sendJson(res, 200, { ok: false, error: 'not_authed' });
      return;
    }
    // Slack checks a message's or view's limits before acting on it (test/support/slack-surfaces.ts).
    const rejected = checkMethod(method, args);
    if (rejected !== undefined) {
      refuse(call, rejected);
      sendJson(res, 200, { ok: false, error: rejected.error, ...refusalDetail(rejected) });
      return;
    }
    const handler = handlers[method];
    if (handler === undefined) {
      sendJson(res, 200, { ok: true });
      return;
    }
    try {
      sendJson(res, 200, { ok: true, ...handler(args, token) });
    } catch (e) {
      if (!(e instanceof SlackError)) throw e;
      call.error = e.message;
      sendJson(res, 200, { ok: false, error: e.message });
    }
  };

  const handleResponseUrl = async (req: IncomingMessage, res: ServerResponse, id: string) => {
    const raw = await readBody(req);
    const args = await parseArgs(req, raw);
    const call: SlackCall = { method: 'response_url', args, at: Date.now(), responseUrlId: id };
    calls.push(call);
    const answer = takeQueued('response_url');
    if (answer !== undefined) {
      call.error = answer.kind === 'error' ? answer.error : 'ratelimited';
      const status = answer.kind === 'error' ? 404 : 429;
      const headers: Record<string, string> = { 'content-type': 'text/plain' };
      if (answer.kind === 'ratelimit') headers['retry-after'] = String(answer.retryAfterSeconds);
      res.writeHead(status, headers);
      res.end(call.error);
      return;
    }
    // A response_url refuses a bad message like an incoming webhook: HTTP 400, the error code as the body.
    const rejected = checkResponseUrl(args);
    if (rejected !== undefined) {
      refuse(call, rejected);
      res.writeHead(400, { 'content-type': 'text/plain' });
      res.end(rejected.error);
      return;
    }
    sendJson(res, 200, { ok: true });
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const apiMatch = /^\/api\/([\w.]+)$/.exec(url.pathname);
    const respondMatch = /^\/respond\/([^/]+)$/.exec(url.pathname);
    let work: Promise<void>;
    if (req.method === 'POST' && apiMatch?.[1] !== undefined) {
      work = handleApi(req, res, apiMatch[1], url.searchParams);
    } else if (req.method === 'POST' && respondMatch?.[1] !== undefined) {
      work = handleResponseUrl(req, res, decodeURIComponent(respondMatch[1]));
    } else {
      res.writeHead(404).end();
      return;
    }
    work.catch((e: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { ok: false, error: 'fake_slack_error', detail: String(e) });
      else res.end();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  // Socket Mode: the client only needs `hello` to consider itself connected; the rest mirrors Slack's message.
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    if (new URL(req.url ?? '/', 'http://127.0.0.1').pathname !== '/socket' || closed) {
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      wsClients.push(ws);
      ws.on('message', (data: RawData, isBinary: boolean) => {
        if (isBinary) return;
        let msg: unknown;
        try {
          msg = JSON.parse(rawToString(data)) as unknown;
        } catch {
          return;
        }
        if (typeof msg !== 'object' || msg === null) return;
        const envelopeId = (msg as { envelope_id?: unknown }).envelope_id;
        if (typeof envelopeId !== 'string') return;
        const pending = pendingAcks.get(envelopeId);
        if (pending === undefined) return;
        pendingAcks.delete(envelopeId);
        pending.resolve(msg as SocketAck);
      });
      ws.on('close', () => {
        const i = wsClients.indexOf(ws);
        if (i >= 0) wsClients.splice(i, 1);
      });
      ws.send(
        JSON.stringify({
          type: 'hello',
          num_connections: wsClients.length,
          debug_info: { host: 'applink-fake', build_number: 1, approximate_connection_time: 18060 },
          connection_info: { app_id: appId },
        }),
        () => {
          helloSent = true;
          for (const w of connectWaiters.splice(0)) w();
        },
      );
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const base = `http://127.0.0.1:${port}`;

  const callsOf = (method: string) => calls.filter((c) => c.method === method);

  return {
    apiUrl: `${base}/api/`,
    calls,
    callsOf,
    waitForCall(method, predicate = () => true, timeoutMs = 5000) {
      const started = Date.now();
      return new Promise<SlackCall>((resolve, reject) => {
        const poll = () => {
          const found = calls.find((c) => c.method === method && predicate(c));
          if (found !== undefined) return resolve(found);
          if (Date.now() - started >= timeoutMs) {
            const seen = calls.map((c) => c.method).join(', ') || 'none';
            return reject(
              new Error(`fake Slack: no matching ${method} call within ${timeoutMs} ms (calls: ${seen})`),
            );
          }
          setTimeout(poll, 10);
        };
        poll();
      });
    },
    setUsergroup(id, members) {
      usergroups.set(id, [...members]);
    },
    setUser(id, fields) {
      users.set(id, { ...users.get(id), ...fields });
    },
    queueError(method, error) {
      queued.set(method, [...(queued.get(method) ?? []), { kind: 'error', error }]);
    },
    clearQueued() {
      queued.clear();
    },
    queueRateLimit(method, retryAfterSeconds = 1) {
      queued.set(method, [...(queued.get(method) ?? []), { kind: 'ratelimit', retryAfterSeconds }]);
    },
    responseUrl(id) {
      return `${base}/respond/${encodeURIComponent(id)}`;
    },
    socketConnected() {
      if (helloSent && wsClients.length > 0) return Promise.resolve();
      return new Promise<void>((resolve) => connectWaiters.push(resolve));
    },
    sendSocketEnvelope(type, payload, sendOpts = {}) {
      const ws = wsClients[wsClients.length - 1];
      if (ws === undefined) return Promise.reject(new Error('fake Slack: no Socket Mode client connected'));
      const envelopeId = randomUUID();
      const timeoutMs = sendOpts.timeoutMs ?? 5000;
      return new Promise<SocketAck>((resolve, reject) => {
        const timer = setTimeout(() => {
          pendingAcks.delete(envelopeId);
          reject(new Error(`fake Slack: no ack for ${type} envelope ${envelopeId} within ${timeoutMs} ms`));
        }, timeoutMs);
        pendingAcks.set(envelopeId, {
          resolve: (ack) => {
            clearTimeout(timer);
            resolve(ack);
          },
          reject: (e) => {
            clearTimeout(timer);
            reject(e);
          },
        });
        ws.send(
          JSON.stringify({
            envelope_id: envelopeId,
            type,
            payload,
            // Slack sets this for slash commands and interactivity (not for Events API envelopes).
            accepts_response_payload: sendOpts.acceptsResponsePayload ?? type !== 'events_api',
          }),
        );
      });
    },
    reset() {
      calls.length = 0;
    },
    posted() {
      return posted;
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const [id, pending] of pendingAcks) {
        pendingAcks.delete(id);
        pending.reject(new Error('fake Slack closed'));
      }
      // Close WebSockets gracefully: an abrupt close makes @slack/socket-mode 3.x log an error and leak
      // a 30 s close-handshake timer (jest then hangs). First let a client whose App was just stopped
      // finish its own close handshake, then close from our side, and only then terminate.
      await waitUntil(() => wsClients.length === 0, 1000);
      for (const ws of wsClients) ws.close(1000, 'fake Slack closing');
      await waitUntil(() => wsClients.length === 0, 1000);
      for (const ws of [...wsClients]) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Keep-alive sockets from fetch would otherwise hold server.close() open.
      server.closeAllConnections();
      for (const s of sockets) s.destroy();
      await serverClosed;
    },
  };
}

class SlackError extends Error {}

function refuse(call: SlackCall, rejected: Rejection): void {
  call.error = rejected.error;
  if (rejected.messages.length > 0) call.messages = rejected.messages;
}

/** What Slack adds to a refusal: `invalid_blocks` repeats the messages, unprefixed, as `errors`. */
function refusalDetail(r: Rejection): Record<string, unknown> {
  if (r.messages.length === 0) return {};
  const errors =
    r.error === 'invalid_blocks' ? { errors: r.messages.map((m) => m.replace(/^\[ERROR\] /, '')) } : {};
  return { ...errors, response_metadata: { messages: r.messages } };
}

async function waitUntil(done: () => boolean, timeoutMs: number): Promise<void> {
  const started = Date.now();
  while (!done() && Date.now() - started < timeoutMs) await new Promise((r) => setTimeout(r, 10));
}

function rawToString(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}

/** The approval card the bot posted for a request (its channel and ts, as Slack answered), if it posted one. */
export function approvalCardOf(
  slack: FakeSlack,
  requestId: string,
): { channelId: string; messageTs: string } | undefined {
  const card = slack
    .posted()
    .find(
      (m) => m.args.thread_ts === undefined && JSON.stringify(m.args.blocks ?? '').includes(`"${requestId}"`),
    );
  return card ? { channelId: card.channel, messageTs: card.ts } : undefined;
}
