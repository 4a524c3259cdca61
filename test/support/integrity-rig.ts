import Database from 'better-sqlite3';
import { openStore, sqlitePath } from '../../src/store';
import type { Store } from '../../src/store';
import type { AccessRequest } from '../../src/access/types';
import {
  ACCOUNT,
  APPROVAL_CHANNEL,
  APPROVER,
  REQUESTER,
  requestIdFrom,
  startHarness,
  waitFor,
} from './harness';
import type { Harness } from './harness';
import type { FakeSlack, SlackCall } from './fake-slack';
import { TestClock } from './test-clock';
import { ACTION } from '../../src/slack/blocks';

/**
 * The rig for the integrity suites: the real bot in process (Bolt HTTP, AWS SDK, SQLite on disk) with a clock the
 * test moves, a second connection to its database (to read it, or to tamper with it as an attacker with the
 * database would), and helpers that wait for what Slack would show.
 */

export const ROLE = `arn:aws:iam::${ACCOUNT}:role/connect-admins`;
export const OTHER_ROLE = `arn:aws:iam::${ACCOUNT}:role/finance-admins`;
export const ONBOARD_POLICY = 'cases-access-onboard';
export const FULL_ACCESS = 'arn:aws:iam::aws:policy/AmazonConnect_FullAccess';
export const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';
export const T0 = new Date('2026-03-02T09:00:00.000Z');

export interface Rig {
  h: Harness;
  clock: TestClock;
  store: Store;
  /** Runs SQL on the bot's database file directly, as someone with access to the database could. */
  tamper(sql: string, ...params: unknown[]): void;
  ask(text: string, user?: string): Promise<string>;
  /** Clicks a card button and waits for the private answer (a refusal), or undefined if none came. */
  clickForAnswer(
    action: string,
    id: string,
    user: string,
    origin?: { channelId: string; messageTs: string },
  ): Promise<string>;
  /** Waits until the card of `id` was last updated to `state`. */
  cardReaches(id: string, state: string): Promise<SlackCall>;
  thread(id: string): Promise<string[]>;
  get(id: string): Promise<AccessRequest>;
  events(id: string): Promise<string[]>;
  /** IAM writes that reached the emulator and succeeded. */
  writes(): Array<{ action: string; role?: string; name?: string; fence?: string }>;
  close(): Promise<void>;
}

export async function startRig(
  env: NodeJS.ProcessEnv = {},
  beforeStart?: (slack: FakeSlack) => void,
): Promise<Rig> {
  const clock = new TestClock(T0);
  const h = await startHarness({ env, start: { clock, schedulerIntervalMs: 3_600_000 }, beforeStart });
  h.iam.addRole('connect-admins');
  h.iam.addRole('connect-agents');
  h.iam.addRole('finance-admins');
  // The bot's start-up pass first: this second connection lives in the same thread, and better-sqlite3 waits for a
  // lock synchronously, so the two must not meet inside a transaction (the wait would block the holder).
  await h.tick();
  const store = await openStore(h.env.DATABASE_URL!);
  let counter = 0;
  const rig: Rig = {
    h,
    clock,
    store,
    tamper(sql, ...params) {
      const db = new Database(sqlitePath(h.env.DATABASE_URL!));
      try {
        db.pragma('busy_timeout = 5000');
        db.prepare(sql).run(...params);
      } finally {
        db.close();
      }
    },
    async ask(text, user = REQUESTER) {
      const { status, reply } = await h.command(text, user);
      expect(status).toBe(200);
      return requestIdFrom(reply);
    },
    async clickForAnswer(action, id, user, origin) {
      const responseId = `answer-${++counter}`;
      expect(await h.click(action, id, user, responseId, origin)).toBe(200);
      const answer = await h.slack.waitForCall('response_url', (c) => c.responseUrlId === responseId);
      return String(answer.args.text);
    },
    cardReaches(id, state) {
      return waitFor(() =>
        h.slack
          .callsOf('chat.update')
          .find((c) => String(c.args.text).includes(id) && String(c.args.text).endsWith(`— ${state}`)),
      );
    },
    async thread(id) {
      const card = h.cardOf(id);
      return h.slack
        .posted()
        .filter((m) => m.channel === APPROVAL_CHANNEL && card && m.args.thread_ts === card.messageTs)
        .map((m) => String(m.args.text));
    },
    async get(id) {
      const request = await store.getRequest(id);
      if (!request) throw new Error(`no request ${id}`);
      return request;
    },
    async events(id) {
      return (await store.listEvents(id)).map((e) => e.type);
    },
    writes() {
      return h.iam.calls
        .filter(
          (c) =>
            c.status === 200 &&
            ['PutRolePolicy', 'AttachRolePolicy', 'DeleteRolePolicy', 'DetachRolePolicy'].includes(c.action),
        )
        .map((c) => ({
          action: c.action,
          role: c.params.RoleName,
          name: c.params.PolicyName ?? c.params.PolicyArn,
          fence: c.fence,
        }));
    },
    async close() {
      await store.close();
      await h.close();
    },
  };
  return rig;
}

/** Approves as `user` on the request's card and waits for the card to show `state`. */
export async function approveTo(rig: Rig, id: string, state: string, user = APPROVER): Promise<void> {
  expect(await rig.h.click(ACTION.approve, id, user)).toBe(200);
  await rig.cardReaches(id, state);
}
