import assert from 'node:assert/strict';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import path from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { ManualClock } from '../../src/lib/clock.ts';
import { ADMIN_TOKEN, createTestContext, generousThrottles, type TestContext } from '../support/test-app.ts';
import { ARTIFACTS, CHROMIUM, CHROMIUM_FLAGS } from '../support/chromium.ts';

/**
 * Day one in the console, in a real Chromium at 1280 px and at 390 px (a phone): create an
 * account, create an API key (shown once, copied), send with it, link a sandbox number through
 * the QR page (the QR follows a rotation, the state turns connected without a reload), see the
 * send in the charts and the decision log, revoke the key, and read it all in the audit log.
 * Every page is screenshotted to test/artifacts/ and checked for sideways scrolling.
 *
 * Network: as in admin-console.browser.test.ts, only 127.0.0.1 resolves and other hosts are aborted.
 */

const TEXT = 'Your order #1029 has shipped and will arrive on Thursday between 9:00 and 12:00. Reply STOP to opt out.';

describe('console onboarding in Chromium (1280 px and 390 px)', function () {
  this.timeout(180_000);
  let ctx: TestContext;
  let server: Server;
  let browser: Browser;
  let base: string;

  before(async function () {
    if (!fs.existsSync(CHROMIUM)) {
      if (process.env.CI === 'true') throw new Error(`${CHROMIUM} is missing (CI=true): run .ci/system-deps`);
      console.log(`      (skipped: ${CHROMIUM} is not installed; .ci/system-deps installs it)`);
      this.skip();
    }
    ctx = await createTestContext({ clock: new ManualClock('2026-05-08T08:00:00Z'), policies: generousThrottles });
    // Two customers called "Acme": the console must tell them apart.
    await ctx.createAccount({ name: 'Acme' });
    await ctx.createAccount({ name: 'Acme' });
    server = await new Promise<Server>((resolve) => {
      const s = ctx.app.listen(0, '127.0.0.1', () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS, headless: true });
    fs.mkdirSync(ARTIFACTS, { recursive: true });
  });

  after(async () => {
    await browser?.close();
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    await ctx?.close();
  });

  for (const width of [1280, 390]) {
    it(`creates an account, a key, links a number, sends, sees trends and revokes at ${width} px`, async () => {
      const context = await browser.newContext({ viewport: { width, height: width > 600 ? 900 : 844 } });
      await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
      await context.route('**/*', (route) => {
        const url = new URL(route.request().url());
        return url.hostname === '127.0.0.1' ? route.continue() : route.abort();
      });
      const page = await context.newPage();
      const shot = async (name: string) => {
        const overflow = Number(
          await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth'),
        );
        await page.screenshot({ path: path.join(ARTIFACTS, `console-${width}-${name}.png`), fullPage: true });
        assert.ok(overflow <= 0, `${name} at ${width} px scrolls sideways by ${overflow} px`);
      };
      const name = `Acme ${width}`;

      // Sign in; every nav entry is reachable (visible) at this width.
      await page.goto(`${base}/admin`);
      await page.fill('#name', 'Rina');
      await page.fill('#token', ADMIN_TOKEN);
      await Promise.all([page.waitForURL(`${base}/admin`), page.click('button[type=submit]')]);
      for (const label of ['Review queue', 'Instances', 'Decisions', 'Accounts', 'Suppressions', 'Webhooks', 'Audit log'])
        assert.ok(await page.locator('nav.main a', { hasText: label }).isVisible(), `${label} visible in the nav`);
      await shot('dashboard');

      // 1. Create an account.
      await page.click('nav.main >> text=Accounts');
      await page.click('text=New account');
      await page.fill('#name', name);
      await page.selectOption('#plan', 'growth');
      await page.fill('#timezone', 'Asia/Jakarta');
      await page.fill('#note', 'Signed contract #2291');
      await Promise.all([page.waitForURL(/\/admin\/accounts\/acc_[^/?]+\?notice=account_created/), page.click('form.account-new button[type=submit]')]);
      const accountId = new URL(page.url()).pathname.split('/').pop() as string;
      assert.match(await page.locator('.notice').innerText(), /The account was created/);
      const account = await ctx.container.accounts.get(accountId);
      assert.equal(account?.name, name);
      assert.equal(account?.plan, 'growth');
      assert.equal(account?.timezone, 'Asia/Jakarta');

      // 2. Create an API key: shown once, copied with the button.
      await page.fill('#key_name', 'erp');
      await Promise.all([page.waitForURL(`${base}/admin/accounts/${accountId}/keys`), page.click('form.create-key button[type=submit]')]);
      const key = (await page.locator('[data-new-key]').innerText()).trim();
      assert.match(key, /^wdn_[A-Za-z0-9_-]{20,}$/);
      await page.click('button[data-copy]');
      await page.locator('button[data-copy][data-copied]').waitFor();
      assert.equal(await page.evaluate('navigator.clipboard.readText()'), key);
      await shot('key-created');
      await page.goto(`${base}/admin/accounts/${accountId}`);
      assert.ok(!(await page.content()).includes(key), 'the key is never shown again');

      // 3. Link a number: the QR page follows a rotation and turns connected without a reload.
      await page.fill('#instance_name', 'Customer Service Main');
      await Promise.all([page.waitForURL(/\/admin\/instances\/inst_[^/]+\/link$/), page.click('form.create-instance button[type=submit]')]);
      const instanceId = new URL(page.url()).pathname.split('/')[3] as string;
      const qr = page.locator('img[data-qr]');
      const first = await qr.getAttribute('src');
      assert.match(String(first), /^data:image\/png;base64,/);
      assert.equal(await page.locator('[data-state]').innerText(), 'qr_generated');
      await shot('link-qr');
      await ctx.sandbox?.regenerateQr(instanceId); // WhatsApp rotates the QR
      await page.locator(`img[data-qr]:not([src="${first}"])`).waitFor({ timeout: 15_000 });
      assert.match(String(await qr.getAttribute('src')), /^data:image\/png;base64,/);
      if (width > 600) {
        await ctx.sandbox?.scan(instanceId); // the phone scans it
      } else {
        await page.click('form.sandbox-scan button[type=submit]');
      }
      await page.locator('[data-state]', { hasText: 'connected' }).waitFor({ timeout: 15_000 });
      await page.locator('[data-connected]').waitFor({ state: 'visible' });
      assert.match(await page.locator('[data-connected]').innerText(), /Connected as \+155\*{4}\d{3}/);
      await shot('link-connected');
      assert.equal((await ctx.container.instanceStore.get(instanceId))?.state, 'connected');

      // 4. Send with the key.
      const sent = await ctx.http
        .post('/api/send-message')
        .set('Authorization', `Bearer ${key}`)
        .send({ instance_id: instanceId, phone: '+6281234567890', message: TEXT, message_purpose: 'transactional' });
      assert.equal(sent.status, 200, JSON.stringify(sent.body));

      // 5. The send shows in the account's chart, the instance's chart and the gateway totals.
      await page.goto(`${base}/admin/accounts/${accountId}`);
      const bar = page.locator('[data-chart="account-outcomes"] rect.bar title');
      assert.equal(await bar.count(), 1);
      assert.match(await bar.first().textContent() ?? '', /: 1 sent$/);
      assert.match(await page.locator('[data-chart="account-outcomes"] ul.legend').innerText(), /sent 1/);
      assert.equal(await page.locator('[data-chart="account-rates"] line.threshold').count(), 2);
      await shot('account');
      await page.goto(`${base}/admin/instances/${instanceId}?range=7d`);
      assert.match(await page.locator('[data-chart="instance-outcomes"] ul.legend').innerText(), /sent 1/);
      assert.equal(await page.locator('.seg a[aria-current]').innerText(), '7d');
      await shot('instance');
      await page.goto(`${base}/admin`);
      // Gateway-wide: this run's send plus the one of the 1280 px run before it.
      const gatewaySent = width > 600 ? 1 : 2;
      assert.match(
        await page.locator('[data-chart="gateway-outcomes"] ul.legend').innerText(),
        new RegExp(`sent ${gatewaySent}\\b`),
      );

      // 6. …and in the decision log, filtered by account, with its whole text readable.
      await page.goto(`${base}/admin/decisions`);
      const options = await page.locator('#account_id option').allInnerTexts();
      assert.equal(options.filter((o) => /^Acme \(acc_[A-Za-z0-9_-]+\)$/.test(o)).length, 2, options.join(' | '));
      await page.selectOption('#account_id', accountId);
      await page.selectOption('#outcome', 'allowed');
      await Promise.all([page.waitForURL(/account_id=/), page.click('form.filters button[type=submit]')]);
      const rows = page.locator('table.decisions tbody tr');
      assert.equal(await rows.count(), 1);
      const cell = rows.first().locator('td.text');
      assert.equal((await cell.innerText()).trim(), TEXT);
      assert.ok(await cell.isVisible());
      const box = await cell.boundingBox();
      assert.ok(box && box.x + box.width <= width, 'the text column is on screen');
      await shot('decisions');

      // 7. Revoke the key with a note; the key stops working.
      await page.goto(`${base}/admin/accounts/${accountId}#keys`);
      const revoke = page.locator('form.revoke-key').first();
      await revoke.locator('input[name=note]').fill('Key was pasted into a ticket');
      await Promise.all([page.waitForURL(/notice=key_revoked/), revoke.locator('button[type=submit]').click()]);
      assert.match(await page.locator('table.keys').innerText(), /revoked/);
      const refused = await ctx.http
        .post('/api/send-message')
        .set('Authorization', `Bearer ${key}`)
        .send({ instance_id: instanceId, phone: '+6281234567890', message: TEXT, message_purpose: 'transactional' });
      assert.equal(refused.status, 401);
      assert.equal(refused.body.error, 'revoked_api_key');

      // 8. Every step is in the audit log with who and why.
      await page.goto(`${base}/admin/audit?target_id=${accountId}`);
      const audit = await page.locator('table.audit').innerText();
      assert.match(audit, /api_key\.revoked[\s\S]*Key was pasted into a ticket/);
      assert.match(audit, /api_key\.created/);
      assert.match(audit, /account\.created[\s\S]*Signed contract #2291/);
      assert.match(audit, /Rina \(console\)/);
      await shot('audit');
      const instanceAudit = await ctx.container.audit.list({ limit: 10, targetId: instanceId });
      assert.deepEqual(
        instanceAudit.map((e) => e.action).filter((a) => a === 'instance.created'),
        ['instance.created'],
      );

      // Accounts list: usable at this width (cards on a phone), both "Acme" accounts with ids.
      await page.goto(`${base}/admin/accounts`);
      assert.match(await page.locator('table.accounts').innerText(), new RegExp(accountId));
      await shot('accounts');
      for (const [nav, name_] of [
        ['Instances', 'instances'],
        ['Suppressions', 'suppressions'],
        ['Webhooks', 'webhooks'],
      ] as const) {
        await page.click(`nav.main >> text=${nav}`);
        await page.waitForURL(`${base}/admin/${name_}`);
        await shot(name_);
      }
      await context.close();
    });
  }

  it('serves /favicon.ico', async () => {
    const res = await ctx.http.get('/favicon.ico');
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'image/x-icon');
    assert.deepEqual([...res.body.subarray(0, 4)], [0, 0, 1, 0]);
  });
});
