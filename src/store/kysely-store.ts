import { sql } from 'kysely';
import type { Kysely, Transaction } from 'kysely';
import { EVENT_TYPES, REQUEST_STATES } from '../access/types';
import type { Evidence } from '../access/evidence';
import type {
  AccessRequest,
  AuditEvent,
  EventType,
  NewAccessRequest,
  NewAuditEvent,
  RequestPatch,
  RequestQuery,
  RequestState,
  OutboxDraft,
  OutboxKind,
  OutboxMessage,
  SlackMessageRef,
} from '../access/types';
import { chainHash, GENESIS_HASH } from './audit-chain';
import type { SqlDialectName } from './migrations';
import { OPTIONS, TASKS } from '../policy/types';
import type { PolicyOption, Task } from '../policy/types';
import type { Database, EventRow, NewEventRow, NewRequestRow, RequestRow, RequestUpdate } from './schema';
import type { ApprovalOutcome, Store } from './store';

/** A row that does not map back to the domain (hand-edited database, or a newer schema than this code). */
export class StoreDataError extends Error {
  override name = 'StoreDataError';
}

/**
 * The Store over Kysely. Dialect-neutral: only portable SQL (conditional UPDATE, INSERT … RETURNING, ORDER BY), so
 * the same class serves SQLite and PostgreSQL. Every write that touches a request runs in one transaction with its
 * event.
 *
 * `transition` is exactly-once across connections and processes on both: SQLite has one writer at a time; on
 * PostgreSQL (READ COMMITTED, the default) a second `UPDATE … WHERE id = ? AND state = from` blocks on the row lock
 * of the first, then re-evaluates its WHERE against the committed row, finds `state` changed and updates nothing.
 */
export class KyselyStore implements Store {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: SqlDialectName = 'sqlite',
  ) {}

  async createRequest(request: NewAccessRequest, event: NewAuditEvent): Promise<AccessRequest> {
    assertEventFor(request.id, event);
    return this.db.transaction().execute(async (trx) => {
      await trx.insertInto('requests').values(requestToRow(request)).execute();
      await insertEvent(trx, event, this.dialect);
      return mustGet(trx, request.id);
    });
  }

  async getRequest(id: string): Promise<AccessRequest | undefined> {
    const row = await this.db.selectFrom('requests').selectAll().where('id', '=', id).executeTakeFirst();
    return row === undefined ? undefined : rowToRequest(row);
  }

  async setCard(id: string, card: SlackMessageRef): Promise<void> {
    const result = await this.db
      .updateTable('requests')
      .set({ card_channel_id: card.channelId, card_message_ts: card.messageTs })
      .where('id', '=', id)
      .executeTakeFirst();
    if (result.numUpdatedRows !== 1n) throw new Error(`setCard: no request ${id}`);
  }

  async transition(
    id: string,
    from: RequestState,
    to: RequestState,
    patch: RequestPatch,
    event: NewAuditEvent,
    options: { generation?: number; outbox?: OutboxDraft[] } = {},
  ): Promise<AccessRequest | undefined> {
    assertEventFor(id, event);
    const { generation, outbox = [] } = options;
    return this.db.transaction().execute(async (trx) => {
      // The single atomic compare-and-set: whoever's UPDATE matches `state = from` first wins; the others match 0 rows.
      let update = trx
        .updateTable('requests')
        .set({ ...patchToRow(patch), state: to })
        .where('id', '=', id)
        .where('state', '=', from);
      // Taking a lease makes a new owner: the next generation, in the same UPDATE.
      if (patch.leaseUntil !== undefined)
        update = update.set((eb) => ({ lease_generation: eb('lease_generation', '+', 1) }));
      if (generation !== undefined) update = update.where('lease_generation', '=', generation);
      const result = await update.executeTakeFirst();
      // numUpdatedRows is a bigint (better-sqlite3 `changes`, pg `rowCount`, both converted by Kysely).
      if (result.numUpdatedRows !== 1n) return undefined;
      await insertEvent(trx, event, this.dialect);
      const updated = await mustGet(trx, id);
      await insertOutbox(trx, updated, outbox);
      return updated;
    });
  }

  async addApproval(
    id: string,
    approval: NewAuditEvent,
    required: number,
    approved: { patch: RequestPatch; event: NewAuditEvent; outbox: OutboxDraft[] },
    outbox: OutboxDraft[],
  ): Promise<ApprovalOutcome> {
    assertEventFor(id, approval);
    return this.db.transaction().execute(async (trx): Promise<ApprovalOutcome> => {
      // A write first, so the row is locked (PostgreSQL) or the database reserved (SQLite) before it is read:
      // concurrent approvals are counted one after the other, never from the same stale list.
      const locked = await trx
        .updateTable('requests')
        .set((eb) => ({ approvals: eb.ref('approvals') }))
        .where('id', '=', id)
        .where('state', '=', 'pending')
        .executeTakeFirst();
      if (locked.numUpdatedRows !== 1n) return { outcome: 'not_pending' };
      const current = await mustGet(trx, id);
      if (current.approvals.includes(approval.actor)) return { outcome: 'already', request: current };
      const approvals = [...current.approvals, approval.actor];
      await trx
        .updateTable('requests')
        .set({ approvals: JSON.stringify(approvals) })
        .where('id', '=', id)
        .execute();
      await insertEvent(
        trx,
        { ...approval, details: { ...approval.details, count: approvals.length, required } },
        this.dialect,
      );
      if (approvals.length < required) {
        const counted = await mustGet(trx, id);
        await insertOutbox(trx, counted, outbox);
        return { outcome: 'counted', request: counted };
      }
      let update = trx
        .updateTable('requests')
        .set({ ...patchToRow(approved.patch), state: 'approved' })
        .where('id', '=', id)
        .where('state', '=', 'pending');
      if (approved.patch.leaseUntil !== undefined)
        update = update.set((eb) => ({ lease_generation: eb('lease_generation', '+', 1) }));
      await update.execute();
      await insertEvent(trx, approved.event, this.dialect);
      const done = await mustGet(trx, id);
      await insertOutbox(trx, done, [...outbox, ...approved.outbox]);
      return { outcome: 'approved', request: done };
    });
  }

  async updateRequest(id: string, patch: RequestPatch): Promise<void> {
    const set = patchToRow(patch);
    if (Object.keys(set).length === 0) return;
    await this.db.updateTable('requests').set(set).where('id', '=', id).execute();
  }

  async listRequests(query: RequestQuery): Promise<AccessRequest[]> {
    let q = this.db.selectFrom('requests').selectAll();
    if (query.states?.length) q = q.where('state', 'in', query.states);
    if (query.requesterId !== undefined) q = q.where('requester_id', '=', query.requesterId);
    if (query.roleArn !== undefined) q = q.where('role_arn', '=', query.roleArn);
    if (query.roleName !== undefined) q = q.where('role_name', '=', query.roleName);
    if (query.accountId !== undefined) q = q.where('role_account_id', '=', query.accountId);
    if (query.unreviewedBreakGlass) q = q.where('break_glass', '=', 1).where('reviewed_at', 'is', null);
    // ISO-8601 text in UTC compares in time order.
    if (query.createdBefore !== undefined) q = q.where('created_at', '<=', dateToText(query.createdBefore));
    if (query.expiresBefore !== undefined)
      q = q.where('expires_at', 'is not', null).where('expires_at', '<=', dateToText(query.expiresBefore));
    q = q.orderBy('created_at', query.newestFirst ? 'desc' : 'asc').orderBy('id', 'asc');
    if (query.limit !== undefined) q = q.limit(query.limit);
    return (await q.execute()).map(rowToRequest);
  }

  async claimLease(
    id: string,
    state: RequestState,
    now: Date,
    until: Date,
  ): Promise<AccessRequest | undefined> {
    const result = await this.db
      .updateTable('requests')
      .set((eb) => ({ lease_until: dateToText(until), lease_generation: eb('lease_generation', '+', 1) }))
      .where('id', '=', id)
      .where('state', '=', state)
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<=', dateToText(now))]))
      .executeTakeFirst();
    return result.numUpdatedRows === 1n ? this.getRequest(id) : undefined;
  }

  async renewLease(id: string, state: RequestState, generation: number, until: Date): Promise<boolean> {
    const result = await this.db
      .updateTable('requests')
      .set({ lease_until: dateToText(until) })
      .where('id', '=', id)
      .where('state', '=', state)
      .where('lease_generation', '=', generation)
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  async claimDelivery(key: string, at: Date): Promise<boolean> {
    const result = await this.db
      .insertInto('deliveries')
      .values({ key, at: dateToText(at) })
      .onConflict((oc) => oc.column('key').doNothing())
      .executeTakeFirst();
    return (result.numInsertedOrUpdatedRows ?? 0n) === 1n;
  }

  async pruneDeliveries(before: Date): Promise<number> {
    const result = await this.db
      .deleteFrom('deliveries')
      .where('at', '<', dateToText(before))
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async acknowledge(
    id: string,
    event: NewAuditEvent,
    outbox: OutboxDraft[],
  ): Promise<AccessRequest | undefined> {
    assertEventFor(id, event);
    return this.db.transaction().execute(async (trx) => {
      const result = await trx
        .updateTable('requests')
        .set({ reviewed_by: event.actor, reviewed_at: dateToText(event.at) })
        .where('id', '=', id)
        .where('break_glass', '=', 1)
        .where('reviewed_at', 'is', null)
        .executeTakeFirst();
      if (result.numUpdatedRows !== 1n) return undefined;
      await insertEvent(trx, event, this.dialect);
      const updated = await mustGet(trx, id);
      await insertOutbox(trx, updated, outbox);
      return updated;
    });
  }

  async claimReviewReminder(id: string, at: Date, lastBefore: Date): Promise<boolean> {
    const result = await this.db
      .updateTable('requests')
      .set({ approvers_reminded_at: dateToText(at) })
      .where('id', '=', id)
      .where('break_glass', '=', 1)
      .where('reviewed_at', 'is', null)
      .where((eb) =>
        eb.or([
          eb('approvers_reminded_at', 'is', null),
          eb('approvers_reminded_at', '<=', dateToText(lastBefore)),
        ]),
      )
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  async claimReminder(id: string, who: 'approvers' | 'requester', at: Date): Promise<boolean> {
    const column = who === 'approvers' ? 'approvers_reminded_at' : 'requester_reminded_at';
    const result = await this.db
      .updateTable('requests')
      .set({ [column]: dateToText(at) })
      .where('id', '=', id)
      .where(column, 'is', null)
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  async appendEvent(event: NewAuditEvent, outbox: OutboxDraft[] = []): Promise<AuditEvent> {
    return this.db.transaction().execute(async (trx) => {
      const appended = await insertEvent(trx, event, this.dialect);
      if (outbox.length) await insertOutbox(trx, await mustGet(trx, event.requestId), outbox);
      return appended;
    });
  }

  async listAllEvents(since?: Date): Promise<AuditEvent[]> {
    let q = this.db.selectFrom('events').selectAll();
    if (since !== undefined) q = q.where('at', '>=', dateToText(since));
    return (await q.orderBy('seq', 'asc').execute()).map(rowToEvent);
  }

  async listEvents(requestId: string): Promise<AuditEvent[]> {
    const rows = await this.db
      .selectFrom('events')
      .selectAll()
      .where('request_id', '=', requestId)
      .orderBy('seq', 'asc')
      .execute();
    return rows.map(rowToEvent);
  }

  async dueOutbox(now: Date, limit: number): Promise<OutboxMessage[]> {
    const t = dateToText(now);
    const rows = await this.db
      .selectFrom('outbox as o')
      .selectAll('o')
      .where('o.delivered_at', 'is', null)
      .where('o.gave_up_at', 'is', null)
      .where((eb) =>
        eb(
          'o.id',
          '=',
          eb
            .selectFrom('outbox as p')
            .select((e) => e.fn.min('p.id').as('first'))
            .where('p.request_id', '=', eb.ref('o.request_id'))
            .where('p.delivered_at', 'is', null)
            .where('p.gave_up_at', 'is', null),
        ),
      )
      .where('o.next_attempt_at', '<=', t)
      .where((eb) => eb.or([eb('o.claimed_until', 'is', null), eb('o.claimed_until', '<=', t)]))
      .orderBy('o.id', 'asc')
      .limit(limit)
      .execute();
    return rows.map((row) => ({
      id: Number(row.id),
      requestId: row.request_id,
      kind: oneOf<OutboxKind>(['thread', 'requester', 'card'], row.kind, 'kind'),
      ...(row.notice === null ? {} : { notice: row.notice }),
      createdAt: textToDate(row.created_at, 'created_at'),
      attempts: Number(row.attempts),
    }));
  }

  async claimOutbox(id: number, now: Date, until: Date): Promise<boolean> {
    const result = await this.db
      .updateTable('outbox')
      .set({ claimed_until: dateToText(until) })
      .where('id', '=', id)
      .where('delivered_at', 'is', null)
      .where('gave_up_at', 'is', null)
      .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<=', dateToText(now))]))
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  async settleOutbox(
    id: number,
    outcome:
      | { delivered: Date; slackTs?: string }
      | { failed: Date; error: string; retryAt?: Date; giveUp?: boolean },
  ): Promise<void> {
    const set =
      'delivered' in outcome
        ? {
            delivered_at: dateToText(outcome.delivered),
            slack_ts: outcome.slackTs ?? null,
            claimed_until: null,
          }
        : {
            last_error: outcome.error.slice(0, 1000),
            claimed_until: null,
            ...(outcome.retryAt ? { next_attempt_at: dateToText(outcome.retryAt) } : {}),
            ...(outcome.giveUp ? { gave_up_at: dateToText(outcome.failed) } : {}),
          };
    await this.db
      .updateTable('outbox')
      .set((eb) => ({ ...set, attempts: eb('attempts', '+', 1) }))
      .where('id', '=', id)
      .execute();
  }

  async pendingOutbox(): Promise<number> {
    const row = await this.db
      .selectFrom('outbox')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('delivered_at', 'is', null)
      .where('gave_up_at', 'is', null)
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  async ping(): Promise<boolean> {
    try {
      await sql`select 1`.execute(this.db);
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }
}

/** A fixed key for the advisory lock that serialises appends to the hash chain on PostgreSQL. */
export const PG_EVENT_CHAIN_LOCK_KEY = 2003986952092126730n;

/**
 * Queues messages in the caller's transaction, in the order given (ids rise in insert order, and delivery per
 * request follows ids). A card update snapshots the request as the transaction left it.
 */
async function insertOutbox(
  trx: Transaction<Database>,
  request: AccessRequest,
  drafts: OutboxDraft[],
): Promise<void> {
  for (const draft of drafts)
    await trx
      .insertInto('outbox')
      .values({
        request_id: request.id,
        kind: draft.kind,
        notice: draft.kind === 'card' ? JSON.stringify(request) : draft.notice,
        created_at: dateToText(draft.at),
        next_attempt_at: dateToText(draft.at),
      })
      .execute();
}

/**
 * Appends to the hash chain: the next seq and the hash over the previous one, in the caller's transaction.
 * PostgreSQL appends from several processes would race for the same predecessor: an advisory lock (released at
 * commit) serialises them. SQLite has one writer at a time.
 */
async function insertEvent(
  trx: Transaction<Database>,
  event: NewAuditEvent,
  dialect: SqlDialectName,
): Promise<AuditEvent> {
  if (dialect === 'postgres')
    await sql`select pg_advisory_xact_lock(${PG_EVENT_CHAIN_LOCK_KEY})`.execute(trx);
  const last = await trx
    .selectFrom('events')
    .select(['seq', 'hash'])
    .orderBy('seq', 'desc')
    .limit(1)
    .executeTakeFirst();
  const seq = (last ? Number(last.seq) : 0) + 1;
  const hash = chainHash(last?.hash || GENESIS_HASH, { ...event, seq });
  const row = await trx
    .insertInto('events')
    .values(eventToRow({ ...event, seq, hash }))
    .returningAll()
    .executeTakeFirstOrThrow();
  return rowToEvent(row);
}

async function mustGet(trx: Transaction<Database>, id: string): Promise<AccessRequest> {
  const row = await trx.selectFrom('requests').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  return rowToRequest(row);
}

function assertEventFor(requestId: string, event: NewAuditEvent): void {
  if (event.requestId !== requestId) {
    throw new Error(`event for request ${event.requestId} passed with request ${requestId}`);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Row ↔ domain mapping: the only place that knows the column layout.

export function requestToRow(r: NewAccessRequest): NewRequestRow {
  return {
    id: r.id,
    created_at: dateToText(r.createdAt),
    requester_id: r.requesterId,
    role_arn: r.role.arn,
    role_account_id: r.role.accountId,
    role_name: r.role.name,
    role_path: r.role.path,
    task: r.task,
    option: r.option,
    instance_id: r.instance?.instanceId ?? null,
    instance_region: r.instance?.region ?? null,
    reason: r.reason,
    policy_name: r.policyName,
    document_text: r.documentText,
    managed_policy_arns: JSON.stringify(r.managedPolicyArns),
    sha256: r.sha256,
    state: 'pending',
    duration_seconds: r.durationSeconds ?? null,
    rule_name: r.ruleName ?? null,
    break_glass: r.breakGlass ? 1 : 0,
    evidence: r.evidence === undefined ? null : JSON.stringify(r.evidence),
  };
}

/** Only the fields present in the patch are written; a transition never clears a field. */
export function patchToRow(p: RequestPatch): RequestUpdate {
  const u: RequestUpdate = {};
  if (p.decidedBy !== undefined) u.decided_by = p.decidedBy;
  if (p.decidedAt !== undefined) u.decided_at = dateToText(p.decidedAt);
  if (p.denyReason !== undefined) u.deny_reason = p.denyReason;
  if (p.completedAt !== undefined) u.completed_at = dateToText(p.completedAt);
  if (p.failure !== undefined) {
    u.failure_code = p.failure.code;
    u.failure_message = p.failure.message;
    u.failure_aws_request_id = p.failure.awsRequestId ?? null;
  }
  if (p.attachedManagedArns !== undefined) u.attached_managed_arns = JSON.stringify(p.attachedManagedArns);
  if (p.expiresAt !== undefined) u.expires_at = dateToText(p.expiresAt);
  if (p.approversRemindedAt !== undefined) u.approvers_reminded_at = dateToText(p.approversRemindedAt);
  if (p.requesterRemindedAt !== undefined) u.requester_reminded_at = dateToText(p.requesterRemindedAt);
  if (p.revokedBy !== undefined) u.revoked_by = p.revokedBy;
  if (p.revokedAt !== undefined) u.revoked_at = dateToText(p.revokedAt);
  if (p.revokeReason !== undefined) u.revoke_reason = p.revokeReason;
  if (p.nextRevokeAttemptAt !== undefined) u.next_revoke_attempt_at = dateToText(p.nextRevokeAttemptAt);
  if (p.leaseUntil !== undefined) u.lease_until = dateToText(p.leaseUntil);
  if (p.revokeFailures !== undefined) u.revoke_failures = p.revokeFailures;
  if (p.revokeFailingSince !== undefined) u.revoke_failing_since = dateToText(p.revokeFailingSince);
  if (p.reviewedBy !== undefined) u.reviewed_by = p.reviewedBy;
  if (p.reviewedAt !== undefined) u.reviewed_at = dateToText(p.reviewedAt);
  return u;
}

/** Optional fields that are NULL in the row are absent from the result (not `null`, not present-but-undefined). */
export function rowToRequest(row: RequestRow): AccessRequest {
  const r: AccessRequest = {
    id: row.id,
    createdAt: textToDate(row.created_at, 'created_at'),
    requesterId: row.requester_id,
    role: { arn: row.role_arn, accountId: row.role_account_id, name: row.role_name, path: row.role_path },
    task: oneOf<Task>(TASKS, row.task, 'task'),
    option: oneOf<PolicyOption>(OPTIONS, row.option, 'option'),
    reason: row.reason,
    policyName: row.policy_name,
    documentText: row.document_text,
    managedPolicyArns: parseStringArray(row.managed_policy_arns),
    sha256: row.sha256,
    state: oneOf<RequestState>(REQUEST_STATES, row.state, 'state'),
    attachedManagedArns: parseStringArray(row.attached_managed_arns),
    leaseGeneration: Number(row.lease_generation),
    revokeFailures: Number(row.revoke_failures),
    approvals: parseStringArray(row.approvals),
  };
  if (row.rule_name !== null) r.ruleName = row.rule_name;
  if (Number(row.break_glass) === 1) r.breakGlass = true;
  if (row.reviewed_by !== null) r.reviewedBy = row.reviewed_by;
  if (row.evidence !== null) r.evidence = JSON.parse(row.evidence) as Evidence;
  if (row.reviewed_at !== null) r.reviewedAt = textToDate(row.reviewed_at, 'reviewed_at');
  if (row.revoke_failing_since !== null)
    r.revokeFailingSince = textToDate(row.revoke_failing_since, 'revoke_failing_since');
  if (row.duration_seconds !== null) r.durationSeconds = Number(row.duration_seconds);
  if (row.expires_at !== null) r.expiresAt = textToDate(row.expires_at, 'expires_at');
  if (row.approvers_reminded_at !== null)
    r.approversRemindedAt = textToDate(row.approvers_reminded_at, 'approvers_reminded_at');
  if (row.requester_reminded_at !== null)
    r.requesterRemindedAt = textToDate(row.requester_reminded_at, 'requester_reminded_at');
  if (row.revoked_by !== null) r.revokedBy = row.revoked_by;
  if (row.revoked_at !== null) r.revokedAt = textToDate(row.revoked_at, 'revoked_at');
  if (row.revoke_reason !== null) r.revokeReason = row.revoke_reason;
  if (row.lease_until !== null) r.leaseUntil = textToDate(row.lease_until, 'lease_until');
  if (row.next_revoke_attempt_at !== null)
    r.nextRevokeAttemptAt = textToDate(row.next_revoke_attempt_at, 'next_revoke_attempt_at');
  if (row.instance_id !== null && row.instance_region !== null) {
    r.instance = { instanceId: row.instance_id, region: row.instance_region };
  }
  if (row.card_channel_id !== null && row.card_message_ts !== null) {
    r.card = { channelId: row.card_channel_id, messageTs: row.card_message_ts };
  }
  if (row.decided_by !== null) r.decidedBy = row.decided_by;
  if (row.decided_at !== null) r.decidedAt = textToDate(row.decided_at, 'decided_at');
  if (row.deny_reason !== null) r.denyReason = row.deny_reason;
  if (row.completed_at !== null) r.completedAt = textToDate(row.completed_at, 'completed_at');
  if (row.failure_code !== null && row.failure_message !== null) {
    r.failure = { code: row.failure_code, message: row.failure_message };
    if (row.failure_aws_request_id !== null) r.failure.awsRequestId = row.failure_aws_request_id;
  }
  return r;
}

export function eventToRow(e: NewAuditEvent & { seq: number; hash: string }): NewEventRow {
  return {
    seq: e.seq,
    hash: e.hash,
    request_id: e.requestId,
    at: dateToText(e.at),
    actor: e.actor,
    type: e.type,
    details: JSON.stringify(e.details),
  };
}

export function rowToEvent(row: EventRow): AuditEvent {
  const details: unknown = JSON.parse(row.details);
  if (typeof details !== 'object' || details === null || Array.isArray(details)) {
    throw new StoreDataError(`event ${row.seq}: details is not a JSON object`);
  }
  return {
    // PostgreSQL drivers may hand back integer columns as strings; SQLite gives a number.
    seq: Number(row.seq),
    requestId: row.request_id,
    at: textToDate(row.at, 'at'),
    actor: row.actor,
    type: oneOf<EventType>(EVENT_TYPES, row.type, 'type'),
    details: details as Record<string, unknown>,
    hash: row.hash,
  };
}

/**
 * Dates are stored as ISO-8601 text, which compares in time order only for four-digit years: a year past 9999 is
 * written "+010000-…" and would sort before "2026". Such a date is refused, never stored.
 */
export function dateToText(d: Date): string {
  // toISOString throws RangeError on an invalid date, which is what we want: never store "Invalid Date".
  const text = d.toISOString();
  if (!/^\d{4}-/.test(text)) throw new StoreDataError(`date out of range for the store: ${text}`);
  return text;
}

function textToDate(text: string, column: string): Date {
  const d = new Date(text);
  if (Number.isNaN(d.getTime())) throw new StoreDataError(`${column}: not an ISO-8601 date: ${text}`);
  return d;
}

function oneOf<T extends string>(allowed: readonly T[], value: string, column: string): T {
  if (!(allowed as readonly string[]).includes(value))
    throw new StoreDataError(`${column}: unknown value ${value}`);
  return value as T;
}

function parseStringArray(text: string): string[] {
  const v: unknown = JSON.parse(text);
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) {
    throw new StoreDataError('managed_policy_arns: not a JSON array of strings');
  }
  return v as string[];
}
