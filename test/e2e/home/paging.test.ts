import { HOME_ACTION } from '../../../src/slack/blocks';
import { ACCOUNT, APPROVER, startHarness } from '../../support/harness';
import type { Harness } from '../../support/harness';
import { clickHome, homeButtons, homeText, homesOf, openHome } from '../../support/home';
import { waitFor } from '../../support/slack-requests';

/** 200 pending requests: the approver's Home pages through them, each page within Slack's 100 blocks for Home tabs. */

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  h.iam.addRole('connect-admins');
});
afterAll(async () => {
  await h.close();
});

const ids = (text: string) => [...new Set(text.match(/CA-[0-9A-Z]{10}/g) ?? [])];

it('pages 200 pending requests ten at a time; Slack accepts every page', async () => {
  // 200 requesters, one request each (a requester's identical pending requests fold into one).
  for (let i = 0; i < 200; i += 20)
    await Promise.all(
      Array.from({ length: 20 }, (_, j) =>
        h.command(
          `onboard arn:aws:iam::${ACCOUNT}:role/connect-admins`,
          `UREQ${String(i + j).padStart(4, '0')}`,
        ),
      ),
    );

  let home = await openHome(h, APPROVER);
  expect(homeText(home)).toContain('Waiting for you (200)');
  const seen = new Set<string>();
  for (let page = 1; ; page++) {
    expect(home.view.blocks.length).toBeLessThanOrEqual(100);
    expect(JSON.stringify(home.view.blocks)).toContain(`Page ${page} of 20 (200)`);
    const shown = ids(homeText(home));
    expect(shown).toHaveLength(10);
    for (const id of shown) seen.add(id);
    const next = homeButtons(home).find((b) => b.action === HOME_ACTION.nextPage && b.value.startsWith('w:'));
    if (page === 20) {
      expect(next).toBeUndefined();
      break;
    }
    expect(next?.value).toBe(`w:${page}`);
    const before = homesOf(h, APPROVER).length;
    expect(await clickHome(h, home, HOME_ACTION.nextPage, next!.value)).toBe(200);
    home = await waitFor(() => homesOf(h, APPROVER)[before]);
  }
  expect(seen.size).toBe(200);
  // Slack refused none of them (the fake enforces Home tabs' limits).
  expect(h.slack.callsOf('views.publish').filter((c) => c.error)).toEqual([]);
}, 120_000);
