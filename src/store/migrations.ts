import { Migrator, sql } from 'kysely';
import type { Kysely, Migration, MigrationProvider, MigrationResultSet } from 'kysely';

/** The SQL dialects the store knows how to migrate. Only `sqlite` is wired up in `openStore` for now. */
export type SqlDialectName = 'sqlite' | 'postgres';

/**
 * Migrations as code: no file-system lookup, so they run the same from `dist/`, under ts/jest and in a bundle.
 * Names sort in application order; never edit or rename one that has shipped, add a new one instead.
 *
 * The dialect is passed in (rather than sniffed from the Kysely instance) for the few column types that differ.
 */
export function migrations(dialect: SqlDialectName): Record<string, Migration> {
  return {
    '0001_initial': {
      async up(db: Kysely<unknown>): Promise<void> {
        await db.schema
          .createTable('requests')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('requester_id', 'text', (c) => c.notNull())
          .addColumn('role_arn', 'text', (c) => c.notNull())
          .addColumn('role_account_id', 'text', (c) => c.notNull())
          .addColumn('role_name', 'text', (c) => c.notNull())
          .addColumn('role_path', 'text', (c) => c.notNull())
          .addColumn('task', 'text', (c) => c.notNull())
          .addColumn('option', 'text', (c) => c.notNull())
          .addColumn('instance_id', 'text')
          .addColumn('instance_region', 'text')
          .addColumn('reason', 'text', (c) => c.notNull())
          .addColumn('policy_name', 'text', (c) => c.notNull())
          .addColumn('document_text', 'text', (c) => c.notNull())
          .addColumn('managed_policy_arns', 'text', (c) => c.notNull())
          .addColumn('sha256', 'text', (c) => c.notNull())
          .addColumn('state', 'text', (c) => c.notNull())
          .addColumn('card_channel_id', 'text')
          .addColumn('card_message_ts', 'text')
          .addColumn('decided_by', 'text')
          .addColumn('decided_at', 'text')
          .addColumn('deny_reason', 'text')
          .addColumn('completed_at', 'text')
          .addColumn('failure_code', 'text')
          .addColumn('failure_message', 'text')
          .addColumn('failure_aws_request_id', 'text')
          .execute();
        await db.schema.createIndex('requests_state_idx').on('requests').column('state').execute();
        await db.schema
          .createIndex('requests_requester_created_idx')
          .on('requests')
          .columns(['requester_id', 'created_at'])
          .execute();

        await db.schema
          .createTable('events')
          .addColumn('seq', 'integer', (c) =>
            // SQLite: INTEGER PRIMARY KEY AUTOINCREMENT (never reuses a seq). PostgreSQL: an identity column.
            dialect === 'postgres'
              ? c.primaryKey().generatedByDefaultAsIdentity()
              : c.primaryKey().autoIncrement(),
          )
          .addColumn('request_id', 'text', (c) => c.notNull().references('requests.id'))
          .addColumn('at', 'text', (c) => c.notNull())
          .addColumn('actor', 'text', (c) => c.notNull())
          .addColumn('type', 'text', (c) => c.notNull())
          .addColumn('details', 'text', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('events_request_id_idx').on('events').column('request_id').execute();
      },
      async down(db: Kysely<unknown>): Promise<void> {
        await db.schema.dropTable('events').execute();
        await db.schema.dropTable('requests').execute();
      },
    },
  };
}

/** A provider over the static migrations (Kysely's `FileMigrationProvider` would read a folder at run time). */
export function migrationProvider(dialect: SqlDialectName): MigrationProvider {
  return { getMigrations: async () => migrations(dialect) };
}

/**
 * Applies every pending migration. Idempotent: already-applied migrations are skipped. Throws if any fails, naming it.
 *
 * All-or-nothing on both dialects: PostgreSQL's Migrator runs in a transaction under an advisory lock. Kysely's
 * SQLite adapter does neither (it declares no transactional DDL, kysely#56, and takes no lock, kysely#729), so on
 * SQLite the whole run, bookkeeping tables included, goes inside one `BEGIN IMMEDIATE`: a failed migration leaves
 * the file as it was, and a second process opening the same file waits (busy_timeout) instead of migrating twice.
 * Consequence for future SQLite migrations: `PRAGMA foreign_keys` cannot be changed inside a transaction; use
 * `PRAGMA defer_foreign_keys = ON` for table rebuilds.
 */
export async function migrateToLatest<DB>(
  db: Kysely<DB>,
  dialect: SqlDialectName = 'sqlite',
): Promise<string[]> {
  const provider = migrationProvider(dialect);
  const { error, results } =
    dialect === 'sqlite'
      ? await migrateSqliteAtomically(db, provider)
      : await new Migrator({ db, provider }).migrateToLatest();
  const failed = results?.filter((r) => r.status === 'Error').map((r) => r.migrationName) ?? [];
  if (error !== undefined) {
    const detail = error instanceof Error ? error.message : String(error);
    const which = failed.length > 0 ? `migration ${failed.join(', ')} failed` : 'migrations failed';
    throw new Error(`Database ${which}: ${detail}`, { cause: error });
  }
  return results?.filter((r) => r.status === 'Success').map((r) => r.migrationName) ?? [];
}

async function migrateSqliteAtomically<DB>(
  db: Kysely<DB>,
  provider: MigrationProvider,
): Promise<MigrationResultSet> {
  // One connection for the whole run: the Migrator's own `db.connection()` calls reuse it, so everything it does
  // (create kysely_migration*, read state, run `up`, record) happens inside our transaction.
  return db.connection().execute(async (conn) => {
    await sql`begin immediate`.execute(conn);
    let resultSet: MigrationResultSet;
    try {
      resultSet = await new Migrator({ db: conn, provider }).migrateToLatest();
    } catch (e) {
      await sql`rollback`.execute(conn);
      throw e;
    }
    await (resultSet.error === undefined ? sql`commit` : sql`rollback`).execute(conn);
    return resultSet;
  });
}
