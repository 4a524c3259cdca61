/** The two tasks the AWS page documents. */
export const TASKS = ['view', 'onboard'] as const;
export type Task = (typeof TASKS)[number];

/** Option 1 of the page ("minimal": one inline policy) or Option 2 ("managed": an AWS managed policy plus a small inline one). */
export const OPTIONS = ['minimal', 'managed'] as const;
export type PolicyOption = (typeof OPTIONS)[number];

export interface PolicyStatement {
  Sid: string;
  Effect: 'Allow';
  /** A string or a list, exactly as the doc writes it. */
  Action: string | string[];
  Resource: string | string[];
}

export interface PolicyDocument {
  Version: '2012-10-17';
  Statement: PolicyStatement[];
}

/** What the bot would write to IAM for one request: generated from the catalog, never edited by hand. */
export interface PolicyPlan {
  task: Task;
  option: PolicyOption;
  /** Inline policy name, deterministic per task so re-applying replaces rather than accumulates. */
  policyName: string;
  document: PolicyDocument;
  /** The exact text sent to IAM (canonical JSON); `sha256` is its digest. */
  documentText: string;
  managedPolicyArns: string[];
  sha256: string;
}

export interface ConnectInstanceScope {
  instanceId: string;
  region: string;
}

export interface PlanRequest {
  task: Task;
  option: PolicyOption;
  /** The target role's account: the service-linked role ARN is narrowed to it. Without it the doc's `*` stays. */
  accountId?: string;
  /** Narrows the instance-scoped connect actions to one instance (needs the account). */
  instance?: ConnectInstanceScope;
  partition?: string;
  /** The doc's document, statement for statement, with no narrowing (for comparison). */
  verbatim?: boolean;
}
