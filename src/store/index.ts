import fs from 'node:fs';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { Dialect } from 'kysely';
import { KyselyStore } from './kysely-store';
import { migrateToLatest } from './migrations';
import type { SqlDialectName } from './migrations';
import type { Database } from './schema';
import type { Store } from './store';

export type { Store } from './store';
export { KyselyStore, StoreDataError } from './kysely-store';
export { migrateToLatest } from './migrations';
export type { SqlDialectName } from './migrations';
export type { Database } from './schema';

/**
 * Opens the database named by `databaseUrl`, applies pending migrations and returns the Store.
 *
 * - `sqlite:<path>`: a file; a relative path is relative to the working directory, missing parent folders are
 *   created. `sqlite://<path>` is accepted too (so `sqlite:///var/lib/x.db` is `/var/lib/x.db`).
 * - `sqlite::memory:`: a private in-memory database (gone on close).
 * - `postgres://…`, `postgresql://…`: not supported yet.
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
  return new KyselyStore(db);
}

function dialectFor(databaseUrl: string): { dialect: Dialect; name: SqlDialectName } {
  if (databaseUrl.startsWith('sqlite:')) {
    return { dialect: new SqliteDialect({ database: openSqlite(sqlitePath(databaseUrl)) }), name: 'sqlite' };
  }
  if (/^postgres(ql)?:\/\//i.test(databaseUrl)) {
    // Later: return { dialect: new PostgresDialect({ pool: new Pool({ connectionString: databaseUrl }) }), name: 'postgres' };
    throw new Error('PostgreSQL is not supported yet');
  }
  // Only the scheme is echoed: a URL may carry a password.
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(databaseUrl)?.[1];
  throw new Error(
    `Unsupported database URL${scheme === undefined ? '' : ` (scheme "${scheme}")`}: expected sqlite:<path>, sqlite::memory: or postgres://…`,
  );
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
    db.pragma('journal_mode = WAL');
    db.pragma('busy_timeout = 5000');
    db.pragma('foreign_keys = ON');
    return db;
  } catch (e) {
    db?.close();
    throw new Error(`Cannot open SQLite database ${file}: ${e instanceof Error ? e.message : String(e)}`, {
      cause: e,
    });
  }
}
