import type { Store } from '../store/store';
import { isRequestId } from './command';
import type { ApproverDirectory, IdentityProvider } from './ports';
import { parseRoleInput, partitionOf, RoleInputError } from './roles';
import type { Outcome } from './service';
import type { AccessRequest, AuditEvent } from './types';
import { ruleFor, ruleSummary } from './rules';
import type { AccessRule } from './rules';

/** Read-only views for `/cases-access status` and `audit`, with who may see what. */

export interface RequestHistory {
  request: AccessRequest;
  events: AuditEvent[];
}

/** The newest requests on a role that `audit` pages through; the CLI's `audit export` has everything. */
export const AUDIT_LIMIT = 100;

const refuse = <T>(message: string): Outcome<T> => ({ ok: false, message });

export class AccessQueries {
  constructor(
    private readonly store: Store,
    private readonly approvers: ApproverDirectory,
    private readonly identity: IdentityProvider,
    private readonly rules: readonly AccessRule[] = [],
  ) {}

  /**
   * For `help <role>`: which rule would decide each task and option on that role (a name means the role in the
   * bot's own account), or that none would.
   */
  async rulesFor(roleText: string): Promise<Outcome<{ roleArn: string; lines: string[] }>> {
    let roleArn: string;
    try {
      const input = parseRoleInput(roleText);
      if (input.kind === 'arn') roleArn = input.role.arn;
      else {
        const caller = await this.identity.callerIdentity();
        roleArn = `arn:${partitionOf(caller.arn)}:iam::${caller.accountId}:role/${input.name}`;
      }
    } catch (error) {
      if (error instanceof RoleInputError) return refuse(error.message);
      throw error;
    }
    const lines: string[] = [];
    for (const task of ['onboard', 'view'] as const)
      for (const option of ['minimal', 'managed'] as const) {
        const rule = ruleFor(this.rules, { roleArn, task, option });
        lines.push(
          `${task} (${option}): ${rule ? `rule \`${rule.name}\`: ${ruleSummary(rule, (id) => (id.startsWith('S') ? `<!subteam^${id}>` : `<@${id}>`))}` : 'no rule covers it: such a request is refused'}`,
        );
      }
    return { ok: true, value: { roleArn, lines } };
  }

  /** A request as stored, for showing what it asks (its policy is not a secret: the card shows it to the channel). */
  async request(requestId: string): Promise<AccessRequest | undefined> {
    return this.store.getRequest(requestId);
  }

  /** The caller's most recent requests, newest first. */
  async recentRequests(userId: string, limit = 50): Promise<AccessRequest[]> {
    return this.store.listRequests({ requesterId: userId, newestFirst: true, limit });
  }

  /** One request's full history: for its requester and for approvers. */
  async history(userId: string, requestId: string): Promise<Outcome<RequestHistory>> {
    const request = await this.store.getRequest(requestId);
    if (!request) return refuse(`There is no request ${requestId}.`);
    if (request.requesterId !== userId && !(await this.approvers.isApprover(userId)))
      return refuse(
        `Request ${requestId} is not yours; only its requester and approvers can see its history.`,
      );
    return { ok: true, value: { request, events: await this.store.listEvents(requestId) } };
  }

  /** Every grant on a role (given as an ARN, a name in the bot's account, or one of its request IDs): approvers only. */
  async audit(
    userId: string,
    target: string,
  ): Promise<Outcome<{ roleArn: string; grants: RequestHistory[] }>> {
    if (!(await this.approvers.isApprover(userId))) return refuse('Only approvers can audit a role.');
    let roleArn: string;
    if (isRequestId(target)) {
      const request = await this.store.getRequest(target.toUpperCase());
      if (!request) return refuse(`There is no request ${target}.`);
      roleArn = request.role.arn;
    } else {
      try {
        const input = parseRoleInput(target);
        if (input.kind === 'arn') roleArn = input.role.arn;
        else {
          // A bare name: that role in the bot's own account, whatever its path.
          const caller = await this.identity.callerIdentity();
          const partition = partitionOf(caller.arn);
          const [known] = await this.store.listRequests({
            roleName: input.name,
            accountId: caller.accountId,
            limit: 1,
          });
          roleArn = known?.role.arn ?? `arn:${partition}:iam::${caller.accountId}:role/${input.name}`;
        }
      } catch (error) {
        if (error instanceof RoleInputError) return refuse(error.message);
        throw error;
      }
    }
    const requests = await this.store.listRequests({ roleArn, newestFirst: true, limit: AUDIT_LIMIT });
    const grants = await Promise.all(
      requests.map(async (request) => ({ request, events: await this.store.listEvents(request.id) })),
    );
    return { ok: true, value: { roleArn, grants } };
  }
}
