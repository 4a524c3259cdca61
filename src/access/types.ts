import type { ConnectInstanceScope, PolicyOption, Task } from '../policy';

/** pending → approved → applied | failed; pending → denied. */
export const REQUEST_STATES = ['pending', 'approved', 'applied', 'failed', 'denied'] as const;
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
  state: RequestState;
  card?: SlackMessageRef;
  decidedBy?: string;
  decidedAt?: Date;
  denyReason?: string;
  completedAt?: Date;
  failure?: IamFailure;
}

export type NewAccessRequest = Omit<
  AccessRequest,
  'state' | 'card' | 'decidedBy' | 'decidedAt' | 'denyReason' | 'completedAt' | 'failure'
>;

export const EVENT_TYPES = [
  'requested',
  'card_posted',
  'approval_refused',
  'approved',
  'denied',
  'iam_call',
  'verified',
  'applied',
  'failed',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** One line of the append-only audit log. `actor` is a Slack user ID, or "bot". */
export interface AuditEvent {
  seq: number;
  requestId: string;
  at: Date;
  actor: string;
  type: EventType;
  details: Record<string, unknown>;
}

export type NewAuditEvent = Omit<AuditEvent, 'seq'>;

/** Fields a transition may set alongside the new state. */
export interface TransitionPatch {
  decidedBy?: string;
  decidedAt?: Date;
  denyReason?: string;
  completedAt?: Date;
  failure?: IamFailure;
}
