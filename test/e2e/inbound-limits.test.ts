import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import querystring from 'node:querystring';
import type { AccessRequest } from '../../src/access/types';
import { generatePlan } from '../../src/policy';
import {
  ACTION,
  approvalCard,
  cardText,
  policyDisplay,
  requestModal,
  REQUEST_MODAL,
} from '../../src/slack/blocks';
import { SLACK_BODY_LIMIT, guardSlackRequests } from '../../src/slack/inbound';
import { BOT_ENTRY, BotTracker, botEnv, isolatedEnv, requireBuiltBot } from '../support/bot-process';
import type { BotProcess } from '../support/bot-process';
import { startFakeSlack } from '../support/fake-slack';
import type { FakeSlack } from '../support/fake-slack';
import { freePort } from '../support/free-port';
import { SIGNING_SECRET, startHarness } from '../support/harness';
import type { Harness } from '../support/harness';
import { startIamEmulator } from '../support/iam-emulator';
import type { IamEmulator } from '../support/iam-emulator';
import {
  blockActionBody,
  postSigned,
  signSlackRequest,
  slashCommandBody,
  viewSubmissionBody,
} from '../support/slack-requests';

/**
 * Issue 11, item 3: the Slack endpoint (HTTP mode) reads a body only up to SLACK_BODY_LIMIT (413 past it, declared
 * or streamed, before it is buffered) and checks the signature on the raw bytes before anything parses them (401).
 * Measured here: the largest payloads Slack sends the bot, against the limit; and the built bot under 400 concurrent
 * unsigned 4 MB POSTs (its peak RSS, and that it answers afterwards). `npm test` builds first; run `npm run build`
 * before running this file alone.
 */

const ACCOUNT = '111122223333';
const MB = 1024 * 1024;
const FLOOD = 400;
const FLOOD_BYTES = 4 * MB;
const PEAK_RSS_MAX_MB = 200;
/** What a flood of forged signatures may add to the RSS the earlier floods left. */
const FORGED_GROWTH_MAX_MB = 100;

const fill = (unit: string, n: number) => unit.repeat(Math.ceil(n / unit.length)).slice(0, n);
const EVIL = 'hi <!channel> @here see <https://evil.example|docs.aws.amazon.com> & <@U0ADMIN> "now" ';
/** Text a person could put in a field or a section: ASCII, quote- and bracket-heavy, CJK (the dearest encoded). */
const TEXTS = {
  ascii: 'arn:aws:iam::111122223333:role/connect-admins migrating to Cases ',
  quotes: '"<&>',
  cjk: '申請の理由はケースの移行です。',
};
/** The bot's own long text: a policy, pretty-printed JSON. */
const policyText = (request: AccessRequest) => policyDisplay(request);

// ---------------------------------------------------------------------------------------------------------------
// The largest payloads: built as Slack sends them (a form with a JSON `payload`, URL-encoded).

async function bigRequest(): Promise<AccessRequest> {
  const plan = await generatePlan({ task: 'onboard', option: 'managed', accountId: ACCOUNT });
  return {
    id: 'CA-0123456789',
    createdAt: new Date(),
    requesterId: 'UREQUESTER',
    role: {
      arn: `arn:aws:iam::${ACCOUNT}:role/connect-admins`,
      accountId: ACCOUNT,
      name: 'connect-admins',
      path: '/',
    },
    task: plan.task,
    option: plan.option,
    instance: { instanceId: '00000000-0000-0000-0000-000000000000', region: 'us-east-1' },
    reason: fill(EVIL, 500),
    policyName: plan.policyName,
    documentText: plan.documentText,
    managedPolicyArns: plan.managedPolicyArns,
    sha256: plan.sha256,
    state: 'pending',
    attachedManagedArns: [],
    leaseGeneration: 0,
  } as unknown as AccessRequest;
}

/** A click on Approve on a card of `blocks` (each echoed with a block_id, as Slack does). */
function clickBody(request: AccessRequest, blocks: unknown[], responseUrl: string): string {
  return blockActionBody({
    userId: 'UAPPROVER1',
    actionId: ACTION.approve,
    blockId: 'decision',
    value: request.id,
    channelId: 'CAPPROVALS',
    messageTs: '1700000000.000100',
    responseUrl,
    message: {
      text: cardText(request),
      blocks: blocks.map((b, i) => ({ block_id: `b${i}`, ...(b as object) })),
      bot_profile: { id: 'BBOT', app_id: 'A1', name: 'cases-access', deleted: false, team_id: 'T1' },
    },
  });
}

/** Slack's maximum message: the bot's card topped up to 50 blocks with ~3,000-character sections of `text`. */
function fiftyBlocks(card: unknown[], text: string): unknown[] {
  const blocks = [...card];
  while (blocks.length < 50)
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: fill(text, 3_000), verbatim: false } });
  return blocks;
}

/** The request dialog submitted with every text field and private_metadata at 3,000 characters of `text`. */
function bigDialogBody(text: string): string {
  const modal = requestModal();
  const input = (value: string) => ({ type: 'plain_text_input', value });
  const radio = (value: string) => ({
    type: 'radio_buttons',
    selected_option: { value, text: { type: 'plain_text', text: value } },
  });
  const body = viewSubmissionBody({
    userId: 'UREQUESTER',
    callbackId: REQUEST_MODAL,
    privateMetadata: fill(text, 3_000),
    values: {
      task: { task: radio('onboard') },
      option: { option: radio('minimal') },
      role: { role: input(fill(text, 3_000)) },
      instance: { instance: input(fill(text, 3_000)) },
      duration: { duration: input(fill(text, 3_000)) },
      reason: { reason: input(fill(text, 3_000)) },
    },
  });
  // Slack echoes the view's blocks too.
  const payload = JSON.parse(querystring.parse(body).payload as string) as { view: { blocks: unknown } };
  payload.view.blocks = modal.blocks;
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

describe('the largest payloads Slack sends the bot fit the limit with room', () => {
  it('measures a click on the card and on a 50-block message, and the full request dialog', async () => {
    const request = await bigRequest();
    const card = approvalCard(request);
    const url = 'https://hooks.slack.com/actions/T1/123456789012/abcdefghijklmnopqrstuvwx';
    const sizes: Record<string, number> = {
      'block_actions, the bot’s card (500-character reason)': Buffer.byteLength(
        clickBody(request, card, url),
      ),
    };
    sizes['block_actions, 50 blocks of 3,000 characters, policy JSON'] = Buffer.byteLength(
      clickBody(request, fiftyBlocks(card, policyText(request)), url),
    );
    for (const [name, text] of Object.entries(TEXTS)) {
      sizes[`block_actions, 50 blocks of 3,000 characters, ${name}`] = Buffer.byteLength(
        clickBody(request, fiftyBlocks(card, text), url),
      );
      sizes[`view_submission, request dialog at 3,000 characters, ${name}`] = Buffer.byteLength(
        bigDialogBody(text),
      );
    }
    // Slack's 50-block maximum (well past any card the bot posts) in CJK is the dearest: 1.09 MB in this build.
    const largest = Math.max(...Object.values(sizes));
    if (process.env.INBOUND_SIZES) process.stdout.write(`${JSON.stringify(sizes, null, 2)}\n`);
    expect(sizes['block_actions, the bot’s card (500-character reason)']).toBeLessThan(20_000);
    expect(largest).toBeGreaterThan(500_000); // the measurement measures something
    expect(SLACK_BODY_LIMIT).toBeGreaterThanOrEqual(1.8 * largest);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Raw HTTP: bodies declared or streamed, answers read even when the server closes before the body is sent.

interface RawAnswer {
  status: number;
  /** Request sent → its answer (or the error), ms. */
  ms: number;
  error?: string;
  /** Resolves once the connection has closed. */
  closed: Promise<void>;
}

interface RawPost {
  port: number;
  headers: Record<string, string>;
  /** Total body bytes to send (a repeated 64 KB chunk); declared in content-length unless `chunked`. */
  bytes: number;
  chunked?: boolean;
  /** The whole body, when it matters what it is. */
  body?: Buffer;
  /** Keep sending the whole body after the answer (as a careless client or an attacker would). */
  ignoreAnswer?: boolean;
  /** Send `bytes`, then hold the request open without ending it. */
  hold?: boolean;
}

const CHUNK = Buffer.alloc(64 * 1024, 'a');

/** One POST to /slack/events on a fresh connection; stops sending once the answer has come (unless told not to). */
function rawPost(o: RawPost): Promise<RawAnswer> {
  const started = performance.now();
  let onClosed: () => void = () => undefined;
  const closed = new Promise<void>((r) => (onClosed = r));
  return new Promise((resolveAnswer) => {
    let status = 0;
    let sent = 0;
    let settled = false;
    const settle = (error?: string) => {
      if (settled) return;
      settled = true;
      resolveAnswer({ status, ms: performance.now() - started, closed, ...(error ? { error } : {}) });
    };
    const req = http.request({
      host: '127.0.0.1',
      port: o.port,
      path: '/slack/events',
      method: 'POST',
      agent: false,
      headers: o.chunked
        ? { ...o.headers, 'transfer-encoding': 'chunked' }
        : { ...o.headers, 'content-length': String(o.body?.length ?? o.bytes) },
    });
    req.on('response', (res) => {
      status = res.statusCode ?? 0;
      res.resume();
      res.on('end', () => settle());
      res.on('error', () => settle());
      if (!o.ignoreAnswer) req.destroy();
    });
    // A connection closed after the answer (or reset while this side still sends) ends the exchange.
    req.on('error', (e) => settle(status ? undefined : e.message));
    req.on('close', () => {
      settle(status ? undefined : 'closed without an answer');
      onClosed();
    });
    const body = o.body;
    const total = body?.length ?? o.bytes;
    const write = () => {
      while ((!status || o.ignoreAnswer) && !req.destroyed) {
        if (sent >= total) return void (o.hold ? undefined : req.end());
        const piece = body
          ? body.subarray(sent, sent + CHUNK.length)
          : CHUNK.subarray(0, Math.min(CHUNK.length, total - sent));
        sent += piece.length;
        if (!req.write(piece)) return void req.once('drain', write);
      }
    };
    req.flushHeaders();
    write();
  });
}

const formHeaders = { 'content-type': 'application/x-www-form-urlencoded' };
/** A signature that looks right and is not: fresh timestamp, 64 hex digits of nothing. */
const forgedHeaders = () => ({
  ...formHeaders,
  'x-slack-request-timestamp': String(Math.floor(Date.now() / 1000)),
  'x-slack-signature': `v0=${'0'.repeat(64)}`,
});

// ---------------------------------------------------------------------------------------------------------------
// The bot in process: limits at their edges, and what Bolt gets to parse.

describe('the Slack endpoint, in process', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.close();
  });
  const port = () => h.bot.port;
  const refusals = () =>
    h.logLines
      .map((l) => JSON.parse(l) as { message: string; status?: number; reason?: string; bytesRead?: number })
      .filter((e) => e.message === 'refused a request to the Slack endpoint');

  /** A signed help command padded with an extra form field to exactly `size` bytes. */
  function helpCommandOfSize(size: number, responseId: string): string {
    const base = slashCommandBody({
      text: 'help',
      userId: 'UREQUESTER',
      responseUrl: h.slack.responseUrl(responseId),
    });
    const pad = size - base.length - '&pad='.length;
    expect(pad).toBeGreaterThan(0);
    return `${base}&pad=${'p'.repeat(pad)}`;
  }

  it('takes a signed command of exactly the limit and answers it', async () => {
    const body = helpCommandOfSize(SLACK_BODY_LIMIT, 'at-limit');
    expect(body.length).toBe(SLACK_BODY_LIMIT);
    const res = await postSigned(h.url, body, SIGNING_SECRET);
    expect(res.status).toBe(200);
    // Help is answered in the ack itself.
    expect(String((res.json as { text?: string }).text)).toContain('/cases-access help');
  });

  it('refuses a signed body one byte over the limit with 413, its declared length alone', async () => {
    const body = Buffer.from(helpCommandOfSize(SLACK_BODY_LIMIT + 1, 'over-limit'));
    const before = refusals().length;
    const answer = await rawPost({
      port: port(),
      headers: signSlackRequest(body.toString(), SIGNING_SECRET) as unknown as Record<string, string>,
      bytes: body.length,
      body,
    });
    expect(answer.status).toBe(413);
    expect(refusals().slice(before)).toEqual([
      expect.objectContaining({ status: 413, reason: 'declared body over the limit', bytesRead: 0 }),
    ]);
    expect(h.slack.callsOf('response_url').filter((c) => c.responseUrlId === 'over-limit')).toHaveLength(0);
  });

  it('refuses a chunked body (no content-length) with 413 as soon as it passes the limit', async () => {
    const before = refusals().length;
    const answer = await rawPost({ port: port(), headers: forgedHeaders(), bytes: 3 * MB, chunked: true });
    expect(answer.status).toBe(413);
    const [refusal] = refusals().slice(before);
    expect(refusal).toMatchObject({ status: 413 });
    // Read no further than the chunk that crossed the limit.
    expect(refusal!.bytesRead).toBeGreaterThan(SLACK_BODY_LIMIT);
    expect(refusal!.bytesRead).toBeLessThanOrEqual(SLACK_BODY_LIMIT + 64 * 1024);
  });

  it('answers a bad signature 401 without parsing the body; a good one is parsed', async () => {
    const parse = jest.spyOn(querystring, 'parse');
    const jsonParse = jest.spyOn(JSON, 'parse');
    const seen = (marker: string) =>
      [...parse.mock.calls, ...jsonParse.mock.calls].some((args) => String(args[0]).includes(marker));
    try {
      const forged = `forged-${randomUUID()}`;
      const body = slashCommandBody({
        text: `help ${forged}`,
        userId: 'UREQUESTER',
        responseUrl: h.slack.responseUrl(forged),
      });
      expect((await postSigned(h.url, body, 'not-the-secret')).status).toBe(401);
      // Stale, and from the future: refused on the headers, before the body is read.
      const stale = Math.floor(Date.now() / 1000) - 10 * 60;
      expect((await postSigned(h.url, body, SIGNING_SECRET, { timestamp: stale })).status).toBe(401);
      const future = Math.floor(Date.now() / 1000) + 10 * 60;
      expect((await postSigned(h.url, body, SIGNING_SECRET, { timestamp: future })).status).toBe(401);
      // Unsigned.
      expect((await fetch(h.url, { method: 'POST', headers: formHeaders, body })).status).toBe(401);
      expect(seen(forged)).toBe(false);
      expect(
        refusals()
          .slice(-4)
          .map((r) => [r.status, r.reason]),
      ).toEqual([
        [401, 'signature mismatch'],
        [401, 'timestamp missing or outside the 5-minute window'],
        [401, 'timestamp missing or outside the 5-minute window'],
        [401, 'unsigned'],
      ]);

      const genuine = `genuine-${randomUUID()}`;
      const ok = slashCommandBody({
        text: `help ${genuine}`,
        userId: 'UREQUESTER',
        responseUrl: h.slack.responseUrl(genuine),
      });
      expect((await postSigned(h.url, ok, SIGNING_SECRET)).status).toBe(200);
      expect(seen(genuine)).toBe(true); // the spies do see what Bolt parses
    } finally {
      parse.mockRestore();
      jsonParse.mockRestore();
    }
    expect(
      h.slack.callsOf('response_url').filter((c) => String(c.responseUrlId).startsWith('forged-')),
    ).toHaveLength(0);
  });

  it('still answers Slack’s unsigned ssl_check with 200, as Bolt does', async () => {
    const res = await fetch(h.url, {
      method: 'POST',
      headers: formHeaders,
      body: 'ssl_check=1&token=abcdef',
    });
    expect(res.status).toBe(200);
  });

  it('takes the largest measured payloads, signed: a 50-block click and the full request dialog', async () => {
    const request = await bigRequest();
    const click = clickBody(
      request,
      fiftyBlocks(approvalCard(request), TEXTS.cjk),
      h.slack.responseUrl('big-click'),
    );
    expect(click.length).toBeGreaterThan(MB);
    expect((await postSigned(h.url, click, SIGNING_SECRET)).status).toBe(200);
    // The click reached the bot's listener: it answers on the response_url (no such request here).
    await h.slack.waitForCall('response_url', (c) => c.responseUrlId === 'big-click', 10_000);

    const dialog = bigDialogBody(TEXTS.cjk);
    const res = await postSigned(h.url, dialog, SIGNING_SECRET);
    expect(res.status).toBe(200);
    // The dialog's listener ran: the fields are refused one by one, as the dialog shows them.
    expect(res.json).toMatchObject({ response_action: 'errors' });
  });
});

// ---------------------------------------------------------------------------------------------------------------
// The guard alone, with small numbers: the shared budget and the body deadline.

describe('the guard alone', () => {
  let server: http.Server;
  let port: number;
  const handled: number[] = [];
  const refused: Array<{ status: number; reason: string }> = [];
  beforeAll(async () => {
    const listener = guardSlackRequests(
      (req, res) => {
        handled.push((req as unknown as { rawBody: Buffer }).rawBody.length);
        res.writeHead(200).end();
      },
      {
        signingSecret: SIGNING_SECRET,
        endpoints: ['/slack/events'],
        limit: 256 * 1024,
        budget: 512 * 1024,
        bodyTimeoutMs: 300,
        onRefused: ({ status, reason }) => refused.push({ status, reason }),
      },
    );
    server = http.createServer(listener);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('refuses with 503 what would take the bodies being read past the shared budget', async () => {
    // Ten bodies held open at 200 KB each (within the limit) cannot all be kept in 512 KB: two are, until their
    // deadline (408); the rest are refused as they pass the budget.
    const open = Array.from({ length: 10 }, () =>
      rawPost({ port, headers: forgedHeaders(), bytes: 200 * 1024, chunked: true, hold: true }),
    );
    const statuses = (await Promise.all(open)).map((a) => a.status).sort();
    expect(statuses.filter((s) => s === 503).length).toBeGreaterThanOrEqual(7);
    expect(statuses.every((s) => s === 503 || s === 408)).toBe(true);
    expect(refused.filter((r) => r.status === 503)).toHaveLength(statuses.filter((s) => s === 503).length);
  });

  it('refuses with 408 a body that does not arrive in time, and passes a signed one on', async () => {
    const slow = await new Promise<number>((resolveStatus) => {
      const req = http.request({
        host: '127.0.0.1',
        port,
        path: '/slack/events',
        method: 'POST',
        agent: false,
        headers: { ...forgedHeaders(), 'content-length': '100' },
      });
      req.on('response', (res) => resolveStatus(res.statusCode ?? 0));
      req.on('error', () => undefined);
      req.write('only part of it');
    });
    expect(slow).toBe(408);
    const body = 'token=x&text=hello';
    const res = await postSigned(`http://127.0.0.1:${port}/slack/events?x=1`, body, SIGNING_SECRET);
    expect(res.status).toBe(200);
    expect(handled.at(-1)).toBe(body.length);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// The built bot under a flood of unsigned 4 MB POSTs.

/** The node options `npm start` runs the bot with (its heap caps), so it is measured as deployed. */
function startScriptNodeArgs(): string[] {
  const pkg = JSON.parse(readFileSync(resolve(__dirname, '../../package.json'), 'utf8')) as {
    scripts: { start: string };
  };
  return pkg.scripts.start.split(' ').filter((word) => word.startsWith('--'));
}

/** VmHWM (peak) and VmRSS of a process, MB. */
function memoryMb(pid: number): { peak: number; rss: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]);
  return { peak: Math.round(kb('VmHWM') / 102.4) / 10, rss: Math.round(kb('VmRSS') / 102.4) / 10 };
}

describe('the built bot under 400 concurrent unsigned 4 MB POSTs', () => {
  let slack: FakeSlack;
  let iam: IamEmulator;
  let dir: string;
  let bot: BotProcess;
  let port: number;
  const bots = new BotTracker();

  beforeAll(async () => {
    requireBuiltBot();
    slack = await startFakeSlack();
    iam = await startIamEmulator({ accountId: ACCOUNT });
    dir = mkdtempSync(join(tmpdir(), 'cases-access-inbound-'));
    port = await freePort();
    const env = {
      ...isolatedEnv(dir),
      ...botEnv({
        slack,
        iam,
        port,
        account: ACCOUNT,
        botToken: 'xoxb-inbound-test-bot-token',
        signingSecret: SIGNING_SECRET,
        approvalChannel: 'CAPPROVALS',
        approvers: 'UAPPROVER1',
        logLevel: 'info',
      }),
      DATABASE_URL: `sqlite:${join(dir, 'db', 'cases-access.db')}`,
    };
    bot = bots.spawn({ env, cwd: dir, args: [...startScriptNodeArgs(), BOT_ENTRY] });
    await bot.waitHealthy(port, 15_000);
  });
  afterAll(async () => {
    await bots.killAll();
    await slack?.close();
    await iam?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** FLOOD concurrent POSTs; the bot's peak RSS over them alone (VmHWM reset first), read once all are closed. */
  const flood = async (make: () => RawPost) => {
    const pid = bot.child.pid!;
    writeFileSync(`/proc/${pid}/clear_refs`, '5'); // resets VmHWM to the current RSS
    const before = memoryMb(pid);
    const answers = await Promise.all(Array.from({ length: FLOOD }, () => rawPost(make())));
    // The bot closes each connection within LINGER_MS of its answer: wait for that before the next flood.
    await Promise.all(answers.map((a) => a.closed));
    const statuses: Record<string, number> = {};
    for (const a of answers) {
      const key = a.error ? `error: ${a.error}` : String(a.status);
      statuses[key] = (statuses[key] ?? 0) + 1;
    }
    const { peak, rss } = memoryMb(pid);
    const ms = answers.map((a) => a.ms).sort((a, b) => a - b);
    return {
      answers,
      statuses,
      before: before.rss,
      peak,
      after: rss,
      medianMs: ms[FLOOD / 2]!,
      slowestMs: ms.at(-1)!,
    };
  };

  it('answers every one 413 or 401 quickly, keeps its peak RSS under 200 MB, and still serves afterwards', async () => {
    // Declared 4 MB, unsigned, each client sending all of it whatever the answer: refused on the headers.
    const declared = await flood(() => ({
      port,
      headers: formHeaders,
      bytes: FLOOD_BYTES,
      ignoreAnswer: true,
    }));
    // Streamed without a length, unsigned: refused on the headers too.
    const streamed = await flood(() => ({ port, headers: formHeaders, bytes: FLOOD_BYTES, chunked: true }));
    // Streamed with a signature that looks right: read up to the limit, within the shared budget, then refused.
    const forged = await flood(() => ({ port, headers: forgedHeaders(), bytes: FLOOD_BYTES, chunked: true }));
    if (process.env.INBOUND_SIZES)
      for (const [name, f] of Object.entries({ declared, streamed, forged }))
        process.stdout.write(
          `${name}: ${JSON.stringify({ statuses: f.statuses, rssBefore: f.before, peak: f.peak, rssAfter: f.after, medianMs: Math.round(f.medianMs), slowestMs: Math.round(f.slowestMs) })}\n`,
        );

    expect(declared.answers.map((a) => a.status)).toEqual(Array(FLOOD).fill(413));
    expect(streamed.answers.map((a) => a.status)).toEqual(Array(FLOOD).fill(401));
    expect(forged.answers.every((a) => [413, 503].includes(a.status))).toBe(true);
    for (const f of [declared, streamed, forged]) {
      // A few seconds on a busy 2-core machine, the 400 clients included; Bolt's own receiver took 25 s (median)
      // to 40 s to answer the same declared flood, having read and parsed every body.
      expect(f.medianMs).toBeLessThan(10_000);
      expect(f.slowestMs).toBeLessThan(20_000);
    }
    // The bound is on the unsigned floods: under 200 MB each.
    for (const f of [declared, streamed]) expect(f.peak).toBeLessThan(PEAK_RSS_MAX_MB);
    // Forged signatures are read (within the 16 MiB budget) before they are found out, and this flood comes third,
    // on a process whose RSS the first two have already raised (RSS does not shrink back): what it may cost is
    // bounded as growth. Measured 45–60 MB (budget, one buffered chunk per refused socket, garbage not yet
    // collected); before the budget was reserved up front and refused bodies dropped, 130–390 MB.
    expect(forged.peak - forged.before).toBeLessThan(FORGED_GROWTH_MAX_MB);

    // Still answering: health, and a signed command.
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    const res = await postSigned(
      `http://127.0.0.1:${port}/slack/events`,
      slashCommandBody({ text: 'help', userId: 'UREQUESTER', responseUrl: slack.responseUrl('after-flood') }),
      SIGNING_SECRET,
    );
    expect(res.status).toBe(200);
    // Help is answered in the ack itself.
    expect(String((res.json as { text?: string }).text)).toContain('/cases-access help');
    expect(bot.hasExited()).toBe(false);
  }, 120_000);
});
