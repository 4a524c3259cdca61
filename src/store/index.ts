import fs from 'node:fs';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Pool } from 'pg';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import type { Dialect } from 'kysely';
import { KyselyStore } from './kysely-store';
import { migrateToLatest } from './migrations';
import type { SqlDialectName } from './migrations';
import type { Database } from './schema';
import type { Store } from './store';
import { messageOf } from '../errors';

export type { Store } from './store';
export { KyselyStore, StoreDataError } from './kysely-store';
export { migrateToLatest, PG_MIGRATION_LOCK_KEY } from './migrations';
export type { SqlDialectName } from './migrations';
export type { Database } from './schema';

/**
 * Opens the database named by `databaseUrl`, applies pending migrations and returns the Store.
 *
 * - `sqlite:<path>`: a file; a relative path is relative to the working directory, missing parent folders are
 *   created. `sqlite://<path>` is accepted too (so `sqlite:///var/lib/x.db` is `/var/lib/x.db`).
 * - `sqlite::memory:`: a private in-memory database (gone on close).
 * - `postgres://…`, `postgresql://…`: a PostgreSQL database, through a pool of at most 10 connections. Query
 *   parameters are node-postgres's (`sslmode=…`, `application_name=…`, …). The tables live in the first existing
 *   schema of the search_path (normally `public`); to use another, add `?options=-c%20search_path%3D<schema>`
 *   (the schema must exist). Several processes may share one database: migrations are serialised by an advisory
 *   lock, and a request's transition is one conditional UPDATE, so exactly one of them wins it.
 */
export async function openStore(databaseUrl: string): Promise<Store> {
  const { dialect, name } = dialectFor(databaseUrl);
  const db = new Kysely<Database>({ dialect });
  try {
    await migrateToLatest(db, name);
  } catch (e) {
    await db.destroy();
    throw e;
  }
  return new KyselyStore(db, name);
}

function dialectFor(databaseUrl: string): { dialect: Dialect; name: SqlDialectName } {
  if (databaseUrl.startsWith('sqlite:')) {
    return { dialect: new SqliteDialect({ database: openSqlite(sqlitePath(databaseUrl)) }), name: 'sqlite' };
  }
  if (/^postgres(ql)?:\/\//i.test(databaseUrl)) {
    return { dialect: new PostgresDialect({ pool: postgresPool(databaseUrl) }), name: 'postgres' };
  }
  // Only the scheme is echoed: a URL may carry a password.
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(databaseUrl)?.[1];
  throw new Error(
    `Unsupported database URL${scheme === undefined ? '' : ` (scheme "${scheme}")`}: expected sqlite:<path>, sqlite::memory: or postgres://…`,
  );
}

/** node-postgres pool settings (an `application_name` in the URL wins over the one here). */
export const PG_POOL_DEFAULTS = {
  max: 10,
  // Fail a query (and so /healthz) after 10 s without a connection, rather than waiting forever for a down server.
  connectionTimeoutMillis: 10_000,
  idleTimeoutMillis: 30_000,
  application_name: 'cases-access',
} as const;

function postgresPool(databaseUrl: string): Pool {
  const pool = new Pool({ ...PG_POOL_DEFAULTS, connectionString: databaseUrl });
  // An idle connection that breaks (server restart, network) is dropped from the pool and emits 'error' here; without
  // a listener Node would crash the process. The next query opens a new connection, or fails and says why.
  pool.on('error', () => undefined);
  // The same for a connection that breaks while checked out (a query in flight when the server goes away): pg-pool
  // removes its own listener then, and Kysely adds none. The query itself rejects, and the pool drops the client.
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
}

/** The file path of a `sqlite:` URL, or `:memory:`. */
export function sqlitePath(databaseUrl: string): string {
  let rest = databaseUrl.slice('sqlite:'.length);
  if (rest.startsWith('//')) rest = rest.slice(2);
  if (rest === '')
    throw new Error(
      'Database URL sqlite: needs a path, e.g. sqlite:./data/cases-access.db or sqlite::memory:',
    );
  return rest === ':memory:' ? rest : path.resolve(rest);
}

function openSqlite(file: string): SqliteDatabase.Database {
  let db: SqliteDatabase.Database | undefined;
  try {
    if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true });
    db = new SqliteDatabase(file);
    // First, so that every later statement waits up to 5 s for another process's lock instead of failing at once.
    db.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
    if (file !== ':memory:') switchToWal(db);
    db.pragma('foreign_keys = ON');
    return db;
  } catch (e) {
    db?.close();
    throw new Error(`Cannot open SQLite database ${file}: ${messageOf(e)}`, {
      cause: e,
    });
  }
}

const SQLITE_BUSY_TIMEOUT_MS = 5000;

/**
 * Puts the file in WAL mode. When several processes open one new file at once, all but one can get SQLITE_BUSY here
 * at once, busy timeout or not: each reads the header under a shared lock and then asks for the write lock to change
 * it, and SQLite does not call the busy handler for a reader that wants to write (two could wait on each other
 * forever). The statement ends its read on failure, so it is retried, for as long as the busy timeout; by then the
 * winner has switched the file and the retry finds it already in WAL mode.
 */
function switchToWal(db: SqliteDatabase.Database): void {
  const deadline = Date.now() + SQLITE_BUSY_TIMEOUT_MS;
  for (let attempt = 1; ; attempt++) {
    let mode: unknown;
    try {
      mode = db.pragma('journal_mode = WAL', { simple: true });
    } catch (e) {
      if (!isSqliteBusy(e) || Date.now() >= deadline) throw e;
      sleepSync(Math.min(2 * attempt, 50));
      continue;
    }
    if (mode !== 'wal') throw new Error(`SQLite left it in journal mode "${String(mode)}" instead of WAL`);
    return;
  }
}

function isSqliteBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return (
    (typeof code === 'string' && code.startsWith('SQLITE_BUSY')) ||
    /database is locked/i.test(messageOf(error))
  );
}

let sleeper: Int32Array | undefined;

/** Blocks the thread for `ms` milliseconds (opening a SQLite database is synchronous anyway). */
function sleepSync(ms: number): void {
  sleeper ??= new Int32Array(new SharedArrayBuffer(4));
  Atomics.wait(sleeper, 0, 0, ms);
}
