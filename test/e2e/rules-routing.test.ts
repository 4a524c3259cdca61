import { APPROVAL_CHANNEL, OUTSIDER, requestIdFrom } from '../support/harness';
import { DEV_ROLE, PROD_ROLE, SECURITY_CHANNEL, SECURITY_GROUP, startRulesRig } from '../support/rules-rig';
import type { RulesRig } from '../support/rules-rig';

/**
 * Rules decide who may request, where the card goes, whom it mentions and how long a grant may last; the first rule
 * that matches decides, and a request no rule covers is refused before anything is posted.
 */

let rig: RulesRig;
beforeAll(async () => {
  rig = await startRulesRig();
});
afterAll(async () => {
  await rig.close();
});

const cardOf = (id: string) =>
  rig.h.slack.posted().find((m) => !m.args.thread_ts && String(m.args.text).includes(id))!;

it('a rule sends its cards to its channel, names itself and mentions its notify list', async () => {
  const id = requestIdFrom((await rig.h.command(`onboard ${PROD_ROLE} routed`)).reply);
  const card = cardOf(id);
  expect(card.channel).toBe(SECURITY_CHANNEL);
  const blocks = JSON.stringify(card.args.blocks);
  expect(blocks).toContain('*Rule* `onboarding-prod`');
  expect(blocks).toContain('2 approvals from');
  expect(blocks).toContain(`<!subteam^${SECURITY_GROUP}>`);
});

it('the first matching rule wins: view on a prod role goes to the viewing rule and the default channel', async () => {
  const id = requestIdFrom((await rig.h.command(`view ${PROD_ROLE} first match`)).reply);
  const card = cardOf(id);
  expect(card.channel).toBe(APPROVAL_CHANNEL);
  expect(JSON.stringify(card.args.blocks)).toContain('*Rule* `viewing`');
});

it('a request no rule covers is refused before anything is posted', async () => {
  const posted = rig.h.slack.posted().length;
  const { reply } = await rig.h.command(`onboard ${DEV_ROLE} no rule`);
  expect(reply).toMatch(/No approval rule covers onboard \(minimal\)/);
  expect(reply).toMatch(/Nothing was requested/);
  expect(rig.h.slack.posted()).toHaveLength(posted);
});

it('a requester outside the rule’s requesters is refused; a member of its requesters usergroup is not', async () => {
  const refused = await rig.h.command(`onboard ${PROD_ROLE} outsider`, OUTSIDER);
  expect(refused.reply).toMatch(/only its listed requesters may ask/);
  const member = await rig.h.command(`onboard ${PROD_ROLE} member`, 'UMEMBER');
  expect(member.reply).toMatch(/is waiting for an approver/);
});

it('the rule’s maxDuration bounds the grant', async () => {
  const { reply } = await rig.h.command(`onboard ${PROD_ROLE} --for 9h too long`, 'ULONG');
  expect(reply).toMatch(/longer than the maximum of 8h \(rule onboarding-prod's maxDuration\)/);
});

it('`help <role>` says which rule would decide each task on that role', async () => {
  const { reply } = await rig.h.command(`help ${PROD_ROLE}`);
  expect(reply).toContain('*Rules for `' + PROD_ROLE + '`*');
  expect(reply).toMatch(/onboard \(minimal\): rule `onboarding-prod`: 2 approvals from/);
  expect(reply).toMatch(/view \(managed\): rule `viewing`: one approval from <@UAPPROVER2>/);
  const dev = await rig.h.command('help connect-dev-agents');
  expect(dev.reply).toMatch(/onboard \(minimal\): no rule covers it/);
});
