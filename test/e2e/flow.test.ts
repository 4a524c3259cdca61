import { generatePlan, sameDocument } from '../../src/policy';
import type { PolicyOption, Task } from '../../src/policy';
import {
  ACCOUNT,
  APPROVAL_CHANNEL,
  APPROVER,
  APPROVER_2,
  GROUP_MEMBER,
  OUTSIDER,
  REQUESTER,
  requestIdFrom,
  startHarness,
  waitFor,
} from '../support/harness';
import type { Harness } from '../support/harness';
import { postSigned, shownBySlack, slashCommandBody } from '../support/slack-requests';
import { ACTION, DENY_MODAL, REASON_BLOCK, REASON_INPUT } from '../../src/slack/blocks';
import { parseDialogMetadata } from '../../src/slack/origin';

const ROLE = `arn:aws:iam::${ACCOUNT}:role/connect-admins`;
let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});
beforeEach(() => {
  h.slack.reset();
  h.iam.reset();
  h.iam.addRole('connect-admins');
  h.iam.addRole('connect-agents');
  h.iam.addRole('finance-admins');
});

const cardOf = (requestId: string) =>
  h.slack
    .callsOf('chat.postMessage')
    .find(
      (c) =>
        c.args.channel === APPROVAL_CHANNEL && !c.args.thread_ts && String(c.args.text).includes(requestId),
    );
const threadTexts = () =>
  h.slack
    .callsOf('chat.postMessage')
    .filter((c) => c.args.thread_ts)
    .map((c) => String(c.args.text));
const writes = () => h.iam.calls.filter((c) => ['PutRolePolicy', 'AttachRolePolicy'].includes(c.action));

async function request(text: string, user = REQUESTER): Promise<string> {
  const { status, reply } = await h.command(text, user);
  expect(status).toBe(200);
  return requestIdFrom(reply);
}

async function approveAndWait(requestId: string, user = APPROVER): Promise<void> {
  expect(await h.click(ACTION.approve, requestId, user)).toBe(200);
  // Done when the card shows a final state.
  await waitFor(
    () =>
      h.slack
        .callsOf('chat.update')
        .some(
          (c) =>
            /Applied and verified|:x: Failed/.test(JSON.stringify(c.args.blocks)) &&
            String(c.args.text).includes(requestId),
        ),
    10_000,
  );
}

describe('the request → approve → apply flow', () => {
  it('posts a card with the nine onboarding actions, applies exactly that policy on approval, verifies it and threads every step', async () => {
    const requestId = await request(`onboard ${ROLE} migrating to Cases`);
    const card = cardOf(requestId)!;
    expect(card).toBeDefined();
    const cardJson = JSON.stringify(card.args.blocks);
    for (const action of [
      'connect:ListInstances',
      'ds:DescribeDirectories',
      'connect:ListIntegrationAssociations',
      'cases:GetDomain',
      'cases:CreateDomain',
      'connect:CreateIntegrationAssociation',
      'connect:DescribeInstance',
      'iam:PutRolePolicy',
      'profile:SearchProfiles',
    ])
      expect(cardJson).toContain(action);
    expect(cardJson).toContain('cases_access_approve');
    expect(cardJson).toContain('cases_access_deny');
    expect(cardJson).toContain('migrating to Cases');
    expect(cardJson).toContain(`<@${REQUESTER}>`);
    expect(cardJson).toContain('rich_text_preformatted');
    expect(writes()).toHaveLength(0); // nothing before approval

    await approveAndWait(requestId);
    const puts = h.iam.callsOf('PutRolePolicy');
    expect(puts).toHaveLength(1);
    const expected = await generatePlan({ task: 'onboard', option: 'minimal', accountId: ACCOUNT });
    expect(puts[0]!.params.RoleName).toBe('connect-admins');
    expect(puts[0]!.params.PolicyName).toBe('cases-access-onboard');
    expect(puts[0]!.params.PolicyDocument).toBe(expected.documentText);
    expect(cardJson).toContain(expected.sha256);
    expect(h.iam.callsOf('GetRolePolicy').length).toBeGreaterThanOrEqual(1);
    expect(h.iam.role(ROLE)!.inline.get('cases-access-onboard')).toBe(expected.documentText);

    const thread = threadTexts();
    expect(thread[0]).toContain(`Approved by <@${APPROVER}>`);
    expect(thread[1]).toContain('PutRolePolicy');
    expect(thread[1]).toContain(puts[0]!.requestId); // the AWS request ID from x-amzn-RequestId
    expect(thread.at(-2)).toContain('Verified');
    expect(thread.at(-1)).toContain("IAM's simulator now allows every documented action");
    const replies = h.slack.callsOf('chat.postMessage').filter((c) => c.args.thread_ts);
    expect(new Set(replies.map((c) => `${String(c.args.channel)}/${String(c.args.thread_ts)}`)).size).toBe(1);
    expect(replies[0]!.args.channel).toBe(APPROVAL_CHANNEL);

    const lastUpdate = h.slack.callsOf('chat.update').at(-1)!;
    const updated = JSON.stringify(lastUpdate.args.blocks);
    expect(updated).toContain('Applied and verified');
    expect(updated).not.toContain('cases_access_approve');
    expect(updated).not.toContain('cases_access_deny');
    // The requester hears about it directly.
    await waitFor(() =>
      h.slack
        .callsOf('chat.postMessage')
        .find((c) => c.args.channel === REQUESTER && String(c.args.text).includes('applied')),
    );
  });

  it.each<[string, Task, PolicyOption]>([
    ['view', 'view', 'minimal'],
    ['view --managed', 'view', 'managed'],
    ['onboard', 'onboard', 'minimal'],
    ['onboard --managed', 'onboard', 'managed'],
  ])('`%s` reaches IAM with exactly the documented plan', async (words, task, option) => {
    const [verb, ...flags] = words.split(' ');
    const requestId = await request(`${verb} connect-agents ${flags.join(' ')} need it`);
    await approveAndWait(requestId);
    const plan = await generatePlan({ task, option, accountId: ACCOUNT });
    const puts = h.iam.callsOf('PutRolePolicy');
    expect(puts).toHaveLength(1);
    expect(sameDocument(puts[0]!.params.PolicyDocument!, plan.documentText)).toBe(true);
    expect(h.iam.callsOf('AttachRolePolicy').map((c) => c.params.PolicyArn)).toEqual(plan.managedPolicyArns);
    expect(h.iam.role(`arn:aws:iam::${ACCOUNT}:role/connect-agents`)!.attached).toEqual(
      plan.managedPolicyArns,
    );
    expect(threadTexts().at(-2)).toContain('Verified');
    expect(threadTexts().at(-1)).toContain("IAM's simulator now allows every documented action");
  });

  it('a member of an approver usergroup can approve', async () => {
    const requestId = await request(`view ${ROLE}`);
    await approveAndWait(requestId, GROUP_MEMBER);
    expect(h.iam.callsOf('PutRolePolicy')).toHaveLength(1);
    expect(h.slack.callsOf('usergroups.users.list').length).toBeGreaterThan(0);
  });

  it('refuses an outsider and the requester themselves, writing nothing', async () => {
    const requestId = await request(`onboard ${ROLE}`, APPROVER_2);
    await h.click(ACTION.approve, requestId, OUTSIDER, 'outsider');
    const outsider = await h.slack.waitForCall('response_url', (c) => c.responseUrlId === 'outsider');
    expect(String(outsider.args.text)).toContain('not an approver');
    expect(outsider.args.response_type).toBe('ephemeral');
    await h.click(ACTION.approve, requestId, APPROVER_2, 'self');
    const self = await h.slack.waitForCall('response_url', (c) => c.responseUrlId === 'self');
    expect(String(self.args.text)).toContain('your own request');
    expect(writes()).toHaveLength(0);
    expect(h.slack.callsOf('chat.update')).toHaveLength(0);
  });

  it('of many simultaneous clicks exactly one applies; the others are told who decided', async () => {
    const requestId = await request(`onboard ${ROLE}`);
    const clickers = [APPROVER, APPROVER_2, GROUP_MEMBER, APPROVER, APPROVER_2];
    await Promise.all(clickers.map((u, i) => h.click(ACTION.approve, requestId, u, `race-${i}`)));
    await waitFor(
      () =>
        h.slack
          .callsOf('chat.update')
          .some((c) => JSON.stringify(c.args.blocks).includes('Applied and verified')),
      10_000,
    );
    const told = await waitFor(() => {
      const calls = h.slack.callsOf('response_url').filter((c) => c.responseUrlId?.startsWith('race-'));
      return calls.length === clickers.length - 1 ? calls : undefined;
    });
    expect(h.iam.callsOf('PutRolePolicy')).toHaveLength(1);
    for (const c of told) expect(String(c.args.text)).toMatch(/already approved by <@U[A-Z0-9]+>/);
    expect(threadTexts().filter((t) => t.includes('Approved by'))).toHaveLength(1);
  });

  it('deny asks for a reason in a modal, updates the card, threads it and tells the requester', async () => {
    const requestId = await request(`onboard ${ROLE}`);
    await h.click(ACTION.deny, requestId, APPROVER);
    const opened = await h.slack.waitForCall('views.open');
    const view = opened.args.view as { callback_id: string; private_metadata: string };
    expect(view.callback_id).toBe(DENY_MODAL);
    // The dialog carries the request and the card it was opened from.
    expect(parseDialogMetadata(view.private_metadata)).toEqual({
      requestId: requestId,
      origin: h.cardOf(requestId),
    });

    const empty = await h.submitView(
      DENY_MODAL,
      requestId,
      { [REASON_BLOCK]: { [REASON_INPUT]: { type: 'plain_text_input', value: '  ' } } },
      APPROVER,
    );
    expect(empty.json).toMatchObject({ response_action: 'errors' });

    const ok = await h.submitView(
      DENY_MODAL,
      requestId,
      {
        [REASON_BLOCK]: {
          [REASON_INPUT]: { type: 'plain_text_input', value: 'use the view task instead' },
        },
      },
      APPROVER,
    );
    expect(ok.status).toBe(200);
    await waitFor(() => threadTexts().find((t) => t.includes('Denied by')));
    expect(threadTexts().find((t) => t.includes('Denied by'))).toContain('use the view task instead');
    const updated = JSON.stringify(
      (
        await h.slack.waitForCall('chat.update', (c) =>
          JSON.stringify(c.args.blocks).includes(':no_entry: Denied'),
        )
      ).args.blocks,
    );
    expect(updated).toContain('use the view task instead');
    expect(updated).not.toContain('cases_access_approve');
    await waitFor(() =>
      h.slack
        .callsOf('chat.postMessage')
        .find((c) => c.args.channel === REQUESTER && String(c.args.text).includes('Denied')),
    );
    // Approving after a denial changes nothing.
    await h.click(ACTION.approve, requestId, APPROVER_2, 'late');
    const late = await h.slack.waitForCall('response_url', (c) => c.responseUrlId === 'late');
    expect(String(late.args.text)).toContain('already denied');
    expect(writes()).toHaveLength(0);
  });

  it('reports an IAM error in the thread and on the card, and stays up', async () => {
    const requestId = await request(`onboard ${ROLE}`);
    h.iam.queueFault('PutRolePolicy', {
      code: 'AccessDenied',
      message: 'User is not authorized to perform iam:PutRolePolicy',
      status: 403,
    });
    await approveAndWait(requestId);
    const failed = threadTexts().find((t) => t.includes(':x: Failed'))!;
    expect(failed).toContain('AccessDenied');
    expect(failed).toContain('not authorized to perform iam:PutRolePolicy');
    expect(JSON.stringify(h.slack.callsOf('chat.update').at(-1)!.args.blocks)).toContain('Failed');
    // Still serving.
    const next = await request(`view ${ROLE}`);
    expect(next).toMatch(/^CA-/);
  });
});

describe('the View policy dialog', () => {
  it('opens the stored policy and its hash in a modal', async () => {
    const requestId = await request(`onboard ${ROLE}`);
    expect(await h.click(ACTION.viewPolicy, requestId, APPROVER)).toBe(200);
    const opened = await h.slack.waitForCall('views.open');
    const view = JSON.stringify(opened.args.view);
    const plan = await generatePlan({ task: 'onboard', option: 'minimal', accountId: ACCOUNT });
    expect(view).toContain(plan.sha256);
    expect(view).toContain('rich_text_preformatted');
    expect(view).toContain('AttachAnyPolicyToAmazonConnectRole');
    expect(writes()).toHaveLength(0);
  });
});

describe('refusals before anyone is asked', () => {
  it.each([
    [`onboard arn:aws:iam::${ACCOUNT}:role/finance-admins`, /not in ALLOWED_ROLES/],
    [`onboard connect-missing`, /does not exist/],
    [`onboard arn:aws:iam::12345:role/connect-admins`, /not an IAM role ARN/],
    [`onboard bad/name!`, /not a valid IAM role name/],
    [`onboard ${ROLE} --bogus`, /Unknown flag `--bogus`/],
    [`onboard ${ROLE} --instance nope`, /not an Amazon Connect instance ID/],
    [`delete ${ROLE}`, /Unknown command `delete`/],
    [`onboard`, /needs a role/],
    [`onboard arn:aws:iam::999999999999:role/connect-admins`, /own account/],
    [`onboard ${ROLE} because ${'x'.repeat(600)}`, /keep it to 500/],
  ])('%s', async (text, message) => {
    const { status, reply } = await h.command(text);
    expect(status).toBe(200);
    expect(reply).toMatch(message);
    expect(reply).toMatch(/Nothing was (requested|changed)/);
    expect(h.slack.callsOf('chat.postMessage')).toHaveLength(0);
    expect(writes()).toHaveLength(0);
  });

  it('help gets the grammar', async () => {
    const { reply } = await h.command('help');
    // Raw `<role>` would be taken by Slack for a link (and `<a | b>` shown as `b`): escaped, it shows as typed.
    expect(reply).not.toMatch(/<role>|<request-id>|<role ARN/);
    const shown = shownBySlack(reply);
    expect(shown).toContain('/cases-access onboard <role> [--managed]');
    expect(shown).toContain('/cases-access audit   <role ARN | role name | request-id>');
    expect(shown).toContain('/cases-access revoke');
  });

  it('a bare role name resolves to the bot’s own account', async () => {
    const requestId = await request('view connect-admins');
    // An earlier test may have left the same request pending: then its card (posted then) is the answer.
    const card = h.slack
      .posted()
      .find(
        (m) => m.channel === APPROVAL_CHANNEL && !m.args.thread_ts && String(m.args.text).includes(requestId),
      );
    expect(JSON.stringify(card!.args.blocks)).toContain(ROLE);
  });
});

describe('Slack request authenticity', () => {
  it('rejects a forged signature and a stale timestamp with 401', async () => {
    const body = slashCommandBody({
      text: `onboard ${ROLE}`,
      userId: REQUESTER,
      responseUrl: h.slack.responseUrl('forged'),
    });
    expect((await postSigned(h.url, body, 'wrong-secret')).status).toBe(401);
    const stale = Math.floor(Date.now() / 1000) - 10 * 60;
    expect(
      (await postSigned(h.url, body, 'test-signing-secret-0123456789', { timestamp: stale })).status,
    ).toBe(401);
    expect(h.slack.callsOf('chat.postMessage')).toHaveLength(0);
  });
});

describe('durability', () => {
  it('a pending request survives a restart and can be approved afterwards', async () => {
    const requestId = await request(`onboard ${ROLE}`);
    await h.restart();
    await approveAndWait(requestId);
    expect(h.iam.callsOf('PutRolePolicy')).toHaveLength(1);
    expect(threadTexts().at(-2)).toContain('Verified');
    expect(threadTexts().at(-1)).toContain("IAM's simulator now allows every documented action");
  });
});

describe('healthz', () => {
  it('answers 200 when ready', async () => {
    const res = await fetch(`http://127.0.0.1:${h.bot.port}/healthz`);
    expect(res.status).toBe(200);
  });
});
