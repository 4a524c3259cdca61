import { Migrator, sql } from 'kysely';
import type { Kysely, Migration, MigrationProvider, MigrationResultSet } from 'kysely';
import { messageOf } from '../errors';

/** The SQL dialects the store knows how to migrate. */
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
    // The grant lifecycle (revoke, time-bound grants, expiry, reminders) and the audit log's hash chain.
    '0002_lifecycle': {
      async up(db: Kysely<unknown>): Promise<void> {
        const columns: Array<[string, 'text' | 'integer', string?]> = [
          ['duration_seconds', 'integer'],
          ['attached_managed_arns', 'text', '[]'],
          ['expires_at', 'text'],
          ['approvers_reminded_at', 'text'],
          ['requester_reminded_at', 'text'],
          ['revoked_by', 'text'],
          ['revoked_at', 'text'],
          ['revoke_reason', 'text'],
          ['next_revoke_attempt_at', 'text'],
          ['lease_until', 'text'],
        ];
        for (const [name, type, fallback] of columns)
          await db.schema
            .alterTable('requests')
            .addColumn(name, type, (c) => (fallback === undefined ? c : c.notNull().defaultTo(fallback)))
            .execute();
        await db.schema
          .createIndex('requests_state_expires_idx')
          .on('requests')
          .columns(['state', 'expires_at'])
          .execute();
        await db.schema.createIndex('requests_role_arn_idx').on('requests').column('role_arn').execute();
        // The scheduler's scans of pending requests by age.
        await db.schema
          .createIndex('requests_state_created_idx')
          .on('requests')
          .columns(['state', 'created_at'])
          .execute();
        await db.schema.createIndex('requests_role_name_idx').on('requests').column('role_name').execute();
        await db.schema
          .alterTable('events')
          .addColumn('hash', 'text', (c) => c.notNull().defaultTo(''))
          .execute();
        // Slack deliveries already handled (a retried slash command must not create a second request).
        await db.schema
          .createTable('deliveries')
          .addColumn('key', 'text', (c) => c.primaryKey())
          .addColumn('at', 'text', (c) => c.notNull())
          .execute();
      },
      async down(db: Kysely<unknown>): Promise<void> {
        await db.schema.dropTable('deliveries').execute();
        await db.schema.alterTable('events').dropColumn('hash').execute();
        for (const index of [
          'requests_state_expires_idx',
          'requests_state_created_idx',
          'requests_role_arn_idx',
          'requests_role_name_idx',
        ])
          await db.schema.dropIndex(index).execute();
        for (const name of [
          'duration_seconds',
          'attached_managed_arns',
          'expires_at',
          'approvers_reminded_at',
          'requester_reminded_at',
          'revoked_by',
          'revoked_at',
          'revoke_reason',
          'next_revoke_attempt_at',
          'lease_until',
        ])
          await db.schema.alterTable('requests').dropColumn(name).execute();
      },
    },
    // Fencing: each new owner of an apply or revocation gets the next generation; writes prove it is still current.
    // And a revocation that keeps failing: how often, and since when (its backoff and the approvers' alerts).
    '0003_fencing_and_backoff': {
      async up(db: Kysely<unknown>): Promise<void> {
        await db.schema
          .alterTable('requests')
          .addColumn('lease_generation', 'integer', (c) => c.notNull().defaultTo(0))
          .execute();
        await db.schema
          .alterTable('requests')
          .addColumn('revoke_failures', 'integer', (c) => c.notNull().defaultTo(0))
          .execute();
        await db.schema.alterTable('requests').addColumn('revoke_failing_since', 'text').execute();
      },
      async down(db: Kysely<unknown>): Promise<void> {
        for (const name of ['lease_generation', 'revoke_failures', 'revoke_failing_since'])
          await db.schema.alterTable('requests').dropColumn(name).execute();
      },
    },
    // The outbox: every thread reply, card update and DM, durable until Slack has it (see access/outbox.ts).
    '0004_outbox': {
      async up(db: Kysely<unknown>): Promise<void> {
        await db.schema
          .createTable('outbox')
          .addColumn('id', 'integer', (c) =>
            dialect === 'postgres'
              ? c.primaryKey().generatedByDefaultAsIdentity()
              : c.primaryKey().autoIncrement(),
          )
          .addColumn('request_id', 'text', (c) => c.notNull())
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('notice', 'text')
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('next_attempt_at', 'text', (c) => c.notNull())
          .addColumn('claimed_until', 'text')
          .addColumn('delivered_at', 'text')
          .addColumn('slack_ts', 'text')
          .addColumn('gave_up_at', 'text')
          .addColumn('last_error', 'text')
          .execute();
        // The deliverer's scan: what is still to send, per request, in order.
        await db.schema
          .createIndex('outbox_pending_idx')
          .on('outbox')
          .columns(['delivered_at', 'gave_up_at', 'request_id', 'id'])
          .execute();
      },
      async down(db: Kysely<unknown>): Promise<void> {
        await db.schema.dropTable('outbox').execute();
      },
    },
    // Approval rules: the rule that decided a request when it was made, and who has approved it so far (a quorum).
    '0005_rules_and_quorum': {
      async up(db: Kysely<unknown>): Promise<void> {
        await db.schema.alterTable('requests').addColumn('rule_name', 'text').execute();
        await db.schema
          .alterTable('requests')
          .addColumn('approvals', 'text', (c) => c.notNull().defaultTo('[]'))
          .execute();
        // Break-glass: applied at once by its requester, then acknowledged by an approver (and reminded until).
        await db.schema
          .alterTable('requests')
          .addColumn('break_glass', 'integer', (c) => c.notNull().defaultTo(0))
          .execute();
        await db.schema.alterTable('requests').addColumn('reviewed_by', 'text').execute();
        await db.schema.alterTable('requests').addColumn('reviewed_at', 'text').execute();
      },
      async down(db: Kysely<unknown>): Promise<void> {
        for (const name of ['rule_name', 'approvals', 'break_glass', 'reviewed_by', 'reviewed_at'])
          await db.schema.alterTable('requests').dropColumn(name).execute();
      },
    },
    // Evidence on the card: what IAM's simulator said about the grant before anyone approved it.
    '0006_evidence': {
      async up(db: Kysely<unknown>): Promise<void> {
        await db.schema.alterTable('requests').addColumn('evidence', 'text').execute();
      },
      async down(db: Kysely<unknown>): Promise<void> {
        await db.schema.alterTable('requests').dropColumn('evidence').execute();
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
 * All-or-nothing and safe when several processes start at once, on both dialects:
 * - SQLite: Kysely's adapter declares no transactional DDL (kysely#56) and takes no lock (kysely#729), so the whole
 *   run, bookkeeping tables included, goes inside one `BEGIN IMMEDIATE`: a failed migration leaves the file as it
 *   was, and a second process opening the same file waits (busy_timeout) instead of migrating twice. Consequence for
 *   future SQLite migrations: `PRAGMA foreign_keys` cannot be changed inside a transaction; use
 *   `PRAGMA defer_foreign_keys = ON` for table rebuilds.
 * - PostgreSQL: see `migratePostgres`.
 */
export async function migrateToLatest<DB>(
  db: Kysely<DB>,
  dialect: SqlDialectName = 'sqlite',
): Promise<string[]> {
  const provider = migrationProvider(dialect);
  // Errors outside a migration (cannot connect, cannot lock) are reported like those inside one.
  const { error, results } = await (
    dialect === 'sqlite' ? migrateSqliteAtomically(db, provider) : migratePostgres(db, provider)
  ).catch((e: unknown): MigrationResultSet => ({ error: e }));
  const failed = results?.filter((r) => r.status === 'Error').map((r) => r.migrationName) ?? [];
  if (error !== undefined) {
    const detail = messageOf(error);
    const which = failed.length > 0 ? `migration ${failed.join(', ')} failed` : 'migrations failed';
    throw new Error(`Database ${which}: ${detail}`, { cause: error });
  }
  return results?.filter((r) => r.status === 'Success').map((r) => r.migrationName) ?? [];
}

/**
 * The session-level advisory lock key that serialises this app's migrations on one PostgreSQL database (the first 8
 * bytes of SHA-256("cases-access:migrations")). Advisory lock keys are per database, not per schema: deployments
 * that share a database in different schemas merely wait for each other's (short) migration.
 */
export const PG_MIGRATION_LOCK_KEY = 2003986952092126729n;

/**
 * PostgreSQL: Kysely's Migrator runs the pending migrations in one transaction under its own advisory lock, so they
 * are all-or-nothing. Two things it leaves open are closed here:
 * - Its set-up steps (create `kysely_migration`, `kysely_migration_lock`, insert the lock row) run before its lock,
 *   and rely on catching "already exists" errors. The whole run is held under our own advisory lock on one
 *   connection instead, so concurrent starts simply queue.
 * - Without `migrationTableSchema`, it decides that `kysely_migration` "exists" if a table of that name exists in ANY
 *   schema of the database, then reads it unqualified from the search_path: a second deployment in another schema
 *   of the same database would never create its own and fail. We pin it to `current_schema()`, the schema where
 *   the unqualified `CREATE TABLE`s of the migrations land too (the first existing schema of the search_path).
 */
async function migratePostgres<DB>(db: Kysely<DB>, provider: MigrationProvider): Promise<MigrationResultSet> {
  return db.connection().execute(async (conn) => {
    const { rows } = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(conn);
    const schema = rows[0]?.schema ?? null;
    if (schema === null) {
      const { rows: sp } = await sql<{ search_path: string }>`show search_path`.execute(conn);
      throw new Error(
        `no schema to create tables in: none of the search_path (${sp[0]?.search_path ?? '?'}) exists`,
      );
    }
    await sql`select pg_advisory_lock(${PG_MIGRATION_LOCK_KEY})`.execute(conn);
    try {
      return await new Migrator({ db: conn, provider, migrationTableSchema: schema }).migrateToLatest();
    } finally {
      // A session lock outlives transactions: release it before the connection goes back to the pool. If the
      // connection broke, the server has released it already.
      await sql`select pg_advisory_unlock(${PG_MIGRATION_LOCK_KEY})`.execute(conn).catch(() => undefined);
    }
  });
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
