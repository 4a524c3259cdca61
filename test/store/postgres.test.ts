import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import { Pool } from 'pg';
import { openStore, PG_MIGRATION_LOCK_KEY } from '../../src/store';
import { postgresSuite, redacted, TEST_DATABASE_URL } from '../support/postgres-available';
import { event, newRequest, storeContract } from './store-contract';

/**
 * The store against a real PostgreSQL (.ci/run makes sure one answers at 127.0.0.1:5432 with trust auth). Every store
 * gets its own schema, named after this run, reached through the URL's `options=-c search_path=<schema>`; the schemas
 * are dropped at the end. Set TEST_DATABASE_URL to use another server or database. Without a server the file is
 * skipped with a hint, unless CI is set: then it fails.
 */
const BASE_URL = TEST_DATABASE_URL;
const { suite, runs } = postgresSuite('postgres.test.ts', BASE_URL);
const RUN = `ca_test_${Date.now().toString(36)}_${crypto.randomBytes(3).toString('hex')}`;

let admin: Pool;
const schemas: string[] = [];

/** A new, empty schema of this run. */
async function newSchema(): Promise<string> {
  const schema = `${RUN}_${schemas.length + 1}`;
  schemas.push(schema);
  await admin.query(`create schema ${schema}`);
  return schema;
}

/** BASE_URL with its search_path set to `schema` (through the `options` startup parameter). */
function urlFor(schema: string, base = BASE_URL): string {
  const u = new URL(base);
  u.searchParams.set('options', `-c search_path=${schema}`);
  return u.toString();
}

async function tablesOf(schema: string): Promise<string[]> {
  const { rows } = await admin.query<{ table_name: string }>(
    'select table_name from information_schema.tables where table_schema = $1 order by table_name',
    [schema],
  );
  return rows.map((r) => r.table_name);
}

async function migrationsOf(schema: string): Promise<string[]> {
  const { rows } = await admin.query<{ name: string }>(
    `select name from ${schema}.kysely_migration order by name`,
  );
  return rows.map((r) => r.name);
}

beforeAll(async () => {
  if (!runs) return;
  admin = new Pool({ connectionString: BASE_URL, max: 2 });
  admin.on('error', () => undefined);
  try {
    await admin.query('select 1');
  } catch (e) {
    throw new Error(
      `PostgreSQL is not reachable at ${redacted(BASE_URL)} (${e instanceof Error ? e.message : String(e)}): ` +
        'start it (.ci/run does) or point TEST_DATABASE_URL at one',
      { cause: e },
    );
  }
});

afterAll(async () => {
  if (!admin) return;
  try {
    for (const s of schemas) await admin.query(`drop schema if exists ${s} cascade`);
  } finally {
    await admin.end();
  }
});

suite('Store on PostgreSQL', () => {
  storeContract(async () => openStore(urlFor(await newSchema())));
});

suite('openStore (PostgreSQL)', () => {
  it('creates the tables in the search_path schema, with an identity seq', async () => {
    const schema = await newSchema();
    const store = await openStore(urlFor(schema));
    await store.close();
    expect(await tablesOf(schema)).toEqual([
      'deliveries',
      'events',
      'kysely_migration',
      'kysely_migration_lock',
      'outbox',
      'requests',
    ]);
    expect(await migrationsOf(schema)).toEqual([
      '0001_initial',
      '0002_lifecycle',
      '0003_fencing_and_backoff',
      '0004_outbox',
      '0005_rules_and_quorum',
      '0006_evidence',
    ]);
    const { rows } = await admin.query<{ data_type: string; is_identity: string }>(
      "select data_type, is_identity from information_schema.columns where table_schema = $1 and table_name = 'events' and column_name = 'seq'",
      [schema],
    );
    expect(rows).toEqual([{ data_type: 'integer', is_identity: 'YES' }]);
  });

  it('accepts the postgresql:// scheme too', async () => {
    const schema = await newSchema();
    const store = await openStore(urlFor(schema).replace(/^postgres:/, 'postgresql:'));
    try {
      expect(await store.ping()).toBe(true);
    } finally {
      await store.close();
    }
    expect(await tablesOf(schema)).toContain('requests');
  });

  it('keeps data across close and reopen, and runs no migration again', async () => {
    const url = urlFor(await newSchema());
    const r = newRequest({ instance: { instanceId: 'i-1', region: 'us-east-1' } });
    const first = await openStore(url);
    await first.createRequest(r, event(r.id, 'requested'));
    await first.setCard(r.id, { channelId: 'C1', messageTs: '1.2' });
    await first.close();
    const second = await openStore(url);
    const third = await openStore(url); // a second pool while the first is open
    try {
      const expected = {
        ...r,
        state: 'pending',
        attachedManagedArns: [],
        leaseGeneration: 0,
        revokeFailures: 0,
        approvals: [],
        card: { channelId: 'C1', messageTs: '1.2' },
      };
      expect(await second.getRequest(r.id)).toStrictEqual(expected);
      expect(await third.getRequest(r.id)).toStrictEqual(expected);
    } finally {
      await second.close();
      await third.close();
    }
  });

  it('migrates a schema of a database where another schema already has the tables, and keeps them apart', async () => {
    // Kysely's Migrator, left to itself, sees the other schema's kysely_migration and never creates this one's.
    const a = await openStore(urlFor(await newSchema()));
    const bSchema = await newSchema();
    const b = await openStore(urlFor(bSchema));
    try {
      expect(await migrationsOf(bSchema)).toEqual([
        '0001_initial',
        '0002_lifecycle',
        '0003_fencing_and_backoff',
        '0004_outbox',
        '0005_rules_and_quorum',
        '0006_evidence',
      ]);
      const r = newRequest();
      await a.createRequest(r, event(r.id, 'requested'));
      expect(await b.getRequest(r.id)).toBeUndefined();
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('exactly one of two stores (two pools) wins a transition raced from both', async () => {
    const url = urlFor(await newSchema());
    const one = await openStore(url);
    const two = await openStore(url);
    try {
      const r = newRequest();
      await one.createRequest(r, event(r.id, 'requested'));
      for (let round = 0; round < 3; round++) {
        const id = round === 0 ? r.id : newRequest().id;
        if (round > 0) await two.createRequest(newRequest({ id }), event(id, 'requested'));
        const results = await Promise.all(
          Array.from({ length: 16 }, (_, i) =>
            (i % 2 === 0 ? one : two).transition(
              id,
              'pending',
              'approved',
              { decidedBy: `U${i}`, decidedAt: new Date() },
              event(id, 'approved', { actor: `U${i}` }),
            ),
          ),
        );
        const winners = results.filter((x) => x !== undefined);
        expect(winners).toHaveLength(1);
        const approvals = (await two.listEvents(id)).filter((e) => e.type === 'approved');
        expect(approvals.map((e) => e.actor)).toEqual([winners[0]?.decidedBy]);
        expect((await one.getRequest(id))?.decidedBy).toBe(winners[0]?.decidedBy);
      }
    } finally {
      await one.close();
      await two.close();
    }
  });

  it('serialises migrations of processes opening the same new schema at once', async () => {
    const child = path.join(__dirname, 'open-store-child.js');
    for (let round = 0; round < 2; round++) {
      const schema = await newSchema();
      const outs = await Promise.all(
        Array.from({ length: 4 }, () =>
          promisify(execFile)(process.execPath, [child, urlFor(schema)]).then(
            (r) => r.stdout,
            (e: { stdout?: string; message: string }) => e.stdout || e.message,
          ),
        ),
      );
      expect(outs).toEqual(['ok', 'ok', 'ok', 'ok']);
      expect(await migrationsOf(schema)).toEqual([
        '0001_initial',
        '0002_lifecycle',
        '0003_fencing_and_backoff',
        '0004_outbox',
        '0005_rules_and_quorum',
        '0006_evidence',
      ]);
    }
  });

  it('waits for the migration advisory lock', async () => {
    const schema = await newSchema();
    const holder = await admin.connect();
    let opened: Promise<unknown> | undefined;
    try {
      await holder.query('select pg_advisory_lock($1)', [PG_MIGRATION_LOCK_KEY.toString()]);
      let done = false;
      opened = openStore(urlFor(schema)).then(async (s) => {
        done = true;
        await s.close();
      });
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(done).toBe(false);
      expect(await tablesOf(schema)).toEqual([]);
    } finally {
      await holder.query('select pg_advisory_unlock($1)', [PG_MIGRATION_LOCK_KEY.toString()]);
      holder.release();
    }
    await opened;
    expect(await migrationsOf(schema)).toEqual([
      '0001_initial',
      '0002_lifecycle',
      '0003_fencing_and_backoff',
      '0004_outbox',
      '0005_rules_and_quorum',
      '0006_evidence',
    ]);
  });

  it('names the failed migration, leaves no half-applied schema and releases the lock', async () => {
    const schema = await newSchema();
    await admin.query(`create table ${schema}.events (x text)`); // 0001_initial creates requests, then fails here
    await expect(openStore(urlFor(schema))).rejects.toHaveProperty(
      'message',
      expect.stringMatching(/Database migration 0001_initial failed: relation "events" already exists/),
    );
    expect(await tablesOf(schema)).not.toContain('requests');
    // The lock is free again: another schema migrates at once.
    const other = await openStore(urlFor(await newSchema()));
    await other.close();
  });

  it('says so when no schema of the search_path exists', async () => {
    await expect(openStore(urlFor(`${RUN}_missing`))).rejects.toHaveProperty(
      'message',
      expect.stringMatching(
        /Database migrations failed: no schema to create tables in: none of the search_path \(ca_test_\w+_missing\) exists/,
      ),
    );
  });

  it('fails without echoing the password when the server cannot be reached', async () => {
    const url = 'postgres://someone:hunter2@127.0.0.1:1/db';
    await expect(openStore(url)).rejects.toHaveProperty(
      'message',
      expect.stringMatching(/Database migrations failed: .*ECONNREFUSED/),
    );
    await expect(openStore(url)).rejects.not.toThrow(/hunter2/);
  });
});
