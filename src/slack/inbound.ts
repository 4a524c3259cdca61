import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, RequestListener } from 'node:http';
import type { BufferedIncomingMessage } from '@slack/bolt';

/**
 * Size and signature checks in front of Bolt's HTTP receiver (HTTP mode). Bolt 5 reads a body of up to 4 MB into
 * memory and parses it before it checks the signature, so unsigned 4 MB POSTs cost memory in proportion to how many
 * arrive at once. Here, for POSTs to the Slack endpoint:
 *
 * - a declared Content-Length over {@link SLACK_BODY_LIMIT} is answered 413 before a byte of the body is read;
 * - a request without a well-formed `X-Slack-Signature` or with a timestamp more than 5 minutes off is answered 401
 *   before its body is read (except Slack's unsigned `ssl_check`, a few bytes of declared length, answered 200 as
 *   Bolt does);
 * - the body is then read, counting bytes: past the limit (chunked bodies too) the answer is 413 at once and no
 *   more of it is kept; all bodies being read together share {@link INBOUND_BUFFER_BUDGET}, each reserving its
 *   declared length (or a chunk) before its first byte is read (503 past it, on the headers if it is spent), and one
 *   must arrive within {@link BODY_TIMEOUT_MS} (408). After a refusal nothing more is kept, and the connection
 *   is closed {@link LINGER_MS} later;
 * - the HMAC-SHA256 of `v0:<timestamp>:<raw bytes>` is compared in constant time: 401 on a mismatch, the body never
 *   parsed. Only then is the request handed to Bolt with the bytes already read (`rawBody`), and Bolt checks the
 *   signature again and parses as before.
 */

/**
 * The largest body accepted on the Slack endpoint: 2 MiB. Measured, URL-encoded as Slack sends them (see
 * test/e2e/inbound-limits.test.ts): a click on the bot's approval card with a 500-character reason, 7.3 KB; the
 * request dialog submitted with every text field and private_metadata at 3,000 characters, 23 KB in ASCII, 62 KB
 * quote-heavy, 140 KB in CJK; a click on a message of Slack's maximum 50 blocks of ~3,000-character sections (far
 * past any card the bot posts), 156 KB in ASCII prose, 224 KB in pretty JSON like the bot's policies, 464 KB all
 * quotes and brackets, 1.09 MB all CJK (the dearest characters once JSON- and URL-encoded). 2 MiB is 1.9× the
 * largest of these, 4.5× the quote-heavy one and about 300× what the bot's own card costs.
 */
export const SLACK_BODY_LIMIT = 2 * 1024 * 1024;

/**
 * All bodies being read at once, together: 8 bodies at the limit, thousands of ordinary ones (a few KB each). It
 * bounds what a flood with made-up signatures (read to the end before they are found out) holds at once.
 */
export const INBOUND_BUFFER_BUDGET = 16 * 1024 * 1024;

/** What a body of undeclared length (chunked) reserves of the budget before it is read: one socket read. */
const CHUNKED_RESERVATION = 64 * 1024;

/** A body must have arrived this long after its headers (Slack sends it at once). */
export const BODY_TIMEOUT_MS = 10_000;

/** After a refusal, nothing more is read; the connection is closed this long after the answer. */
export const LINGER_MS = 5_000;

/** Slack's unsigned ssl_check (`ssl_check=1&token=…`) fits in this; an unsigned body is never read further. */
const SSL_CHECK_LIMIT = 1024;

/** Slack's replay window: the timestamp may differ from the clock by at most this. */
const MAX_SKEW_SECONDS = 5 * 60;

const FORM = 'application/x-www-form-urlencoded';

export interface InboundGuardOptions {
  signingSecret: string;
  /** The paths Bolt serves Slack's POSTs on (its `endpoints`). */
  endpoints: readonly string[];
  limit?: number;
  budget?: number;
  bodyTimeoutMs?: number;
  lingerMs?: number;
  nowMs?: () => number;
  /** Told of each refusal (to log it); the request is already answered. */
  onRefused?: (refusal: { status: number; reason: string; bytesRead: number }) => void;
  /** Told when Bolt's listener threw on a request handed to it (answered 500). */
  onError?: (error: unknown) => void;
  /** Until this says true (the bot is still starting), requests that pass the header checks are answered 503. */
  ready?: () => boolean;
}

/** Wraps Bolt's request listener: POSTs to `endpoints` pass only with a body within limits and a valid signature. */
export function guardSlackRequests(next: RequestListener, options: InboundGuardOptions): RequestListener {
  const limit = options.limit ?? SLACK_BODY_LIMIT;
  const budget = options.budget ?? INBOUND_BUFFER_BUDGET;
  const bodyTimeoutMs = options.bodyTimeoutMs ?? BODY_TIMEOUT_MS;
  const lingerMs = options.lingerMs ?? LINGER_MS;
  const nowMs = options.nowMs ?? Date.now;
  const secret = options.signingSecret;
  let buffered = 0; // bytes of bodies being read now, across requests

  return (req, res) => {
    let path: string;
    try {
      // As Bolt routes: the path of the URL, whatever its query.
      path = new URL(req.url ?? '', 'http://localhost').pathname;
    } catch {
      return next(req, res);
    }
    if (req.method?.toUpperCase() !== 'POST' || !options.endpoints.includes(path)) return next(req, res);

    /**
     * Answers `status`, empty. With body left unread, the answer goes out at once and says the connection closes;
     * the rest of the body is dropped as it comes, and the connection is closed LINGER_MS later: time for a client
     * still sending to read the answer rather than a reset.
     */
    const refuse = (status: number, reason: string, bytesRead: number, bodyLeft: boolean) => {
      options.onRefused?.({ status, reason, bytesRead });
      if (res.headersSent || res.destroyed) return;
      if (!bodyLeft) return void res.writeHead(status, { 'content-length': '0' }).end();
      res.writeHead(status, { 'content-length': '0', connection: 'close' }).flushHeaders();
      // Nothing more is read: the request is paused and its socket stopped until it is closed. A request being read
      // may have a read scheduled that starts the socket again on this tick (Node's HTTP server does so when the
      // request's stream asks): the socket is stopped once more after such work has run, or under a flood each
      // refused body would be buffered whole. At most a chunk or two stay held.
      req.removeAllListeners('data');
      req.pause();
      req.socket.pause();
      setImmediate(() => req.socket.pause());
      const timer = setTimeout(() => req.destroy(), lingerMs);
      req.on('error', () => undefined).once('close', () => clearTimeout(timer));
    };

    const contentLength = declaredLength(req);
    if (contentLength !== undefined && contentLength > limit)
      return refuse(413, 'declared body over the limit', 0, true);

    const signature = req.headers['x-slack-signature'];
    if (signature === undefined) {
      // Slack's ssl_check is the only unsigned request Bolt answers (with an empty 200, its token dropped): a small
      // form with its length declared. Anything else unsigned is refused on its headers, its body never read.
      if (
        req.headers['content-type'] !== FORM ||
        contentLength === undefined ||
        contentLength > SSL_CHECK_LIMIT
      )
        return refuse(401, 'unsigned', 0, true);
      return void readBody(SSL_CHECK_LIMIT, 401, (body) => {
        if (body === undefined) return;
        if (/(?:^|&)ssl_check=1(?:&|$)/.test(body.toString('latin1'))) {
          res.writeHead(200, { 'content-length': '0' });
          res.end();
        } else refuse(401, 'unsigned', body.length, false);
      });
    }
    const timestamp = req.headers['x-slack-request-timestamp'];
    const hash = typeof signature === 'string' ? /^v0=([0-9a-f]{64})$/.exec(signature)?.[1] : undefined;
    if (hash === undefined) return refuse(401, 'malformed signature', 0, true);
    if (
      typeof timestamp !== 'string' ||
      !/^\d{1,12}$/.test(timestamp) ||
      Math.abs(nowMs() / 1000 - Number(timestamp)) > MAX_SKEW_SECONDS
    )
      return refuse(401, 'timestamp missing or outside the 5-minute window', 0, true);
    // Signed as Slack signs, within the limit: answered at once (Node drains the unread body).
    if (options.ready && !options.ready()) return refuse(503, 'the bot is still starting', 0, false);

    readBody(limit, 413, (body) => {
      if (body === undefined) return;
      const expected = createHmac('sha256', secret).update(`v0:${timestamp}:`).update(body).digest();
      if (!timingSafeEqual(expected, Buffer.from(hash, 'hex')))
        return refuse(401, 'signature mismatch', body.length, false);
      // Bolt takes a request whose `rawBody` is set as already read; it verifies the signature again and parses.
      (req as BufferedIncomingMessage).rawBody = body;
      try {
        next(req, res);
      } catch (error) {
        options.onError?.(error);
        if (!res.headersSent) res.writeHead(500).end();
      }
    });

    /**
     * Reads the body, refusing it with `overStatus` past `max` bytes; calls back with it, or with undefined once the
     * request is refused or gone.
     */
    function readBody(max: number, overStatus: number, done: (body: Buffer | undefined) => void): void {
      // The budget is reserved before the first byte is read: the declared length, or a chunk for a body without
      // one. When the budget is spent the request is refused on its headers, never read.
      let held = contentLength ?? CHUNKED_RESERVATION;
      if (buffered + held > budget) return refuse(503, 'inbound buffer budget spent', 0, true);
      buffered += held;
      const chunks: Buffer[] = [];
      let received = 0;
      let finished = false;
      const timer = setTimeout(() => finish(undefined, 408, 'body not received in time'), bodyTimeoutMs);
      const finish = (body: Buffer | undefined, status?: number, reason?: string) => {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        buffered -= held;
        req.off('data', onData).off('end', onEnd).off('error', onGone).off('close', onGone);
        chunks.length = 0;
        if (status !== undefined) refuse(status, reason!, received, true);
        done(body);
      };
      const onData = (chunk: Buffer) => {
        received += chunk.length;
        if (received > max) return finish(undefined, overStatus, `body over ${max} bytes`);
        if (received > held) {
          buffered += received - held;
          held = received;
          if (buffered > budget) return finish(undefined, 503, 'inbound buffer budget spent');
        }
        chunks.push(chunk);
      };
      const onEnd = () => finish(Buffer.concat(chunks, received));
      const onGone = () => finish(undefined);
      req.on('data', onData).on('end', onEnd).on('error', onGone).on('close', onGone);
    }
  };
}

/** Content-Length when the body is delimited by it (not chunked); undefined otherwise. */
function declaredLength(req: IncomingMessage): number | undefined {
  if (req.headers['transfer-encoding'] !== undefined) return undefined;
  const value = req.headers['content-length'];
  return value !== undefined && /^\d+$/.test(value) ? Number(value) : undefined;
}
