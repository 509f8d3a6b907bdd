import assert from 'node:assert/strict';
import { ManualClock } from '../../src/lib/clock.ts';
import { type ConsoleSession, consoleLogin } from '../support/admin-console.ts';
import { createTestContext, generousThrottles, type TestContext } from '../support/test-app.ts';

/**
 * Day-one console actions over HTTP: what each form does, what it refuses (and that a refusal
 * changes nothing), and the audit entry with the admin's note. The browser test drives the
 * happy path in Chromium; this file covers the edges.
 */
describe('console onboarding actions (/admin)', () => {
  let ctx: TestContext;
  let s: ConsoleSession;
  let accountId: string;

  beforeEach(async () => {
    ctx = await createTestContext({ clock: new ManualClock('2026-05-08T08:00:00Z'), policies: generousThrottles });
    s = await consoleLogin(ctx.http, 'Rina');
    const created = await s.post('/admin/accounts', {
      _csrf: s.csrf,
      name: 'Acme',
      plan: 'starter',
      timezone: 'Asia/Jakarta',
      modules: ['api', 'threecx'],
      note: 'Signed contract #2291',
    });
    assert.equal(created.status, 303, created.text);
    accountId = /\/admin\/accounts\/(acc_[^?]+)\?notice=account_created/.exec(String(created.headers.location))?.[1] as string;
    assert.ok(accountId);
  });
  afterEach(() => ctx.close());

  const lastAudit = async (targetId: string) => (await ctx.container.audit.list({ limit: 1, targetId }))[0];

  it('creates an account with plan, modules and time zone, audited with the note; refuses bad input and missing CSRF', async () => {
    const account = await ctx.container.accounts.get(accountId);
    assert.deepEqual(
      [account?.name, account?.plan, account?.modules, account?.timezone],
      ['Acme', 'starter', ['api', 'threecx'], 'Asia/Jakarta'],
    );
    const audit = await lastAudit(accountId);
    assert.deepEqual([audit?.action, audit?.actor, audit?.note], ['account.created', 'Rina (console)', 'Signed contract #2291']);

    const before = (await ctx.container.accounts.list()).length;
    const bad = await s.post('/admin/accounts', { _csrf: s.csrf, name: 'Beta', plan: 'platinum', timezone: 'Mars/Olympus' });
    assert.equal(bad.status, 422);
    assert.match(bad.text, /Please check the form/);
    const noCsrf = await s.post('/admin/accounts', { name: 'Gamma', plan: 'starter' });
    assert.equal(noCsrf.status, 403);
    assert.equal((await ctx.container.accounts.list()).length, before, 'nothing created');

    // Two accounts named "Acme": every place that lists accounts adds the id.
    const twin = await s.post('/admin/accounts', { _csrf: s.csrf, name: 'Acme', plan: 'starter' });
    const twinId = String(twin.headers.location).split('/')[3]?.split('?')[0];
    const page = await s.get('/admin/suppressions');
    assert.ok(page.text.includes(`Acme (${accountId})`) && page.text.includes(`Acme (${twinId})`));
    // Edit with a reviewed override: reason and approver required, the note audited.
    const noReason = await s.post(`/admin/accounts/${accountId}`, { _csrf: s.csrf, plan: 'starter', daily_limit_override: '900', modules: 'api' });
    assert.equal(noReason.status, 422);
    const saved = await s.post(`/admin/accounts/${accountId}`, {
      _csrf: s.csrf,
      plan: 'growth',
      plan_active: 'on',
      modules: 'api',
      timezone: 'Asia/Jakarta',
      daily_limit_override: '900',
      override_reason: 'Seasonal peak, reviewed',
      override_approved_by: 'Dewi',
      note: 'Call with the customer',
    });
    assert.equal(saved.status, 303, saved.text);
    const updated = await lastAudit(accountId);
    assert.deepEqual([updated?.action, updated?.note], ['account.updated', 'Call with the customer']);
    assert.equal((await ctx.container.accounts.get(accountId))?.dailyLimitOverride, 900);
  });

  it('shows a new API key once and revokes it with a note', async () => {
    const created = await s.post(`/admin/accounts/${accountId}/keys`, { _csrf: s.csrf, name: 'erp', note: 'For the ERP team' });
    assert.equal(created.status, 201);
    assert.equal(created.headers['cache-control'], 'no-store');
    const key = /data-new-key>(wdn_[^<]+)</.exec(created.text)?.[1] as string;
    assert.ok(key);
    const [info] = await ctx.container.apiKeys.list(accountId);
    assert.ok(info && key.startsWith(info.prefix));
    assert.deepEqual([(await lastAudit(accountId))?.action, (await lastAudit(accountId))?.note], ['api_key.created', 'For the ERP team']);
    const page = await s.get(`/admin/accounts/${accountId}`);
    assert.ok(!page.text.includes(key), 'never shown again');
    assert.equal((await s.post(`/admin/accounts/${accountId}/keys`, { _csrf: s.csrf, name: '' })).status, 422);

    assert.equal((await s.post(`/admin/accounts/${accountId}/keys/key_nope/revoke`, { _csrf: s.csrf, note: 'x' })).status, 404);
    const revoked = await s.post(`/admin/accounts/${accountId}/keys/${info.id}/revoke`, { _csrf: s.csrf, note: 'Leaked in a ticket' });
    assert.equal(revoked.status, 303);
    assert.equal(revoked.headers.location, `/admin/accounts/${accountId}?notice=key_revoked#keys`);
    const audit = await lastAudit(accountId);
    assert.deepEqual([audit?.action, audit?.note, audit?.detail?.key_id], ['api_key.revoked', 'Leaked in a ticket', info.id]);
    const send = await ctx.http.get('/api/quota').set('Authorization', `Bearer ${key}`);
    assert.equal(send.status, 401);
    assert.equal(send.body.error, 'revoked_api_key');
  });

  it('links a number: QR page, live state, pairing code, then disconnect and destroy only when confirmed', async () => {
    const created = await s.post(`/admin/accounts/${accountId}/instances`, { _csrf: s.csrf, name: 'Front desk', note: 'Onboarding' });
    assert.equal(created.status, 303);
    const id = /\/admin\/instances\/(inst_[^/]+)\/link$/.exec(String(created.headers.location))?.[1] as string;
    assert.ok(id);
    assert.deepEqual([(await lastAudit(id))?.action, (await lastAudit(id))?.note], ['instance.created', 'Onboarding']);
    const link = await s.get(`/admin/instances/${id}/link`);
    assert.equal(link.status, 200);
    assert.match(link.text, /<img data-qr alt="QR code to link this WhatsApp number" src="data:image\/png;base64,/);
    assert.match(link.text, /<script src="\/admin\/assets\/console\.js" defer><\/script>/);
    assert.match(String(link.headers['content-security-policy']), /script-src 'self'; connect-src 'self'/);

    const state = await s.get(`/admin/instances/${id}/link-state`);
    assert.equal(state.body.state, 'qr_generated');
    assert.match(state.body.qr.png_data_url, /^data:image\/png;base64,/);
    assert.equal(state.body.qr.expires_at, '2026-05-08T08:01:00.000Z');
    assert.equal((await ctx.http.get(`/admin/instances/${id}/link-state`)).status, 303, 'no session, no state');

    const paired = await s.post(`/admin/instances/${id}/pairing-code`, { _csrf: s.csrf, phone: '+62 812 3456 7890' });
    assert.equal(paired.status, 200);
    assert.match(paired.text, /data-pairing-code>[A-Z0-9]{4}-[A-Z0-9]{4}</);
    const pairingAudit = await lastAudit(id);
    assert.equal(pairingAudit?.action, 'instance.pairing_code_requested');
    assert.equal(pairingAudit?.detail?.phone, '+628****890', 'the number is masked in the audit log');

    await ctx.sandbox?.scan(id);
    assert.equal((await s.get(`/admin/instances/${id}/link-state`)).body.state, 'connected');

    const wrong = await s.post(`/admin/instances/${id}/disconnect`, { _csrf: s.csrf, confirm: 'front desk', note: 'x' });
    assert.equal(wrong.status, 422);
    assert.match(wrong.text, /type the instance name &quot;Front desk&quot; exactly to confirm/);
    assert.equal((await ctx.container.instanceStore.get(id))?.state, 'connected', 'nothing happened');
    const dc = await s.post(`/admin/instances/${id}/disconnect`, { _csrf: s.csrf, confirm: 'Front desk', note: 'Phone replaced' });
    assert.equal(dc.status, 303);
    assert.equal((await ctx.container.instanceStore.get(id))?.state, 'disconnected');
    assert.deepEqual([(await lastAudit(id))?.action, (await lastAudit(id))?.note], ['instance.disconnected', 'Phone replaced']);

    const destroyed = await s.post(`/admin/instances/${id}/destroy`, { _csrf: s.csrf, confirm: 'Front desk', note: 'Line closed' });
    assert.equal(destroyed.status, 303);
    assert.equal(destroyed.headers.location, '/admin/instances?notice=destroyed');
    assert.equal((await ctx.container.instanceStore.get(id))?.state, 'destroyed');
    assert.deepEqual([(await lastAudit(id))?.action, (await lastAudit(id))?.note], ['instance.destroyed', 'Line closed']);
    assert.equal((await s.get(`/admin/instances/${id}/link`)).status, 404);
  });

  it('filters the decision log by account, outcome, code and date range', async () => {
    const other = await ctx.createAccount({ name: 'Other' });
    const key = (await s.post(`/admin/accounts/${accountId}/keys`, { _csrf: s.csrf, name: 'erp' })).text.match(/data-new-key>(wdn_[^<]+)</)?.[1] as string;
    const mine = await ctx.createConnectedInstance(key, 'Mine');
    const theirs = await ctx.createConnectedInstance(other.key, 'Theirs');
    const send = (k: string, instance: string, purpose: string) =>
      ctx.http
        .post('/api/send-message')
        .set('Authorization', `Bearer ${k}`)
        .send({ instance_id: instance, phone: '+6281234567890', message: 'Your order #1029 has shipped.', message_purpose: purpose });
    assert.equal((await send(key, mine, 'transactional')).status, 200);
    assert.equal((await send(key, mine, 'marketing')).status, 422);
    assert.equal((await send(other.key, theirs, 'transactional')).status, 200);
    const logs = async (query: string) =>
      [...(await s.get(`/admin/decisions?${query}`)).text.matchAll(/<tr data-log="(\d+)">/g)].map((m) => Number(m[1]));
    assert.deepEqual(await logs(''), [3, 2, 1]);
    assert.deepEqual(await logs(`account_id=${accountId}`), [2, 1]);
    assert.deepEqual(await logs(`account_id=${accountId}&outcome=allowed`), [1]);
    assert.deepEqual(await logs('code=message_purpose_not_allowed'), [2]);
    assert.deepEqual(await logs(`instance_id=${theirs}`), [3]);
    assert.deepEqual(await logs('from=2026-05-08&to=2026-05-08'), [3, 2, 1]);
    assert.deepEqual(await logs('from=2026-05-09'), []);
    assert.deepEqual(await logs('to=2026-05-07'), []);
  });
});
