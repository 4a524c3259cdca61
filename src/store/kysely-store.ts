import { sql } from 'kysely';
import type { Kysely, Transaction } from 'kysely';
import { EVENT_TYPES, REQUEST_STATES } from '../access/types';
import type {
  AccessRequest,
  AuditEvent,
  EventType,
  NewAccessRequest,
  NewAuditEvent,
  RequestState,
  SlackMessageRef,
  TransitionPatch,
} from '../access/types';
import { OPTIONS, TASKS } from '../policy/types';
import type { PolicyOption, Task } from '../policy/types';
import type { Database, EventRow, NewEventRow, NewRequestRow, RequestRow, RequestUpdate } from './schema';
import type { Store } from './store';

/** A row that does not map back to the domain (hand-edited database, or a newer schema than this code). */
export class StoreDataError extends Error {
  override name = 'StoreDataError';
}

/**
 * The Store over Kysely. Dialect-neutral: only portable SQL (conditional UPDATE, INSERT … RETURNING, ORDER BY), so
 * the same class serves SQLite now and PostgreSQL later. Every write that touches a request runs in one transaction
 * with its event.
 */
export class KyselyStore implements Store {
  constructor(private readonly db: Kysely<Database>) {}

  async createRequest(request: NewAccessRequest, event: NewAuditEvent): Promise<AccessRequest> {
    assertEventFor(request.id, event);
    return this.db.transaction().execute(async (trx) => {
      await trx.insertInto('requests').values(requestToRow(request)).execute();
      await insertEvent(trx, event);
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
    patch: TransitionPatch,
    event: NewAuditEvent,
  ): Promise<AccessRequest | undefined> {
    assertEventFor(id, event);
    return this.db.transaction().execute(async (trx) => {
      // The single atomic compare-and-set: whoever's UPDATE matches `state = from` first wins; the others match 0 rows.
      const result = await trx
        .updateTable('requests')
        .set({ ...patchToRow(patch), state: to })
        .where('id', '=', id)
        .where('state', '=', from)
        .executeTakeFirst();
      // numUpdatedRows is a bigint (better-sqlite3 `changes`, pg `rowCount`, both converted by Kysely).
      if (result.numUpdatedRows !== 1n) return undefined;
      await insertEvent(trx, event);
      return mustGet(trx, id);
    });
  }

  async appendEvent(event: NewAuditEvent): Promise<AuditEvent> {
    return this.db.transaction().execute((trx) => insertEvent(trx, event));
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

async function insertEvent(trx: Transaction<Database>, event: NewAuditEvent): Promise<AuditEvent> {
  const row = await trx
    .insertInto('events')
    .values(eventToRow(event))
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
  };
}

/** Only the fields present in the patch are written; a transition never clears a field. */
export function patchToRow(p: TransitionPatch): RequestUpdate {
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
  };
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

export function eventToRow(e: NewAuditEvent): NewEventRow {
  return {
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
  };
}

function dateToText(d: Date): string {
  // toISOString throws RangeError on an invalid date, which is what we want: never store "Invalid Date".
  return d.toISOString();
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
