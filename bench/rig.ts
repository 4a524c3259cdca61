/**
 * The benchmark's "outside world", in its own process so that serving the bot's Slack and AWS calls never shares an
 * event loop with the load generator: the fake Slack Web API, response_url endpoint and the IAM/STS emulator from
 * test/support, plus the sequential approve → applied measurement (which needs the fakes' clocks).
 *
 * Driven by bench/run.ts over the fork() IPC channel: `{ id, op, ...args }` in, `{ id, result | error }` out.
 */
import { performance } from 'node:perf_hooks';
import { startFakeSlack } from '../test/support/fake-slack';
import type { SlackCall } from '../test/support/fake-slack';
import { startIamEmulator } from '../test/support/iam-emulator';
import { blockActionBody, postSigned, slashCommandBody } from '../test/support/slack-requests';
import {
  ACCOUNT,
  APPROVAL_CHANNEL,
  APPROVER,
  APPROVER_GROUP,
  GROUP_MEMBER,
  REQUESTER,
  SIGNING_SECRET,
  APPROVE_ACTION,
} from './constants';
import type { RigRequest } from './rpc';

export interface ApproveSample {
  /** Click sent → the card's chat.update showing `applied` arrives at the fake Slack. */
  totalMs: number;
  /** totalHandlingMs of the IAM emulator spent on this request. */
  iamMs: number;
  /** Click sent → Bolt's HTTP answer (the ack). */
  ackMs: number;
  /** Arrival of each Slack and IAM request at the fakes, ms after the click was sent. */
  timeline: Array<{ t: number; call: string }>;
}

async function main(): Promise<void> {
  const slack = await startFakeSlack();
  const iam = await startIamEmulator({ accountId: ACCOUNT });
  slack.setUsergroup(APPROVER_GROUP, [GROUP_MEMBER]);
  iam.addRole('connect-admins');

  // Exact arrival times: the fake records every request by pushing it onto `calls`; observe that push instead of
  // polling waitForCall (which sleeps 10 ms between looks). Test code is not modified, only observed.
  const listeners = new Set<(call: SlackCall, at: number) => void>();
  const counts = new Map<string, number>();
  /** The current approval's timeline: every Slack and IAM request, ms after the click was sent. */
  let trace: Array<{ t: number; call: string }> | undefined;
  let traceStart = 0;
  const calls = slack.calls;
  const push = calls.push.bind(calls);
  calls.push = (...items: SlackCall[]): number => {
    const at = performance.now();
    for (const item of items) {
      counts.set(item.method, (counts.get(item.method) ?? 0) + 1);
      trace?.push({ t: at - traceStart, call: `slack ${item.method}` });
      for (const listener of listeners) listener(item, at);
    }
    // Keep the fake's memory flat over tens of thousands of calls: the bench only needs the counts.
    if (calls.length > 2_000) calls.length = 0;
    if (iam.calls.length > 2_000) iam.calls.length = 0;
    return push(...items);
  };
  // The IAM emulator records each call on arrival the same way.
  const iamCalls = iam.calls;
  const iamPush = iamCalls.push.bind(iamCalls);
  iamCalls.push = (...items) => {
    const at = performance.now();
    for (const item of items) trace?.push({ t: at - traceStart, call: `${item.service} ${item.action}` });
    return iamPush(...items);
  };

  const nextCall = (
    predicate: (c: SlackCall) => boolean,
    timeoutMs = 15_000,
  ): Promise<{ call: SlackCall; at: number }> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        listeners.delete(listener);
        reject(new Error(`rig: no matching Slack call within ${timeoutMs} ms`));
      }, timeoutMs);
      const listener = (call: SlackCall, at: number) => {
        if (!predicate(call)) return;
        clearTimeout(timer);
        listeners.delete(listener);
        resolve({ call, at });
      };
      listeners.add(listener);
    });

  let responseCounter = 0;

  /** Sends `/cases-access <text>` and returns the request ID from the private confirmation. */
  async function createRequest(botUrl: string, text: string): Promise<string> {
    const id = `rig-create-${++responseCounter}`;
    const reply = nextCall((c) => c.method === 'response_url' && c.responseUrlId === id);
    const res = await postSigned(
      botUrl,
      slashCommandBody({ text, userId: REQUESTER, responseUrl: slack.responseUrl(id) }),
      SIGNING_SECRET,
    );
    if (res.status !== 200) throw new Error(`command answered HTTP ${res.status}`);
    const text_ = String((await reply).call.args.text ?? '');
    const requestId = /CA-[0-9A-Z]{10}/.exec(text_)?.[0];
    if (!requestId) throw new Error(`no request ID in the reply: ${text_}`);
    return requestId;
  }

  async function approveApplied(botUrl: string, requestId: string): Promise<ApproveSample> {
    const applied = nextCall(
      (c) =>
        c.method === 'chat.update' &&
        String(c.args.text ?? '').includes(requestId) &&
        /— (applied|failed)$/.test(String(c.args.text ?? '')),
    );
    const body = blockActionBody({
      userId: APPROVER,
      actionId: APPROVE_ACTION,
      value: requestId,
      channelId: APPROVAL_CHANNEL,
      messageTs: '1700000000.000100',
      responseUrl: slack.responseUrl(`rig-approve-${++responseCounter}`),
    });
    const iamBefore = iam.totalHandlingMs;
    trace = [];
    const started = performance.now();
    traceStart = started;
    const res = await postSigned(botUrl, body, SIGNING_SECRET);
    const ackMs = performance.now() - started;
    trace.push({ t: ackMs, call: 'ack received' });
    if (res.status !== 200) throw new Error(`click answered HTTP ${res.status}`);
    const { call, at } = await applied;
    if (!String(call.args.text).endsWith('— applied'))
      throw new Error(`request ${requestId} failed: ${String(call.args.text)}`);
    const timeline = trace.sort((a, b) => a.t - b.t);
    trace = undefined;
    return { totalMs: at - started, iamMs: iam.totalHandlingMs - iamBefore, ackMs, timeline };
  }

  const handlers: Record<string, (req: RigRequest) => Promise<unknown>> = {
    urls: async () => ({ apiUrl: slack.apiUrl, iamUrl: iam.url, responseBase: slack.responseUrl('') }),
    counts: async () => Object.fromEntries(counts),
    waitCount: async (req) => {
      const { method, atLeast, timeoutMs } = req as unknown as {
        method: string;
        atLeast: number;
        timeoutMs: number;
      };
      if ((counts.get(method) ?? 0) < atLeast)
        await nextCall(() => (counts.get(method) ?? 0) >= atLeast, timeoutMs).catch(() => {
          throw new Error(
            `rig: ${method} reached ${counts.get(method) ?? 0} of ${atLeast} within ${timeoutMs} ms`,
          );
        });
      return counts.get(method) ?? 0;
    },
    /** Requests `texts` one after the other; `roles` are created in the emulator first. */
    create: async (req) => {
      const { botUrl, texts, roles } = req as unknown as {
        botUrl: string;
        texts: string[];
        roles?: string[];
      };
      for (const role of roles ?? [])
        if (!iam.role(`arn:aws:iam::${ACCOUNT}:role/${role}`)) iam.addRole(role);
      const ids: string[] = [];
      for (const text of texts) ids.push(await createRequest(botUrl, text));
      return ids;
    },
    approveApplied: async (req) => {
      const { botUrl, ids } = req as unknown as { botUrl: string; ids: string[] };
      const samples: ApproveSample[] = [];
      for (const id of ids) samples.push(await approveApplied(botUrl, id));
      return samples;
    },
    close: async () => {
      await slack.close();
      await iam.close();
      setImmediate(() => process.exit(0));
      return true;
    },
  };

  process.on('message', (msg: RigRequest) => {
    const handler = handlers[msg.op];
    const reply = (body: Record<string, unknown>) => process.send?.({ id: msg.id, ...body });
    if (!handler) return void reply({ error: `unknown op ${msg.op}` });
    handler(msg).then(
      (result) => reply({ result }),
      (error: unknown) => reply({ error: error instanceof Error ? error.message : String(error) }),
    );
  });
  // The parent went away without saying goodbye (crash, Ctrl-C): do not linger.
  process.on('disconnect', () => process.exit(0));
  process.send?.({ id: 0, result: 'ready' });
}

main().catch((error: unknown) => {
  process.stderr.write(
    `rig failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
