import type { AccessRequest, RequestState } from '../../src/access/types';
import { canonicalJson, generatePlan, prettyJson, sha256Hex } from '../../src/policy';
import type { PolicyDocument } from '../../src/policy';
import {
  ACTION,
  approvalCard,
  cardText,
  INLINE_POLICY_LIMIT,
  policyDisplay,
  policyModal,
  stepText,
} from '../../src/slack/blocks';
import { code, escapeMrkdwn, mention } from '../../src/slack/mrkdwn';

const ACCOUNT = '111122223333';
const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/connect-admins`;
const REQUESTER = 'UREQUESTER';
const APPROVER = 'UAPPROVER1';
const EVIL = 'hi <!channel> @here see <https://evil.example|docs.aws.amazon.com> & <@U0ADMIN> now';

type Block = { type: string; block_id?: string; elements?: unknown[]; text?: { text?: string } };
type Button = { type: string; action_id: string; value: string };

async function makeRequest(overrides: Partial<AccessRequest> = {}): Promise<AccessRequest> {
  const plan = await generatePlan({ task: 'onboard', option: 'minimal', accountId: ACCOUNT });
  return {
    id: 'CA-0123456789',
    createdAt: new Date('2026-01-02T03:04:05Z'),
    requesterId: REQUESTER,
    role: { arn: ROLE_ARN, accountId: ACCOUNT, name: 'connect-admins', path: '/' },
    task: plan.task,
    option: plan.option,
    reason: 'migrating to Cases',
    policyName: plan.policyName,
    documentText: plan.documentText,
    managedPolicyArns: plan.managedPolicyArns,
    sha256: plan.sha256,
    state: 'pending',
    attachedManagedArns: [],
    approvals: [],
    leaseGeneration: 0,
    revokeFailures: 0,
    ...overrides,
  };
}

/** A document whose pretty form is far past one block (but within IAM's 10,240 characters compacted). */
function largeDocument(statements = 40): { documentText: string; sha256: string } {
  const document: PolicyDocument = {
    Version: '2012-10-17',
    Statement: Array.from({ length: statements }, (_, i) => ({
      Sid: `Statement${i}`,
      Effect: 'Allow' as const,
      Action: ['connect:DescribeInstance', 'connect:ListIntegrationAssociations'],
      Resource: `arn:aws:connect:us-east-1:${ACCOUNT}:instance/00000000-0000-0000-0000-${String(i).padStart(12, '0')}`,
    })),
  };
  const documentText = canonicalJson(document);
  if (documentText.length > 10_240) throw new Error('test document larger than IAM allows');
  return { documentText, sha256: sha256Hex(documentText) };
}

const actionsBlocks = (blocks: Block[]) => blocks.filter((b) => b.type === 'actions');
const buttons = (blocks: Block[]) => actionsBlocks(blocks).flatMap((b) => (b.elements ?? []) as Button[]);

/** Every `<…>` control sequence in the text: only the bot's own may remain. */
const controlSequences = (text: string) => text.match(/<[^<>]*>/g) ?? [];

describe('mrkdwn helpers', () => {
  it('escapeMrkdwn escapes exactly & < >', () => {
    expect(escapeMrkdwn('a & b <!here> <@U1> c>d')).toBe('a &amp; b &lt;!here&gt; &lt;@U1&gt; c&gt;d');
    expect(escapeMrkdwn('plain *bold* _it_ `code`')).toBe('plain *bold* _it_ `code`');
  });

  it('escapes & first, so an entity someone typed is shown as typed, not decoded', () => {
    expect(escapeMrkdwn('&lt;!channel&gt;')).toBe('&amp;lt;!channel&amp;gt;');
  });

  it('code() escapes and cannot be closed early by a backtick', () => {
    expect(code('a`b<c>')).toBe('`aʼb&lt;c&gt;`');
    expect(code('x').startsWith('`') && code('x').endsWith('`')).toBe(true);
    expect((code('```').match(/`/g) ?? []).length).toBe(2);
  });

  it('mention() is the user mention syntax', () => {
    expect(mention('U123')).toBe('<@U123>');
  });
});

describe('approval card: user text is escaped', () => {
  it('a reason with <!channel>, @here, a disguised link and & cannot ping or link', async () => {
    const request = await makeRequest({ reason: EVIL });
    const json = JSON.stringify(approvalCard(request));
    expect(json).not.toContain('<!');
    expect(json).not.toContain('<http');
    expect(json).not.toContain('<@U0ADMIN>');
    expect(json).toContain(
      'hi &lt;!channel&gt; @here see &lt;https://evil.example|docs.aws.amazon.com&gt; &amp; &lt;@U0ADMIN&gt; now',
    );
    // Only the bot's own mention of the requester remains.
    expect(controlSequences(json)).toEqual([`<@${REQUESTER}>`]);
  });

  it('a decided card keeps only the bot’s mentions and its date token; the denial reason is escaped', async () => {
    const decidedAt = new Date('2026-01-02T04:00:00Z');
    const request = await makeRequest({
      reason: EVIL,
      state: 'denied',
      decidedBy: APPROVER,
      decidedAt,
      denyReason: `no ${EVIL}`,
    });
    const json = JSON.stringify(approvalCard(request));
    expect(json).not.toContain('<http');
    expect(json).toContain('*Reason for denial:* no hi &lt;!channel&gt;');
    const sequences = controlSequences(json);
    expect(sequences).toHaveLength(3);
    expect(sequences).toEqual(
      expect.arrayContaining([
        `<@${REQUESTER}>`,
        `<@${APPROVER}>`,
        `<!date^${decidedAt.getTime() / 1000}^{date_short_pretty} {time}|${decidedAt.toISOString()}>`,
      ]),
    );
  });

  it('thread steps escape the denial reason and the AWS error message', async () => {
    const request = await makeRequest();
    const denied = stepText(request, { kind: 'denied', by: APPROVER, reason: EVIL });
    expect(controlSequences(denied)).toEqual([`<@${APPROVER}>`]);
    const failed = stepText(request, {
      kind: 'failed',
      failure: { code: 'Access`Denied', message: 'not <!here> & <https://x|y>', awsRequestId: 'req-1' },
    });
    expect(controlSequences(failed)).toEqual([]);
    expect(failed).toContain('`AccessʼDenied`');
    expect(failed).toContain('not &lt;!here&gt; &amp; &lt;https://x|y&gt;');
    expect(failed).toContain('`req-1`');
  });
});

describe('approval card: the policy', () => {
  it('a document that fits is shown verbatim (pretty) in a rich_text preformatted block, with no View policy button', async () => {
    const request = await makeRequest();
    const blocks = approvalCard(request) as Block[];
    const policy = policyDisplay(request);
    expect(policy.length).toBeLessThanOrEqual(INLINE_POLICY_LIMIT);
    expect(JSON.stringify(blocks)).toContain(JSON.stringify(policy));
    expect(blocks.some((b) => b.type === 'rich_text')).toBe(true);
    expect(buttons(blocks).map((b) => b.action_id)).not.toContain(ACTION.viewPolicy);
    expect(JSON.stringify(blocks)).toContain(request.sha256);
  });

  it('a document too long for one block yields a View policy button instead of the preformatted block', async () => {
    const request = await makeRequest(largeDocument());
    expect(policyDisplay(request).length).toBeGreaterThan(INLINE_POLICY_LIMIT);
    const blocks = approvalCard(request) as Block[];
    expect(blocks.some((b) => b.type === 'rich_text')).toBe(false);
    const view = buttons(blocks).filter((b) => b.action_id === ACTION.viewPolicy);
    expect(view).toHaveLength(1);
    expect(view[0]!.value).toBe(request.id);
    expect(blocks.length).toBeLessThanOrEqual(50);
    // The SHA-256 of what will be written is on the card even when the text is not.
    expect(JSON.stringify(blocks)).toContain(request.sha256);
  });

  it('policyModal splits a long policy into chunks of ≤ 2,900 characters that rebuild it exactly', async () => {
    const request = await makeRequest(largeDocument(45));
    const pretty = prettyJson(JSON.parse(request.documentText));
    expect(pretty.length).toBeGreaterThan(3 * INLINE_POLICY_LIMIT);
    const modal = policyModal(request);
    expect(modal.type).toBe('modal');
    expect(modal.title.text.length).toBeLessThanOrEqual(24); // Slack's limit for a modal title
    expect(modal.blocks.length).toBeLessThanOrEqual(100); // Slack's limit for a modal
    const chunks = (modal.blocks as Block[])
      .filter((b) => b.type === 'rich_text')
      .map((b) => {
        const pre = b.elements![0] as { type: string; elements: Array<{ type: string; text: string }> };
        expect(pre.type).toBe('rich_text_preformatted');
        expect(pre.elements).toHaveLength(1);
        return pre.elements[0]!.text;
      });
    expect(chunks.length).toBe(Math.ceil(pretty.length / INLINE_POLICY_LIMIT));
    for (const chunk of chunks) {
      expect(chunk.length).toBeGreaterThan(0);
      expect(chunk.length).toBeLessThanOrEqual(2_900);
    }
    expect(chunks.join('')).toBe(pretty);
    expect(JSON.stringify(modal.blocks[0])).toContain(request.sha256);
  });

  it('policyModal of a short policy is one chunk equal to the whole policy', async () => {
    const request = await makeRequest();
    const modal = policyModal(request);
    const texts = JSON.stringify(modal.blocks);
    expect(modal.blocks.filter((b) => b.type === 'rich_text')).toHaveLength(1);
    expect(texts).toContain(JSON.stringify(policyDisplay(request)));
  });
});

describe('approval card: size and actions', () => {
  it.each<[string, Partial<AccessRequest>]>([
    ['pending, small', {}],
    [
      'pending, large, with an instance',
      { instance: { instanceId: '8a9b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d', region: 'us-east-1' } },
    ],
    [
      'failed, large',
      {
        state: 'failed',
        decidedBy: APPROVER,
        decidedAt: new Date(),
        failure: { code: 'X', message: 'y'.repeat(2000) },
      },
    ],
  ])('%s: at most 50 blocks and every section text within 3,000 characters', async (label, overrides) => {
    const request = await makeRequest({
      ...(label.includes('large') ? largeDocument() : {}),
      reason: 'r'.repeat(500),
      ...overrides,
    });
    const blocks = approvalCard(request) as Block[];
    expect(blocks.length).toBeGreaterThan(0);
    expect(blocks.length).toBeLessThanOrEqual(50);
    for (const b of blocks)
      if (b.text?.text !== undefined) expect(b.text.text.length).toBeLessThanOrEqual(3000);
  });

  it('a pending card has Approve and Deny whose value is only the request ID', async () => {
    const request = await makeRequest();
    const blocks = approvalCard(request) as Block[];
    const decision = blocks.filter((b) => b.type === 'actions' && String(b.block_id).startsWith('decision.'));
    expect(decision).toHaveLength(1);
    const elements = decision[0]!.elements as Button[];
    expect(elements.map((e) => e.action_id)).toEqual([ACTION.approve, ACTION.deny]);
    for (const e of elements) expect(e.value).toBe(request.id);
    // And no other buttons: a small policy needs no View policy.
    expect(buttons(blocks)).toHaveLength(2);
    expect(JSON.stringify(blocks)).toContain('Pending approval');
  });

  const decided = (state: RequestState) =>
    makeRequest({
      state,
      decidedBy: APPROVER,
      decidedAt: new Date('2026-01-02T04:00:00Z'),
      ...(state === 'failed' ? { failure: { code: 'AccessDenied', message: 'no' } } : {}),
      ...(state === 'denied' ? { denyReason: 'not now' } : {}),
    });

  it('an approved-then-failed card offers approvers Retry and Revoke, carrying only the request ID', async () => {
    const blocks = approvalCard(await decided('failed')) as Block[];
    expect(buttons(blocks).map((b) => b.action_id)).toEqual([ACTION.retry, ACTION.revoke]);
    for (const b of buttons(blocks)) expect(b.value).toBe('CA-0123456789');
  });

  it.each<RequestState>(['approved', 'denied'])('the %s card has no actions block at all', async (state) => {
    const request = await decided(state);
    const blocks = approvalCard(request) as Block[];
    expect(actionsBlocks(blocks)).toHaveLength(0);
    expect(JSON.stringify(blocks)).toContain(`by <@${APPROVER}>`);
    expect(cardText(request)).toContain(state);
  });

  it.each<RequestState>(['approved', 'applied', 'failed', 'denied'])(
    'the %s card has no Approve or Deny (nor the decision block)',
    async (state) => {
      const blocks = approvalCard(await decided(state)) as Block[];
      expect(blocks.some((b) => String(b.block_id).startsWith('decision.'))).toBe(false);
      const json = JSON.stringify(blocks);
      expect(json).not.toContain(ACTION.approve);
      expect(json).not.toContain(ACTION.deny);
      // An applied card may offer a Revoke button (see DESIGN.md), never a decision.
      for (const b of buttons(blocks)) expect(b.value).toBe('CA-0123456789');
    },
  );

  it('a decided card with a large policy keeps the View policy button (and, applied, only Revoke besides)', async () => {
    const applied = await makeRequest({ ...largeDocument(), state: 'applied', decidedBy: APPROVER });
    expect(buttons(approvalCard(applied) as Block[]).map((b) => b.action_id)).toEqual([
      ACTION.viewPolicy,
      ACTION.revoke,
    ]);
    const denied = await makeRequest({ ...largeDocument(), state: 'denied', decidedBy: APPROVER });
    expect(buttons(approvalCard(denied) as Block[]).map((b) => b.action_id)).toEqual([ACTION.viewPolicy]);
  });

  it('a failure card quotes the AWS code and message, escaped', async () => {
    const request = await makeRequest({
      state: 'failed',
      decidedBy: APPROVER,
      decidedAt: new Date('2026-01-02T04:00:00Z'),
      failure: {
        code: 'AccessDenied',
        message: 'User: arn:aws:sts::111122223333:assumed-role/bot is not authorized <to> & <!here>',
        awsRequestId: 'abc-123',
      },
    });
    const status = (approvalCard(request) as Block[])
      .map((b) => b.text?.text ?? '')
      .find((t) => t.startsWith('*Status:*'));
    expect(status).toBeDefined();
    expect(status).toContain(':x: Failed');
    expect(status).toContain(
      '*Error:* `AccessDenied` User: arn:aws:sts::111122223333:assumed-role/bot is not authorized &lt;to&gt; &amp; &lt;!here&gt;',
    );
  });
});
