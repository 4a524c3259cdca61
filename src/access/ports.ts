import type { AccessRequest, IamFailure, SlackMessageRef } from './types';

/** What the workflow needs from the outside world, as interfaces: Slack and AWS stay in their adapters. */

export interface IamCallResult {
  awsRequestId?: string;
}

/** An AWS error the workflow reports as it is (code and message), never swallowed. */
export class IamError extends Error {
  override readonly name = 'IamError';
  constructor(
    readonly code: string,
    message: string,
    readonly awsRequestId?: string,
  ) {
    super(message);
  }
  toFailure(): IamFailure {
    return { code: this.code, message: this.message, awsRequestId: this.awsRequestId };
  }
}

export interface IamGateway {
  /** The role as IAM knows it (with its permissions boundary's ARN, if any), or undefined when it does not exist. */
  getRole(roleName: string): Promise<{ arn: string; path: string; boundaryArn?: string } | undefined>;
  putRolePolicy(roleName: string, policyName: string, documentText: string): Promise<IamCallResult>;
  /** The stored document, decoded; undefined when the role has no such inline policy. */
  getRolePolicy(roleName: string, policyName: string): Promise<string | undefined>;
  attachRolePolicy(roleName: string, policyArn: string): Promise<IamCallResult>;
  /** A managed policy as IAM knows it, or undefined when it does not exist (checked before attaching it). */
  getPolicy(policyArn: string): Promise<{ attachable: boolean; defaultVersionId?: string } | undefined>;
  /** One version's document, decoded; undefined when the policy or version does not exist. */
  getPolicyVersion(policyArn: string, versionId: string): Promise<string | undefined>;
  /**
   * IAM's policy simulator (SimulatePrincipalPolicy) for the role: each action on `resources`, with `extraPolicies`
   * (documents) evaluated as if the role also had them. Performs nothing.
   */
  simulate(
    roleArn: string,
    actions: readonly string[],
    resources: readonly string[],
    extraPolicies: readonly string[],
  ): Promise<SimulatedDecision[]>;
  listAttachedRolePolicies(roleName: string): Promise<string[]>;
  listRolePolicies(roleName: string): Promise<string[]>;
  /** The account's live IAM quotas (GetAccountSummary's SummaryMap). */
  accountSummary(): Promise<Record<string, number>>;
  /** `gone: true` when there was nothing to delete: removal is idempotent. */
  deleteRolePolicy(roleName: string, policyName: string): Promise<IamCallResult & { gone?: boolean }>;
  detachRolePolicy(roleName: string, policyArn: string): Promise<IamCallResult & { gone?: boolean }>;
}

export type SimulationDecision = 'allowed' | 'explicitDeny' | 'implicitDeny';

/** One EvaluationResult of IAM's simulator, reduced to what the evidence shows. */
export interface SimulatedDecision {
  action: string;
  resource: string;
  decision: SimulationDecision;
  /** The policies IAM names as deciding (MatchedStatements' SourcePolicyId): inline or managed policy names, or `PolicyInputList.N`. */
  matched: string[];
  /** false when the permissions boundary does not allow it; undefined without a boundary. */
  allowedByBoundary?: boolean;
  /** false when an organization's SCP does not allow it; undefined when IAM did not include SCPs. */
  allowedByOrganizations?: boolean;
}

/** Who a cross-account session acts for: it names the request, and CloudTrail shows the Slack user. */
export interface IamSession {
  sessionName: string;
  /** A Slack user ID (the approver for writes), recorded by STS as the session's SourceIdentity. */
  sourceIdentity: string;
  /**
   * `<request id>/<lease generation>` of the owner making the calls: sent with each IAM call so the calls can be
   * told apart per owner (CloudTrail does not keep it; the tests' emulator does).
   */
  fence?: string;
}

/** IAM in the bot's own account, or in another one through the cross-account role. */
export interface IamAccess {
  forAccount(accountId: string, session: IamSession): Promise<IamGateway>;
}

export interface CallerIdentity {
  accountId: string;
  /** e.g. arn:aws:sts::111122223333:assumed-role/cases-access-bot/i-0abc */
  arn: string;
}

export interface IdentityProvider {
  callerIdentity(): Promise<CallerIdentity>;
}

/** One step of a request's life, as the notifier shows it in the card's thread. */
export type StepNotice =
  | { kind: 'approved'; by: string }
  /** Its requester applied it at once under the rule's breakGlass; the approvers are called to review it. */
  | { kind: 'break_glass'; by: string; reason: string }
  | { kind: 'acknowledged'; by: string }
  /** A break-glass grant nobody has acknowledged yet; `overdue` once BREAK_GLASS_REVIEW has passed. */
  | { kind: 'review_reminder'; overdue: boolean }
  /** One approval towards a quorum of `required` (the card shows the count). */
  | { kind: 'approval'; by: string; required: number }
  | { kind: 'iam_call'; operation: string; target: string; awsRequestId?: string }
  | { kind: 'verified'; policyName: string; sha256: string; managedPolicyArns: string[] }
  /**
   * IAM's simulator after applying (`unexpected`: documented actions still denied, with why) or after revoking
   * (`unexpected`: actions allowed now that were not before the grant, with what allows them); `notChecked` is IAM's
   * error code when the simulator did not answer.
   */
  | {
      kind: 'effective';
      stage: 'applied' | 'revoked';
      total: number;
      unexpected: { action: string; why: string }[];
      notChecked?: string;
    }
  | { kind: 'applied' }
  | { kind: 'failed'; failure: IamFailure; onRole?: string }
  /** The stored request did not survive its checks before a write: nothing was written. Approvers are called. */
  | { kind: 'integrity_failed'; failure: IamFailure; problems: string[] }
  /** This worker lost the request to another owner (or the request moved on) and stopped writing. */
  | { kind: 'fenced'; state: string }
  | { kind: 'late_write_undone'; write: string; state: string; removed: string[] }
  | { kind: 'already_in_place'; what: string }
  | { kind: 'resumed' }
  | { kind: 'retried'; by: string }
  | { kind: 'denied'; by: string; reason: string }
  | { kind: 'revoking'; by: string; reason: string }
  | { kind: 'revoked'; removed: string[]; kept: string[] }
  | {
      kind: 'revoke_failed';
      failure: IamFailure;
      retryAt?: Date;
      /** Failed attempts so far, and since when; the approvers are called on the first and every few after. */
      attempts?: number;
      failingSince?: Date;
      callApprovers?: boolean;
    }
  | { kind: 'expired'; pendingFor: string }
  | { kind: 'remind_approvers'; pendingFor: string }
  | { kind: 'ending_soon'; expiresAt: Date };

export interface Notifier {
  postApprovalCard(request: AccessRequest): Promise<SlackMessageRef>;
  /** Re-renders the card from the request's current state. */
  updateCard(request: AccessRequest): Promise<void>;
  /** Returns the reply's Slack ts (recorded in the outbox). */
  postStep(request: AccessRequest, step: StepNotice): Promise<string | undefined>;
  /** A direct message to the requester about the outcome; returns its ts. */
  tellRequester(request: AccessRequest, step: StepNotice): Promise<string | undefined>;
  cardLink(request: AccessRequest): Promise<string | undefined>;
}

export interface ApproverDirectory {
  /** An approver under some rule (who may audit and see any request's history). Looked up live at click time. */
  isApprover(userId: string): Promise<boolean>;
  /**
   * Whether `userId` is one of `ids` (a listed user, or a current member of a listed usergroup) and their Slack
   * account is active: someone deactivated (who left) counts as no one.
   */
  isAmong(userId: string, ids: readonly string[]): Promise<boolean>;
}

export interface Clock {
  now(): Date;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => new Date(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};
