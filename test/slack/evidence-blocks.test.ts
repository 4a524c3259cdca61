/**
 * The evidence on the card and in the View policy dialog stays within Slack's limits however many actions are
 * denied and however long the names: Slack would refuse the whole card otherwise.
 */
import type { Evidence, EvidenceRow } from '../../src/access/evidence';
import type { AccessRequest } from '../../src/access/types';
import { generatePlan } from '../../src/policy';
import { approvalCard, policyModal } from '../../src/slack/blocks';
import { evidenceSummary, evidenceTableBlocks } from '../../src/slack/blocks/evidence';
import { checkMessage, checkView } from '../support/slack-surfaces';

const ACCOUNT = '111122223333';
const LONG = 'p'.repeat(128); // IAM's longest policy name

function row(i: number): EvidenceRow {
  return {
    action: `connect:Action${i}`,
    resource: `arn:aws:connect:us-east-1:${ACCOUNT}:instance/${'0'.repeat(36)}/integration-association/*`,
    before: 'implicitDeny',
    after: i % 2 ? 'explicitDeny' : 'implicitDeny',
    deciding: `an explicit deny in ${LONG}${i}, ${LONG}`,
  };
}

const huge: Evidence = {
  checked: true,
  rows: Array.from({ length: 200 }, (_, i) => row(i)),
  inlinePolicies: Array.from({ length: 300 }, (_, i) => `${LONG.slice(0, 120)}${i}`),
  managedPolicies: Array.from({ length: 20 }, (_, i) => `${LONG}${i}`),
  boundary: LONG,
};

async function requestWith(evidence: Evidence): Promise<AccessRequest> {
  const plan = await generatePlan({ task: 'onboard', option: 'minimal', accountId: ACCOUNT });
  return {
    id: 'CA-0123456789',
    createdAt: new Date('2026-01-02T03:04:05Z'),
    requesterId: 'UREQUESTER',
    role: {
      arn: `arn:aws:iam::${ACCOUNT}:role/connect-admins`,
      accountId: ACCOUNT,
      name: 'connect-admins',
      path: '/',
    },
    task: plan.task,
    option: plan.option,
    reason: 'r',
    policyName: plan.policyName,
    documentText: plan.documentText,
    managedPolicyArns: plan.managedPolicyArns,
    sha256: plan.sha256,
    state: 'pending',
    attachedManagedArns: [],
    approvals: [],
    leaseGeneration: 0,
    revokeFailures: 0,
    evidence,
  };
}

it('fits the card: a few denied actions named, the rest counted, the role’s policies cut with a count', async () => {
  const text = evidenceSummary(huge)!;
  expect(text.length).toBeLessThanOrEqual(3000);
  expect(text).toContain('Would not work:* 200 still denied after the grant');
  expect(text).toContain('and 196 more');
  expect(text).toContain('and 292 more');
  const request = await requestWith(huge);
  expect(checkMessage({ channel: 'C1', text: 'x', blocks: approvalCard(request) })).toBeUndefined();
});

it('fits the dialog: the whole table in preformatted blocks within Slack’s view limits', async () => {
  const blocks = evidenceTableBlocks(huge);
  expect(blocks.length).toBeGreaterThan(1);
  const view = policyModal(await requestWith(huge));
  expect(checkView(view, 'modal')).toBeUndefined();
  expect(JSON.stringify(view)).toContain('connect:Action199');
});

it('says "not checked" with IAM’s code, and shows no table', () => {
  expect(evidenceSummary({ checked: false, code: 'AccessDenied' })).toContain(
    'Effective access not checked:* `AccessDenied`',
  );
  expect(evidenceTableBlocks({ checked: false, code: 'AccessDenied' })).toEqual([]);
  expect(evidenceSummary(undefined)).toBeUndefined();
});
