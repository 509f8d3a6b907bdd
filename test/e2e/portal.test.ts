import assert from 'node:assert/strict';
import { ManualClock } from '../../src/lib/clock.ts';
import { base32Decode, totp } from '../../src/portal/totp.ts';
import { consoleLogin, csrfOf, form, setCookieHeader } from '../support/admin-console.ts';
import {
  acceptInvite,
  adminInvite,
  PASSWORD,
  type PortalSession,
  portalLogin,
  submitPortalLogin,
} from '../support/portal.ts';
import { createTestContext, generousThrottles, type TestContext } from '../support/test-app.ts';

const SPAM = 'FLASH SALE!!! 70% OFF today only, buy now at bit.ly/xyz — limited offer, click here!';

/**
 * The customer portal over HTTP: invitations, sign-in, roles, CSRF, throttling, tenant isolation
 * (another account's objects answer 404), audit entries with the user as actor, and the admin API.
 */
describe('customer portal', function () {
  this.timeout(60_000);
  let ctx: TestContext;
  let clock: ManualClock;
  let toko: { id: string; key: string };
  let klinik: { id: string; key: string };
  let owner: PortalSession;
  let other: PortalSession;
  let tokoInstance: string;

  before(async () => {
    clock = new ManualClock('2026-05-08T08:00:00Z');
    ctx = await createTestContext({ clock, policies: generousThrottles });
    toko = await ctx.createAccount({ name: 'Toko Maju', plan: 'growth' });
    klinik = await ctx.createAccount({ name: 'Klinik Sehat' });
    tokoInstance = await ctx.createConnectedInstance(toko.key, 'Customer Service');
    owner = await acceptInvite(ctx.http, await adminInvite(ctx, toko.id, 'dewi@toko.example', 'owner'), 'Dewi');
    other = await acceptInvite(ctx.http, await adminInvite(ctx, klinik.id, 'budi@klinik.example', 'owner'), 'Budi');
  });
  after(async () => ctx?.close());

  const audits = async (action: string) =>
    (await ctx.container.audit.list({ limit: 200, action })).map((e) => ({ actor: e.actor, detail: e.detail }));

  describe('invitations', () => {
    it('admin API invites (link once) and lists users and pending invitations', async () => {
      const res = await ctx.admin('post', `/admin/api/accounts/${toko.id}/invitations`, {
        email: 'Sari@Toko.example',
        role: 'developer',
      });
      assert.equal(res.status, 201);
      assert.match(res.body.invite_path, /^\/portal\/invite\/[A-Za-z0-9_-]{43}$/);
      assert.equal(res.body.invite_url, `${new URL(res.body.invite_url).origin}${res.body.invite_path}`);
      assert.equal(res.body.invitation.email, 'sari@toko.example');
      const list = await ctx.admin('get', `/admin/api/accounts/${toko.id}/users`);
      assert.equal(list.status, 200);
      assert.deepEqual(
        list.body.users.map((u: { email: string; role: string }) => [u.email, u.role]),
        [['dewi@toko.example', 'owner']],
      );
      assert.deepEqual(list.body.invitations.map((i: { email: string }) => i.email), ['sari@toko.example']);
      assert.ok(!JSON.stringify(list.body).includes(res.body.invite_path.split('/').pop()), 'token never listed');
      const row = await ctx.container.db('account_invitations').where({ email: 'sari@toko.example' }).first();
      assert.match(row.token_hash, /^[0-9a-f]{64}$/);
      assert.ok(!row.token_hash.includes(res.body.invite_path.split('/').pop()));
    });

    it('admin API refuses a bad role, a bad e-mail, an existing user and an unknown account', async () => {
      const bad = await ctx.admin('post', `/admin/api/accounts/${toko.id}/invitations`, { email: 'x@y.example', role: 'admin' });
      assert.equal(bad.status, 422);
      assert.equal(bad.body.error, 'validation_error');
      const email = await ctx.admin('post', `/admin/api/accounts/${toko.id}/invitations`, { email: 'nope', role: 'viewer' });
      assert.equal(email.status, 422);
      assert.deepEqual(email.body.details.errors, [{ field: '/email', reason: 'must be an e-mail address' }]);
      const dup = await ctx.admin('post', `/admin/api/accounts/${klinik.id}/invitations`, { email: 'dewi@toko.example', role: 'viewer' });
      assert.equal(dup.status, 422);
      assert.deepEqual(dup.body.details.errors, [{ field: '/email', reason: 'a portal user with this e-mail address already exists' }]);
      const missing = await ctx.admin('post', '/admin/api/accounts/acc_nope/invitations', { email: 'a@b.example', role: 'viewer' });
      assert.equal(missing.status, 404);
      assert.equal(missing.body.error, 'not_found');
      const anon = await ctx.http.get(`/admin/api/accounts/${toko.id}/users`);
      assert.equal(anon.status, 401);
    });

    it('the console invites (link shown once) and lists the people of an account', async () => {
      const admin = await consoleLogin(ctx.http, 'Rina');
      const account = await admin.get(`/admin/accounts/${klinik.id}`);
      assert.match(account.text, new RegExp(`href="/admin/accounts/${klinik.id}/people"`));
      const res = await admin.post(`/admin/accounts/${klinik.id}/people`, { _csrf: admin.csrf, email: 'nia@klinik.example', role: 'developer' });
      assert.equal(res.status, 201);
      const link = /data-invite-link>https?:\/\/[^<]+(\/portal\/invite\/[A-Za-z0-9_-]{43})</.exec(res.text)?.[1];
      assert.ok(link, 'the link is on the page');
      const page = await admin.get(`/admin/accounts/${klinik.id}/people`);
      assert.match(page.text, /budi@klinik\.example/);
      assert.match(page.text, /nia@klinik\.example/);
      assert.ok(!page.text.includes(link), 'shown only once');
      const audit = (await audits('portal_user.invited')).find((e) => e.detail?.email === 'nia@klinik.example');
      assert.equal(audit?.actor, 'Rina (console)');
      await acceptInvite(ctx.http, link, 'Nia');
      const noCsrf = await admin.post(`/admin/accounts/${klinik.id}/people`, { email: 'x@klinik.example', role: 'viewer' });
      assert.equal(noCsrf.status, 403);
    });

    it('an invitation works once, checks the password and sets a Path=/portal HttpOnly SameSite cookie', async () => {
      const path = await adminInvite(ctx, toko.id, 'rudi@toko.example', 'viewer');
      const page = await ctx.http.get(path);
      assert.equal(page.status, 200);
      assert.match(page.text, /Join Toko Maju/);
      assert.match(page.text, /rudi@toko\.example/);
      const short = await ctx.http.post(path).type('form').send(form({ name: 'Rudi', password: 'short', password_confirm: 'short' }));
      assert.equal(short.status, 422);
      assert.match(short.text, /password: must be at least 10 characters/);
      const mismatch = await ctx.http
        .post(path)
        .type('form')
        .send(form({ name: 'Rudi', password: PASSWORD, password_confirm: `${PASSWORD}!` }));
      assert.equal(mismatch.status, 422);
      assert.match(mismatch.text, /The two passwords are not the same/);
      const ok = await ctx.http.post(path).type('form').send(form({ name: 'Rudi', password: PASSWORD, password_confirm: PASSWORD }));
      assert.equal(ok.status, 303);
      const cookie = setCookieHeader(ok, 'warden_portal') ?? '';
      assert.match(cookie, /; Path=\/portal; HttpOnly; SameSite=Strict; Max-Age=28800$/);
      const again = await ctx.http.post(path).type('form').send(form({ name: 'Rudi', password: PASSWORD, password_confirm: PASSWORD }));
      assert.equal(again.status, 404);
      assert.match(again.text, /This invitation link is not valid/);
      assert.equal((await ctx.http.get(path)).status, 404);
      const row = await ctx.container.db('account_users').where({ email: 'rudi@toko.example' }).first();
      assert.match(row.password_hash, /^scrypt\$14\$8\$5\$/);
      assert.ok(!String(row.password_hash).includes(PASSWORD));
      assert.deepEqual((await audits('portal_user.joined')).find((e) => e.actor === 'portal:rudi@toko.example')?.detail?.role, 'viewer');
    });

    it('concurrent acceptances of one link create exactly one user', async () => {
      const path = await adminInvite(ctx, klinik.id, 'race@klinik.example', 'viewer');
      const results = await Promise.all(
        [1, 2, 3].map(() => ctx.http.post(path).type('form').send(form({ name: 'Race', password: PASSWORD, password_confirm: PASSWORD }))),
      );
      assert.deepEqual(results.map((r) => r.status).sort(), [303, 404, 404]);
      const rows = await ctx.container.db('account_users').where({ email: 'race@klinik.example' });
      assert.equal(rows.length, 1);
    });

    it('an expired invitation is refused', async () => {
      const path = await adminInvite(ctx, klinik.id, 'late@klinik.example', 'viewer');
      clock.advance(7 * 86_400_000 + 1);
      try {
        assert.equal((await ctx.http.get(path)).status, 404);
      } finally {
        clock.set('2026-05-08T08:00:00Z');
      }
    });
  });

  describe('sign-in', () => {
    it('signs in with e-mail and password; wrong password answers 401 with the same message as an unknown e-mail', async () => {
      const s = await portalLogin(ctx.http, 'DEWI@toko.example');
      assert.match((await s.get('/portal')).text, /Toko Maju/);
      const wrong = await submitPortalLogin(ctx.http, { email: 'dewi@toko.example', password: 'not the password' });
      assert.equal(wrong.status, 401);
      assert.match(wrong.text, /Wrong e-mail address or password\./);
      const unknown = await submitPortalLogin(ctx.http, { email: 'ghost@toko.example', password: 'not the password' });
      assert.equal(unknown.status, 401);
      assert.match(unknown.text, /Wrong e-mail address or password\./);
      const noCsrf = await submitPortalLogin(ctx.http, { email: 'dewi@toko.example', password: PASSWORD, withCsrf: false });
      assert.equal(noCsrf.status, 403);
      assert.ok((await audits('portal_user.signed_in')).some((e) => e.actor === 'portal:dewi@toko.example'));
    });

    it('locks an e-mail after 5 failures for 15 minutes (429 + Retry-After), even with the right password', async () => {
      const path = await adminInvite(ctx, klinik.id, 'locked@klinik.example', 'viewer');
      await acceptInvite(ctx.http, path, 'Locked');
      for (let i = 0; i < 5; i += 1) {
        const r = await submitPortalLogin(ctx.http, { email: 'locked@klinik.example', password: `wrong-${i}-password` });
        assert.equal(r.status, 401);
      }
      const locked = await submitPortalLogin(ctx.http, { email: 'locked@klinik.example', password: PASSWORD });
      assert.equal(locked.status, 429);
      assert.match(locked.text, /Sign-in for this e-mail address is locked for \d+ seconds after 5 failed attempts\./);
      const retry = Number(locked.headers['retry-after']);
      assert.ok(retry > 800 && retry <= 900, `Retry-After ${retry}`);
    });

    it('two-step sign-in: enrol with a code, then sign-in needs a fresh code; a used code does not work twice', async () => {
      const path = await adminInvite(ctx, toko.id, 'tia@toko.example', 'developer');
      const s = await acceptInvite(ctx.http, path, 'Tia');
      assert.equal((await s.post('/portal/security/totp/start', {})).status, 303);
      const page = await s.get('/portal/security');
      const secret = /data-totp-secret>([A-Z2-7 ]+)</.exec(page.text)?.[1]?.replace(/ /g, '');
      assert.ok(secret && secret.length === 32);
      const key = base32Decode(secret);
      const bad = await s.post('/portal/security/totp/confirm', { code: '000000' === totp(key, clock.now().getTime()) ? '111111' : '000000' });
      assert.equal(bad.status, 422);
      assert.match(bad.text, /That code is not valid/);
      const code = totp(key, clock.now().getTime());
      assert.equal((await s.post('/portal/security/totp/confirm', { code })).status, 303);
      const stored = await ctx.container.db('account_users').where({ email: 'tia@toko.example' }).first();
      assert.ok(!String(stored.totp_secret).includes(secret), 'secret encrypted at rest');

      const noCode = await submitPortalLogin(ctx.http, { email: 'tia@toko.example', password: PASSWORD });
      assert.equal(noCode.status, 401);
      assert.match(noCode.text, /Enter the 6-digit code from your authenticator app\./);
      clock.advance(30_000);
      const fresh = totp(key, clock.now().getTime());
      assert.equal((await submitPortalLogin(ctx.http, { email: 'tia@toko.example', password: PASSWORD, code: fresh })).status, 303);
      const replay = await submitPortalLogin(ctx.http, { email: 'tia@toko.example', password: PASSWORD, code: fresh });
      assert.equal(replay.status, 401);
      assert.match(replay.text, /That code is not valid/);
      assert.ok((await audits('portal_user.totp_enabled')).some((e) => e.actor === 'portal:tia@toko.example'));
    });

    it('a session ends after 8 hours', async () => {
      const s = await portalLogin(ctx.http, 'budi@klinik.example');
      clock.advance(8 * 3600_000 - 1000);
      assert.equal((await s.get('/portal')).status, 200);
      clock.advance(1000);
      try {
        assert.equal((await s.get('/portal')).status, 303);
      } finally {
        clock.set('2026-05-08T08:01:00Z');
      }
    });

    it('sign-out ends the session', async () => {
      const s = await portalLogin(ctx.http, 'budi@klinik.example');
      const out = await s.post('/portal/logout', {});
      assert.equal(out.status, 303);
      const after = await s.get('/portal/keys');
      assert.equal(after.status, 303);
      assert.equal(after.headers.location, '/portal/login?next=%2Fportal%2Fkeys');
    });
  });

  describe('pages and actions', () => {
    it('creates an API key shown once, which sends through the API; revoking it answers 401 after', async () => {
      const created = await owner.post('/portal/keys', { name: 'orders backend' });
      assert.equal(created.status, 201);
      const key = /data-key aria-label="The new API key"/.test(created.text) ? /value="(wdn_[A-Za-z0-9_-]{43})"/.exec(created.text)?.[1] : undefined;
      assert.ok(key);
      const send = await ctx.request(key, 'post', '/api/send-message', {
        instance_id: tokoInstance,
        phone: '+6281234567801',
        message: 'Your order #1001 has shipped.',
        message_purpose: 'transactional',
      });
      assert.equal(send.status, 200, JSON.stringify(send.body));
      const list = await owner.get('/portal/keys');
      assert.ok(!list.text.includes(key), 'never shown again');
      const id = (await ctx.container.apiKeys.list(toko.id)).find((k) => k.name === 'orders backend')?.id as string;
      const lastUsed = new RegExp(`data-key-id="${id}">(?:(?!</tr>)[\\s\\S])*?data-last-used>([^<]*)<`).exec(list.text)?.[1];
      assert.equal(lastUsed, `${clock.now().toISOString().slice(0, 16).replace('T', ' ')} UTC`, 'last used shows the send');
      assert.equal((await owner.post(`/portal/keys/${id}/revoke`, {})).status, 303);
      const after = await ctx.request(key, 'get', '/api/instances');
      assert.equal(after.status, 401);
      assert.equal(after.body.error, 'revoked_api_key');
      const created_ = (await audits('api_key.created')).find((e) => e.detail?.name === 'orders backend');
      assert.equal(created_?.actor, 'portal:dewi@toko.example');
      assert.equal(created_?.detail?.account_id, toko.id);
      assert.equal((await audits('api_key.revoked')).find((e) => e.detail?.name === 'orders backend')?.actor, 'portal:dewi@toko.example');
    });

    it('instances: create, pairing code, paused reason, disconnect and destroy with the typed name', async () => {
      const created = await owner.post('/portal/instances', { name: 'Branch Two', default_country: 'id' });
      assert.equal(created.status, 303);
      const id = String(created.headers.location).split('/').pop() as string;
      const page = await owner.get(`/portal/instances/${id}`);
      assert.match(page.text, /data-state>qr_generated</);
      assert.match(page.text, /<img data-qr alt="QR code to link this WhatsApp number" src="data:image\/png;base64,/);
      const state = await owner.get(`/portal/instances/${id}/link-state`);
      assert.equal(state.status, 200);
      assert.equal(state.body.state, 'qr_generated');
      assert.match(state.body.qr.png_data_url, /^data:image\/png;base64,/);
      const pairing = await owner.post(`/portal/instances/${id}/pairing-code`, { phone: '0812 3456 7810' });
      assert.equal(pairing.status, 200);
      assert.match(pairing.text, /data-pairing-code>[A-Z1-9]{4}-[A-Z1-9]{4}</);
      const badPhone = await owner.post(`/portal/instances/${id}/pairing-code`, { phone: 'call me' });
      assert.equal(badPhone.status, 422);

      const paused = await ctx.admin('post', `/admin/api/instances/${id}/pause`, { reason: 'Complaints about promotional messages' });
      assert.equal(paused.status, 200, JSON.stringify(paused.body));
      const view = await owner.get(`/portal/instances/${id}`);
      assert.match(view.text, /data-pause-reason>Complaints about promotional messages</);
      assert.match((await owner.get('/portal')).text, /Branch Two<\/a> is paused for review/);

      const wrong = await owner.post(`/portal/instances/${id}/disconnect`, { confirm: 'branch two' });
      assert.equal(wrong.status, 422);
      assert.match(wrong.text, /type the instance name &quot;Branch Two&quot; exactly to confirm/);
      assert.equal((await owner.post(`/portal/instances/${id}/disconnect`, { confirm: 'Branch Two' })).status, 303);
      assert.equal((await ctx.container.instanceStore.get(id))?.state, 'disconnected');
      assert.equal((await owner.post(`/portal/instances/${id}/destroy`, { confirm: 'Branch Two' })).status, 303);
      assert.equal((await ctx.container.instanceStore.get(id))?.state, 'destroyed');
      assert.equal((await owner.get(`/portal/instances/${id}`)).status, 404);
      const actions = (await ctx.container.audit.list({ limit: 50, targetId: id }))
        .filter((e) => e.actor === 'portal:dewi@toko.example')
        .map((e) => e.action)
        .reverse();
      assert.deepEqual(actions, ['instance.created', 'instance.pairing_code_requested', 'instance.disconnected', 'instance.destroyed']);
    });

    it('inbound messages are listed and filtered', async () => {
      const r = await ctx.request(toko.key, 'post', `/api/instances/${tokoInstance}/sandbox/inbound`, { from: '+6281234567820', text: 'Is my order ready?' });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      const page = await owner.get('/portal/inbound');
      assert.match(page.text, /Is my order ready\?/);
      assert.match(page.text, /\+6281234567820/);
      assert.doesNotMatch((await owner.get('/portal/inbound?type=image')).text, /Is my order ready/);
      assert.doesNotMatch((await other.get('/portal/inbound')).text, /Is my order ready/);
    });

    it('explains a refused send: error code, rules with evidence and the classifier', async () => {
      const res = await ctx.request(toko.key, 'post', '/api/send-message', {
        instance_id: tokoInstance,
        phone: '+6281234567802',
        message: SPAM,
        message_purpose: 'transactional',
      });
      assert.equal(res.status, 403, JSON.stringify(res.body));
      assert.equal(res.body.error, 'policy_violation');
      const logId = (await ctx.container.messages.list({ accountId: toko.id, outcome: 'blocked', limit: 1 }))[0]?.id;
      const list = await owner.get('/portal/messages?outcome=blocked');
      assert.equal(list.status, 200);
      assert.match(list.text, new RegExp(`data-log="${logId}"`));
      const page = await owner.get(`/portal/messages/${logId}`);
      assert.equal(page.status, 200);
      assert.match(page.text, /Why it was refused/);
      assert.match(page.text, /<code>policy_violation<\/code>/);
      for (const rule of res.body.details.rules as string[]) assert.match(page.text, new RegExp(`<code>${rule}</code>`));
      if (res.body.details.classifier) assert.match(page.text, /data-classifier>The classifier read it as/);
      const filtered = await owner.get('/portal/messages?outcome=allowed&code=policy_violation');
      assert.doesNotMatch(filtered.text, new RegExp(`data-log="${logId}"`));
      const byDate = await owner.get('/portal/messages?from=2026-05-09');
      assert.doesNotMatch(byDate.text, /data-log=/);
    });

    it('suppressions: add and lift a customer block; a recipient STOP stays locked', async () => {
      assert.equal((await owner.post('/portal/suppressions', { phone: '+62 812-3456-7803', note: 'asked by phone' })).status, 303);
      assert.match((await owner.get('/portal/suppressions')).text, /data-phone="\+6281234567803"/);
      assert.equal((await owner.post('/portal/suppressions/remove', { phone: '+6281234567803' })).status, 303);
      await ctx.container.suppressions.add(ctx.container.db, { scope: toko.id, phone: '+6281234567804', reason: 'recipient_requested_stop' });
      const locked = await owner.post('/portal/suppressions/remove', { phone: '+6281234567804' });
      assert.equal(locked.status, 403);
      assert.match(locked.text, /suppression_locked/);
      assert.ok(await ctx.container.suppressions.find(toko.id, '+6281234567804'));
      assert.equal((await audits('suppression.added')).at(0)?.actor, 'portal:dewi@toko.example');
    });

    it('3CX settings: shown and switched when the module is on; 404 otherwise', async () => {
      const pabx = await ctx.createAccount({ name: 'Pabx Co', modules: ['api', 'threecx'] });
      const line = await ctx.createConnectedInstance(pabx.key, 'PBX line');
      const created = await ctx.request(pabx.key, 'post', '/api/integrations/3cx', { instance_id: line, business_name: 'Pabx Co' });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const id = created.body.integration.id as string;
      const s = await acceptInvite(ctx.http, await adminInvite(ctx, pabx.id, 'ops@pabx.example', 'developer'), 'Ops');
      const page = await s.get('/portal/3cx');
      assert.equal(page.status, 200);
      assert.match(page.text, new RegExp(`/integrations/3cx/webhook/${id}`));
      assert.match(page.text, /href="\/portal\/3cx"/, 'in the nav');
      const saved = await s.post(`/portal/3cx/${id}`, { business_name: 'Pabx Co HQ', window_hours: '12', outbound_enabled: 'on', strict_window: 'on' });
      assert.equal(saved.status, 303, saved.text);
      assert.equal(saved.headers.location, '/portal/3cx?notice=threecx_saved');
      const after = (await ctx.request(pabx.key, 'get', `/api/integrations/3cx/${id}`)).body.integration;
      assert.deepEqual(
        [after.enabled, after.outbound_enabled, after.call_events_enabled, after.strict_window, after.window_hours, after.business_name],
        [false, true, false, true, 12, 'Pabx Co HQ'],
      );
      assert.equal((await audits('threecx.updated')).at(0)?.actor, 'portal:ops@pabx.example');
      const bad = await s.post(`/portal/3cx/${id}`, { window_hours: 'soon' });
      assert.equal(bad.status, 422, `${bad.headers.location} ${bad.text}`);
      assert.equal((await owner.get('/portal/3cx')).status, 404, 'module off for Toko');
      assert.doesNotMatch((await owner.get('/portal')).text, /href="\/portal\/3cx"/);
      assert.equal((await owner.post(`/portal/3cx/${id}`, { enabled: 'on' })).status, 404);
    });

    it('owners invite, change roles and remove people; the last owner stays', async () => {
      const invited = await owner.post('/portal/users/invite', { email: 'vina@toko.example', role: 'viewer' });
      assert.equal(invited.status, 201);
      const link = /data-invite-link aria-label="Invitation link"/.test(invited.text) ? /value="https?:\/\/[^/]+(\/portal\/invite\/[^"]+)"/.exec(invited.text)?.[1] : undefined;
      assert.ok(link);
      const vina = await acceptInvite(ctx.http, link, 'Vina');
      const me = (await ctx.container.portalUsers.list(toko.id)).find((u) => u.email === 'dewi@toko.example');
      const demote = await owner.post(`/portal/users/${me?.id}/role`, { role: 'developer' });
      assert.equal(demote.status, 409);
      assert.match(demote.text, /An account keeps at least one owner\./);
      const vinaId = (await ctx.container.portalUsers.list(toko.id)).find((u) => u.email === 'vina@toko.example')?.id as string;
      assert.equal((await owner.post(`/portal/users/${vinaId}/role`, { role: 'developer' })).status, 303);
      assert.equal((await owner.post(`/portal/users/${vinaId}/role`, { role: 'viewer' })).status, 303);
      assert.equal((await owner.post(`/portal/users/${vinaId}/remove`, {})).status, 303);
      assert.equal((await vina.get('/portal')).status, 303, 'removed user is signed out');
      const changed = await audits('portal_user.role_changed');
      assert.deepEqual(changed.slice(0, 2).map((e) => [e.actor, e.detail?.to]), [
        ['portal:dewi@toko.example', 'viewer'],
        ['portal:dewi@toko.example', 'developer'],
      ]);
    });
  });

  describe('roles and isolation', () => {
    it('a viewer sees but cannot change anything (no forms, 403 on every change)', async () => {
      const viewer = await acceptInvite(ctx.http, await adminInvite(ctx, toko.id, 'vera@toko.example', 'viewer'), 'Vera');
      for (const path of ['/portal', '/portal/instances', `/portal/instances/${tokoInstance}`, '/portal/keys', '/portal/webhooks', '/portal/suppressions', '/portal/users']) {
        const page = await viewer.get(path);
        assert.equal(page.status, 200, path);
        const actions = [...page.text.matchAll(/<form method="post" action="([^"]+)"/g)].map((m) => m[1]);
        assert.deepEqual(actions, ['/portal/logout'], `${path} offers only sign-out to a viewer`);
      }
      const attempts: [string, Record<string, string>][] = [
        ['/portal/keys', { name: 'x' }],
        ['/portal/instances', { name: 'Sneaky' }],
        [`/portal/instances/${tokoInstance}/disconnect`, { confirm: 'Customer Service' }],
        ['/portal/webhooks', { destination_url: 'http://127.0.0.1:9/x', events: '*' }],
        ['/portal/suppressions', { phone: '+6281234567805' }],
        ['/portal/users/invite', { email: 'x@toko.example', role: 'owner' }],
      ];
      for (const [path, fields] of attempts) {
        const r = await viewer.post(path, fields);
        assert.equal(r.status, 403, path);
        assert.match(r.text, /You are a viewer of this account\./);
      }
      assert.equal((await ctx.container.instanceStore.get(tokoInstance))?.state, 'connected');
      assert.equal((await ctx.container.apiKeys.list(toko.id)).filter((k) => k.name === 'x').length, 0);
    });

    it('a developer manages keys but not people', async () => {
      const dev = await acceptInvite(ctx.http, await adminInvite(ctx, toko.id, 'dev2@toko.example', 'developer'), 'Dev');
      assert.equal((await dev.post('/portal/keys', { name: 'dev key' })).status, 201);
      const r = await dev.post('/portal/users/invite', { email: 'y@toko.example', role: 'viewer' });
      assert.equal(r.status, 403);
      assert.match(r.text, /Only an owner manages people\./);
    });

    it("another account's objects answer 404 to read and to change", async () => {
      const hook = await owner.post('/portal/webhooks', { destination_url: 'http://127.0.0.1:9/hook', events: '*' });
      assert.equal(hook.status, 201);
      const hookId = (await ctx.container.webhooks.list(toko.id, { limit: 10, offset: 0 }))[0]?.id as string;
      const keyId = (await ctx.container.apiKeys.list(toko.id))[0]?.id as string;
      const logId = (await ctx.container.messages.list({ accountId: toko.id, limit: 1 }))[0]?.id;
      for (const path of [`/portal/instances/${tokoInstance}`, `/portal/instances/${tokoInstance}/link-state`, `/portal/webhooks/${hookId}`, `/portal/messages/${logId}`]) {
        const r = await other.get(path);
        assert.equal(r.status, 404, path);
        assert.doesNotMatch(r.text, /Customer Service|Toko Maju/);
      }
      assert.match((await other.get(`/portal/instances/${tokoInstance}`)).text, /No instance with this id exists in your account\./);
      for (const [path, fields] of [
        [`/portal/keys/${keyId}/revoke`, {}],
        [`/portal/instances/${tokoInstance}/disconnect`, { confirm: 'Customer Service' }],
        [`/portal/instances/${tokoInstance}/destroy`, { confirm: 'Customer Service' }],
        [`/portal/webhooks/${hookId}/test`, {}],
        [`/portal/webhooks/${hookId}/rotate-secret`, {}],
      ] as [string, Record<string, string>][]) {
        const r = await other.post(path, fields);
        assert.equal(r.status, 404, path);
      }
      assert.equal((await ctx.container.instanceStore.get(tokoInstance))?.state, 'connected');
      assert.equal((await ctx.container.apiKeys.get(toko.id, keyId))?.revokedAt, null);
      const lists = await Promise.all(['/portal/instances', '/portal/keys', '/portal/webhooks', '/portal/messages'].map((p) => other.get(p)));
      for (const l of lists) assert.doesNotMatch(l.text, new RegExp(`${tokoInstance}|${hookId}|${keyId}`));
    });

    it('a portal session opens neither /api nor /admin; forms without the CSRF token are refused', async () => {
      const api = await ctx.http.get('/api/instances').set('Cookie', owner.cookie);
      assert.equal(api.status, 401);
      assert.equal(api.body.error, 'invalid_api_key');
      const adminApi = await ctx.http.get('/admin/api/accounts').set('Cookie', owner.cookie);
      assert.equal(adminApi.status, 401);
      const console_ = await ctx.http.get('/admin').set('Cookie', owner.cookie);
      assert.equal(console_.status, 303);
      assert.equal(console_.headers.location, '/admin/login?next=%2Fadmin');
      const noCsrf = await ctx.http.post('/portal/keys').set('Cookie', owner.cookie).type('form').send(form({ name: 'csrf-less' }));
      assert.equal(noCsrf.status, 403);
      assert.match(noCsrf.text, /This form could not be accepted/);
      const wrong = await ctx.http.post('/portal/keys').set('Cookie', other.cookie).type('form').send(form({ _csrf: owner.csrf, name: 'cross' }));
      assert.equal(wrong.status, 403);
      assert.equal((await ctx.container.apiKeys.list(toko.id)).filter((k) => k.name.startsWith('c')).length, 0);
      const page = await owner.get('/portal/keys');
      assert.match(String(page.headers['content-security-policy']), /default-src 'none'; script-src 'self'/);
      assert.equal(page.headers['x-frame-options'], 'DENY');
      assert.equal(csrfOf(page.text), owner.csrf);
    });

    it('unknown portal pages answer an HTML 404; anonymous visitors go to sign-in', async () => {
      const missing = await owner.get('/portal/nothing-here');
      assert.equal(missing.status, 404);
      assert.match(missing.text, /Page not found/);
      const anon = await ctx.http.get('/portal/webhooks');
      assert.equal(anon.status, 303);
      assert.equal(anon.headers.location, '/portal/login?next=%2Fportal%2Fwebhooks');
    });
  });
});
