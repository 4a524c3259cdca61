import type { Generated, Insertable, Selectable, Updateable } from 'kysely';
import type { EventType, RequestState } from '../access/types';

/**
 * Table types for Kysely. Column names are snake_case; dates are ISO-8601 text (`Date.toISOString()`), and JSON
 * values are text, so SQLite and PostgreSQL store and return exactly the same thing. Values typed with a domain
 * union (`state`, `type`) are checked again when a row is mapped back (see kysely-store.ts).
 */
export interface RequestsTable {
  id: string;
  created_at: string;
  requester_id: string;
  role_arn: string;
  role_account_id: string;
  role_name: string;
  role_path: string;
  task: string;
  option: string;
  instance_id: string | null;
  instance_region: string | null;
  reason: string;
  policy_name: string;
  document_text: string;
  /** JSON array of strings. */
  managed_policy_arns: string;
  sha256: string;
  state: RequestState;
  card_channel_id: string | null;
  card_message_ts: string | null;
  decided_by: string | null;
  decided_at: string | null;
  deny_reason: string | null;
  completed_at: string | null;
  failure_code: string | null;
  failure_message: string | null;
  failure_aws_request_id: string | null;
  duration_seconds: number | null;
  /** JSON array of strings. */
  attached_managed_arns: Generated<string>;
  expires_at: string | null;
  approvers_reminded_at: string | null;
  requester_reminded_at: string | null;
  revoked_by: string | null;
  revoked_at: string | null;
  revoke_reason: string | null;
  next_revoke_attempt_at: string | null;
  lease_until: string | null;
  /** Bumped by each new owner of an apply or revocation (see Store.renewLease). */
  lease_generation: Generated<number>;
  revoke_failures: Generated<number>;
  revoke_failing_since: string | null;
  rule_name: string | null;
  /** JSON array of user IDs: who has approved so far (a quorum). */
  approvals: Generated<string>;
  /** 1: applied at once by its requester, without an approver (a rule's breakGlass). */
  break_glass: Generated<number>;
  reviewed_by: string | null;
  reviewed_at: string | null;
  /** JSON of the request's Evidence (what IAM's simulator said before the card); NULL on older requests. */
  evidence: string | null;
}

export interface EventsTable {
  seq: number;
  request_id: string;
  at: string;
  actor: string;
  type: EventType;
  /** JSON object. */
  details: string;
  /** SHA-256 of the previous event's hash and this event's canonical content (see audit-chain.ts). */
  hash: string;
}

export interface OutboxTable {
  id: Generated<number>;
  request_id: string;
  /** `thread`, `requester` or `card`. */
  kind: string;
  /** JSON of the StepNotice, or for a card update of the request as it was reported. */
  notice: string | null;
  created_at: string;
  attempts: Generated<number>;
  next_attempt_at: string;
  claimed_until: string | null;
  delivered_at: string | null;
  slack_ts: string | null;
  gave_up_at: string | null;
  last_error: string | null;
}

export interface DeliveriesTable {
  key: string;
  at: string;
}

export interface Database {
  requests: RequestsTable;
  events: EventsTable;
  deliveries: DeliveriesTable;
  outbox: OutboxTable;
}

export type RequestRow = Selectable<RequestsTable>;
export type NewRequestRow = Insertable<RequestsTable>;
export type RequestUpdate = Updateable<RequestsTable>;
export type EventRow = Selectable<EventsTable>;
export type NewEventRow = Insertable<EventsTable>;
export type OutboxRow = Selectable<OutboxTable>;
