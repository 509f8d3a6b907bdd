import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ManualClock } from '../../src/lib/clock.ts';
import {
  type ConsoleSession,
  consoleLogin,
  cookieFrom,
  csrfOf,
  setCookieHeader,
  submitLogin,
} from '../support/admin-console.ts';
import { ADMIN_TOKEN, createTestContext, generousThrottles, type TestContext } from '../support/test-app.ts';

const VIOLATION = 'FLASH SALE!!! 70% OFF today only, buy now at bit.ly/xyz — limited offer, click here!';

describe('admin console (/admin)', () => {
  let ctx: TestContext;
  let clock: ManualClock;
  let key: string;
  let accountId: string;
  let instanceId: string;

  beforeEach(async () => {
    clock = new ManualClock('2026-05-08T08:00:00Z');
    ctx = await createTestContext({ clock, policies: generousThrottles });
    ({ key, id: accountId } = await ctx.createAccount({ name: 'Toko Maju' }));
    instanceId = await ctx.createConnectedInstance(key, 'Support line');
  });
  afterEach(() => ctx.close());

  const violate = async (times: number) => {
    for (let i = 0; i < times; i += 1) {
      clock.advance(1000);
      const res = await ctx.http
        .post('/api/send-message')
        .set('Authorization', `Bearer ${key}`)
        .send({
          instance_id: instanceId,
          phone: `+6281234500${10 + i}`,
          message: VIOLATION,
          message_purpose: 'transactional',
        });
      assert.ok([403, 423].includes(res.status), JSON.stringify(res.body));
    }
  };
  const isPaused = async () => Boolean((await ctx.container.instanceStore.get(instanceId))?.paused);

  it('anonymous visitors and customer API keys are sent to the login page', async () => {
    for (const p of ['/admin', '/admin/instances', `/admin/instances/${instanceId}`, '/admin/audit', '/admin/nope']) {
      const anon = await ctx.http.get(p);
      assert.equal(anon.status, 303, p);
      assert.match(String(anon.headers.location), /^\/admin\/login/);
      const customer = await ctx.http.get(p).set('Authorization', `Bearer ${key}`);
      assert.equal(customer.status, 303, p);
    }
    const first = await ctx.http.get('/admin');
    assert.equal(first.headers.location, '/admin/login?next=%2Fadmin');
    const post = await ctx.http.post(`/admin/instances/${instanceId}/pause`).type('form').send('reason=spam');
    assert.equal(post.status, 303);
    assert.equal(post.headers.location, '/admin/login');
    assert.equal(await isPaused(), false);
    // The JSON API still answers in JSON, never with the console's pages.
    const api = await ctx.http.get('/admin/api/nope');
    assert.equal(api.status, 404);
    assert.equal(api.body.error, 'not_found');
    const apiCustomer = await ctx.http.get('/admin/api/instances').set('Authorization', `Bearer ${key}`);
    assert.equal(apiCustomer.status, 401);
    assert.equal(apiCustomer.body.error, 'invalid_admin_token');
  });

  it('login sets an HttpOnly, SameSite=Strict, Path=/admin session cookie stored only as a hash', async () => {
    const res = await submitLogin(ctx.http, { token: ADMIN_TOKEN, name: 'Rina', next: '/admin/audit' });
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, '/admin/audit');
    const header = setCookieHeader(res, 'warden_admin');
    assert.ok(header);
    assert.match(header, /; Path=\/admin/);
    assert.match(header, /; HttpOnly/);
    assert.match(header, /; SameSite=Strict/);
    assert.match(header, /; Max-Age=28800/);
    assert.doesNotMatch(header, /Secure/, 'plain http: no Secure flag');
    const value = cookieFrom(res, 'warden_admin') as string;
    assert.ok(value.length >= 40);
    const rows = await ctx.container.db('admin_sessions');
    assert.equal(rows.length, 1);
    assert.ok(!JSON.stringify(rows).includes(value));
    assert.equal(rows[0].actor, 'Rina (console)');
    const page = await ctx.http.get('/admin').set('Cookie', `warden_admin=${value}`);
    assert.equal(page.status, 200);
    assert.match(String(page.headers['content-type']), /text\/html/);
    assert.match(String(page.headers['content-security-policy']), /default-src 'none'/);
    assert.equal(page.headers['cache-control'], 'no-store');
    assert.match(page.text, /Rina \(console\)/);
    // Off-site "next" targets are ignored.
    const evil = await submitLogin(ctx.http, { token: ADMIN_TOKEN, next: 'https://evil.example/' });
    assert.equal(evil.headers.location, '/admin');
    const evil2 = await submitLogin(ctx.http, { token: ADMIN_TOKEN, next: '//evil.example/admin' });
    assert.equal(evil2.headers.location, '/admin');
  });

  it('a wrong token or a customer API key does not sign in; the login form needs its CSRF token', async () => {
    const wrong = await submitLogin(ctx.http, { token: 'not-the-token' });
    assert.equal(wrong.status, 401);
    assert.match(wrong.text, /That admin token is not valid\./);
    assert.equal(cookieFrom(wrong, 'warden_admin'), null);
    const customer = await submitLogin(ctx.http, { token: key });
    assert.equal(customer.status, 401);
    const noCsrf = await submitLogin(ctx.http, { token: ADMIN_TOKEN, withCsrf: false });
    assert.equal(noCsrf.status, 403);
    assert.equal(cookieFrom(noCsrf, 'warden_admin'), null);
    const noCookie = await ctx.http.post('/admin/login').type('form').send(`token=${ADMIN_TOKEN}&_csrf=abc`);
    assert.equal(noCookie.status, 403);
  });

  it('login is rate-limited: after 5 failures a minute, even the right token gets 429', async () => {
    for (let i = 0; i < 5; i += 1) {
      const res = await submitLogin(ctx.http, { token: `wrong-${i}` });
      assert.equal(res.status, 401, `attempt ${i + 1}`);
    }
    const locked = await submitLogin(ctx.http, { token: 'wrong-again' });
    assert.equal(locked.status, 429);
    assert.ok(Number(locked.headers['retry-after']) >= 1);
    assert.match(locked.text, /Too many sign-in attempts/);
    const right = await submitLogin(ctx.http, { token: ADMIN_TOKEN });
    assert.equal(right.status, 429);
    assert.equal(cookieFrom(right, 'warden_admin'), null);
  });

  it('the dashboard lists paused instances first with evidence and the decision log, all escaped', async () => {
    const other = await ctx.createConnectedInstance(key, '<script>alert(1)</script>');
    await violate(9);
    assert.equal(await isPaused(), true);
    await ctx.admin('post', `/admin/api/instances/${other}/pause`, { reason: '<img src=x onerror=alert(1)>' });
    const s = await consoleLogin(ctx.http);
    const page = await s.get('/admin');
    assert.equal(page.status, 200);
    const html = page.text;
    assert.ok(html.indexOf('Paused for review') < html.indexOf('Recent admin actions'));
    assert.match(html, /Repeated policy violations within 24 hours/);
    assert.match(html, /3 sends refused as policy violations in the last 24 h \(threshold 3\)/);
    assert.match(html, /marketing_terms/);
    assert.match(html, /\+628\*{4}\d{3}/, 'masked sample numbers');
    assert.doesNotMatch(html, /\+62812345\d{4}/, 'no full recipient numbers');
    assert.match(html, /policy_violation/);
    assert.ok(!html.includes('<script>alert(1)</script>'));
    assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
    assert.ok(!html.includes('<img src=x onerror=alert(1)>'));
    assert.ok(html.includes('&lt;img src&#x3D;x onerror&#x3D;alert(1)&gt;'));
    assert.equal((html.match(/class="card paused"/g) ?? []).length, 2);
    // Every form carries the session's CSRF token.
    const forms = html.match(/<form method="post"[\s\S]*?<\/form>/g) ?? [];
    assert.ok(forms.length >= 5);
    for (const f of forms) assert.ok(f.includes(`name="_csrf" value="${s.csrf}"`), f.slice(0, 120));
  });

  it('resume and keep-paused require a note and the CSRF token; both are audited with who', async () => {
    await violate(9);
    const s = await consoleLogin(ctx.http, 'Rina');
    const noCsrf = await s.post(`/admin/instances/${instanceId}/resume`, { note: 'Looks fine now' });
    assert.equal(noCsrf.status, 403);
    assert.match(noCsrf.text, /security token/);
    const wrongCsrf = await s.post(`/admin/instances/${instanceId}/resume`, { note: 'Looks fine', _csrf: 'x'.repeat(43) });
    assert.equal(wrongCsrf.status, 403);
    const noNote = await s.post(`/admin/instances/${instanceId}/resume`, { _csrf: s.csrf, note: '  ' });
    assert.equal(noNote.status, 422);
    assert.match(noNote.text, /\/note/);
    assert.equal(await isPaused(), true);

    const keep = await s.post(`/admin/instances/${instanceId}/keep-paused`, {
      _csrf: s.csrf,
      note: 'Promo texts confirmed; asked the customer to explain',
    });
    assert.equal(keep.status, 303);
    assert.equal(await isPaused(), true);
    const resume = await s.post(`/admin/instances/${instanceId}/resume`, {
      _csrf: s.csrf,
      note: 'Customer removed the promo template',
    });
    assert.equal(resume.status, 303);
    assert.equal(resume.headers.location, '/admin?notice=resumed');
    assert.equal(await isPaused(), false);
    const after = await s.get('/admin?notice=resumed');
    assert.match(after.text, /No instance is waiting for review/);
    assert.match(after.text, /The instance was resumed/);
    const audit = await ctx.admin('get', `/admin/api/audit?target_id=${instanceId}`);
    const byAction = Object.fromEntries(
      audit.body.entries.map((e: { action: string; actor: string; note: string }) => [e.action, e]),
    );
    assert.equal(byAction['instance.resumed'].actor, 'Rina (console)');
    assert.equal(byAction['instance.resumed'].note, 'Customer removed the promo template');
    assert.equal(byAction['instance.kept_paused'].note, 'Promo texts confirmed; asked the customer to explain');
    const types = (await ctx.container.db('events').where({ instance_id: instanceId }).select('type')).map((r) => r.type);
    assert.ok(types.includes('instance.paused') && types.includes('instance.resumed'));
  });

  it('manual pause with a reason; pausing twice says there is nothing to do', async () => {
    const s = await consoleLogin(ctx.http);
    const detail = await s.get(`/admin/instances/${instanceId}`);
    assert.equal(detail.status, 200);
    assert.match(detail.text, /Pause instance/);
    const noReason = await s.post(`/admin/instances/${instanceId}/pause`, { _csrf: s.csrf, reason: '' });
    assert.equal(noReason.status, 422);
    const ok = await s.post(`/admin/instances/${instanceId}/pause`, { _csrf: s.csrf, reason: 'Complaints from recipients' });
    assert.equal(ok.status, 303);
    assert.equal(await isPaused(), true);
    const again = await s.post(`/admin/instances/${instanceId}/pause`, { _csrf: s.csrf, reason: 'again' });
    assert.equal(again.status, 409);
    assert.match(again.text, /already paused/);
    const inst = await ctx.http.get(`/api/instances/${instanceId}`).set('Authorization', `Bearer ${key}`);
    assert.equal(inst.body.instance.pause.reason, 'Complaints from recipients');
    const audit = await ctx.admin('get', `/admin/api/audit?target_id=${instanceId}&action=instance.paused`);
    assert.equal(audit.body.entries[0].actor, 'Rina (console)');
    const missing = await s.post('/admin/instances/inst_missing/pause', { _csrf: s.csrf, reason: 'x y z' });
    assert.equal(missing.status, 404);
  });

  it('accounts: list, detail, and reviewed overrides need who and why', async () => {
    const s = await consoleLogin(ctx.http);
    const list = await s.get('/admin/accounts');
    assert.match(list.text, /Toko Maju/);
    const detail = await s.get(`/admin/accounts/${accountId}`);
    assert.equal(detail.status, 200);
    assert.match(detail.text, /Support line/);
    const base = { _csrf: s.csrf, plan: 'growth', plan_active: 'on', modules: ['api', 'threecx'], timezone: 'Asia/Jakarta' };
    const missingWhy = await s.post(`/admin/accounts/${accountId}`, { ...base, daily_limit_override: '800' });
    assert.equal(missingWhy.status, 422);
    assert.match(missingWhy.text, /override_reason/);
    const saved = await s.post(`/admin/accounts/${accountId}`, {
      ...base,
      daily_limit_override: '800',
      override_reason: 'Ramadan order peak',
      override_approved_by: 'rina@compliance',
    });
    assert.equal(saved.status, 303);
    const acc = await ctx.admin('get', `/admin/api/accounts/${accountId}`);
    assert.deepEqual(
      {
        plan: acc.body.account.plan,
        modules: acc.body.account.modules,
        tz: acc.body.account.timezone,
        daily: acc.body.account.limits.daily,
        by: acc.body.account.override_approved_by,
      },
      { plan: 'growth', modules: ['api', 'threecx'], tz: 'Asia/Jakarta', daily: 800, by: 'rina@compliance' },
    );
    // Saving again without touching the override does not need a new approval.
    const resave = await s.post(`/admin/accounts/${accountId}`, { ...base, daily_limit_override: '800', plan_active: '' });
    assert.equal(resave.status, 303);
    const after = await ctx.admin('get', `/admin/api/accounts/${accountId}`);
    assert.equal(after.body.account.plan_active, false);
    assert.equal(after.body.account.override_reason, 'Ramadan order peak');
    const page = await s.get(`/admin/accounts/${accountId}`);
    assert.match(page.text, /Ramadan order peak/);
    assert.match(page.text, /rina@compliance/);
    const audit = await ctx.admin('get', `/admin/api/audit?target_id=${accountId}&action=account.updated`);
    assert.equal(audit.body.entries.length, 2);
    assert.equal(audit.body.entries[1].note, 'Ramadan order peak');
    assert.equal(audit.body.entries[1].actor, 'Rina (console)');
  });

  it('suppressions: block a number for one account or gateway-wide, and lift it', async () => {
    const s = await consoleLogin(ctx.http);
    const global = await s.post('/admin/suppressions', { _csrf: s.csrf, phone: '+62 812-9999-0001', account_id: '', note: 'Fraud reports' });
    assert.equal(global.status, 303);
    const scoped = await s.post('/admin/suppressions', { _csrf: s.csrf, phone: '+966500000002', account_id: accountId });
    assert.equal(scoped.status, 303);
    const bad = await s.post('/admin/suppressions', { _csrf: s.csrf, phone: 'not a number', account_id: '' });
    assert.equal(bad.status, 422);
    const page = await s.get('/admin/suppressions');
    assert.match(page.text, /\+6281299990001/);
    assert.match(page.text, /gateway-wide/);
    assert.match(page.text, /\+966500000002/);
    const send = await ctx.http
      .post('/api/send-message')
      .set('Authorization', `Bearer ${key}`)
      .send({ instance_id: instanceId, phone: '+6281299990001', message: 'Your order shipped.', message_purpose: 'transactional' });
    assert.equal(send.status, 403);
    assert.equal(send.body.error, 'recipient_suppressed');
    const lift = await s.post('/admin/suppressions/remove', { _csrf: s.csrf, phone: '+6281299990001', account_id: '' });
    assert.equal(lift.status, 303);
    assert.equal(lift.headers.location, '/admin/suppressions?notice=suppression_removed');
    const audit = await ctx.admin('get', '/admin/api/audit?action=suppression.added');
    assert.equal(audit.body.entries.length, 2);
    const removed = await ctx.admin('get', '/admin/api/audit?action=suppression.removed');
    assert.equal(removed.body.entries[0].actor, 'Rina (console)');
  });

  it('webhook health shows disabled and failing endpoints first', async () => {
    const now = clock.now().getTime();
    const base = {
      account_id: accountId,
      instance_id: null,
      integration_id: null,
      events: JSON.stringify(['message.received']),
      secret: 'whsec_test',
      created_at: now,
      updated_at: now,
    };
    await ctx.container.db('webhook_endpoints').insert([
      { ...base, id: 'whe_ok', destination_url: 'https://crm.example/ok', enabled: true, consecutive_failures: 0 },
      { ...base, id: 'whe_failing', destination_url: 'https://crm.example/failing', enabled: true, consecutive_failures: 4 },
      {
        ...base,
        id: 'whe_disabled',
        destination_url: 'https://crm.example/gone',
        enabled: false,
        disabled_reason: 'consecutive_failures',
        disabled_at: now,
        consecutive_failures: 10,
      },
    ]);
    const s = await consoleLogin(ctx.http);
    const page = await s.get('/admin/webhooks');
    assert.equal(page.status, 200);
    const order = ['whe_disabled', 'whe_failing', 'whe_ok'].map((id) => page.text.indexOf(id));
    assert.ok(order[0]! > 0 && order[0]! < order[1]! && order[1]! < order[2]!, JSON.stringify(order));
    assert.match(page.text, /consecutive_failures/);
    const dash = await s.get('/admin');
    assert.match(dash.text, /webhooks disabled/);
    const api = await ctx.admin('get', '/admin/api/webhook-endpoints?health=disabled');
    assert.deepEqual(
      api.body.endpoints.map((e: { id: string }) => e.id),
      ['whe_disabled'],
    );
  });

  it('the audit log page and the decision log page', async () => {
    await violate(3);
    const s = await consoleLogin(ctx.http);
    const audit = await s.get('/admin/audit');
    assert.match(audit.text, /admin\.signed_in/);
    assert.match(audit.text, /instance\.slowed/);
    const decisions = await s.get(`/admin/decisions?instance_id=${instanceId}&outcome=blocked`);
    assert.equal(decisions.status, 200);
    assert.equal((decisions.text.match(/policy_violation/g) ?? []).length >= 3, true);
    const detail = await s.get(`/admin/instances/${instanceId}`);
    assert.match(detail.text, /slowed ×0\.5/);
    assert.match(detail.text, /policy_violations/);
  });

  it('logout, token rotation and expiry end the session', async () => {
    let s: ConsoleSession = await consoleLogin(ctx.http);
    const out = await s.post('/admin/logout', { _csrf: s.csrf });
    assert.equal(out.status, 303);
    assert.match(String(setCookieHeader(out, 'warden_admin')), /Max-Age=0/);
    assert.equal((await s.get('/admin')).status, 303);

    s = await consoleLogin(ctx.http);
    ctx.container.setAdminToken('rotated-token-0123456789abcdef0123');
    assert.equal((await s.get('/admin')).status, 303, 'a rotated token ends console sessions');
    ctx.container.setAdminToken(ADMIN_TOKEN);

    s = await consoleLogin(ctx.http);
    clock.advance(8 * 3600_000 + 1);
    assert.equal((await s.get('/admin')).status, 303, 'sessions expire after 8 hours');
    const page = await ctx.http.get('/admin/login');
    assert.ok(csrfOf(page.text));
  });

  it('templates never use triple-stash (escaping stays on)', () => {
    const dir = path.resolve('templates/admin');
    const files = fs
      .readdirSync(dir, { recursive: true })
      .map(String)
      .filter((f) => f.endsWith('.hbs'));
    assert.ok(files.length >= 10);
    for (const f of files) {
      const text = fs.readFileSync(path.join(dir, f), 'utf8');
      assert.ok(!text.includes('{{{'), `${f} uses {{{`);
      assert.ok(!/\{\{&/.test(text), `${f} uses {{&`);
    }
  });
});
