import crypto from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'pg';
import { startBot } from '../../src/index';
import type { RunningBot } from '../../src/index';
import { ACTION } from '../../src/slack/blocks';
import { BotTracker, botEnv, emulatorAwsEnv, isolatedEnv, requireBuiltBot } from '../support/bot-process';
import type { BotProcess } from '../support/bot-process';
import { startFakeSlack, approvalCardOf } from '../support/fake-slack';
import type { FakeSlack, SlackCall } from '../support/fake-slack';
import { freePort } from '../support/free-port';
import { startIamEmulator } from '../support/iam-emulator';
import type { IamEmulator } from '../support/iam-emulator';
import { blockActionBody, postSigned, slashCommandBody, waitFor } from '../support/slack-requests';
import { postgresSuite, TEST_DATABASE_URL } from '../support/postgres-available';
import { MINUTE, TestClock } from '../support/test-clock';

/**
 * Several replicas on one PostgreSQL database (issue 6): the built bot (`dist/index.js`) as two real processes in
 * HTTP mode on two ports, sharing one fresh schema, one fake Slack and one IAM emulator. A request created through
 * one replica is approved through the other; simultaneous Approve clicks spread over both apply once; a grant that
 * came due is revoked once although every replica's scheduler looks for it. The scheduler's own timer runs every
 * 30 s of real time in a process, so the exact race of two scheduler passes is also shown in-process, with a test
 * clock, by calling runScheduledWork() on two bots at once.
 *
 * Needs PostgreSQL (.ci/run makes sure one answers at 127.0.0.1:5432; TEST_DATABASE_URL points elsewhere; without
 * one the file is skipped with a hint, unless CI is set). Every
 * part gets its own schema, dropped at the end. `npm test` builds first; run `npm run build` before this file alone.
 */

const BASE_URL = TEST_DATABASE_URL;
const { suite, runs } = postgresSuite('replicas.test.ts', BASE_URL);
const RUN = `ca_replicas_${Date.now().toString(36)}_${crypto.randomBytes(3).toString('hex')}`;

const ACCOUNT = '111122223333';
const SIGNING_SECRET = 'replicas-test-signing-secret-0123';
const BOT_TOKEN = 'xoxb-replicas-test-bot-token';
const APPROVAL_CHANNEL = 'CAPPROVALS';
const REQUESTER = 'UREQUESTER';
/** Ten approvers, so ten different people can click at once. */
const APPROVERS = Array.from({ length: 10 }, (_, i) => `UAPPROVER${i}`);

let admin: Pool;
let slack: FakeSlack;
let iam: IamEmulator;
let home: string;
const schemas: string[] = [];

beforeAll(async () => {
  if (!runs) return;
  requireBuiltBot();
  admin = new Pool({ connectionString: BASE_URL, max: 2 });
  admin.on('error', () => undefined);
  try {
    await admin.query('select 1');
  } catch (e) {
    throw new Error(
      `PostgreSQL is not reachable at ${BASE_URL.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@')} ` +
        `(${e instanceof Error ? e.message : String(e)}): start it (.ci/run does) or point TEST_DATABASE_URL at one`,
      { cause: e },
    );
  }
  slack = await startFakeSlack();
  iam = await startIamEmulator({ accountId: ACCOUNT });
  home = mkdtempSync(join(tmpdir(), 'cases-access-replicas-'));
});

afterAll(async () => {
  await slack?.close();
  await iam?.close();
  if (home) rmSync(home, { recursive: true, force: true });
  if (admin) {
    try {
      for (const s of schemas) await admin.query(`drop schema if exists ${s} cascade`);
    } finally {
      await admin.end();
    }
  }
});

/** A new, empty schema of this run, and the DATABASE_URL that makes it the search_path. */
async function newDatabase(): Promise<string> {
  const schema = `${RUN}_${schemas.length + 1}`;
  schemas.push(schema);
  await admin.query(`create schema ${schema}`);
  const u = new URL(BASE_URL);
  u.searchParams.set('options', `-c search_path=${schema}`);
  return u.toString();
}

function botVariables(port: number, databaseUrl: string): Record<string, string> {
  return {
    ...botEnv({
      slack,
      iam,
      port,
      account: ACCOUNT,
      botToken: BOT_TOKEN,
      signingSecret: SIGNING_SECRET,
      approvalChannel: APPROVAL_CHANNEL,
      approvers: APPROVERS.join(','),
      databaseUrl,
      logLevel: 'info',
    }),
    SLACK_APP_TOKEN: '',
  };
}

// -----------------------------------------------------------------------------------------------------------------
// What Slack and IAM saw (several requests share the fakes: everything is filtered by request ID or role).

const posts = (): SlackCall[] => slack.callsOf('chat.postMessage');
const cardUpdates = (id: string): SlackCall[] =>
  slack
    .callsOf('chat.update')
    .filter((c) => c.args.channel === APPROVAL_CHANNEL && String(c.args.text).includes(id));
const lastCard = (id: string): string => JSON.stringify(cardUpdates(id).at(-1)?.args.blocks ?? null);
const waitForCard = (id: string, pattern: RegExp, timeoutMs = 15_000): Promise<SlackCall> =>
  waitFor(() => cardUpdates(id).find((c) => pattern.test(JSON.stringify(c.args.blocks))), timeoutMs);
/** Replies in the card's thread (the card's ts is the one its updates name). */
function thread(id: string): string[] {
  const ts = cardUpdates(id)[0]?.args.ts;
  if (ts === undefined) throw new Error(`no card update for ${id} yet`);
  return posts()
    .filter((c) => c.args.thread_ts === ts)
    .map((c) => String(c.args.text));
}
const iamCalls = (action: string, roleName: string) =>
  iam.callsOf(action).filter((c) => c.status === 200 && c.params.RoleName === roleName);

let counter = 0;

/** `/cases-access <text>` sent to the replica on `port`; resolves with the request ID from the private answer. */
async function request(port: number, text: string): Promise<string> {
  const responseId = `cmd-${++counter}`;
  const res = await postSigned(
    `http://127.0.0.1:${port}/slack/events`,
    slashCommandBody({ text, userId: REQUESTER, responseUrl: slack.responseUrl(responseId) }),
    SIGNING_SECRET,
  );
  expect(res.status).toBe(200);
  const answer = await slack.waitForCall('response_url', (c) => c.responseUrlId === responseId, 15_000);
  const id = /CA-[0-9A-Z]{10}/.exec(String(answer.args.text))?.[0];
  if (!id) throw new Error(`no request ID in: ${String(answer.args.text)}`);
  return id;
}

/** A click on the card's Approve button, sent to the replica on `port`; resolves with Bolt's HTTP status. */
async function clickApprove(port: number, id: string, userId: string, responseId: string): Promise<number> {
  const res = await postSigned(
    `http://127.0.0.1:${port}/slack/events`,
    blockActionBody({
      userId,
      actionId: ACTION.approve,
      value: id,
      ...cardRef(slack, id),
      responseUrl: slack.responseUrl(responseId),
    }),
    SIGNING_SECRET,
  );
  return res.status;
}

// =================================================================================================================

type Bot = BotProcess & { port: number };

const replicas = new BotTracker();

async function spawnBot(name: string, databaseUrl: string): Promise<Bot> {
  const port = await freePort();
  // Only the variables given: no profile, no shared credentials file from the machine.
  const env: NodeJS.ProcessEnv = { ...isolatedEnv(home), ...botVariables(port, databaseUrl) };
  return Object.assign(replicas.spawn({ env, cwd: home, label: `replica ${name}` }), { port });
}

const waitHealthy = (bot: Bot): Promise<void> => bot.waitHealthy(bot.port, 20_000);

/** SIGTERM, then the exit: a clean stop waits for the scheduler pass in progress. */
const stopBot = (bot: Bot) => bot.stop('SIGTERM', 10_000);

/** The replicas' log lines (JSON), for checks and for failure messages. */
const logsOf = (bot: BotProcess): Array<Record<string, unknown>> =>
  bot
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

suite('two bot processes on one PostgreSQL database', () => {
  let databaseUrl: string;
  let a: Bot;
  let b: Bot;

  beforeAll(async () => {
    databaseUrl = await newDatabase();
    // Started together: both run the migrations on the empty schema at the same moment.
    [a, b] = await Promise.all([spawnBot('A', databaseUrl), spawnBot('B', databaseUrl)]);
    await Promise.all([waitHealthy(a), waitHealthy(b)]);
  });

  afterAll(async () => {
    // Never leave a process running, whatever the tests did.
    await replicas.killAll();
  });

  afterEach(() => {
    const failed = replicas.running.filter((bot) => logsOf(bot).some((e) => e.level === 'error'));
    for (const bot of failed)
      process.stderr.write(`${bot.label} logged errors:\n${bot.output().slice(-4000)}\n`);
  });

  it('both started on the one schema, each migrating it safely, and both answer on their own port', () => {
    for (const bot of [a, b]) {
      const started = logsOf(bot).find((e) => e.message === 'cases-access started');
      expect(started).toMatchObject({ mode: 'http', port: bot.port, database: 'postgres' });
    }
    expect(a.port).not.toBe(b.port);
  });

  it('a request created through replica A is approved through replica B', async () => {
    iam.addRole('connect-admins');
    const id = await request(
      a.port,
      `onboard arn:aws:iam::${ACCOUNT}:role/connect-admins migrating to Cases`,
    );
    const card = posts().find(
      (c) => c.args.channel === APPROVAL_CHANNEL && !c.args.thread_ts && String(c.args.text).includes(id),
    );
    expect(card).toBeDefined();

    expect(await clickApprove(b.port, id, APPROVERS[0]!, 'a-to-b')).toBe(200);
    await waitForCard(id, /Applied and verified|:x: Failed/);
    expect(lastCard(id)).toContain('Applied and verified');
    expect(iamCalls('PutRolePolicy', 'connect-admins')).toHaveLength(1);
    expect(iam.role(`arn:aws:iam::${ACCOUNT}:role/connect-admins`)!.inline.has('cases-access-onboard')).toBe(
      true,
    );
    await waitFor(() => thread(id).some((t) => t.includes('Verified by reading back')), 10_000);
    expect(thread(id).filter((t) => t.includes('Approved by'))).toEqual([
      expect.stringContaining(`Approved by <@${APPROVERS[0]}>`),
    ]);
  });

  it('ten simultaneous Approve clicks spread over both replicas: exactly one application, the others told privately', async () => {
    iam.addRole('connect-agents');
    const id = await request(b.port, `view arn:aws:iam::${ACCOUNT}:role/connect-agents`);
    const ports = APPROVERS.map((_, i) => (i % 2 === 0 ? a.port : b.port));
    const statuses = await Promise.all(
      APPROVERS.map((user, i) => clickApprove(ports[i]!, id, user, `race-${id}-${i}`)),
    );
    expect(statuses).toEqual(APPROVERS.map(() => 200));

    await waitForCard(id, /Applied and verified|:x: Failed/);
    const told = await waitFor(() => {
      const calls = slack.callsOf('response_url').filter((c) => c.responseUrlId?.startsWith(`race-${id}-`));
      return calls.length >= APPROVERS.length - 1 ? calls : undefined;
    }, 15_000);
    await waitFor(() => thread(id).some((t) => t.includes('Verified by reading back')), 10_000);
    // Let anything late arrive before counting.
    await new Promise((r) => setTimeout(r, 300));

    expect(lastCard(id)).toContain('Applied and verified');
    expect(iamCalls('PutRolePolicy', 'connect-agents')).toHaveLength(1);
    const approved = thread(id).filter((t) => t.includes('Approved by'));
    expect(approved).toHaveLength(1);
    const winner = /Approved by <@(U[A-Z0-9]+)>/.exec(approved[0]!)?.[1];
    expect(APPROVERS).toContain(winner);

    // Every other clicker, on either replica, was told privately who decided; the winner was not.
    const final = slack.callsOf('response_url').filter((c) => c.responseUrlId?.startsWith(`race-${id}-`));
    expect(final).toHaveLength(told.length);
    expect(final).toHaveLength(APPROVERS.length - 1);
    const toldIndexes = final.map((c) => Number(c.responseUrlId!.split('-').at(-1))).sort((x, y) => x - y);
    const winnerIndex = APPROVERS.indexOf(winner!);
    expect(toldIndexes).toEqual(APPROVERS.map((_, i) => i).filter((i) => i !== winnerIndex));
    for (const c of final) {
      expect(String(c.args.text)).toMatch(new RegExp(`already approved by <@${winner}>`));
      expect(c.args.response_type).toBe('ephemeral');
    }
    // Both replicas took part in the race: each received clicks and each turned at least one away.
    const losersOn = (port: number) => toldIndexes.filter((i) => ports[i] === port).length;
    expect(losersOn(a.port)).toBeGreaterThanOrEqual(4);
    expect(losersOn(b.port)).toBeGreaterThanOrEqual(4);
  });

  it('a time-bound grant that came due is revoked once when two more replicas start at the same moment', async () => {
    iam.addRole('connect-timed');
    const role = `arn:aws:iam::${ACCOUNT}:role/connect-timed`;
    const id = await request(a.port, `view ${role} --for 2s short test`);
    expect(await clickApprove(b.port, id, APPROVERS[1]!, 'timed')).toBe(200);
    await waitForCard(id, /Applied and verified|:x: Failed/);
    expect(lastCard(id)).toContain('Grant ends');
    const ends = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/.exec(
      lastCard(id).slice(lastCard(id).indexOf('Grant ends')),
    )?.[0];
    expect(ends).toBeDefined();
    // Wait until it is due (A's and B's timers fire only every 30 s), then start C and D together: each one's
    // start-up pass finds the due grant and tries to revoke it.
    const dueIn = new Date(ends!).getTime() - Date.now();
    if (dueIn > -100) await new Promise((r) => setTimeout(r, dueIn + 200));
    const [c, d] = await Promise.all([spawnBot('C', databaseUrl), spawnBot('D', databaseUrl)]);
    await Promise.all([waitHealthy(c), waitHealthy(d)]);
    await waitForCard(id, /Revoked/);
    // A clean stop waits for the scheduler pass in progress: after it, every replica's pass is over.
    expect(await Promise.all([stopBot(c), stopBot(d)])).toEqual([
      { code: 0, signal: null },
      { code: 0, signal: null },
    ]);

    expect(iamCalls('DeleteRolePolicy', 'connect-timed')).toHaveLength(1);
    expect(iam.role(role)!.inline.size).toBe(0);
    const replies = thread(id);
    expect(replies.filter((t) => t.includes('Revoking'))).toHaveLength(1);
    expect(replies.filter((t) => t.includes('Revoked and verified'))).toHaveLength(1);
    expect(lastCard(id)).toContain('Revoked by the bot');
  });

  it('both stop cleanly on SIGTERM', async () => {
    expect(await Promise.all([stopBot(a), stopBot(b)])).toEqual([
      { code: 0, signal: null },
      { code: 0, signal: null },
    ]);
    for (const bot of [a, b]) {
      expect(logsOf(bot).map((e) => e.message)).toContain('cases-access stopped');
      expect(bot.output()).not.toContain(SIGNING_SECRET);
      expect(bot.output()).not.toContain(BOT_TOKEN);
    }
  });
});

// =================================================================================================================

suite('two schedulers on one PostgreSQL database (in-process, test clock)', () => {
  const saved: Record<string, string | undefined> = {};
  const bots: RunningBot[] = [];
  const logs: string[] = [];
  let clock: TestClock;

  beforeAll(() => {
    // The SDK reads these from process.env itself, as in production.
    const vars = { ...emulatorAwsEnv(iam.url), AWS_PROFILE: undefined };
    for (const [k, v] of Object.entries(vars)) {
      saved[k] = process.env[k];
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  afterAll(async () => {
    for (const bot of bots.splice(0)) await bot.stop();
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  it('runScheduledWork() on both replicas at once: each due grant is revoked exactly once, the others not at all', async () => {
    const databaseUrl = await newDatabase();
    clock = new TestClock('2026-03-02T09:00:00.000Z');
    const env = { ...process.env, ...botVariables(0, databaseUrl), LOG_LEVEL: 'debug' };
    // The bots' own timers are set to an hour of real time: only the test runs the passes.
    const options = { clock, schedulerIntervalMs: 3_600_000, writeLog: (line: string) => logs.push(line) };
    bots.push(...(await Promise.all([startBot(env, options), startBot(env, options)])));
    const [one, two] = bots as [RunningBot, RunningBot];

    const due = ['connect-due-1', 'connect-due-2', 'connect-due-3'];
    const later = 'connect-later';
    const ids = new Map<string, string>();
    for (const [i, name] of [...due, later].entries()) {
      iam.addRole(name);
      const id = await request(
        i % 2 === 0 ? one.port : two.port,
        `view arn:aws:iam::${ACCOUNT}:role/${name} --for ${name === later ? '1h' : '1m'}`,
      );
      expect(await clickApprove(i % 2 === 0 ? two.port : one.port, id, APPROVERS[i]!, `sched-${i}`)).toBe(
        200,
      );
      await waitForCard(id, /Applied and verified|:x: Failed/);
      expect(lastCard(id)).toContain('Applied and verified');
      ids.set(name, id);
    }

    // Before the end nothing happens, however many passes run.
    await Promise.all([one.runScheduledWork(), two.runScheduledWork()]);
    await Promise.all([one.slackSettled(), two.slackSettled()]);
    for (const name of [...due, later]) expect(iamCalls('DeleteRolePolicy', name)).toHaveLength(0);

    clock.advance(2 * MINUTE);
    await Promise.all([one.runScheduledWork(), two.runScheduledWork()]);
    await Promise.all([one.slackSettled(), two.slackSettled()]);
    // And again, from both: nothing more.
    await Promise.all([one.runScheduledWork(), two.runScheduledWork()]);
    await Promise.all([one.slackSettled(), two.slackSettled()]);

    for (const name of due) {
      const id = ids.get(name)!;
      expect(iamCalls('DeleteRolePolicy', name)).toHaveLength(1);
      expect(iam.role(`arn:aws:iam::${ACCOUNT}:role/${name}`)!.inline.size).toBe(0);
      expect(lastCard(id)).toContain('Revoked by the bot');
      const replies = thread(id);
      expect(replies.filter((t) => t.includes('Revoking'))).toHaveLength(1);
      expect(replies.filter((t) => t.includes('Revoked and verified'))).toHaveLength(1);
    }
    expect(iamCalls('DeleteRolePolicy', later)).toHaveLength(0);
    expect(iam.role(`arn:aws:iam::${ACCOUNT}:role/${later}`)!.inline.size).toBe(1);
    expect(lastCard(ids.get(later)!)).toContain('Applied and verified');
    // Nothing failed along the way in either bot.
    expect(logs.filter((l) => /"level":"error"/.test(l))).toEqual([]);
  });
});

/** Where a click on the request's card comes from: its channel and ts. */
function cardRef(slack: FakeSlack, id: string): { channelId: string; messageTs: string } {
  const card = approvalCardOf(slack, id);
  if (!card) throw new Error(`no approval card for ${id}`);
  return card;
}
