import type { Store } from '../store/store';
import type { ApproverDirectory, Clock } from './ports';
import { ruleFor } from './rules';
import type { AccessRule } from './rules';
import type { AccessRequest } from './types';

/**
 * What one person's App Home shows, with who may see what: the pending requests they may decide now (approvers, per
 * the request's rule), their own requests, and (approvers) every grant on a role. Read-only; the buttons it leads
 * to are checked again by the services on click.
 */

/** Rows per page of "Waiting for you" and "Active grants" (Home tabs hold at most 100 blocks). */
export const HOME_PAGE = 10;
/** The most of each kind of one's own requests shown (pending, active, ended). */
export const HOME_OWN = { pending: 8, active: 8, ended: 5 } as const;
/** How many pending requests and grants are read for one Home: beyond this the counts say "at least". */
const SCAN_LIMIT = 2_000;

export interface WaitingRow {
  request: AccessRequest;
  /** Approvals the request's rule needs now (1 without a rule: it can only be denied). */
  required: number;
}

export interface Paged<T> {
  rows: T[];
  page: number;
  pages: number;
  total: number;
}

export interface HomeData {
  userId: string;
  now: Date;
  /** An approver under some rule: sees Waiting for you and Active grants. */
  approver: boolean;
  waiting: Paged<WaitingRow>;
  own: { pending: AccessRequest[]; active: AccessRequest[]; ended: AccessRequest[] };
  grants: Paged<AccessRequest>;
}

const ACTIVE: AccessRequest['state'][] = ['approved', 'applied', 'revoking'];
const ENDED: AccessRequest['state'][] = ['denied', 'expired', 'revoked', 'failed'];

function paged<T>(all: T[], page: number): Paged<T> {
  const pages = Math.max(1, Math.ceil(all.length / HOME_PAGE));
  const at = Math.min(Math.max(0, page), pages - 1);
  return { rows: all.slice(at * HOME_PAGE, (at + 1) * HOME_PAGE), page: at, pages, total: all.length };
}

export class HomeQueries {
  constructor(
    private readonly store: Store,
    private readonly approvers: ApproverDirectory,
    private readonly rules: readonly AccessRule[],
    private readonly clock: Clock,
  ) {}

  async home(userId: string, pages: { waiting?: number; grants?: number } = {}): Promise<HomeData> {
    const now = this.clock.now();
    const approver = await this.approvers.isApprover(userId);
    const mine = await this.store.listRequests({ requesterId: userId, newestFirst: true, limit: 100 });
    const own = {
      pending: mine.filter((r) => r.state === 'pending').slice(0, HOME_OWN.pending),
      active: mine.filter((r) => ACTIVE.includes(r.state)).slice(0, HOME_OWN.active),
      ended: mine.filter((r) => ENDED.includes(r.state)).slice(0, HOME_OWN.ended),
    };
    if (!approver) return { userId, now, approver, own, waiting: paged([], 0), grants: paged([], 0) };

    const pending = await this.store.listRequests({ states: ['pending'], limit: SCAN_LIMIT });
    const waiting: WaitingRow[] = [];
    // One lookup per rule, not per request: a rule's approvers are the same for every request it decides.
    const eligible = new Map<string, Promise<boolean>>();
    for (const request of pending) {
      if (request.requesterId === userId || request.approvals.includes(userId)) continue;
      const rule = ruleFor(this.rules, {
        roleArn: request.role.arn,
        task: request.task,
        option: request.option,
      });
      const key = rule?.name ?? '';
      if (!eligible.has(key))
        eligible.set(key, rule ? this.approvers.isAmong(userId, rule.approvers) : Promise.resolve(true));
      if (await eligible.get(key)) waiting.push({ request, required: rule?.approvals ?? 1 });
    }

    const applied = await this.store.listRequests({ states: ['applied'], limit: SCAN_LIMIT });
    // Soonest to end first; grants without an end last, oldest first.
    const end = (r: AccessRequest) => r.expiresAt?.getTime() ?? Infinity;
    applied.sort((a, b) => end(a) - end(b) || a.createdAt.getTime() - b.createdAt.getTime());
    return {
      userId,
      now,
      approver,
      own,
      waiting: paged(waiting, pages.waiting ?? 0),
      grants: paged(applied, pages.grants ?? 0),
    };
  }
}
