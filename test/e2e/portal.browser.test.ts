import assert from 'node:assert/strict';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import path from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { Webhook } from 'standardwebhooks';
import { PASSWORD } from '../support/portal.ts';
import { startWebhookHarness, type WebhookHarness } from '../support/webhook-harness.ts';
import { WebhookReceiver } from '../support/webhook-receiver.ts';
import { ARTIFACTS, CHROMIUM, CHROMIUM_FLAGS } from '../support/chromium.ts';

/**
 * The customer portal in a real Chromium, as two people of two accounts. Dewi (Toko Maju, owner,
 * 1280 px) accepts her invitation, creates an API key and sends with it, links a sandbox number
 * on the QR page (it follows a rotation and turns connected without a reload), creates a webhook
 * to a loopback receiver and sees the test delivery, reads why a send was refused, and invites a
 * viewer. Budi (Klinik Sehat, 390 px) sees none of it: Dewi's URLs answer 404. The viewer can
 * change nothing. Every page is screenshotted at 390 and 1280 px into test/artifacts/ and checked
 * for sideways scrolling.
 *
 * Network: only 127.0.0.1 resolves in Chromium and every other host is aborted; the delivery
 * worker resolves no names at all (webhook-harness.ts).
 */

const SPAM = 'FLASH SALE!!! 70% OFF today only, buy now at bit.ly/xyz — limited offer, click here!';
const PAGES = ['/portal', '/portal/instances', '/portal/keys', '/portal/webhooks', '/portal/messages', '/portal/inbound', '/portal/suppressions', '/portal/usage', '/portal/users', '/portal/security'];

describe('customer portal in Chromium (two accounts, 1280 px and 390 px)', function () {
  this.timeout(180_000);
  let h: WebhookHarness;
  let receiver: WebhookReceiver;
  let server: Server;
  let browser: Browser;
  let base: string;
  let toko: { id: string; key: string };
  let klinik: { id: string; key: string };
  // What Dewi creates, for Budi to look for.
  const dewi = { instanceId: '', webhookId: '', refusedLogId: 0, key: '' };

  before(async function () {
    if (!fs.existsSync(CHROMIUM)) {
      if (process.env.CI === 'true') throw new Error(`${CHROMIUM} is missing (CI=true): run .ci/system-deps`);
      console.log(`      (skipped: ${CHROMIUM} is not installed; .ci/system-deps installs it)`);
      this.skip();
    }
    h = await startWebhookHarness();
    receiver = await WebhookReceiver.start();
    toko = await h.ctx.createAccount({ name: 'Toko Maju', plan: 'growth' });
    klinik = await h.ctx.createAccount({ name: 'Klinik Sehat' });
    server = await new Promise<Server>((resolve) => {
      const s = h.ctx.app.listen(0, '127.0.0.1', () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS, headless: true });
    fs.mkdirSync(ARTIFACTS, { recursive: true });
  });

  after(async () => {
    await browser?.close();
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    await receiver?.close();
    await h?.close();
  });

  const open = async (width: number): Promise<{ context: BrowserContext; page: Page; shot: (name: string) => Promise<void> }> => {
    const context = await browser.newContext({ viewport: { width, height: width > 600 ? 900 : 844 } });
    await context.route('**/*', (route) =>
      new URL(route.request().url()).hostname === '127.0.0.1' ? route.continue() : route.abort(),
    );
    const page = await context.newPage();
    const shot = async (name: string) => {
      const overflow = Number(await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth'));
      await page.screenshot({ path: path.join(ARTIFACTS, `portal-${width}-${name}.png`), fullPage: true });
      assert.ok(overflow <= 0, `${name} at ${width} px scrolls sideways by ${overflow} px`);
    };
    return { context, page, shot };
  };

  const invite = async (accountId: string, email: string, role: string) => {
    const res = await h.ctx.admin('post', `/admin/api/accounts/${accountId}/invitations`, { email, role });
    assert.equal(res.status, 201);
    return `${base}${res.body.invite_path as string}`;
  };

  const accept = async (page: Page, link: string, name: string) => {
    await page.goto(link);
    await page.fill('#name', name);
    await page.fill('#password', PASSWORD);
    await page.fill('#password_confirm', PASSWORD);
    await Promise.all([page.waitForURL(`${base}/portal?notice=welcome`), page.click('button[type=submit]')]);
  };

  it('Dewi (owner, 1280 px): key, send, QR link, webhook test delivery, refused send explained', async () => {
    const { context, page, shot } = await open(1280);
    const link = await invite(toko.id, 'dewi@toko.example', 'owner');
    await page.goto(link);
    assert.match(await page.locator('h1').innerText(), /Join Toko Maju/);
    await shot('invite');
    await accept(page, link, 'Dewi');
    assert.match(await page.locator('.notice').innerText(), /Welcome!/);
    assert.match(await page.locator('header .brand').innerText(), /Toko Maju/);
    await shot('overview');

    // An API key, shown once; it sends through the API.
    await page.click('nav.main >> text=API keys');
    await page.fill('#key_name', 'toko erp sync');
    await Promise.all([page.waitForURL(`${base}/portal/keys`), page.click('form[data-form=create-key] button[type=submit]')]);
    dewi.key = await page.locator('input[data-key]').inputValue();
    assert.match(dewi.key, /^wdn_[A-Za-z0-9_-]{43}$/);
    await shot('key-created');

    // A number, linked on the QR page: the image follows WhatsApp's rotation, then "connected".
    await page.click('nav.main >> text=Instances');
    await page.fill('#name', 'Customer Service');
    await Promise.all([page.waitForURL(/\/portal\/instances\/inst_[A-Za-z0-9_-]+$/), page.click('form[data-form=create-instance] button[type=submit]')]);
    dewi.instanceId = new URL(page.url()).pathname.split('/').pop() as string;
    const qr = page.locator('img[data-qr]');
    const first = await qr.getAttribute('src');
    assert.match(String(first), /^data:image\/png;base64,/);
    assert.equal(await page.locator('[data-state]').innerText(), 'qr_generated');
    await shot('instance-qr');
    await h.ctx.sandbox?.regenerateQr(dewi.instanceId);
    await page.locator(`img[data-qr]:not([src="${first}"])`).waitFor({ timeout: 15_000 });
    await h.ctx.sandbox?.scan(dewi.instanceId);
    await page.locator('[data-state]', { hasText: 'connected' }).waitFor({ timeout: 15_000 });
    await page.locator('[data-connected]').waitFor({ state: 'visible' });
    await shot('instance-connected');

    // Send with the new key; a promotional send is refused.
    const sent = await h.ctx.request(dewi.key, 'post', '/api/send-message', {
      instance_id: dewi.instanceId,
      phone: '+6281234567890',
      message: 'Your order #1029 has shipped and arrives Thursday.',
      message_purpose: 'transactional',
    });
    assert.equal(sent.status, 200, JSON.stringify(sent.body));
    const refused = await h.ctx.request(dewi.key, 'post', '/api/send-message', {
      instance_id: dewi.instanceId,
      phone: '+6281234567891',
      message: SPAM,
      message_purpose: 'transactional',
    });
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error, 'policy_violation');

    // The refusal, explained: filter the log, open the entry.
    await page.click('nav.main >> text=Messages');
    await page.selectOption('#f_outcome', 'blocked');
    await Promise.all([page.waitForURL(/outcome=blocked/), page.click('form[data-form=filters] button[type=submit]')]);
    assert.equal(await page.locator('table.decisions tbody tr').count(), 1);
    await shot('messages-refused');
    await Promise.all([page.waitForURL(/\/portal\/messages\/\d+$/), page.locator('table.decisions tbody tr a').first().click()]);
    dewi.refusedLogId = Number(new URL(page.url()).pathname.split('/').pop());
    const why = await page.locator('[data-explanation]').innerText();
    assert.match(why, /policy_violation — This message appears to violate/);
    for (const rule of refused.body.details.rules as string[]) assert.ok(why.includes(rule), `explanation names ${rule}`);
    assert.match(await page.locator('[data-classifier]').innerText(), new RegExp(`The classifier read it as ${refused.body.details.classifier.intent}`));
    await shot('message-explained');

    // A webhook to the loopback receiver; its secret is shown once; the test delivery is listed.
    await page.click('nav.main >> text=Webhooks');
    await page.fill('#destination_url', receiver.url('/warden'));
    await page.fill('#description', 'CRM');
    await Promise.all([page.waitForURL(`${base}/portal/webhooks`), page.click('form[data-form=create-webhook] button[type=submit]')]);
    const secret = await page.locator('#whsec').inputValue();
    assert.match(secret, /^whsec_/);
    dewi.webhookId = (await page.locator('h1 + p .mono').innerText()).trim();
    await Promise.all([page.waitForURL(/notice=webhook_test/), page.click('form[data-form=test] button[type=submit]')]);
    await receiver.waitFor((r) => r.some((x) => x.json?.event === 'webhook.test'), 10_000, 'the test event');
    const test = receiver.requests.find((x) => x.json?.event === 'webhook.test');
    assert.ok(test);
    new Webhook(secret).verify(test.body, test.headers as Record<string, string>);
    const delivered = page.locator('[data-event="webhook.test"][data-status="succeeded"]');
    for (let i = 0; i < 40 && (await delivered.count()) === 0; i += 1) {
      await page.waitForTimeout(250);
      await page.reload();
    }
    assert.equal(await delivered.count(), 1);
    assert.equal((await delivered.locator('[data-attempt-status]').first().innerText()).trim(), '200');
    await shot('webhook-delivered');

    // Redeliver it (same request id, a second attempt marked manual); disable, re-enable; recover.
    await Promise.all([page.waitForURL(/notice=redelivered/), delivered.locator('form[action$="/redeliver"] button').click()]);
    await receiver.waitFor((r) => r.filter((x) => x.json?.event === 'webhook.test').length === 2, 10_000, 'the redelivery');
    const tests = receiver.requests.filter((x) => x.json?.event === 'webhook.test');
    assert.equal(tests[1]?.requestId, tests[0]?.requestId, 'same webhook-id');
    const manual = page.locator('[data-event="webhook.test"] table.attempts tbody tr', { hasText: 'manual' });
    for (let i = 0; i < 40 && (await manual.count()) === 0; i += 1) {
      await page.waitForTimeout(250);
      await page.reload();
    }
    assert.equal(await manual.count(), 1);
    await Promise.all([page.waitForURL(/notice=webhook_saved/), page.click('form[action$="/disable"] button')]);
    assert.match(await page.locator('.card.paused h3').innerText(), /Disabled \(manual\)/);
    await Promise.all([page.waitForURL(/notice=webhook_saved/), page.click('form[action$="/enable"] button')]);
    assert.equal(await page.locator('.card.paused').count(), 0);
    await Promise.all([page.waitForURL(/notice=recovered/), page.click('form[action$="/recover"] button')]);
    assert.match(await page.locator('.notice').innerText(), /Failed deliveries were queued again/);

    // Invite a viewer from the People page (the link is shown once).
    await page.click('nav.main >> text=People');
    await page.fill('#u_email', 'vera@toko.example');
    await page.selectOption('#u_role', 'viewer');
    await Promise.all([page.waitForURL(`${base}/portal/users/invite`), page.click('form[data-form=invite] button[type=submit]')]);
    const viewerLink = await page.locator('[data-invite-link]').inputValue();
    assert.ok(viewerLink.startsWith(`${base}/portal/invite/`));
    await shot('people-invited');
    fs.writeFileSync(path.join(ARTIFACTS, 'portal-viewer-link.txt'), viewerLink);

    for (const p of PAGES) {
      await page.goto(`${base}${p}`);
      await shot(`dewi${p.replace(/\//g, '-')}`);
    }
    const audit = await h.ctx.container.audit.list({ limit: 100 });
    const mine = audit.filter((e) => e.actor === 'portal:dewi@toko.example').map((e) => e.action);
    for (const action of ['api_key.created', 'instance.created', 'webhook.created', 'webhook.tested', 'webhook.redelivered', 'webhook.disabled', 'webhook.enabled', 'webhook.recovered', 'portal_user.invited', 'portal_user.joined'])
      assert.ok(mine.includes(action), `${action} audited as Dewi (${mine.join(', ')})`);
    await context.close();
  });

  it("Budi (other account, 390 px) sees none of Dewi's objects; her URLs answer 404", async () => {
    assert.ok(dewi.instanceId && dewi.webhookId && dewi.refusedLogId, 'the first test ran');
    const { context, page, shot } = await open(390);
    await accept(page, await invite(klinik.id, 'budi@klinik.example', 'owner'), 'Budi');
    assert.match(await page.locator('header .brand').innerText(), /Klinik Sehat/);
    for (const p of PAGES) {
      const res = await page.goto(`${base}${p}`);
      assert.equal(res?.status(), 200, p);
      const html = await page.content();
      for (const secret of [dewi.instanceId, dewi.webhookId, 'Customer Service', 'Toko Maju', 'toko erp sync', '+6281234567891'])
        assert.ok(!html.includes(secret), `${p} shows nothing of Toko Maju (${secret})`);
      await shot(`budi${p.replace(/\//g, '-')}`);
    }
    for (const p of [`/portal/instances/${dewi.instanceId}`, `/portal/instances/${dewi.instanceId}/link-state`, `/portal/webhooks/${dewi.webhookId}`, `/portal/messages/${dewi.refusedLogId}`]) {
      const res = await page.goto(`${base}${p}`);
      assert.equal(res?.status(), 404, p);
    }
    await shot('budi-404');
    // Budi's session cookie does not open the API or the console.
    const cookies = await context.cookies(`${base}/portal`);
    assert.deepEqual(await context.cookies(`${base}/api/instances`), [], "no cookie travels to /api");
    assert.deepEqual(cookies.map((c) => [c.name, c.path, c.httpOnly, c.sameSite]), [['warden_portal', '/portal', true, 'Strict']]);
    const api = await page.goto(`${base}/api/instances`);
    assert.equal(api?.status(), 401);
    await page.goto(`${base}/admin`);
    assert.equal(new URL(page.url()).pathname, '/admin/login');
    await context.close();
  });

  it('Vera (viewer, 390 px) sees Toko Maju but can change nothing', async () => {
    const link = fs.readFileSync(path.join(ARTIFACTS, 'portal-viewer-link.txt'), 'utf8');
    const { context, page, shot } = await open(390);
    await accept(page, link, 'Vera');
    for (const p of [...PAGES, `/portal/instances/${dewi.instanceId}`, `/portal/webhooks/${dewi.webhookId}`]) {
      assert.equal((await page.goto(`${base}${p}`))?.status(), 200, p);
      const actions = await page.locator('form[method=post]').evaluateAll((forms) => forms.map((f) => f.getAttribute('action')));
      const allowed = p === '/portal/security' ? ['/portal/logout', '/portal/security/totp/start'] : ['/portal/logout'];
      assert.deepEqual(actions, allowed, `${p}: a viewer gets no change forms`);
      // Pages whose forms a viewer does not get say why.
      const manages = /^\/portal(\/(instances|keys|webhooks|suppressions)(\/|$)|$)/.test(p);
      assert.equal(await page.locator('[data-viewer-note]').count(), manages ? 1 : 0, p);
      await shot(`viewer${p.replace(/\//g, '-').replace(/-(inst|wh)_[A-Za-z0-9_-]+$/, '-$1')}`);
    }
    // Even a hand-made form post is refused.
    const csrf = await page.locator('input[name=_csrf]').first().inputValue();
    const sneaky = await context.request.post(`${base}/portal/keys`, { form: { _csrf: csrf, name: 'sneaky' }, maxRedirects: 0 });
    const status = sneaky.status();
    assert.equal(status, 403);
    assert.equal((await h.ctx.container.apiKeys.list(toko.id)).filter((k) => k.name === 'sneaky').length, 0);
    await context.close();
  });
});
