import { HOME_OWN, HOME_PAGE } from '../../src/access/home';
import type { HomeData } from '../../src/access/home';
import type { AccessRequest } from '../../src/access/types';
import { generatePlan } from '../../src/policy';
import { homeView } from '../../src/slack/blocks/home';
import { checkView } from '../support/slack-surfaces';

/** The fullest Home there can be (every list at its bound, the longest role ARNs) is one Slack accepts. */

const ACCOUNT = '111122223333';
// IAM allows a role path of 512 characters and a name of 64: the longest ARN a row can show.
const LONG_ARN = `arn:aws:iam::${ACCOUNT}:role/${'p/'.repeat(255)}${'n'.repeat(64)}`;

async function request(i: number, state: AccessRequest['state']): Promise<AccessRequest> {
  const plan = await generatePlan({ task: 'onboard', option: 'managed', accountId: ACCOUNT });
  return {
    id: `CA-${String(i).padStart(10, '0')}`,
    createdAt: new Date(Date.UTC(2026, 0, 1) + i * 60_000),
    requesterId: `U${String(i).padStart(9, '0')}`,
    role: { arn: LONG_ARN, accountId: ACCOUNT, name: 'n'.repeat(64), path: `/${'p/'.repeat(255)}` },
    task: plan.task,
    option: plan.option,
    reason: 'r',
    policyName: plan.policyName,
    documentText: plan.documentText,
    managedPolicyArns: plan.managedPolicyArns,
    sha256: plan.sha256,
    state,
    attachedManagedArns: [],
    approvals: ['UAPPROVER2'],
    leaseGeneration: 0,
    revokeFailures: 0,
    decidedBy: state === 'pending' ? undefined : 'UAPPROVER2',
    expiresAt: state === 'applied' ? new Date(Date.UTC(2026, 0, 2) + i * 60_000) : undefined,
    completedAt: state === 'revoked' ? new Date(Date.UTC(2026, 0, 3)) : undefined,
  };
}

const many = (n: number, state: AccessRequest['state'], from: number) =>
  Promise.all(Array.from({ length: n }, (_, i) => request(from + i, state)));

it('a Home with every list full, on a middle page, stays within Slack’s Home tab limits', async () => {
  const data: HomeData = {
    userId: 'UAPPROVER1',
    now: new Date(Date.UTC(2026, 0, 1, 12)),
    approver: true,
    waiting: {
      rows: (await many(HOME_PAGE, 'pending', 0)).map((r) => ({ request: r, required: 3 })),
      page: 4,
      pages: 20,
      total: 200,
    },
    own: {
      pending: await many(HOME_OWN.pending, 'pending', 100),
      active: await many(HOME_OWN.active, 'applied', 200),
      ended: await many(HOME_OWN.ended, 'revoked', 300),
    },
    grants: { rows: await many(HOME_PAGE, 'applied', 400), page: 2, pages: 9, total: 85 },
  };
  const links = new Map(
    [0, 100, 200, 300, 400].map((i) => [
      `CA-${String(i).padStart(10, '0')}`,
      `https://example.slack.com/archives/C1/p${i}`,
    ]),
  );
  const view = homeView(data, links);
  expect(checkView(view, 'home')).toBeUndefined();
  expect(view.blocks.length).toBeLessThanOrEqual(70);
  expect(JSON.stringify(view.blocks)).toContain('*1 of 3* approvals');
});
