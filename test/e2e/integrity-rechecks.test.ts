import { join } from 'node:path';
import { patternsMatchingRoleName } from '../../src/access/roles';
import { ConfigError } from '../../src/config';
import { startBot } from '../../src/index';
import type { SlackMessageRef } from '../../src/access/types';
import { ACTION, DENY_MODAL, REASON_BLOCK, REASON_INPUT, REVOKE_MODAL } from '../../src/slack/blocks';
import { dialogMetadata } from '../../src/slack/origin';
import { ACCOUNT, APPROVAL_CHANNEL, APPROVER, SIGNING_SECRET, waitFor } from '../support/harness';
import { approveTo, ONBOARD_POLICY, ROLE, startRig } from '../support/integrity-rig';
import type { Rig } from '../support/integrity-rig';
import { blockActionPayload, payloadBody, postSigned, viewSubmissionBody } from '../support/slack-requests';
import type { ViewStateValues } from '../support/slack-requests';
import { HOUR } from '../support/test-clock';

/**
 * Decisions are re-checked when they are made, not only when the request was: today's ALLOWED_ROLES, today's
 * MAX_GRANT_DURATION and PENDING_TTL, the grant's end fixed at approval, the card the click came from, and the bot's
 * own identities (the role it assumes in other accounts, the role it runs as) never a target.
 */

const arnOf = (name: string, path = '/') => `arn:aws:iam::${ACCOUNT}:role${path}${name}`;
const reasonValues = (value: string): ViewStateValues => ({
  [REASON_BLOCK]: { [REASON_INPUT]: { type: 'plain_text_input', value } },
});
const NOT_ON_CARD = (id: string) => `That button is not on request ${id}'s approval card`;

let roleCounter = 0;
/** A role of its own for one scenario, so no other grant in the (shared) database is on it. */
function freshRole(rig: Rig): string {
  return rig.h.iam.addRole(`connect-recheck-${++roleCounter}`);
}

/** Approves with the first PutRolePolicy failing, so the request ends failed with nothing written. */
async function failedRequest(rig: Rig, text: string): Promise<string> {
  const id = await rig.ask(text);
  rig.h.iam.queueFault('PutRolePolicy', { code: 'AccessDenied', message: 'not now' });
  await approveTo(rig, id, 'failed');
  return id;
}

/** What must not move when a decision is refused: the state, and IAM (no write at all). */
async function expectUntouched(rig: Rig, id: string, state: string): Promise<void> {
  expect((await rig.get(id)).state).toBe(state);
  expect(rig.writes()).toEqual([]);
}

describe('ALLOWED_ROLES narrowed after the request was made (the bot restarted with the new value)', () => {
  let rig: Rig;
  let pending: string;
  let failed: string;
  beforeAll(async () => {
    rig = await startRig();
    pending = await rig.ask(`onboard ${ROLE} made while connect-* was allowed`);
    failed = await failedRequest(rig, `onboard ${arnOf('connect-agents')} made while connect-* was allowed`);
    rig.h.env.ALLOWED_ROLES = `arn:aws:iam::${ACCOUNT}:role/ops/*`;
    await rig.h.restart();
  });
  afterAll(async () => {
    await rig.close();
  });
  beforeEach(() => {
    rig.h.slack.reset();
    rig.h.iam.calls.length = 0;
  });

  it('Approve is refused privately, naming ALLOWED_ROLES; the request stays pending and nothing is written', async () => {
    const threadBefore = await rig.thread(pending);
    const answer = await rig.clickForAnswer(ACTION.approve, pending, APPROVER);
    expect(answer).toContain(`\`${ROLE}\` is not in ALLOWED_ROLES`);
    expect(answer).toContain('Nothing was changed');
    await expectUntouched(rig, pending, 'pending');
    expect(await rig.events(pending)).not.toContain('approved');
    expect(await rig.thread(pending)).toEqual(threadBefore);
    expect(rig.h.iam.role(ROLE)!.inline.size).toBe(0);
  });

  it('Retry of a failed request is refused the same way; it stays failed and nothing is written', async () => {
    const answer = await rig.clickForAnswer(ACTION.retry, failed, APPROVER);
    expect(answer).toContain(`\`${arnOf('connect-agents')}\` is not in ALLOWED_ROLES`);
    await expectUntouched(rig, failed, 'failed');
    expect(await rig.events(failed)).not.toContain('retried');
    expect(rig.h.iam.role(arnOf('connect-agents'))!.inline.size).toBe(0);
  });
});

describe('MAX_GRANT_DURATION set (or lowered) after the request was made', () => {
  let rig: Rig;
  let month: string;
  let open: string;
  let short: string;
  beforeAll(async () => {
    rig = await startRig();
    month = await rig.ask(`onboard ${ROLE} --for 30d made without a maximum`);
    open = await rig.ask(`onboard ${arnOf('connect-agents')} made without a maximum, so until revoked`);
    short = await rig.ask(`view ${ROLE} --for 4h within the later maximum`);
    rig.h.env.MAX_GRANT_DURATION = '8h';
    await rig.h.restart();
  });
  afterAll(async () => {
    await rig.close();
  });
  beforeEach(() => {
    rig.h.slack.reset();
    rig.h.iam.calls.length = 0;
  });

  it('a `--for 30d` request: Approve is refused, naming the 8h maximum; it stays pending, nothing written', async () => {
    const answer = await rig.clickForAnswer(ACTION.approve, month, APPROVER);
    expect(answer).toContain(
      `Request ${month} asks for 30d, longer than today's maximum of 8h (MAX_GRANT_DURATION)`,
    );
    await expectUntouched(rig, month, 'pending');
  });

  it('a request without `--for` (a grant without an end): Approve is refused, naming the maximum', async () => {
    const answer = await rig.clickForAnswer(ACTION.approve, open, APPROVER);
    expect(answer).toContain(
      `Request ${open} asks for a grant without an end, longer than today's maximum of 8h (MAX_GRANT_DURATION)`,
    );
    await expectUntouched(rig, open, 'pending');
  });

  it('a request within the new maximum is still approved and applied', async () => {
    await approveTo(rig, short, 'applied');
    expect(rig.writes().map((w) => w.action)).toEqual(['PutRolePolicy']);
  });
});

describe('decisions on a running bot', () => {
  let rig: Rig;
  beforeAll(async () => {
    rig = await startRig();
  });
  afterAll(async () => {
    await rig.close();
  });
  beforeEach(() => {
    rig.h.slack.reset();
    rig.h.iam.calls.length = 0;
  });

  describe('PENDING_TTL (24h by default), checked at the click, without waiting for the scheduler', () => {
    it('Approve 25 h after the request is refused as expired; the request and its card become expired, nothing written', async () => {
      const role = freshRole(rig);
      const id = await rig.ask(`onboard ${role} left waiting`);
      rig.clock.advance(25 * HOUR);
      const answer = await rig.clickForAnswer(ACTION.approve, id, APPROVER);
      expect(answer).toContain(`Request ${id} is older than PENDING_TTL (1d) and has expired`);
      expect(answer).toContain('nothing was changed');
      await rig.cardReaches(id, 'expired');
      const request = await rig.get(id);
      expect(request.state).toBe('expired');
      expect(request.decidedBy).toBeUndefined();
      expect(await rig.events(id)).not.toContain('approved');
      await waitFor(async () => (await rig.thread(id)).some((t) => t.includes('expired after 1d')));
      expect(rig.writes()).toEqual([]);
      expect(rig.h.iam.role(role)!.inline.size).toBe(0);
    });

    it('Approve 23 h after the request still applies', async () => {
      const id = await rig.ask(`onboard ${freshRole(rig)} nearly stale`);
      rig.clock.advance(23 * HOUR);
      await approveTo(rig, id, 'applied');
    });
  });

  describe('the grant’s end is fixed when it is approved', () => {
    it('`--for 8h` approved at T+2h, failing once, retried 3 h later: expiresAt stays approval time + 8h', async () => {
      const id = await rig.ask(`onboard ${freshRole(rig)} --for 8h fixed end`);
      rig.clock.advance(2 * HOUR);
      const approvedAt = rig.clock.now();
      const end = new Date(approvedAt.getTime() + 8 * HOUR);
      rig.h.iam.queueFault('PutRolePolicy', { code: 'AccessDenied', message: 'not yet' });
      await approveTo(rig, id, 'failed');
      expect((await rig.get(id)).expiresAt).toEqual(end);

      rig.clock.advance(3 * HOUR);
      expect(await rig.h.click(ACTION.retry, id, APPROVER)).toBe(200);
      await rig.cardReaches(id, 'applied');
      const applied = await rig.get(id);
      expect(applied.expiresAt).toEqual(end);
      const events = await rig.store.listEvents(id);
      expect(events.find((e) => e.type === 'approved')!.details.expiresAt).toBe(end.toISOString());
      expect(events.find((e) => e.type === 'applied')!.details.expiresAt).toBe(end.toISOString());
    });

    it('Retry after the grant’s end is refused; it stays failed and nothing is written', async () => {
      const id = await failedRequest(rig, `onboard ${freshRole(rig)} --for 8h too late to retry`);
      const { expiresAt } = await rig.get(id);
      rig.clock.advance(9 * HOUR);
      rig.h.iam.calls.length = 0;
      const answer = await rig.clickForAnswer(ACTION.retry, id, APPROVER);
      expect(answer).toContain(
        `Request ${id}'s time ended at ${expiresAt!.toISOString()}; it cannot be retried`,
      );
      await expectUntouched(rig, id, 'failed');
      expect(await rig.events(id)).not.toContain('retried');
    });
  });

  describe('a click counts only on the request’s own card', () => {
    let decoyCard: SlackMessageRef;
    let clicks = 0;
    beforeAll(async () => {
      const decoy = await rig.ask(`view ${freshRole(rig)} another card in the approval channel`);
      decoyCard = rig.h.cardOf(decoy)!;
    });

    /** Where a copied button may sit: another card in the channel, the card's ts in another channel, no channel. */
    function elsewhere(id: string): Array<[string, SlackMessageRef | 'none']> {
      const card = rig.h.cardOf(id)!;
      return [
        [
          'another message in the approval channel',
          { channelId: APPROVAL_CHANNEL, messageTs: decoyCard.messageTs },
        ],
        ['the card’s ts in another channel', { channelId: 'COTHERCHAN', messageTs: card.messageTs }],
        ['no channel at all (a button in a dialog)', 'none'],
      ];
    }

    /** Clicks from `where` and returns the private answer. */
    async function clickFrom(action: string, id: string, where: SlackMessageRef | 'none'): Promise<string> {
      if (where !== 'none') return rig.clickForAnswer(action, id, APPROVER, where);
      const responseId = `no-channel-${++clicks}`;
      const payload = blockActionPayload({
        userId: APPROVER,
        actionId: action,
        value: id,
        channelId: '',
        messageTs: '',
        responseUrl: rig.h.slack.responseUrl(responseId),
      });
      delete payload.channel;
      delete payload.message;
      payload.container = { type: 'view', view_id: 'VSOMEDIALOG' };
      const res = await postSigned(rig.h.url, payloadBody(payload), SIGNING_SECRET);
      expect(res.status).toBe(200);
      const answer = await rig.h.slack.waitForCall('response_url', (c) => c.responseUrlId === responseId);
      return String(answer.args.text);
    }

    async function expectRefusedEverywhereElse(action: string, id: string, state: string): Promise<void> {
      for (const [where, origin] of elsewhere(id)) {
        const answer = await clickFrom(action, id, origin);
        expect({ where, answer }).toEqual({ where, answer: expect.stringContaining(NOT_ON_CARD(id)) });
      }
      await expectUntouched(rig, id, state);
      expect(rig.h.slack.callsOf('views.open')).toHaveLength(0);
    }

    async function applied(): Promise<string> {
      const id = await rig.ask(`onboard ${freshRole(rig)} to revoke`);
      await approveTo(rig, id, 'applied');
      rig.h.iam.calls.length = 0;
      rig.h.slack.reset();
      return id;
    }

    it('Approve: refused from anywhere else, nothing written; the same click on the card applies', async () => {
      const id = await rig.ask(`onboard ${freshRole(rig)} approve only on the card`);
      await expectRefusedEverywhereElse(ACTION.approve, id, 'pending');
      expect(await rig.events(id)).not.toContain('approved');
      await approveTo(rig, id, 'applied');
      expect(rig.writes().map((w) => w.action)).toEqual(['PutRolePolicy']);
    });

    it('Deny: refused from anywhere else, no dialog; the same click on the card opens the deny dialog', async () => {
      const id = await rig.ask(`onboard ${freshRole(rig)} deny only on the card`);
      await expectRefusedEverywhereElse(ACTION.deny, id, 'pending');
      expect(await rig.h.click(ACTION.deny, id, APPROVER)).toBe(200);
      const opened = await rig.h.slack.waitForCall('views.open');
      expect((opened.args.view as { callback_id: string }).callback_id).toBe(DENY_MODAL);
    });

    it('Retry: refused from anywhere else, it stays failed and nothing is written; the same click on the card applies', async () => {
      const id = await failedRequest(rig, `onboard ${freshRole(rig)} retry only on the card`);
      rig.h.iam.calls.length = 0;
      rig.h.slack.reset();
      await expectRefusedEverywhereElse(ACTION.retry, id, 'failed');
      expect(await rig.events(id)).not.toContain('retried');
      expect(await rig.h.click(ACTION.retry, id, APPROVER)).toBe(200);
      await rig.cardReaches(id, 'applied');
      expect(rig.writes().map((w) => w.action)).toEqual(['PutRolePolicy']);
    });

    it('Revoke: refused from anywhere else, nothing removed; the same click on the card opens the revoke dialog', async () => {
      const id = await applied();
      await expectRefusedEverywhereElse(ACTION.revoke, id, 'applied');
      expect(await rig.h.click(ACTION.revoke, id, APPROVER)).toBe(200);
      const opened = await rig.h.slack.waitForCall('views.open');
      expect((opened.args.view as { callback_id: string }).callback_id).toBe(REVOKE_MODAL);
    });

    /** A dialog submission with exactly this private_metadata (the harness would fill in a bare ID). */
    async function submitRaw(callbackId: string, privateMetadata: string, reason: string) {
      return postSigned(
        rig.h.url,
        viewSubmissionBody({ userId: APPROVER, callbackId, privateMetadata, values: reasonValues(reason) }),
        SIGNING_SECRET,
      );
    }

    it('a deny dialog whose metadata is a bare request ID or names another card is refused inline; the request stays pending', async () => {
      const id = await rig.ask(`onboard ${freshRole(rig)} deny dialogs`);
      for (const metadata of [id, dialogMetadata(id, decoyCard)]) {
        const res = await submitRaw(DENY_MODAL, metadata, 'not on its card');
        expect(res.json).toMatchObject({
          response_action: 'errors',
          errors: { [REASON_BLOCK]: expect.stringContaining(NOT_ON_CARD(id)) },
        });
      }
      await expectUntouched(rig, id, 'pending');
      expect(await rig.events(id)).not.toContain('denied');
      // The dialog as the bot opens it from the card denies.
      const res = await rig.h.submitView(DENY_MODAL, id, reasonValues('from the card'), APPROVER);
      expect(res.status).toBe(200);
      await rig.cardReaches(id, 'denied');
    });

    it('a revoke dialog whose metadata is a bare request ID or names another card is refused; nothing is removed', async () => {
      const id = await applied();
      const role = (await rig.get(id)).role.arn;
      const onRole = rig.h.iam.role(role)!.inline.get(ONBOARD_POLICY);
      expect(onRole).toBeDefined();
      for (const metadata of [id, dialogMetadata(id, decoyCard)]) {
        const before = rig.h.slack.callsOf('chat.postMessage').length;
        const res = await submitRaw(REVOKE_MODAL, metadata, 'not on its card');
        expect(res.status).toBe(200);
        const told = await waitFor(() =>
          rig.h.slack
            .callsOf('chat.postMessage')
            .slice(before)
            .find((c) => c.args.channel === APPROVER),
        );
        expect(String(told.args.text)).toContain(NOT_ON_CARD(id));
      }
      await expectUntouched(rig, id, 'applied');
      expect(await rig.events(id)).not.toContain('revoking');
      expect(rig.h.iam.role(role)!.inline.get(ONBOARD_POLICY)).toBe(onRole);
      // The dialog as the bot opens it from the card revokes.
      const res = await rig.h.submitView(REVOKE_MODAL, id, reasonValues('from the card'), APPROVER);
      expect(res.status).toBe(200);
      await rig.cardReaches(id, 'revoked');
      expect(rig.h.iam.role(role)!.inline.has(ONBOARD_POLICY)).toBe(false);
    });
  });
});

describe('the role the bot assumes in other accounts (CROSS_ACCOUNT_ROLE_NAME) is never a target', () => {
  const TARGET_NAME = 'connect-bot-target';
  let rig: Rig;
  beforeAll(async () => {
    // ALLOWED_ROLES passes start-up (no pattern matches the name at the root path) but matches it under /team/.
    rig = await startRig({
      CROSS_ACCOUNT_ROLE_NAME: TARGET_NAME,
      ALLOWED_ROLES: `arn:aws:iam::${ACCOUNT}:role/connect-admins,arn:aws:iam::${ACCOUNT}:role/team/*`,
    });
    rig.h.iam.addRole(TARGET_NAME, { path: '/team/' });
    rig.h.iam.addRole('connect-team-role', { path: '/team/' });
  });
  afterAll(async () => {
    await rig.close();
  });
  beforeEach(() => {
    rig.h.slack.reset();
    rig.h.iam.calls.length = 0;
  });

  it.each([
    [
      'by ARN, under a path ALLOWED_ROLES matches',
      arnOf(TARGET_NAME, '/team/'),
      arnOf(TARGET_NAME, '/team/'),
    ],
    // Refused before IAM is asked for its path, so the reply names the ARN the name implies.
    ['by name', TARGET_NAME, arnOf(TARGET_NAME)],
  ])(
    'a request for it %s is refused naming CROSS_ACCOUNT_ROLE_NAME; nothing posted or written',
    async (_how, role, named) => {
      const { status, reply } = await rig.h.command(`onboard ${role} widen the bot's reach`);
      expect(status).toBe(200);
      expect(reply).toContain(
        `\`${named}\` is the role the bot assumes in other accounts (CROSS_ACCOUNT_ROLE_NAME)`,
      );
      expect(reply).toContain('Nothing was requested');
      expect(rig.h.slack.callsOf('chat.postMessage')).toHaveLength(0);
      expect(rig.writes()).toEqual([]);
      expect(await rig.store.listRequests({ roleArn: arnOf(TARGET_NAME, '/team/') })).toEqual([]);
    },
  );

  it('another role under the same path is accepted (the pattern matches; the refusal is the guardrail)', async () => {
    const id = await rig.ask(`onboard ${arnOf('connect-team-role', '/team/')} an ordinary role`);
    expect((await rig.get(id)).state).toBe('pending');
  });
});

describe('start-up refuses ALLOWED_ROLES patterns that match the bot’s own identities', () => {
  let rig: Rig;
  let started = 0;
  beforeAll(async () => {
    // Its fake Slack and IAM emulator stand in for the bot that is refused.
    rig = await startRig();
  });
  afterAll(async () => {
    await rig.close();
  });

  /** startBot against the rig's fakes with `env` over its environment; resolves with what it threw. */
  async function startFails(env: NodeJS.ProcessEnv): Promise<unknown> {
    const dbUrl = `sqlite:${join(rig.h.dir, `startup-${++started}`, 'cases-access.db')}`;
    return startBot({ ...rig.h.env, DATABASE_URL: dbUrl, ...env }, { writeLog: () => undefined }).then(
      async (bot) => {
        await bot.stop();
        return undefined;
      },
      (error: unknown) => error,
    );
  }

  it.each<[string, NodeJS.ProcessEnv, string, RegExp]>([
    [
      'a pattern matching CROSS_ACCOUNT_ROLE_NAME',
      {
        CROSS_ACCOUNT_ROLE_NAME: 'connect-bot-target',
        ALLOWED_ROLES: `arn:aws:iam::${ACCOUNT}:role/connect-*`,
      },
      `arn:aws:iam::${ACCOUNT}:role/connect-*`,
      /matches CROSS_ACCOUNT_ROLE_NAME \(connect-bot-target\)/,
    ],
    [
      'a pattern matching the role the bot runs as',
      { ALLOWED_ROLES: `arn:aws:iam::${ACCOUNT}:role/connect-admins,arn:aws:iam::${ACCOUNT}:role/*` },
      `arn:aws:iam::${ACCOUNT}:role/*`,
      /matches cases-access-bot, the role the bot runs as/,
    ],
    [
      'a pattern for any account matching the role the bot runs as',
      { ALLOWED_ROLES: 'arn:aws:iam::*:role/cases-*' },
      'arn:aws:iam::*:role/cases-*',
      /matches cases-access-bot, the role the bot runs as/,
    ],
  ])('%s: startBot rejects with a ConfigError naming the pattern', async (_what, env, pattern, why) => {
    const error = await startFails(env);
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).toContain(`ALLOWED_ROLES: "${pattern}"`);
    expect(message).toMatch(why);
  });

  it('a pattern confined to another path starts (the per-request guardrail covers that path)', async () => {
    expect(
      await startFails({
        CROSS_ACCOUNT_ROLE_NAME: 'connect-bot-target',
        ALLOWED_ROLES: `arn:aws:iam::${ACCOUNT}:role/team/*`,
      }),
    ).toBeUndefined();
  });
});

describe('patternsMatchingRoleName', () => {
  const p = (resource: string, account = ACCOUNT, partition = 'aws') =>
    `arn:${partition}:iam::${account}:role/${resource}`;

  it('role/* matches any name, the bot’s own and the cross-account one', () => {
    expect(patternsMatchingRoleName([p('*')], 'cases-access-bot', ACCOUNT)).toEqual([p('*')]);
    expect(patternsMatchingRoleName([p('*')], 'connect-bot-target')).toEqual([p('*')]);
  });

  it('role/connect-* matches connect-bot-target but not cases-access-bot', () => {
    expect(patternsMatchingRoleName([p('connect-*')], 'connect-bot-target')).toEqual([p('connect-*')]);
    expect(patternsMatchingRoleName([p('connect-*')], 'cases-access-bot', ACCOUNT)).toEqual([]);
  });

  it('role/ops/* (a path the role need not be on) is not reported; a pattern open at any path is', () => {
    expect(patternsMatchingRoleName([p('ops/*')], 'connect-bot-target')).toEqual([]);
    expect(patternsMatchingRoleName([p('*/connect-bot-target')], 'connect-bot-target')).toEqual([
      p('*/connect-bot-target'),
    ]);
  });

  it('an account of * matches in the given account and in any; another literal account does not', () => {
    expect(patternsMatchingRoleName([p('connect-*', '*')], 'connect-bot-target')).toEqual([
      p('connect-*', '*'),
    ]);
    expect(patternsMatchingRoleName([p('cases-*', '*')], 'cases-access-bot', ACCOUNT)).toEqual([
      p('cases-*', '*'),
    ]);
    expect(patternsMatchingRoleName([p('*', '999999999999')], 'cases-access-bot', ACCOUNT)).toEqual([]);
  });

  it('a partition of * (or aws*) matches, as does the bot’s own partition named literally', () => {
    expect(patternsMatchingRoleName([p('connect-*', ACCOUNT, '*')], 'connect-bot-target')).toEqual([
      p('connect-*', ACCOUNT, '*'),
    ]);
    expect(patternsMatchingRoleName([p('*', ACCOUNT, 'aws*')], 'cases-access-bot', ACCOUNT)).toEqual([
      p('*', ACCOUNT, 'aws*'),
    ]);
    expect(patternsMatchingRoleName([p('connect-*', ACCOUNT, 'aws-cn')], 'connect-bot-target')).toEqual([
      p('connect-*', ACCOUNT, 'aws-cn'),
    ]);
  });

  it('only the matching patterns of a list are returned, in order', () => {
    const patterns = [p('connect-admins'), p('connect-*'), p('ops/*'), p('*', '*')];
    expect(patternsMatchingRoleName(patterns, 'connect-bot-target')).toEqual([p('connect-*'), p('*', '*')]);
  });
});
