import { ACTION, DENY_MODAL, REASON_BLOCK, REASON_INPUT, requestModal } from '../../src/slack/blocks';
import {
  ACCOUNT,
  APPROVAL_CHANNEL,
  APPROVER,
  APPROVER_2,
  requestIdFrom,
  startHarness,
} from '../support/harness';
import type { Harness } from '../support/harness';
import { waitFor } from '../support/slack-requests';

/**
 * What the bot sends stays within Slack's limits by construction, however large the input: long `status` and
 * `audit` answers come in pages of at most 4,000 characters, a 512-character role path still gets a valid card,
 * dialog errors are plain text, and each version of a card has block IDs of its own.
 */

const ROLE = `arn:aws:iam::${ACCOUNT}:role/connect-admins`;
const LONG_PATH = `/ops/${'p'.repeat(506)}/`; // 512 characters, IAM's maximum
const REASON = 'r'.repeat(490);

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  h.iam.addRole('connect-admins');
  h.iam.addRole('connect-long', { path: LONG_PATH });
  for (let i = 0; i < 50; i++) h.iam.addRole(`connect-r${i}`);
});
afterAll(async () => {
  await h.close();
});

/** Every page of a paged answer, following its "--page n" hint to the end. */
async function allPages(command: string, user: string): Promise<string[]> {
  const pages: string[] = [];
  for (let page = 1; page < 100; page++) {
    const { reply } = await h.command(`${command} --page ${page}`, user);
    pages.push(reply);
    if (!reply.includes(`--page ${page + 1}`)) return pages;
  }
  throw new Error('no last page');
}

it('`audit` of a role with 50 grants and 490-character reasons pages within 4,000 characters, every request reachable', async () => {
  const ids: string[] = [];
  for (let i = 0; i < 50; i++)
    ids.push(requestIdFrom((await h.command(`view ${ROLE} ${REASON}`, `UAUDIT${i}`)).reply));
  const pages = await allPages(`audit ${ROLE}`, APPROVER);
  expect(pages.length).toBeGreaterThan(3);
  for (const page of pages) expect(page.length).toBeLessThanOrEqual(4_000);
  expect(pages[0]).toMatch(/Page 1 of \d+/);
  const all = pages.join('\n');
  for (const id of ids) expect(all).toContain(id);
  // Past the last page: said plainly.
  const { reply } = await h.command(`audit ${ROLE} --page 999`, APPROVER);
  expect(reply).toMatch(/There are only \d+ pages/);
}, 60_000);

it('`status` of a requester with 50 requests and 490-character reasons pages the same way', async () => {
  const ids: string[] = [];
  for (let i = 0; i < 50; i++)
    ids.push(
      requestIdFrom(
        (await h.command(`view arn:aws:iam::${ACCOUNT}:role/connect-r${i} ${REASON}`, 'USTATUS')).reply,
      ),
    );
  const pages = await allPages('status', 'USTATUS');
  for (const page of pages) expect(page.length).toBeLessThanOrEqual(4_000);
  const all = pages.join('\n');
  for (const id of ids) expect(all).toContain(id);
}, 60_000);

it('a role with a 512-character path gets a valid card: the Approve confirmation is plain text within 300 characters', async () => {
  const arn = `arn:aws:iam::${ACCOUNT}:role${LONG_PATH}connect-long`;
  const { reply } = await h.command(`onboard ${arn} long path`);
  const id = requestIdFrom(reply);
  const card = h.slack
    .callsOf('chat.postMessage')
    .find((c) => c.args.channel === APPROVAL_CHANNEL && String(c.args.text).includes(id))!;
  expect(card.error).toBeUndefined(); // the fake Slack answers invalid_blocks as Slack would
  const confirm = JSON.stringify(card.args.blocks).match(
    /"confirm":\{"title".*?"text":\{"type":"(\w+)","text":"([^"]*)"/,
  )!;
  expect(confirm[1]).toBe('plain_text');
  expect(confirm[2]!.length).toBeLessThanOrEqual(300);
  expect(confirm[2]).toContain('connect-long');
  // The card itself still shows the whole ARN.
  expect(JSON.stringify(card.args.blocks)).toContain(arn);
});

it('a dialog error is plain text: no raw <@U…> mention', async () => {
  const { reply } = await h.command(`view ${ROLE} decided twice`);
  const id = requestIdFrom(reply);
  expect(await h.click(ACTION.approve, id, APPROVER)).toBe(200);
  await waitFor(
    async () =>
      h.slack
        .callsOf('chat.update')
        .some((c) => String(c.args.text).includes(id) && String(c.args.text).endsWith('applied')),
    10_000,
  );
  const res = await h.submitView(
    DENY_MODAL,
    id,
    { [REASON_BLOCK]: { [REASON_INPUT]: { value: 'too late' } } },
    APPROVER_2,
  );
  const error = (res.json as { errors?: Record<string, string> }).errors?.[REASON_BLOCK];
  expect(error).toMatch(/already approved by @UAPPROVER/);
  expect(error).not.toContain('<@');
  expect(error!.length).toBeLessThanOrEqual(150);
});

it('each version of a card has block IDs of its own', async () => {
  const { reply } = await h.command(`view ${ROLE} block ids`);
  const id = requestIdFrom(reply);
  expect(await h.click(ACTION.approve, id, APPROVER)).toBe(200);
  await waitFor(
    () => h.slack.callsOf('chat.update').filter((c) => String(c.args.text).includes(id)).length >= 2,
    10_000,
  );
  const versions = [
    h.slack
      .callsOf('chat.postMessage')
      .find((c) => c.args.channel === APPROVAL_CHANNEL && String(c.args.text).includes(id))!,
    ...h.slack.callsOf('chat.update').filter((c) => String(c.args.text).includes(id)),
  ].map((c) => (c.args.blocks as Array<{ block_id?: string }>).map((b) => b.block_id).filter(Boolean));
  const seen = new Set<string>();
  for (const ids of versions)
    for (const blockId of ids) {
      expect(seen.has(blockId!)).toBe(false);
      seen.add(blockId!);
    }
});

it('the request dialog caps the reason at 500 characters as it is typed', () => {
  const reason = requestModal().blocks.find(
    (b) => (b as { block_id?: string }).block_id === 'reason',
  ) as unknown as {
    element: { max_length?: number };
  };
  expect(reason.element.max_length).toBe(500);
});
