import { randomBytes } from 'node:crypto';
import { generatePlan, sameDocument } from '../policy';
import type { ConnectInstanceScope, PolicyPlan } from '../policy';
import type { Logger } from '../log';
import type { Store } from '../store/store';
import { parseInstanceText } from './command';
import type { ParsedCommand } from './command';
import { IamError } from './ports';
import type { ApproverDirectory, Clock, IamGateway, IdentityProvider, Notifier, StepNotice } from './ports';
import { guardrailRefusal, isAllowed, parseRoleInput, RoleInputError } from './roles';
import type { AccessRequest, RoleRef } from './types';

/** The workflow: submit, approve (then apply and verify), deny. It knows the store and the ports, never Slack or AWS. */

export interface AccessServiceDeps {
  store: Store;
  iam: IamGateway;
  identity: IdentityProvider;
  notifier: Notifier;
  approvers: ApproverDirectory;
  clock: Clock;
  logger: Logger;
  allowedRolePatterns: readonly string[];
  /** Region of a bare `--instance <id>`; an instance ARN carries its own. */
  awsRegion?: string;
  /** Read-back attempts for IAM's eventual consistency, and the first pause between them (doubling). */
  verifyAttempts?: number;
  verifyDelayMs?: number;
}

export type Outcome<T> = { ok: true; value: T } | { ok: false; message: string };
export type RequestCommand = Extract<ParsedCommand, { kind: 'request' }>;

const refuse = <T>(message: string): Outcome<T> => ({ ok: false, message });

/** Short, unambiguous, unguessable: `CA-` and 10 Crockford base32 characters. */
export function newRequestId(): string {
  const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
  return `CA-${[...randomBytes(10)].map((b) => alphabet[b % 32]).join('')}`;
}

export class AccessService {
  private readonly verifyAttempts: number;
  private readonly verifyDelayMs: number;

  constructor(private readonly deps: AccessServiceDeps) {
    this.verifyAttempts = deps.verifyAttempts ?? 5;
    this.verifyDelayMs = deps.verifyDelayMs ?? 250;
  }

  /** Validates everything before anyone is asked to approve; a refusal writes nothing. */
  async submit(
    requesterId: string,
    command: RequestCommand,
  ): Promise<Outcome<{ request: AccessRequest; cardLink?: string }>> {
    const { store, iam, identity, notifier, clock } = this.deps;
    let input;
    try {
      input = parseRoleInput(command.roleText);
    } catch (error) {
      if (error instanceof RoleInputError) return refuse(error.message);
      throw error;
    }
    const caller = await identity.callerIdentity();
    const partition = /^arn:([^:]+):/.exec(caller.arn)?.[1] ?? 'aws';
    const claimed: RoleRef =
      input.kind === 'arn'
        ? input.role
        : {
            arn: `arn:${partition}:iam::${caller.accountId}:role/${input.name}`,
            accountId: caller.accountId,
            name: input.name,
            path: '/',
          };

    if (claimed.accountId !== caller.accountId)
      return refuse(
        `\`${claimed.arn}\` is in account ${claimed.accountId}; this bot manages roles in its own account (${caller.accountId}) only.`,
      );
    const guard = guardrailRefusal(claimed, caller);
    if (guard) return refuse(guard);
    if (input.kind === 'arn' && !isAllowed(claimed.arn, this.deps.allowedRolePatterns))
      return refuse(
        `\`${claimed.arn}\` is not in ALLOWED_ROLES, so the bot may not grant it anything. Ask an administrator if it should be.`,
      );

    let instance: ConnectInstanceScope | undefined;
    if (command.instanceText) {
      const parsed = parseInstanceText(command.instanceText);
      if (!parsed) return refuse(`\`${command.instanceText}\` is not an Amazon Connect instance ID or ARN.`);
      if (parsed.accountId && parsed.accountId !== claimed.accountId)
        return refuse(
          `The instance is in account ${parsed.accountId} but the role is in ${claimed.accountId}.`,
        );
      const region = parsed.region ?? this.deps.awsRegion;
      if (!region)
        return refuse(
          '`--instance` with a bare ID needs the bot’s AWS_REGION; give the instance ARN instead.',
        );
      instance = { instanceId: parsed.instanceId, region };
    }

    const found = await iam.getRole(claimed.name);
    if (!found) return refuse(`The role \`${claimed.name}\` does not exist in account ${claimed.accountId}.`);
    if (input.kind === 'arn' && found.arn !== claimed.arn)
      return refuse(
        `The role \`${claimed.name}\` exists as \`${found.arn}\`, not \`${claimed.arn}\`. Use its exact ARN.`,
      );
    const role: RoleRef = { ...claimed, arn: found.arn, path: found.path };
    const realGuard = guardrailRefusal(role, caller);
    if (realGuard) return refuse(realGuard);
    if (!isAllowed(role.arn, this.deps.allowedRolePatterns))
      return refuse(
        `\`${role.arn}\` is not in ALLOWED_ROLES, so the bot may not grant it anything. Ask an administrator if it should be.`,
      );

    const plan: PolicyPlan = await generatePlan({
      task: command.task,
      option: command.option,
      accountId: role.accountId,
      partition,
      instance,
    });
    const now = clock.now();
    const id = newRequestId();
    const request = await store.createRequest(
      {
        id,
        createdAt: now,
        requesterId,
        role,
        task: plan.task,
        option: plan.option,
        instance,
        reason: command.reason,
        policyName: plan.policyName,
        documentText: plan.documentText,
        managedPolicyArns: plan.managedPolicyArns,
        sha256: plan.sha256,
      },
      {
        requestId: id,
        at: now,
        actor: requesterId,
        type: 'requested',
        details: {
          roleArn: role.arn,
          task: plan.task,
          option: plan.option,
          sha256: plan.sha256,
          instance: instance ?? null,
        },
      },
    );

    try {
      const card = await notifier.postApprovalCard(request);
      await store.setCard(request.id, card);
      await store.appendEvent({
        requestId: request.id,
        at: clock.now(),
        actor: 'bot',
        type: 'card_posted',
        details: { ...card },
      });
      const withCard = { ...request, card };
      const cardLink = await this.quietly('card link', () => notifier.cardLink(withCard));
      return { ok: true, value: { request: withCard, cardLink: cardLink ?? undefined } };
    } catch (error) {
      this.deps.logger.error('approval card could not be posted', { requestId: request.id, error });
      await store.transition(
        request.id,
        'pending',
        'failed',
        {
          completedAt: clock.now(),
          failure: { code: 'SlackError', message: 'the approval card could not be posted' },
        },
        {
          requestId: request.id,
          at: clock.now(),
          actor: 'bot',
          type: 'failed',
          details: { code: 'SlackError', stage: 'card' },
        },
      );
      return refuse(
        `Request ${request.id} could not be posted to the approval channel, so nobody can approve it. Is the bot a member of that channel?`,
      );
    }
  }

  /** Whether `userId` may decide the request now: an approver, not the requester, and the request still pending. */
  async checkDecider(requestId: string, userId: string): Promise<Outcome<AccessRequest>> {
    const request = await this.deps.store.getRequest(requestId);
    if (!request) return refuse(`There is no request ${requestId}.`);
    if (request.state !== 'pending') return refuse(alreadyDecided(request));
    if (userId === request.requesterId)
      return refuse('You cannot approve or deny your own request; another approver must.');
    if (!(await this.deps.approvers.isApprover(userId)))
      return refuse('You are not an approver for cases-access, so nothing was changed.');
    return { ok: true, value: request };
  }

  /** One click wins the pending → approved update; only that click applies the stored plan. */
  async approve(requestId: string, userId: string): Promise<Outcome<AccessRequest>> {
    const { store, clock } = this.deps;
    const check = await this.checkDecider(requestId, userId);
    if (!check.ok) {
      await this.recordRefusal(requestId, userId, check.message);
      return check;
    }
    const approved = await store.transition(
      requestId,
      'pending',
      'approved',
      { decidedBy: userId, decidedAt: clock.now() },
      {
        requestId,
        at: clock.now(),
        actor: userId,
        type: 'approved',
        details: { sha256: check.value.sha256 },
      },
    );
    if (!approved) {
      const current = await store.getRequest(requestId);
      return refuse(current ? alreadyDecided(current) : `There is no request ${requestId}.`);
    }
    await this.quietly('card update', () => this.deps.notifier.updateCard(approved));
    await this.step(approved, { kind: 'approved', by: userId });
    return { ok: true, value: await this.apply(approved) };
  }

  async deny(requestId: string, userId: string, reason: string): Promise<Outcome<AccessRequest>> {
    const { store, clock, notifier } = this.deps;
    const trimmed = reason.trim();
    if (!trimmed) return refuse('A reason is required to deny a request.');
    const check = await this.checkDecider(requestId, userId);
    if (!check.ok) {
      await this.recordRefusal(requestId, userId, check.message);
      return check;
    }
    const denied = await store.transition(
      requestId,
      'pending',
      'denied',
      { decidedBy: userId, decidedAt: clock.now(), denyReason: trimmed },
      { requestId, at: clock.now(), actor: userId, type: 'denied', details: { reason: trimmed } },
    );
    if (!denied) {
      const current = await store.getRequest(requestId);
      return refuse(current ? alreadyDecided(current) : `There is no request ${requestId}.`);
    }
    const notice: StepNotice = { kind: 'denied', by: userId, reason: trimmed };
    // The card update comes last in every path: once it shows the final state, everything else was said.
    await this.step(denied, notice);
    await this.quietly('requester message', () => notifier.tellRequester(denied, notice));
    await this.quietly('card update', () => notifier.updateCard(denied));
    return { ok: true, value: denied };
  }

  /** Writes the stored plan, then reads it back. Any IAM error ends the request as failed, reported as AWS said it. */
  private async apply(request: AccessRequest): Promise<AccessRequest> {
    const { iam, store, clock, notifier } = this.deps;
    const role = request.role.name;
    try {
      const put = await iam.putRolePolicy(role, request.policyName, request.documentText);
      await this.recordCall(
        request,
        'PutRolePolicy',
        `${request.policyName} on ${request.role.arn}`,
        put.awsRequestId,
        {
          policyName: request.policyName,
          sha256: request.sha256,
        },
      );
      for (const arn of request.managedPolicyArns) {
        const attach = await iam.attachRolePolicy(role, arn);
        await this.recordCall(
          request,
          'AttachRolePolicy',
          `${arn} to ${request.role.arn}`,
          attach.awsRequestId,
          { policyArn: arn },
        );
      }
      await this.verify(request);
      await store.appendEvent({
        requestId: request.id,
        at: clock.now(),
        actor: 'bot',
        type: 'verified',
        details: {
          policyName: request.policyName,
          sha256: request.sha256,
          managedPolicyArns: request.managedPolicyArns,
        },
      });
      await this.step(request, {
        kind: 'verified',
        policyName: request.policyName,
        sha256: request.sha256,
        managedPolicyArns: request.managedPolicyArns,
      });
      const applied = await store.transition(
        request.id,
        'approved',
        'applied',
        { completedAt: clock.now() },
        { requestId: request.id, at: clock.now(), actor: 'bot', type: 'applied', details: {} },
      );
      const final = applied ?? request;
      await this.quietly('requester message', () => notifier.tellRequester(final, { kind: 'applied' }));
      await this.quietly('card update', () => notifier.updateCard(final));
      return final;
    } catch (error) {
      const failure =
        error instanceof IamError
          ? error.toFailure()
          : { code: 'InternalError', message: error instanceof Error ? error.message : String(error) };
      this.deps.logger.error('applying the plan failed', { requestId: request.id, failure });
      const failed = await store.transition(
        request.id,
        'approved',
        'failed',
        { completedAt: clock.now(), failure },
        { requestId: request.id, at: clock.now(), actor: 'bot', type: 'failed', details: { ...failure } },
      );
      const final = failed ?? request;
      await this.step(final, { kind: 'failed', failure });
      await this.quietly('requester message', () =>
        notifier.tellRequester(final, { kind: 'failed', failure }),
      );
      await this.quietly('card update', () => notifier.updateCard(final));
      return final;
    }
  }

  /** IAM is eventually consistent: read back with a bounded, doubling pause before calling it a mismatch. */
  private async verify(request: AccessRequest): Promise<void> {
    const { iam, clock } = this.deps;
    let problem = '';
    for (let attempt = 0; attempt < this.verifyAttempts; attempt++) {
      if (attempt > 0) await clock.sleep(this.verifyDelayMs * 2 ** (attempt - 1));
      const stored = await iam.getRolePolicy(request.role.name, request.policyName);
      const attached = request.managedPolicyArns.length
        ? await iam.listAttachedRolePolicies(request.role.name)
        : [];
      const missing = request.managedPolicyArns.filter((arn) => !attached.includes(arn));
      if (stored === undefined) problem = `the inline policy ${request.policyName} is not on the role`;
      else if (!sameDocument(stored, request.documentText))
        problem = `the inline policy ${request.policyName} on the role differs from the approved document`;
      else if (missing.length) problem = `not attached: ${missing.join(', ')}`;
      else return;
    }
    throw new IamError('VerificationFailed', `read-back after ${this.verifyAttempts} attempts: ${problem}`);
  }

  private async recordCall(
    request: AccessRequest,
    operation: string,
    target: string,
    awsRequestId: string | undefined,
    details: Record<string, unknown>,
  ): Promise<void> {
    await this.deps.store.appendEvent({
      requestId: request.id,
      at: this.deps.clock.now(),
      actor: 'bot',
      type: 'iam_call',
      details: { operation, ...details, awsRequestId: awsRequestId ?? null },
    });
    await this.step(request, { kind: 'iam_call', operation, target, awsRequestId });
  }

  private async recordRefusal(requestId: string, userId: string, reason: string): Promise<void> {
    const request = await this.deps.store.getRequest(requestId);
    if (!request) return;
    await this.deps.store.appendEvent({
      requestId,
      at: this.deps.clock.now(),
      actor: userId,
      type: 'approval_refused',
      details: { reason },
    });
  }

  private step(request: AccessRequest, notice: StepNotice): Promise<unknown> {
    return this.quietly('thread reply', () => this.deps.notifier.postStep(request, notice));
  }

  /** Slack trouble must never undo or stop an IAM step already taken: log it and carry on. */
  private async quietly<T>(what: string, fn: () => Promise<T>): Promise<T | undefined> {
    try {
      return await fn();
    } catch (error) {
      this.deps.logger.warn(`${what} failed`, { error });
      return undefined;
    }
  }
}

function alreadyDecided(request: AccessRequest): string {
  const who = request.decidedBy ? `<@${request.decidedBy}>` : 'the bot';
  const when = request.decidedAt ? ` at ${request.decidedAt.toISOString()}` : '';
  const verb =
    request.state === 'denied'
      ? 'denied'
      : request.state === 'failed' && !request.decidedBy
        ? 'closed'
        : 'approved';
  return `Request ${request.id} was already ${verb} by ${who}${when} (now ${request.state}); nothing was changed.`;
}
