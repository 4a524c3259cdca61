import type { ConnectInstanceScope, PolicyOption, Task } from '../policy';
import type { Evidence } from './evidence';

/**
 * pending → approved → applied | failed; pending → denied | expired;
 * applied → revoking → revoked (or back to applied when IAM refuses the removal).
 */
export const REQUEST_STATES = [
  'pending',
  'approved',
  'applied',
  'failed',
  'denied',
  'expired',
  'revoking',
  'revoked',
] as const;
export type RequestState = (typeof REQUEST_STATES)[number];

export interface RoleRef {
  arn: string;
  accountId: string;
  /** Role name without its path, as IAM's RoleName parameter wants it. */
  name: string;
  path: string;
}

export interface SlackMessageRef {
  channelId: string;
  messageTs: string;
}

/**
 * A click on a person's own App Home: whose Home the bot published it as (the view's `private_metadata`, which only
 * the bot sets) and the request the clicked block was bound to when the bot built it.
 */
export interface HomeOrigin {
  home: { owner: string; requestId: string };
}

/** Where a decision came from: the request's card (or a dialog opened from it), or its clicker's own Home. */
export type ClickOrigin = SlackMessageRef | HomeOrigin;

export interface IamFailure {
  code: string;
  message: string;
  awsRequestId?: string;
}

/** Everything the flow needs after a restart. The plan is stored as generated and applied as stored. */
export interface AccessRequest {
  id: string;
  createdAt: Date;
  requesterId: string;
  role: RoleRef;
  task: Task;
  option: PolicyOption;
  instance?: ConnectInstanceScope;
  reason: string;
  policyName: string;
  documentText: string;
  managedPolicyArns: string[];
  sha256: string;
  /** How long the grant lasts once applied; absent: until revoked. */
  durationSeconds?: number;
  state: RequestState;
  card?: SlackMessageRef;
  decidedBy?: string;
  decidedAt?: Date;
  denyReason?: string;
  completedAt?: Date;
  failure?: IamFailure;
  /** Managed policies this grant attached itself (not those the role already had): all that revoke may detach. */
  attachedManagedArns: string[];
  /** When the grant ends (set when applied, from durationSeconds). */
  expiresAt?: Date;
  approversRemindedAt?: Date;
  requesterRemindedAt?: Date;
  revokedBy?: string;
  revokedAt?: Date;
  revokeReason?: string;
  /** After a failed automatic revocation: not before this time again. */
  nextRevokeAttemptAt?: Date;
  /**
   * While an apply or a revocation runs, it owns the request until this time. A process that finds the request
   * still approved or revoking after that (the owner crashed) takes it over and resumes it.
   */
  leaseUntil?: Date;
  /**
   * Which owner holds the lease: every new owner (approve, retry, revoke, a takeover after a crash) gets the next
   * number, and every IAM write is preceded by proof that its owner's number is still current (fencing).
   */
  leaseGeneration: number;
  /** Failed revocation attempts since the grant's last success; drives the backoff and the approvers' alerts. */
  revokeFailures: number;
  /** When the first of those failures happened (shown on the card). */
  revokeFailingSince?: Date;
  /** The approval rule that decided the request when it was made (ACCESS_RULES); absent on older requests. */
  ruleName?: string;
  /** Who has approved it so far, in order (a rule may need several). */
  approvals: string[];
  /** Applied at once by its requester without an approver (a rule's breakGlass); reviewed by an approver after. */
  breakGlass?: true;
  /** The approver who acknowledged a break-glass grant, and when. */
  reviewedBy?: string;
  reviewedAt?: Date;
  /** What IAM's simulator said before the card was posted (absent on requests made before evidence existed). */
  evidence?: Evidence;
}

/** Fields the workflow sets on an existing request. */
export type RequestPatch = Partial<
  Pick<
    AccessRequest,
    | 'decidedBy'
    | 'decidedAt'
    | 'denyReason'
    | 'completedAt'
    | 'failure'
    | 'attachedManagedArns'
    | 'expiresAt'
    | 'approversRemindedAt'
    | 'requesterRemindedAt'
    | 'revokedBy'
    | 'revokedAt'
    | 'revokeReason'
    | 'nextRevokeAttemptAt'
    | 'leaseUntil'
    | 'revokeFailures'
    | 'revokeFailingSince'
    | 'reviewedBy'
    | 'reviewedAt'
  >
>;

export type NewAccessRequest = Omit<
  AccessRequest,
  keyof RequestPatch | 'state' | 'card' | 'leaseGeneration' | 'approvals'
>;

export const EVENT_TYPES = [
  'requested',
  'card_posted',
  'approval_refused',
  'approved',
  'denied',
  'iam_intent',
  'iam_call',
  'verified',
  'applied',
  'failed',
  'expired',
  'reminded',
  'revoking',
  'revoked',
  'revoke_failed',
  'resumed',
  'retried',
  /** A worker found it no longer owned the request and stopped before its next write. */
  'fenced',
  /** A write that landed after the request moved on (revoked, revoking) was undone. */
  'late_write_undone',
  /** On a resumed apply, a write found its result already on the role and was skipped. */
  'already_in_place',
  /** One approver's approval of a request that needs several (its count so far in the details). */
  'approval',
  /** Its requester applied it at once under a rule's breakGlass, with the reason; approvers review it after. */
  'break_glass',
  /** An approver acknowledged a break-glass grant. */
  'acknowledged',
  /** What IAM's simulator said after an apply or a revocation (informational: never decides anything). */
  'simulated',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/**
 * One line of the append-only audit log. `actor` is a Slack user ID, or "bot". `hash` chains it to the event
 * before it (SHA-256 of the previous hash and this event's canonical content), so an edited row shows.
 */
export interface AuditEvent {
  seq: number;
  requestId: string;
  at: Date;
  actor: string;
  type: EventType;
  details: Record<string, unknown>;
  hash: string;
}

export type NewAuditEvent = Omit<AuditEvent, 'seq' | 'hash'>;

/** A message for Slack about one request, kept until Slack has it. */
export type OutboxKind = 'thread' | 'requester' | 'card';

export interface OutboxMessage {
  id: number;
  requestId: string;
  kind: OutboxKind;
  /** The StepNotice as JSON, or for a card update the request as reported (dates revived by the deliverer). */
  notice?: string;
  createdAt: Date;
  attempts: number;
}

/**
 * A message to queue in the same transaction as the event it reports, so that the event and its telling are
 * written together or not at all. A card update carries no text: the store snapshots the request as the
 * transaction left it. `at` is when it was queued, in real time (the deliverer's clock, whatever the workflow's).
 */
export type OutboxDraft = ({ kind: 'thread' | 'requester'; notice: string } | { kind: 'card' }) & {
  at: Date;
};

/** Fields a transition may set alongside the new state. */
export type TransitionPatch = RequestPatch;

/** What `listRequests` selects; every field narrows. */
export interface RequestQuery {
  states?: RequestState[];
  requesterId?: string;
  roleArn?: string;
  roleName?: string;
  accountId?: string;
  createdBefore?: Date;
  expiresBefore?: Date;
  /** Newest first when set; default oldest first. */
  newestFirst?: boolean;
  limit?: number;
  /** Only break-glass grants no approver has acknowledged yet. */
  unreviewedBreakGlass?: boolean;
}
