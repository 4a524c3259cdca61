import Database from 'better-sqlite3';
import { runCli } from '../../src/cli';
import { ACTION, REASON_BLOCK, REASON_INPUT, DENY_MODAL } from '../../src/slack/blocks';
import { ACCOUNT, APPROVER, requestIdFrom, startHarness, waitFor } from '../support/harness';
import type { Harness } from '../support/harness';

/** `cases-access audit export | verify` over the database of a real run. */

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  h.iam.addRole('connect-admins');
});
afterAll(async () => {
  await h.close();
});

async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(
    argv,
    { out: (t) => (out += t), err: (t) => (err += t) },
    { DATABASE_URL: h.env.DATABASE_URL },
  );
  return { code, out, err };
}

const finalCard = (id: string, pattern: RegExp) =>
  waitFor(() =>
    h.slack
      .callsOf('chat.update')
      .find((c) => String(c.args.text).includes(id) && pattern.test(JSON.stringify(c.args.blocks))),
  );

it('exports every event of a run, applied, denied and failed alike, and verify detects an edited row', async () => {
  const role = `arn:aws:iam::${ACCOUNT}:role/connect-admins`;
  const applied = requestIdFrom((await h.command(`view ${role} applied one`)).reply);
  await h.click(ACTION.approve, applied, APPROVER);
  await finalCard(applied, /Applied and verified/);

  const denied = requestIdFrom((await h.command(`view ${role} denied one`)).reply);
  await h.submitView(
    DENY_MODAL,
    denied,
    { [REASON_BLOCK]: { [REASON_INPUT]: { type: 'plain_text_input', value: 'not now' } } },
    APPROVER,
  );
  await finalCard(denied, /Denied/);

  const failed = requestIdFrom((await h.command(`onboard ${role} failed one`)).reply);
  h.iam.queueFault('PutRolePolicy', { code: 'AccessDenied', message: 'not authorized', status: 403 });
  await h.click(ACTION.approve, failed, APPROVER);
  await finalCard(failed, /Failed/);

  const exported = await cli(['audit', 'export']);
  expect(exported.code).toBe(0);
  const events = exported.out
    .trim()
    .split('\n')
    .map(
      (line) =>
        JSON.parse(line) as { seq: number; requestId: string; type: string; hash: string; at: string },
    );
  const typesOf = (id: string) => events.filter((e) => e.requestId === id).map((e) => e.type);
  expect(typesOf(applied)).toEqual([
    'requested',
    'card_posted',
    'approved',
    'iam_intent',
    'iam_call',
    'verified',
    'simulated',
    'applied',
  ]);
  expect(typesOf(denied)).toEqual(['requested', 'card_posted', 'denied']);
  expect(typesOf(failed)).toEqual(['requested', 'card_posted', 'approved', 'iam_intent', 'failed']);
  expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
  for (const e of events) expect(e.hash).toMatch(/^[0-9a-f]{64}$/);

  const later = await cli(['audit', 'export', '--since', events.at(-1)!.at]);
  expect(later.out.trim().split('\n').length).toBeLessThan(events.length);

  expect(await cli(['audit', 'verify'])).toMatchObject({
    code: 0,
    out: `ok: ${events.length} events, hash chain intact\n`,
  });

  // Someone edits the reason of the denial in the database.
  const deniedEvent = events.find((e) => e.requestId === denied && e.type === 'denied')!;
  const db = new Database(h.env.DATABASE_URL!.slice('sqlite:'.length));
  db.prepare('update events set details = ? where seq = ?').run(
    JSON.stringify({ reason: 'approved after all' }),
    deniedEvent.seq,
  );
  db.close();
  const verdict = await cli(['audit', 'verify']);
  expect(verdict.code).toBe(1);
  expect(verdict.out).toContain(`mismatch at event ${deniedEvent.seq}`);
});

it('refuses bad arguments with exit 2', async () => {
  expect(await cli(['audit'])).toMatchObject({
    code: 2,
    err: expect.stringContaining('audit needs export or verify'),
  });
  expect(await cli(['audit', 'export', '--since', 'yesterday'])).toMatchObject({
    code: 2,
    err: expect.stringContaining('not an ISO date'),
  });
  expect(await cli(['audit', 'verify', '--since', '2026-01-01'])).toMatchObject({ code: 2 });
});
