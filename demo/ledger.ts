/**
 * What the demo itself knows about its Slack traffic that the fake Slack does not record: whose response_url,
 * trigger ID and command answer each is (Slack knows this from the user's client), and which dialogs were closed.
 */
export interface Ledger {
  /** response_url id → user */
  responseUrls: Map<string, string>;
  /** trigger_id → user */
  triggers: Map<string, string>;
  /** Answers given in a command's own acknowledgement (the fake Slack never sees them). */
  ackReplies: Array<{ user: string; at: number; text: string; blocks?: unknown[] }>;
  /** Dialogs the user closed or submitted, by their index among views.open calls. */
  closedViews: Set<number>;
  /** What the user typed, echoed in their private view as Slack's client does. */
  typed: Array<{ user: string; at: number; text: string }>;
}

export const newLedger = (): Ledger => ({
  responseUrls: new Map(),
  triggers: new Map(),
  ackReplies: [],
  closedViews: new Set(),
  typed: [],
});
