import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generatePlan } from '../../src/policy';
import { openStore } from '../../src/store';
import type { Store } from '../../src/store';
import type { AccessRequest } from '../../src/access/types';
import { ACTION, REASON_BLOCK, REASON_INPUT, REVOKE_MODAL } from '../../src/slack/blocks';
import {
  ACCOUNT,
  APPROVAL_CHANNEL,
  APPROVER,
  APPROVER_2,
  APPROVER_GROUP,
  OUTSIDER,
  REQUESTER,
  SIGNING_SECRET,
  requestIdFrom,
  startHarness,
  waitFor,
} from '../support/harness';
import type { Harness } from '../support/harness';
import { BotTracker, botEnv, isolatedEnv, requireBuiltBot } from '../support/bot-process';
import type { BotProcess } from '../support/bot-process';
import { startFakeSlack, approvalCardOf } from '../support/fake-slack';
import type { FakeSlack, SlackCall } from '../support/fake-slack';
import { freePort } from '../support/free-port';
import { sizeWithoutWhitespace, startIamEmulator } from '../support/iam-emulator';
import type { Fault, IamEmulator } from '../support/iam-emulator';
import { blockActionBody, postSigned, slashCommandBody } from '../support/slack-requests';

/**
 * The hardening properties of the bot, each with a test that fails when the property is lost: exactly-once under
 * SIGKILL and Slack redeliveries, one winner among concurrent approvers, IAM faults (retried within a bound, or
 * reported with a working Retry), IAM's size and quota limits checked before writing, guardrails beyond the
 * allowlist, and card facts that user text cannot impersonate.
 */

const ROLE_NAME = 'connect-admins';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/${ROLE_NAME}`;
const ONBOARD_POLICY = 'cases-access-onboard';
const FULL_ACCESS = 'arn:aws:iam::aws:policy/AmazonConnect_FullAccess';
const BOT_ROLE_NAME = 'cases-access-bot'; // the emulator's caller: assumed-role/cases-access-bot/session
const SLR_NAME = 'AWSServiceRoleForAmazonConnect_x';
const SLR_PATH = '/aws-service-role/connect.amazonaws.com/';
const SLR = `arn:aws:iam::${ACCOUNT}:role${SLR_PATH}${SLR_NAME}`;
/** Ten approvers for the concurrent-click test (APPROVER and APPROVER_2 stay approvers too). */
const TEN = Array.from({ length: 10 }, (_, i) => `UTEN${String(i).padStart(2, '0')}`);

const plan = (option: 'minimal' | 'managed' = 'minimal') =>
  generatePlan({ task: 'onboard', option, accountId: ACCOUNT });

/** Successful IAM calls of `action`: a state change for a write. */
const succeeded = (iam: IamEmulator, action: string) => iam.callsOf(action).filter((c) => c.status === 200);

/** Top-level messages in the approval channel: the cards. */
const cards = (slack: FakeSlack) =>
  slack.callsOf('chat.postMessage').filter((c) => c.args.channel === APPROVAL_CHANNEL && !c.args.thread_ts);

/** Waits until the card of `id` was last updated to `state` (the card update is the last step of every path). */
async function cardReaches(
  slack: FakeSlack,
  id: string,
  state: string,
  timeoutMs = 10_000,
): Promise<SlackCall> {
  return waitFor(
    () =>
      slack
        .callsOf('chat.update')
        .find((c) => String(c.args.text).includes(id) && String(c.args.text).endsWith(`— ${state}`)),
    timeoutMs,
  );
}

function threadOf(slack: FakeSlack, request: AccessRequest): string[] {
  return slack
    .callsOf('chat.postMessage')
    .filter((c) => c.args.thread_ts === request.card?.messageTs && c.args.channel === APPROVAL_CHANNEL)
    .map((c) => String(c.args.text));
}

/** A policy document of exactly `size` characters without whitespace (IAM's measure). */
function documentOfSize(size: number): string {
  const make = (padding: number) =>
    JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'Padding',
          Effect: 'Allow',
          Action: 's3:GetObject',
          Resource: `arn:aws:s3:::bucket/${'p'.repeat(padding)}`,
        },
      ],
    });
  const base = sizeWithoutWhitespace(make(0));
  const doc = make(size - base);
  expect(sizeWithoutWhitespace(doc)).toBe(size);
  return doc;
}

// ---------------------------------------------------------------------------------------------------------------
// In process: the real bot (Bolt HTTP, AWS SDK, SQLite) behind signed requests, with the fakes on localhost.

describe('in process', () => {
  let h: Harness;
  let store: Store;

  beforeAll(async () => {
    h = await startHarness({
      env: {
        APPROVERS: [APPROVER, APPROVER_2, APPROVER_GROUP, ...TEN].join(','),
        // Wide patterns: the guardrails must hold anyway. (`role/*` itself would match the bot's own role, which
        // start-up refuses; its role lives under /ops/ here, where start-up cannot see it but each request does.)
        ALLOWED_ROLES: [
          `arn:aws:iam::${ACCOUNT}:role/connect-*`,
          `arn:aws:iam::${ACCOUNT}:role/ops/*`,
          `arn:aws:iam::${ACCOUNT}:role/aws-service-role/*`,
        ].join(','),
      },
    });
    // A second connection to the bot's own database, to read its state and its event log; opened after the bot's
    // start-up pass (better-sqlite3 waits for a lock synchronously, blocking this thread, where the bot runs too).
    await h.tick();
    store = await openStore(h.env.DATABASE_URL!);
  });
  afterAll(async () => {
    await store?.close();
    await h?.close();
  });
  beforeEach(() => {
    h.slack.reset();
    h.iam.reset();
    h.iam.addRole(ROLE_NAME);
    h.iam.addRole('connect-agents');
    h.iam.addRole('connect-ops', { path: '/ops/' });
    h.iam.addRole(BOT_ROLE_NAME, { path: '/ops/' });
    h.iam.addRole(SLR_NAME, { path: SLR_PATH });
  });

  const writes = () =>
    h.iam.calls.filter((c) =>
      ['PutRolePolicy', 'AttachRolePolicy', 'DeleteRolePolicy', 'DetachRolePolicy'].includes(c.action),
    );
  const get = async (id: string) => (await store.getRequest(id))!;
  const events = async (id: string) => (await store.listEvents(id)).map((e) => e.type);

  async function ask(text: string, user = REQUESTER): Promise<string> {
    const { status, reply } = await h.command(text, user);
    expect(status).toBe(200);
    return requestIdFrom(reply);
  }

  /** Approves and waits for the final card. */
  async function approve(id: string, state: 'applied' | 'failed', user = APPROVER): Promise<AccessRequest> {
    expect(await h.click(ACTION.approve, id, user)).toBe(200);
    await cardReaches(h.slack, id, state);
    const request = await get(id);
    expect(request.state).toBe(state);
    return request;
  }

  /** Clicks a card button and returns the private answer on its response_url (refusals). */
  async function clickForAnswer(action: string, id: string, user: string): Promise<string> {
    const responseId = `answer-${action}-${user}-${Math.random()}`;
    expect(await h.click(action, id, user, responseId)).toBe(200);
    const answer = await h.slack.waitForCall('response_url', (c) => c.responseUrlId === responseId);
    expect(answer.args.response_type).toBe('ephemeral');
    return String(answer.args.text);
  }

  describe('Slack redeliveries', () => {
    it('the same slash command delivered twice (the second as a Slack retry) makes one request and one card', async () => {
      const body = slashCommandBody({
        text: `onboard ${ROLE} migrating to Cases`,
        userId: REQUESTER,
        responseUrl: h.slack.responseUrl('dup-command'),
        triggerId: '1111.2222.dup-command-trigger',
      });
      expect((await postSigned(h.url, body, SIGNING_SECRET)).status).toBe(200);
      const retried = await postSigned(h.url, body, SIGNING_SECRET, {
        headers: { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' },
      });
      expect(retried.status).toBe(200);
      // Both deliveries were handled: one answered, one recognised as a duplicate.
      const reply = await h.slack.waitForCall('response_url', (c) => c.responseUrlId === 'dup-command');
      await waitFor(() => h.logLines.some((l) => l.includes('duplicate delivery of a command ignored')));
      const id = requestIdFrom(String(reply.args.text));

      expect(h.slack.callsOf('response_url').filter((c) => c.responseUrlId === 'dup-command')).toHaveLength(
        1,
      );
      expect(cards(h.slack)).toHaveLength(1);
      expect(String(cards(h.slack)[0]!.args.text)).toContain(id);
      expect(await store.listRequests({ requesterId: REQUESTER, roleArn: ROLE })).toHaveLength(1);
    });

    it('the same slash command delivered twice at once still makes one request', async () => {
      const body = slashCommandBody({
        text: `view ${ROLE}`,
        userId: REQUESTER,
        responseUrl: h.slack.responseUrl('dup-concurrent'),
        triggerId: '1111.3333.dup-concurrent-trigger',
      });
      const statuses = await Promise.all([
        postSigned(h.url, body, SIGNING_SECRET),
        postSigned(h.url, body, SIGNING_SECRET, { headers: { 'x-slack-retry-num': '1' } }),
      ]);
      expect(statuses.map((s) => s.status)).toEqual([200, 200]);
      await h.slack.waitForCall('response_url', (c) => c.responseUrlId === 'dup-concurrent');
      await waitFor(
        () => h.logLines.filter((l) => l.includes('duplicate delivery of a command ignored')).length >= 2,
      );
      expect(cards(h.slack)).toHaveLength(1);
      expect(
        h.slack.callsOf('response_url').filter((c) => c.responseUrlId === 'dup-concurrent'),
      ).toHaveLength(1);
    });

    it('the same Approve click delivered twice applies once', async () => {
      const id = await ask(`onboard ${ROLE}`);
      const body = blockActionBody({
        userId: APPROVER,
        actionId: ACTION.approve,
        value: id,
        channelId: h.cardOf(id)!.channelId,
        messageTs: h.cardOf(id)!.messageTs,
        responseUrl: h.slack.responseUrl('dup-click'),
        triggerId: '1111.4444.dup-click-trigger',
      });
      expect((await postSigned(h.url, body, SIGNING_SECRET)).status).toBe(200);
      expect(
        (await postSigned(h.url, body, SIGNING_SECRET, { headers: { 'x-slack-retry-num': '1' } })).status,
      ).toBe(200);
      await cardReaches(h.slack, id, 'applied');
      // The redelivery is told the request was already decided, and changes nothing.
      const answer = await h.slack.waitForCall('response_url', (c) => c.responseUrlId === 'dup-click');
      expect(String(answer.args.text)).toContain(`already approved by <@${APPROVER}>`);
      expect(succeeded(h.iam, 'PutRolePolicy')).toHaveLength(1);
      expect(h.iam.callsOf('PutRolePolicy')).toHaveLength(1);
      const request = await get(id);
      expect(threadOf(h.slack, request).filter((t) => t.includes('Approved by'))).toHaveLength(1);
      expect((await events(id)).filter((t) => t === 'approved')).toHaveLength(1);
    });
  });

  it('ten approvers clicking Approve at once: one applies, the nine others are told privately who won', async () => {
    const id = await ask(`onboard ${ROLE} ten approvers race`);
    const statuses = await Promise.all(TEN.map((u) => h.click(ACTION.approve, id, u, `ten-${u}`)));
    expect(statuses).toEqual(TEN.map(() => 200));
    await cardReaches(h.slack, id, 'applied');
    const told = await waitFor(() => {
      const calls = h.slack.callsOf('response_url').filter((c) => c.responseUrlId?.startsWith('ten-'));
      return calls.length >= 9 ? calls : undefined;
    });
    const request = await get(id);
    const winner = request.decidedBy!;
    expect(TEN).toContain(winner);
    expect(told).toHaveLength(9);
    // Everyone but the winner heard, and each was told the winner's name.
    expect(told.map((c) => c.responseUrlId).sort()).toEqual(
      TEN.filter((u) => u !== winner)
        .map((u) => `ten-${u}`)
        .sort(),
    );
    for (const c of told) {
      expect(c.args.response_type).toBe('ephemeral');
      expect(String(c.args.text)).toContain(`already approved by <@${winner}>`);
    }
    expect(h.iam.callsOf('PutRolePolicy')).toHaveLength(1);
    expect(threadOf(h.slack, request).filter((t) => t.includes('Approved by'))).toEqual([
      expect.stringContaining(`Approved by <@${winner}>`),
    ]);
    expect((await events(id)).filter((t) => t === 'approved')).toHaveLength(1);
  });

  describe('transient IAM errors are retried by the SDK, within a bound', () => {
    it('Throttling twice, then success: applied, PutRolePolicy attempted 3 times, one state change', async () => {
      const id = await ask(`onboard ${ROLE}`);
      h.iam.queueFault('PutRolePolicy', { code: 'Throttling', message: 'Rate exceeded', status: 400 }, 2);
      await approve(id, 'applied');
      expect(h.iam.callsOf('PutRolePolicy').map((c) => c.status)).toEqual([400, 400, 200]);
      expect(succeeded(h.iam, 'PutRolePolicy')).toHaveLength(1);
      expect(h.iam.role(ROLE)!.inline.get(ONBOARD_POLICY)).toBe((await plan()).documentText);
      expect((await events(id)).filter((t) => t === 'iam_call')).toHaveLength(1);
    });

    it('a 500 ServiceFailure once: retried, applied', async () => {
      const id = await ask(`onboard ${ROLE}`);
      h.iam.queueFault('PutRolePolicy', { code: 'ServiceFailure', message: 'Internal failure', status: 500 });
      await approve(id, 'applied');
      expect(h.iam.callsOf('PutRolePolicy').map((c) => c.status)).toEqual([500, 200]);
      expect(h.iam.role(ROLE)!.inline.get(ONBOARD_POLICY)).toBe((await plan()).documentText);
    });

    it('a refusal that never ends (LimitExceeded, which the SDK retries like throttling) stops after 4 attempts and fails with a working Retry', async () => {
      const id = await ask(`onboard ${ROLE}`);
      const fault: Fault = {
        code: 'LimitExceeded',
        message: 'Cannot exceed quota for PolicySize: 10240',
        status: 409,
      };
      h.iam.queueFault('PutRolePolicy', fault, 10);
      await approve(id, 'failed');
      expect(h.iam.callsOf('PutRolePolicy')).toHaveLength(4); // maxAttempts: bounded, not disabled
      const request = await get(id);
      expect(request.failure?.code).toBe('LimitExceeded');
      expect(threadOf(h.slack, request).join('\n')).toContain(
        '`LimitExceeded` Cannot exceed quota for PolicySize: 10240',
      );
      h.iam.reset(); // the cause goes away (and the remaining faults with it)
      h.iam.addRole(ROLE_NAME);
      h.slack.reset();
      expect(await h.click(ACTION.retry, id, APPROVER_2)).toBe(200);
      await cardReaches(h.slack, id, 'applied');
      expect(succeeded(h.iam, 'PutRolePolicy')).toHaveLength(1);
    }, 30_000);
  });

  describe('non-retryable IAM errors end failed, quoted in the thread, with a Retry for approvers', () => {
    const cases: Array<[string, Fault]> = [
      [
        'AccessDenied',
        {
          code: 'AccessDenied',
          message: `User: arn:aws:sts::${ACCOUNT}:assumed-role/cases-access-bot/session is not authorized to perform: iam:PutRolePolicy on resource: role ${ROLE_NAME}`,
          status: 403,
        },
      ],
      [
        'MalformedPolicyDocument',
        { code: 'MalformedPolicyDocument', message: 'Syntax errors in policy.', status: 400 },
      ],
      [
        'UnmodifiableEntity',
        {
          code: 'UnmodifiableEntity',
          message: `Cannot perform the operation on the protected role '${ROLE_NAME}' - this role is only modifiable by AWS`,
          status: 400,
        },
      ],
    ];

    it.each(cases)('%s', async (code, fault) => {
      // Requested by an approver, so the refusal of their own Retry is about it being theirs.
      const id = await ask(`onboard ${ROLE}`, APPROVER_2);
      h.iam.queueFault('PutRolePolicy', fault);
      await approve(id, 'failed');
      expect(h.iam.callsOf('PutRolePolicy')).toHaveLength(1); // not retried
      let request = await get(id);
      expect(request.failure).toMatchObject({ code, message: fault.message });
      const failedText = threadOf(h.slack, request).find((t) => t.startsWith(':x: Failed'))!;
      expect(failedText).toContain(`\`${code}\` ${fault.message}`);
      expect(failedText).toContain('AWS request ID'); // the failed call's x-amzn-RequestId
      expect(failedText).toContain(`On the role now: no inline policy ${ONBOARD_POLICY}`);
      const card = JSON.stringify(h.slack.callsOf('chat.update').at(-1)!.args.blocks);
      expect(card).toContain(ACTION.retry);
      expect(card).toContain(code);
      expect(await events(id)).toEqual(expect.arrayContaining(['iam_intent', 'failed']));

      // Only approvers, and not the requester, may retry.
      expect(await clickForAnswer(ACTION.retry, id, APPROVER_2)).toMatch(/cannot retry your own request/);
      expect(await clickForAnswer(ACTION.retry, id, OUTSIDER)).toMatch(/Only approvers can retry/);
      expect((await get(id)).state).toBe('failed');

      h.slack.reset();
      expect(await h.click(ACTION.retry, id, APPROVER)).toBe(200);
      await cardReaches(h.slack, id, 'applied');
      request = await get(id);
      expect(request.state).toBe('applied');
      expect(succeeded(h.iam, 'PutRolePolicy')).toHaveLength(1);
      expect(h.iam.role(ROLE)!.inline.get(ONBOARD_POLICY)).toBe((await plan()).documentText);
      expect(threadOf(h.slack, request).join('\n')).toContain(`Retry by <@${APPROVER}>`);
      // A second Retry on the applied request changes nothing.
      expect(await clickForAnswer(ACTION.retry, id, APPROVER)).toMatch(
        /only a failed request can be retried/,
      );
    });

    it('NoSuchEntity: the role was deleted after the request; Retry once it exists again', async () => {
      const id = await ask(`onboard ${ROLE}`);
      h.iam.removeRole(ROLE);
      await approve(id, 'failed');
      const request = await get(id);
      expect(request.failure?.code).toBe('NoSuchEntity');
      expect(request.failure?.message).toContain(`The role with name ${ROLE_NAME} cannot be found`);
      expect(threadOf(h.slack, request).join('\n')).toMatch(
        new RegExp(`:x: Failed: \`NoSuchEntity\` The role with name ${ROLE_NAME} cannot be found`),
      );
      expect(writes()).toHaveLength(0);
      expect(JSON.stringify(h.slack.callsOf('chat.update').at(-1)!.args.blocks)).toContain(ACTION.retry);

      h.iam.addRole(ROLE_NAME);
      h.slack.reset();
      expect(await h.click(ACTION.retry, id, APPROVER_2)).toBe(200);
      await cardReaches(h.slack, id, 'applied');
      expect(succeeded(h.iam, 'PutRolePolicy')).toHaveLength(1);
      expect(h.iam.role(ROLE)!.inline.get(ONBOARD_POLICY)).toBe((await plan()).documentText);
    });
  });

  describe('IAM limits are checked before any write', () => {
    it('inline size: other inline policies leave no room → failed LimitExceeded, no PutRolePolicy; Retry once there is room', async () => {
      const ours = sizeWithoutWhitespace((await plan()).documentText);
      h.iam.role(ROLE)!.inline.set('other-policy', documentOfSize(10_240 - ours + 1));
      const id = await ask(`onboard ${ROLE}`);
      await approve(id, 'failed');
      expect(h.iam.callsOf('PutRolePolicy')).toHaveLength(0);
      expect(writes()).toHaveLength(0);
      const request = await get(id);
      expect(request.failure?.code).toBe('LimitExceeded');
      expect(request.failure?.message).toContain('10241');
      expect(threadOf(h.slack, request).join('\n')).toContain('`LimitExceeded`');
      expect(JSON.stringify(h.slack.callsOf('chat.update').at(-1)!.args.blocks)).toContain(ACTION.retry);

      // Exactly at the limit is allowed.
      h.iam.role(ROLE)!.inline.set('other-policy', documentOfSize(10_240 - ours));
      h.slack.reset();
      expect(await h.click(ACTION.retry, id, APPROVER)).toBe(200);
      await cardReaches(h.slack, id, 'applied');
      expect(succeeded(h.iam, 'PutRolePolicy')).toHaveLength(1);
    });

    it('managed quota: 10 policies already attached and an Option 2 request → failed LimitExceeded, nothing written', async () => {
      const attached = h.iam.role(ROLE)!.attached;
      for (let i = 0; i < 10; i++) attached.push(`arn:aws:iam::${ACCOUNT}:policy/team-policy-${i}`);
      const id = await ask(`onboard ${ROLE} --managed`);
      await approve(id, 'failed');
      expect(h.iam.callsOf('AttachRolePolicy')).toHaveLength(0);
      expect(writes()).toHaveLength(0); // not even the inline part: no partial grant
      expect(h.iam.callsOf('GetAccountSummary').length).toBeGreaterThan(0); // the live quota
      const request = await get(id);
      expect(request.failure?.code).toBe('LimitExceeded');
      expect(request.failure?.message).toMatch(/quota of 10/);

      // With one slot free it fits exactly.
      attached.pop();
      h.slack.reset();
      expect(await h.click(ACTION.retry, id, APPROVER)).toBe(200);
      await cardReaches(h.slack, id, 'applied');
      expect(h.iam.role(ROLE)!.attached).toHaveLength(10);
      expect(h.iam.role(ROLE)!.attached).toContain(FULL_ACCESS);
    });
  });

  describe('Option 2 partly applied (inline written, AttachRolePolicy refused)', () => {
    async function partlyApplied(role = ROLE): Promise<{ id: string; request: AccessRequest }> {
      const id = await ask(`onboard ${role} --managed`);
      h.iam.queueFault('AttachRolePolicy', {
        code: 'AccessDenied',
        message: 'not authorized to perform: iam:AttachRolePolicy',
        status: 403,
      });
      const request = await approve(id, 'failed');
      return { id, request };
    }

    it('reports exactly what is on the role; Retry completes it without writing the inline policy again', async () => {
      const managedPlan = await plan('managed');
      const { id, request } = await partlyApplied();
      expect(h.iam.role(ROLE)!.inline.get(ONBOARD_POLICY)).toBe(managedPlan.documentText);
      expect(h.iam.role(ROLE)!.attached).toEqual([]);
      const failedText = threadOf(h.slack, request).find((t) => t.startsWith(':x: Failed'))!;
      expect(failedText).toContain('`AccessDenied` not authorized to perform: iam:AttachRolePolicy');
      expect(failedText).toContain(
        `On the role now: ${ONBOARD_POLICY} with the approved document; ${FULL_ACCESS} not attached.`,
      );

      h.slack.reset();
      expect(await h.click(ACTION.retry, id, APPROVER_2)).toBe(200);
      await cardReaches(h.slack, id, 'applied');
      expect(h.iam.callsOf('PutRolePolicy')).toHaveLength(1); // read first: already in place
      expect(succeeded(h.iam, 'AttachRolePolicy')).toHaveLength(1);
      expect(h.iam.role(ROLE)!.attached).toEqual([FULL_ACCESS]);
      expect(threadOf(h.slack, request).join('\n')).toContain('Already on the role');
      expect((await get(id)).attachedManagedArns).toEqual([FULL_ACCESS]);
    });

    it('Revoke on the failed card removes the inline policy that was applied', async () => {
      // A role no other test's grant is on (the database outlives the emulator's resets between tests).
      const role = `arn:aws:iam::${ACCOUNT}:role/connect-partly`;
      h.iam.addRole('connect-partly');
      const { id, request } = await partlyApplied(role);
      expect(JSON.stringify(h.slack.callsOf('chat.update').at(-1)!.args.blocks)).toContain(ACTION.revoke);
      expect(await h.click(ACTION.revoke, id, APPROVER)).toBe(200);
      const opened = await h.slack.waitForCall('views.open');
      expect((opened.args.view as { callback_id: string }).callback_id).toBe(REVOKE_MODAL);
      const submitted = await h.submitView(
        REVOKE_MODAL,
        id,
        { [REASON_BLOCK]: { [REASON_INPUT]: { type: 'plain_text_input', value: 'give up on Option 2' } } },
        APPROVER,
      );
      expect(submitted.status).toBe(200);
      await cardReaches(h.slack, id, 'revoked');
      expect(h.iam.role(role)!.inline.has(ONBOARD_POLICY)).toBe(false);
      expect(h.iam.role(role)!.attached).toEqual([]);
      expect(h.iam.callsOf('DetachRolePolicy')).toHaveLength(0); // it was never attached
      const revoked = threadOf(h.slack, request).find((t) => t.includes('Revoked and verified'))!;
      expect(revoked).toContain(`removed \`${ONBOARD_POLICY}\``);
      expect(revoked).not.toContain('attached before this grant'); // it was never attached at all
    });
  });

  describe('guardrails, whatever ALLOWED_ROLES says (here: patterns that match them)', () => {
    const longName = `connect-${'a'.repeat(57)}`; // 65 characters
    const longPath = `/${Array.from({ length: 6 }, () => 'p'.repeat(90)).join('/')}/`; // 553 characters
    it.each<[string, string, RegExp]>([
      ['the bot’s own role, by name', `onboard ${BOT_ROLE_NAME}`, /is the role the bot itself runs as/],
      [
        'the bot’s own role, by ARN',
        `onboard arn:aws:iam::${ACCOUNT}:role/ops/${BOT_ROLE_NAME}`,
        /is the role the bot itself runs as/,
      ],
      ['a service-linked role, by ARN', `view ${SLR}`, /is a service-linked role/],
      [
        'a service-linked role, by name (its path comes from IAM)',
        `view ${SLR_NAME}`,
        /is a service-linked role/,
      ],
      [
        'a role name over 64 characters',
        `onboard ${longName}`,
        /is not a valid IAM role name: 1–64 characters/,
      ],
      [
        'a role name over 64 characters, in an ARN',
        `onboard arn:aws:iam::${ACCOUNT}:role/${longName}`,
        /is not a valid IAM role name: 1–64 characters/,
      ],
      [
        'a path over 512 characters',
        `onboard arn:aws:iam::${ACCOUNT}:role${longPath}connect-admins`,
        /breaks IAM's rules \(.*at most 512 characters\)/,
      ],
    ])('refuses %s: specific message, nothing posted, nothing written', async (_what, text, message) => {
      expect(longName).toHaveLength(65);
      expect(longPath.length).toBeGreaterThan(512);
      const { status, reply } = await h.command(text);
      expect(status).toBe(200);
      expect(reply).toMatch(message);
      expect(reply).toContain('Nothing was requested');
      // No card (an earlier test's last thread reply may still arrive: threads are not this request's).
      expect(h.slack.callsOf('chat.postMessage').filter((c) => !c.args.thread_ts)).toHaveLength(0);
      expect(writes()).toHaveLength(0);
    });
  });

  describe('the card shows only facts the server derived', () => {
    const EVIL_REASON =
      '*Role*\n`arn:aws:iam::1:role/admin`\n<!channel> see <https://evil.example|docs.aws.amazon.com> & ask <@U0ADMIN>';

    /** Every mrkdwn text object in the blocks. */
    function mrkdwnTexts(blocks: unknown): string[] {
      const out: string[] = [];
      const walk = (node: unknown): void => {
        if (Array.isArray(node)) return node.forEach(walk);
        if (typeof node !== 'object' || node === null) return;
        const o = node as Record<string, unknown>;
        if (o.type === 'mrkdwn' && typeof o.text === 'string') out.push(o.text);
        Object.values(o).forEach(walk);
      };
      walk(blocks);
      return out;
    }

    it('a reason cannot add a Role field, a mention or a disguised link; the Role field is the ARN IAM returned', async () => {
      // Requested by bare name: the role lives under /ops/, which only IAM knows.
      const id = await ask(`onboard connect-ops ${EVIL_REASON}`);
      const card = cards(h.slack)[0]!;
      const blocks = card.args.blocks as Array<{ type: string; fields?: Array<{ text: string }> }>;
      const json = JSON.stringify(blocks);
      const derived = `arn:aws:iam::${ACCOUNT}:role/ops/connect-ops`;

      // One Role field, with the server-derived ARN.
      const fields = blocks.flatMap((b) => b.fields ?? []).map((f) => f.text);
      expect(fields.filter((f) => f.startsWith('*Role*'))).toEqual([`*Role*\n\`${derived}\``]);
      // Nowhere else does a bold "Role" label render: outside code (where Slack formats nothing) the reason's
      // markup is gone.
      const texts = mrkdwnTexts(blocks);
      const rendered = texts.map((t) => t.replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, ''));
      expect(rendered.filter((t) => t.includes('*Role*'))).toHaveLength(1);
      expect(rendered.join('\n')).not.toContain('arn:aws:iam::1:role/admin');
      // The reason is there, as typed (escaped; backticks softened so it can't close its code block).
      const reasonText = texts.find((t) => t.startsWith('*Reason:*'))!;
      expect(reasonText).toBe(
        '*Reason:*\n```*Role*\nʼarn:aws:iam::1:role/adminʼ\n&lt;!channel&gt; see &lt;https://evil.example|docs.aws.amazon.com&gt; &amp; ask &lt;@U0ADMIN&gt;```',
      );
      // Escaped: no broadcast, no mention, no link of the requester's making.
      expect(json).not.toContain('<!channel>');
      expect(json).not.toContain('<https://evil');
      expect(json).not.toContain('<@U0ADMIN>');
      expect(json).toContain('&lt;!channel&gt;');
      const sequences = texts.flatMap((t) => t.match(/<[^>]*>/g) ?? []);
      expect(sequences).toEqual([`<@${REQUESTER}>`]);
      expect(String(card.args.text)).toContain(derived);

      // The stored request keeps the reason as typed, and the ARN as IAM returned it.
      const stored = await get(id);
      expect(stored.role.arn).toBe(derived);
      expect(stored.reason).toBe(EVIL_REASON);
    });

    it('a reason over 500 characters is refused with a clear message', async () => {
      const { reply } = await h.command(`onboard ${ROLE} ${'why '.repeat(130)}`);
      expect(reply).toMatch(/The reason is \d+ characters; keep it to 500/);
      expect(h.slack.callsOf('chat.postMessage').filter((c) => !c.args.thread_ts)).toHaveLength(0);
    });
  });
});

// ---------------------------------------------------------------------------------------------------------------
// The built bot as a real process, killed with SIGKILL in the middle of an apply and started again.

const PROC_SECRET = 'hardening-signing-secret-0123456789';
const PROC_TOKEN = 'xoxb-hardening-process-token';
const PROC_APPROVER = 'UPROCAPPROVER';
const PROC_REQUESTER = 'UPROCREQUESTER';
const LEASE_MS = 1_000;

type Child = BotProcess & { port: number; url: string };

describe('the built bot, killed with SIGKILL mid-apply', () => {
  let slack: FakeSlack;
  let iam: IamEmulator;
  let dir: string;
  const children = new BotTracker();
  let seq = 0;

  beforeAll(async () => {
    requireBuiltBot();
    slack = await startFakeSlack();
    iam = await startIamEmulator({ accountId: ACCOUNT });
  });
  afterAll(async () => {
    await slack?.close();
    await iam?.close();
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cases-access-hardening-'));
    slack.reset();
    iam.reset();
    iam.addRole(ROLE_NAME);
  });
  afterEach(async () => {
    await children.killAll();
    rmSync(dir, { recursive: true, force: true });
  });

  const databaseUrl = () => `sqlite:${join(dir, 'db', 'cases-access.db')}`;

  async function startChild(): Promise<Child> {
    const port = await freePort();
    const env: NodeJS.ProcessEnv = {
      ...isolatedEnv(dir),
      ...botEnv({
        slack,
        iam,
        port,
        account: ACCOUNT,
        botToken: PROC_TOKEN,
        signingSecret: PROC_SECRET,
        approvalChannel: APPROVAL_CHANNEL,
        approvers: PROC_APPROVER,
        databaseUrl: databaseUrl(),
        logLevel: 'info',
      }),
      APPLY_LEASE: `${LEASE_MS / 1000}s`,
    };
    const c: Child = Object.assign(children.spawn({ env, cwd: dir }), {
      port,
      url: `http://127.0.0.1:${port}/slack/events`,
    });
    await c.waitHealthy(port, 15_000, 25);
    return c;
  }

  async function kill9(c: Child): Promise<void> {
    expect(await c.stop('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
  }

  async function command(c: Child, text: string): Promise<string> {
    const responseId = `proc-${++seq}`;
    const res = await postSigned(
      c.url,
      slashCommandBody({ text, userId: PROC_REQUESTER, responseUrl: slack.responseUrl(responseId) }),
      PROC_SECRET,
    );
    expect(res.status).toBe(200);
    const answer = await slack.waitForCall('response_url', (x) => x.responseUrlId === responseId, 10_000);
    return String(answer.args.text);
  }

  async function click(c: Child, actionId: string, id: string, userId = PROC_APPROVER): Promise<void> {
    const res = await postSigned(
      c.url,
      blockActionBody({
        userId,
        actionId,
        value: id,
        ...cardRef(slack, id),
        responseUrl: slack.responseUrl(`proc-click-${++seq}`),
      }),
      PROC_SECRET,
    );
    expect(res.status).toBe(200);
  }

  /** Reads the database the bots share (after they stopped, or between them). */
  async function withStore<T>(fn: (s: Store) => Promise<T>): Promise<T> {
    const s = await openStore(databaseUrl());
    try {
      return await fn(s);
    } finally {
      await s.close();
    }
  }

  /** The first bot's lease (APPLY_LEASE, from its approval) has certainly run out once this resolves. */
  async function leaseOver(approvedBy: number): Promise<void> {
    const wait = approvedBy + LEASE_MS + 50 - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }

  const threadTexts = () =>
    slack
      .callsOf('chat.postMessage')
      .filter((c) => c.args.thread_ts)
      .map((c) => String(c.args.text));

  it('killed while IAM holds PutRolePolicy: the new process reads the role, does not write again, and finishes without a second approval', async () => {
    const first = await startChild();
    const id = requestIdFrom(await command(first, `onboard ${ROLE} crash test`));
    const held = iam.hold('PutRolePolicy');
    await click(first, ACTION.approve, id);
    await held.reached;
    const approvedBy = Date.now();
    await kill9(first);
    // IAM carries out the call the dead process made.
    held.release();
    await waitFor(() => iam.callsOf('PutRolePolicy')[0]?.status === 200);
    expect((await withStore((s) => s.getRequest(id)))!.state).toBe('approved');
    await leaseOver(approvedBy);

    const second = await startChild();
    // Within the outbox's claim (12 s) of a message the dead process may have been sending, and some. The card
    // shows the request as it is when an update is sent, so it can say "applied" before the last thread replies
    // arrive: wait for those.
    await cardReaches(slack, id, 'applied', 30_000);
    await waitFor(() => threadTexts().some((t) => t.includes('Verified by reading back')), 30_000);
    const finalCard = slack.callsOf('chat.update').at(-1)!;
    expect(JSON.stringify(finalCard.args.blocks)).toContain('Applied and verified');

    expect(iam.callsOf('PutRolePolicy')).toHaveLength(1);
    expect(iam.role(ROLE)!.inline.get(ONBOARD_POLICY)).toBe((await plan()).documentText);
    const thread = threadTexts();
    // Once, or twice when the kill landed while the dead process was sending it: the outbox delivers at least once
    // (a send whose answer never came back is sent again), never zero times.
    expect(thread.filter((t) => t.includes('Approved by')).length).toBeGreaterThanOrEqual(1);
    expect(thread.filter((t) => t.includes('Approved by')).length).toBeLessThanOrEqual(2);
    expect(thread.join('\n')).toMatch(/Resuming this approved request after an interruption/);
    expect(thread.join('\n')).toMatch(/Already on the role/);
    expect(thread.at(-2)).toMatch(/Verified by reading back/);
    expect(thread.at(-1)).toMatch(/IAM's simulator now allows every documented action/);

    await second.stop('SIGTERM');
    const types = await withStore(async (s) => (await s.listEvents(id)).map((e) => e.type));
    expect(types).toEqual(
      expect.arrayContaining(['approved', 'iam_intent', 'resumed', 'verified', 'applied']),
    );
    expect(types.filter((t) => t === 'approved')).toHaveLength(1);
    expect(types.filter((t) => t === 'iam_intent')).toHaveLength(1);
    expect(types.indexOf('iam_intent')).toBeLessThan(types.indexOf('resumed'));
    expect(types.at(-1)).toBe('applied');
  }, 45_000);

  it('Option 2, killed while IAM holds AttachRolePolicy: attached once; the unconfirmed attach is not the grant’s to detach', async () => {
    const first = await startChild();
    const id = requestIdFrom(await command(first, `onboard ${ROLE} --managed crash test`));
    const held = iam.hold('AttachRolePolicy');
    await click(first, ACTION.approve, id);
    await held.reached;
    const approvedBy = Date.now();
    await kill9(first);
    held.release();
    await waitFor(() => iam.callsOf('AttachRolePolicy')[0]?.status === 200);
    await leaseOver(approvedBy);

    const second = await startChild();
    // Within the outbox's claim (12 s) of a message the dead process may have been sending, and some. The card
    // shows the request as it is when an update is sent, so it can say "applied" before the last thread replies
    // arrive: wait for those.
    await cardReaches(slack, id, 'applied', 30_000);
    await waitFor(() => threadTexts().some((t) => t.includes('Verified by reading back')), 30_000);
    expect(iam.callsOf('PutRolePolicy')).toHaveLength(1);
    expect(iam.callsOf('AttachRolePolicy')).toHaveLength(1);
    expect(iam.role(ROLE)!.attached).toEqual([FULL_ACCESS]);
    expect(threadTexts().join('\n')).toMatch(/Resuming this approved request/);

    // Only an attach the bot saw succeed makes a policy the grant's own: the dead process never saw its answer,
    // so revoking removes the inline policy and leaves the managed one, saying so (never detach what may have
    // been there before).
    const revoked = await command(second, `revoke ${id} crash test over`);
    expect(revoked).toMatch(/Revoked/);
    expect(iam.callsOf('DetachRolePolicy')).toHaveLength(0);
    expect(iam.role(ROLE)!.attached).toEqual([FULL_ACCESS]);
    expect(iam.role(ROLE)!.inline.has(ONBOARD_POLICY)).toBe(false);
    await waitFor(() => threadTexts().join('\n').includes(`${FULL_ACCESS} (not attached by this grant)`));

    await second.stop('SIGTERM');
    const types = await withStore(async (s) => (await s.listEvents(id)).map((e) => e.type));
    expect(types).toEqual(
      expect.arrayContaining(['iam_intent', 'resumed', 'verified', 'applied', 'revoked']),
    );
  }, 45_000);

  it('a pending request survives SIGKILL and can be approved after the restart', async () => {
    const first = await startChild();
    const id = requestIdFrom(await command(first, `onboard ${ROLE} before the crash`));
    await kill9(first);
    expect(iam.callsOf('PutRolePolicy')).toHaveLength(0);

    const second = await startChild();
    await click(second, ACTION.approve, id);
    // Within the outbox's claim (12 s) of a message the dead process may have been sending, and some. The card
    // shows the request as it is when an update is sent, so it can say "applied" before the last thread replies
    // arrive: wait for those.
    await cardReaches(slack, id, 'applied', 30_000);
    await waitFor(() => threadTexts().some((t) => t.includes('Verified by reading back')), 30_000);
    expect(iam.callsOf('PutRolePolicy')).toHaveLength(1);
    expect(iam.role(ROLE)!.inline.get(ONBOARD_POLICY)).toBe((await plan()).documentText);
    expect(cards(slack)).toHaveLength(1);
  }, 45_000);
});

/** Where a click on the request's card comes from: its channel and ts. */
function cardRef(slack: FakeSlack, id: string): { channelId: string; messageTs: string } {
  const card = approvalCardOf(slack, id);
  if (!card) throw new Error(`no approval card for ${id}`);
  return card;
}
