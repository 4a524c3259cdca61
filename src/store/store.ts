import type {
  AccessRequest,
  AuditEvent,
  NewAccessRequest,
  NewAuditEvent,
  RequestPatch,
  RequestQuery,
  RequestState,
  OutboxDraft,
  OutboxMessage,
  SlackMessageRef,
  TransitionPatch,
} from '../access/types';

/** What an approval did: counted towards a quorum, completed it, or nothing (counted already, or not pending). */
export type ApprovalOutcome =
  { outcome: 'not_pending' } | { outcome: 'already' | 'counted' | 'approved'; request: AccessRequest };

/** Durable state of the flow. Every write that changes a request appends its event in the same transaction. */
export interface Store {
  /** Inserts a pending request and its `requested` event. */
  createRequest(request: NewAccessRequest, event: NewAuditEvent): Promise<AccessRequest>;
  getRequest(id: string): Promise<AccessRequest | undefined>;
  setCard(id: string, card: SlackMessageRef): Promise<void>;
  /**
   * The one conditional update: moves the request from `from` to `to` only if it is still in `from`, and appends
   * the event. A patch that sets `leaseUntil` makes the caller the request's new owner (the next lease generation). Returns the updated request to the single caller that won, `undefined` to everyone else.
   */
  transition(
    id: string,
    from: RequestState,
    to: RequestState,
    patch: TransitionPatch,
    event: NewAuditEvent,
    options?: {
      /** Only if the lease generation is still this one (an owner finishing its own work). */
      generation?: number;
      /** Queued for Slack in the same transaction, after the event; a card update snapshots the updated request. */
      outbox?: OutboxDraft[];
    },
  ): Promise<AccessRequest | undefined>;
  /**
   * A quorum: records one approver's approval of a pending request (`approval.actor`, once per person), with its
   * event and `outbox`, in one transaction. The approval that makes `required` distinct approvers also moves the
   * request to approved (with `approved`'s patch, event and messages): exactly once, whatever runs concurrently.
   */
  addApproval(
    id: string,
    approval: NewAuditEvent,
    required: number,
    approved: { patch: TransitionPatch; event: NewAuditEvent; outbox: OutboxDraft[] },
    outbox: OutboxDraft[],
  ): Promise<ApprovalOutcome>;
  /** Sets fields that are not the state (e.g. what a grant attached so far). */
  updateRequest(id: string, patch: RequestPatch): Promise<void>;
  listRequests(query: RequestQuery): Promise<AccessRequest[]>;
  /**
   * Takes over a request left in `state` by an owner whose lease ran out (a crash): sets a new lease only if the
   * old one ended by `now`. Returns the request to the one caller that took it.
   */
  claimLease(id: string, state: RequestState, now: Date, until: Date): Promise<AccessRequest | undefined>;
  /**
   * Fencing: extends the lease only if the request is still in `state` under `generation`. False means another owner
   * took over or the request moved on, and the caller must not write.
   */
  renewLease(id: string, state: RequestState, generation: number, until: Date): Promise<boolean>;
  /**
   * Records that an approver (`event.actor`) acknowledged a break-glass grant, with its event and messages; only
   * the first acknowledgement counts. Returns the updated request to the one caller that did.
   */
  acknowledge(id: string, event: NewAuditEvent, outbox: OutboxDraft[]): Promise<AccessRequest | undefined>;
  /**
   * A reminder to review a break-glass grant not yet acknowledged: claimed when none was sent since `lastBefore`
   * (so replicas send one each time). True for the one caller that did.
   */
  claimReviewReminder(id: string, at: Date, lastBefore: Date): Promise<boolean>;
  /** Sets the reminder time only if none is set yet; true for the one caller that did. */
  claimReminder(id: string, who: 'approvers' | 'requester', at: Date): Promise<boolean>;
  /**
   * Appends to the hash chain: each event's hash covers the previous hash and its own canonical content. `outbox`
   * messages are queued in the same transaction (a card update snapshots the request as it is).
   */
  appendEvent(event: NewAuditEvent, outbox?: OutboxDraft[]): Promise<AuditEvent>;
  /** Events of one request, oldest first. */
  listEvents(requestId: string): Promise<AuditEvent[]>;
  /** Every event in order, optionally from a time on (the export and the chain check). */
  listAllEvents(since?: Date): Promise<AuditEvent[]>;
  /** Records a Slack delivery (e.g. a slash command's trigger ID); true only the first time, on any replica. */
  claimDelivery(key: string, at: Date): Promise<boolean>;
  /** Forgets deliveries recorded before `before` (Slack retries within minutes); returns how many. */
  pruneDeliveries(before: Date): Promise<number>;
  /**
   * The next message of each request that has one due: the oldest undelivered message of its request, if its time
   * has come and no other worker holds it. At most `limit`, oldest first.
   */
  dueOutbox(now: Date, limit: number): Promise<OutboxMessage[]>;
  /** Takes a message for sending until `until`; true for the one caller that did. */
  claimOutbox(id: number, now: Date, until: Date): Promise<boolean>;
  /** Records the outcome of a send: delivered (with Slack's ts), to be retried at a time, or given up. */
  settleOutbox(
    id: number,
    outcome:
      | { delivered: Date; slackTs?: string }
      | { failed: Date; error: string; retryAt?: Date; giveUp?: boolean },
  ): Promise<void>;
  /** How many messages are neither delivered nor given up. */
  pendingOutbox(): Promise<number>;
  /** True when the database answers (for /healthz). */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}
