/**
 * `npm run demo`'s page in a real browser (Debian's Chromium through playwright-core): Riya requests, Ana approves,
 * the policy appears on the role, Ana revokes it and it is gone; the approval card and its thread say so.
 * Skipped with a hint when Chromium is missing, unless CI is set (`.ci/run` installs it).
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { startDemo } from '../../demo/server';
import type { Demo } from '../../demo/server';
import { underCi } from '../support/ci';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
if (!available && !underCi)
  process.stderr.write(
    `demo-page.test.ts SKIPPED: ${CHROMIUM} is missing (apt-get install chromium, or set CHROMIUM_PATH); with CI set this file fails instead.\n`,
  );
const describeIfBrowser = available || underCi ? describe : describe.skip;

// The README's screenshot is refreshed on request only, so a test run leaves the work tree as it was.
const SCREENSHOT = process.env.UPDATE_DEMO_SCREENSHOT
  ? resolve(__dirname, '../../docs/demo.png')
  : join(mkdtempSync(join(tmpdir(), 'cases-access-demo-shot-')), 'demo.png');

describeIfBrowser('the demo page in Chromium', () => {
  let demo: Demo;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    demo = await startDemo({ host: '127.0.0.1', port: 0 });
    browser = await chromium.launch({ executablePath: CHROMIUM });
    page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    page.on('dialog', (d) => void d.accept()); // the Approve button's confirmation
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await demo?.close();
  });

  const role = 'arn:aws:iam::111122223333:role/connect-admins';
  const inlineOf = () => page.locator(`.role[data-role="${role}"] .inline-policies`);
  const card = () => page.locator('#channel > article.message').first();

  it('request → approve → applied → revoke, with IAM changing on the page', async () => {
    await page.goto(demo.url);
    await page.getByText('Local demo, fake Slack and fake AWS.').waitFor();
    await inlineOf().getByText('none').waitFor();

    // Riya (the requester, selected at first) asks for onboarding.
    await page.fill('#command', 'onboard connect-admins migrating to Cases');
    await page.click('#command-form button[type=submit]');
    await card().locator('.header', { hasText: 'Cases access request CA-' }).waitFor();
    await card().getByText('Pending approval').waitFor();
    await page.locator('#private').getByText('is waiting for an approver').waitFor();
    expect(await card().locator('.rich-text pre').textContent()).toContain('"cases:CreateDomain"');

    // Ana approves (the confirmation is accepted); the bot writes the policy and the roles panel shows it.
    await page.click('[data-person="UDEMOANA"]');
    await card().getByRole('button', { name: 'Approve' }).click();
    await inlineOf().getByText('cases-access-onboard').waitFor({ timeout: 15_000 });
    await card().getByText('Applied and verified').waitFor();
    await card().locator('.thread').getByText('Approved by').first().waitFor();
    await page.screenshot({ path: SCREENSHOT, fullPage: true });

    // Ana revokes through the dialog the bot opens; the policy leaves the role.
    await card().getByRole('button', { name: 'Revoke' }).click();
    const dialog = page.getByRole('dialog', { name: 'Revoke grant' });
    await dialog.locator('textarea').fill('demo over');
    await dialog.getByRole('button', { name: 'Revoke' }).click();
    await inlineOf().getByText('none').waitFor({ timeout: 15_000 });
    await card().getByText('Revoked').first().waitFor();
    expect(demo.world.iam.role(role)?.inline.size).toBe(0);
  }, 90_000);
});
