import assert from 'node:assert/strict';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import path from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { ManualClock } from '../../src/lib/clock.ts';
import { ADMIN_TOKEN, createTestContext, generousThrottles, type TestContext } from '../support/test-app.ts';
import { ARTIFACTS, CHROMIUM, CHROMIUM_FLAGS } from '../support/chromium.ts';

/**
 * The compliance console in a real Chromium (Debian's `chromium`, driven by playwright-core):
 * sign in, read a paused instance's evidence, resume it with a note, see it leave the queue and
 * the audit entry appear; a form posted without its CSRF token is refused.
 *
 * Network: the app listens on 127.0.0.1 only, Chromium runs with background networking off and a
 * host-resolver rule that resolves nothing but 127.0.0.1, and every request the page makes to any
 * other host is aborted. `chromium.launch` always starts from a fresh temporary profile
 * (`--user-data-dir=/tmp/playwright_chromiumdev_profile-*`).
 */

const VIOLATION = 'FLASH SALE!!! 70% OFF today only, buy now at bit.ly/xyz — limited offer, click here!';

describe('admin console in Chromium', function () {
  this.timeout(120_000);
  let ctx: TestContext;
  let server: Server;
  let browser: Browser;
  let context: BrowserContext;
  let base: string;
  let instanceId: string;

  before(async function () {
    if (!fs.existsSync(CHROMIUM)) {
      if (process.env.CI === 'true') throw new Error(`${CHROMIUM} is missing (CI=true): run .ci/system-deps`);
      console.log(`      (skipped: ${CHROMIUM} is not installed; .ci/system-deps installs it)`);
      this.skip();
    }
    const clock = new ManualClock('2026-05-08T08:00:00Z');
    ctx = await createTestContext({ clock, policies: generousThrottles });
    const { key } = await ctx.createAccount({ name: 'Toko Maju', plan: 'growth' });
    instanceId = await ctx.createConnectedInstance(key, 'Customer Service Main');
    const quiet = await ctx.createAccount({ name: 'Klinik Sehat' });
    await ctx.createConnectedInstance(quiet.key, 'Reminders');
    // Nine promotional sends: the strike ladder slows the instance twice, then pauses it.
    for (let i = 0; i < 9; i += 1) {
      clock.advance(60_000);
      await ctx.http
        .post('/api/send-message')
        .set('Authorization', `Bearer ${key}`)
        .send({
          instance_id: instanceId,
          phone: `+62812345678${10 + i}`,
          message: VIOLATION,
          message_purpose: 'transactional',
        });
    }
    assert.equal((await ctx.container.instanceStore.get(instanceId))?.paused, true);

    server = await new Promise<Server>((resolve) => {
      const s = ctx.app.listen(0, '127.0.0.1', () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS, headless: true });
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.route('**/*', (route) => {
      const url = new URL(route.request().url());
      return url.hostname === '127.0.0.1' ? route.continue() : route.abort();
    });
    fs.mkdirSync(ARTIFACTS, { recursive: true });
  });

  after(async () => {
    await context?.close();
    await browser?.close();
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    await ctx?.close();
  });

  const signIn = async (page: Page) => {
    await page.goto(`${base}/admin`);
    assert.equal(new URL(page.url()).pathname, '/admin/login');
    await page.fill('#name', 'Rina');
    await page.fill('#token', ADMIN_TOKEN);
    await Promise.all([page.waitForURL(`${base}/admin`), page.click('button[type=submit]')]);
  };

  it('signs in, reviews the evidence, refuses a form without CSRF, resumes with a note and audits it', async () => {
    const page = await context.newPage();
    await signIn(page);
    const card = page.locator(`article.card.paused[data-instance="${instanceId}"]`);
    await card.waitFor();
    const text = await card.innerText();
    assert.match(text, /Customer Service Main/);
    assert.match(text, /Repeated policy violations within 24 hours/);
    assert.match(text, /3 sends refused as policy violations in the last 24 h \(threshold 3\)/);
    assert.match(text, /marketing_terms/);
    assert.match(text, /strike 3, step 3 of 3/);
    assert.match(text, /\+628\*{4}\d{3}/, 'sample recipients are masked');
    assert.doesNotMatch(text, /\+62812345678\d\d/);
    await page.screenshot({ path: path.join(ARTIFACTS, 'admin-console-dashboard.png'), fullPage: true });

    // The same page on a phone.
    const phone = await context.newPage();
    await phone.setViewportSize({ width: 390, height: 844 });
    await phone.goto(`${base}/admin`);
    await phone.screenshot({ path: path.join(ARTIFACTS, 'admin-console-phone.png'), fullPage: true });
    await phone.close();

    // A form posted without its CSRF token is refused and changes nothing.
    await card.locator('form.resume input[name=_csrf]').evaluate((el) => el.remove());
    await card.locator('form.resume textarea[name=note]').fill('Trying without the token');
    const [refused] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/resume') && r.request().method() === 'POST'),
      card.locator('form.resume button[type=submit]').click(),
    ]);
    assert.equal(refused.status(), 403);
    await page.waitForLoadState();
    assert.match(await page.locator('main').innerText(), /This form could not be accepted/);
    assert.equal((await ctx.container.instanceStore.get(instanceId))?.paused, true);

    // Resume with a note: the instance leaves the paused list.
    await page.goto(`${base}/admin`);
    const fresh = page.locator(`article.card.paused[data-instance="${instanceId}"]`);
    await fresh.locator('form.resume textarea[name=note]').fill('Customer removed the promo template');
    await Promise.all([
      page.waitForURL(`${base}/admin?notice=resumed`),
      fresh.locator('form.resume button[type=submit]').click(),
    ]);
    assert.equal(await page.locator('article.card.paused').count(), 0);
    await page.locator('[data-empty-queue]').waitFor();
    assert.match(await page.locator('.notice').innerText(), /The instance was resumed/);
    assert.equal((await ctx.container.instanceStore.get(instanceId))?.paused, false);

    // The audit log shows who resumed it, when, and why.
    await page.click('nav.main >> text=Audit log');
    await page.waitForURL(`${base}/admin/audit`);
    const row = page.locator('table.audit tbody tr').first();
    const rowText = await row.innerText();
    assert.match(rowText, /instance\.resumed/);
    assert.match(rowText, /Rina \(console\)/);
    assert.match(rowText, /Customer removed the promo template/);
    await page.screenshot({ path: path.join(ARTIFACTS, 'admin-console-audit.png'), fullPage: true });
    await page.close();
  });
});
