/**
 * After applying, IAM's simulator is asked whether every documented action is now allowed, and the thread says so;
 * after revoking, whether the grant's actions are back to what the role had before, or what still allows them.
 */
import { ACTION, REASON_BLOCK, REASON_INPUT, REVOKE_MODAL } from '../../src/slack/blocks';
import { APPROVER, APPROVER_2, requestIdFrom, startHarness, waitFor } from '../support/harness';
import type { Harness } from '../support/harness';

const doc = (...statements: object[]): string =>
  JSON.stringify({ Version: '2012-10-17', Statement: statements });
let h: Harness;
let role = '';
let tests = 0;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});
beforeEach(() => {
  h.slack.reset();
  h.iam.reset();
  role = h.iam.addRole(`connect-after-${++tests}`);
});

const thread = (): string[] =>
  h.slack
    .callsOf('chat.postMessage')
    .filter((c) => c.args.thread_ts)
    .map((c) => String(c.args.text));

const cardApplied = (): boolean =>
  h.slack.callsOf('chat.update').some((c) => JSON.stringify(c.args.blocks).includes('Applied and verified'));

async function applied(text: string): Promise<string> {
  const { reply } = await h.command(text);
  const id = requestIdFrom(reply);
  expect(await h.click(ACTION.approve, id, APPROVER)).toBe(200);
  await waitFor(() => thread().find((t) => t.includes("IAM's simulator")), 10_000);
  return id;
}

async function revoke(id: string): Promise<string> {
  await h.click(ACTION.revoke, id, APPROVER_2);
  await h.slack.waitForCall('views.open');
  const values = { [REASON_BLOCK]: { [REASON_INPUT]: { type: 'plain_text_input', value: 'done' } } };
  expect((await h.submitView(REVOKE_MODAL, id, values, APPROVER_2)).status).toBe(200);
  return waitFor(
    () => thread().find((t) => t.includes('after revoking') || t.includes('back to what')),
    10_000,
  );
}

it('after apply, the thread says IAM now allows every documented action; after revoke, that they are back', async () => {
  const id = await applied(`onboard ${role} migrating`);
  expect(thread()).toContainEqual(
    expect.stringContaining("IAM's simulator now allows every documented action on its resource (9 of 9)"),
  );
  expect(
    h.iam.callsOf('SimulatePrincipalPolicy').filter((c) => !c.params['PolicyInputList.member.1']).length,
  ).toBeGreaterThan(0);
  expect(await revoke(id)).toContain(
    "the grant's 9 documented actions are back to what the role had before it",
  );
});

it('after revoke, names the actions another policy added meanwhile still allows', async () => {
  const id = await applied(`onboard ${role} migrating`);
  h.iam.role(role)!.inline.set('AddedLater', doc({ Effect: 'Allow', Action: 'cases:*', Resource: '*' }));
  const said = await revoke(id);
  expect(said).toContain('2 of the grant');
  expect(said).toContain('`cases:GetDomain` (still allowed by AddedLater)');
});

it('after apply, names the actions still denied (an explicit deny) without failing the grant', async () => {
  h.iam
    .role(role)!
    .inline.set(
      'NoIntegrations',
      doc({ Effect: 'Deny', Action: 'connect:CreateIntegrationAssociation', Resource: '*' }),
    );
  await applied(`onboard ${role} migrating`);
  expect(thread()).toContainEqual(
    expect.stringContaining(
      'still denies 1 of 9 documented actions after applying: `connect:CreateIntegrationAssociation` (an explicit deny in NoIntegrations)',
    ),
  );
  // Expected from the card's evidence: not waited for (one simulation round after the writes).
  await waitFor(cardApplied, 10_000);
});

it('reports "not checked" after apply when the simulator is denied, and the grant stays applied', async () => {
  const { reply } = await h.command(`onboard ${role} migrating`);
  const id = requestIdFrom(reply);
  h.iam.queueFault('SimulatePrincipalPolicy', { code: 'AccessDenied', message: 'no', status: 403 }, 50);
  expect(await h.click(ACTION.approve, id, APPROVER)).toBe(200);
  await waitFor(cardApplied, 10_000);
  expect(thread()).toContainEqual(
    expect.stringContaining('Effective access not checked after applying: `AccessDenied`'),
  );
  expect(h.iam.role(role)!.inline.has('cases-access-onboard')).toBe(true);
});
