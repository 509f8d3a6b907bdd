import assert from 'node:assert/strict';
import { AUTH_FAILURES_PER_MINUTE } from '../../src/http/middleware/auth-failures.ts';
import { cookieFrom, csrfOf, form, setCookieHeader } from '../support/admin-console.ts';
import { ADMIN_TOKEN, createTestContext, type TestContext } from '../support/test-app.ts';

const WRONG = 'wrong-admin-token-0123456789abcdef';

/**
 * One failed-auth lock for the console and the admin API, keyed on the real client address
 * (TRUST_PROXY names the proxies whose X-Forwarded-For is believed); Secure cookie and HSTS
 * over HTTPS.
 */
describe('admin authentication behind a proxy', () => {
  let ctx: TestContext;
  afterEach(() => ctx.close());

  const adminApi = (token: string, headers: Record<string, string> = {}) => {
    const req = ctx.http.get('/admin/api/accounts').set('Authorization', `Bearer ${token}`);
    for (const [k, v] of Object.entries(headers)) req.set(k, v);
    return req;
  };
  async function login(token: string, headers: Record<string, string> = {}) {
    const page = ctx.http.get('/admin/login');
    for (const [k, v] of Object.entries(headers)) page.set(k, v);
    const p = await page;
    const post = ctx.http
      .post('/admin/login')
      .set('Cookie', `warden_login_csrf=${cookieFrom(p, 'warden_login_csrf')}`)
      .type('form');
    for (const [k, v] of Object.entries(headers)) post.set(k, v);
    return post.send(form({ token, name: 'Rina', _csrf: csrfOf(p.text) }));
  }
  function assertLocked(res: { status: number; body: Record<string, unknown>; headers: Record<string, string> }) {
    assert.equal(res.status, 429);
    assert.equal(res.body.error, 'rate_limited');
    assert.match(String(res.body.message), /^Too many failed admin token attempts from this address\. Try again in \d+ seconds\.$/);
    const retry = Number(res.headers['retry-after']);
    assert.ok(retry >= 1 && retry <= 60, `Retry-After ${retry}`);
  }

  it('wrong admin-API tokens count toward the console lock (and the reverse); the right token waits too', async () => {
    ctx = await createTestContext();
    for (let i = 0; i < AUTH_FAILURES_PER_MINUTE - 1; i++) {
      const res = await adminApi(WRONG);
      assert.equal(res.status, 401);
      assert.equal(res.body.error, 'invalid_admin_token');
    }
    const last = await login(WRONG);
    assert.equal(last.status, 401, 'the fifth failure, at the console, is still answered as wrong');
    assert.equal((await login(WRONG)).status, 429, 'then the address is locked');
    assertLocked(await adminApi(ADMIN_TOKEN));
    const consoleLocked = await login(ADMIN_TOKEN);
    assert.equal(consoleLocked.status, 429);
    assert.match(consoleLocked.text, /Too many sign-in attempts/);
    // /metrics accepts the admin token: it is behind the same lock.
    const metrics = await ctx.http.get('/metrics').set('Authorization', `Bearer ${ADMIN_TOKEN}`);
    assert.equal(metrics.status, 429);
  });

  it('without TRUST_PROXY, X-Forwarded-For is ignored: forged addresses do not escape the lock', async () => {
    ctx = await createTestContext();
    for (let i = 0; i < AUTH_FAILURES_PER_MINUTE; i++)
      await adminApi(WRONG, { 'X-Forwarded-For': `203.0.113.${i + 1}` });
    assertLocked(await adminApi(WRONG, { 'X-Forwarded-For': '198.51.100.200' }));
  });

  it('with TRUST_PROXY, one client behind the proxy locks only itself', async () => {
    ctx = await createTestContext({ env: { TRUST_PROXY: 'loopback' } });
    const attacker = { 'X-Forwarded-For': '203.0.113.5' };
    const colleague = { 'X-Forwarded-For': '198.51.100.7' };
    for (let i = 0; i < AUTH_FAILURES_PER_MINUTE; i++) await adminApi(WRONG, attacker);
    assertLocked(await adminApi(ADMIN_TOKEN, attacker));
    const ok = await adminApi(ADMIN_TOKEN, colleague);
    assert.equal(ok.status, 200, ok.text);
    const signedIn = await login(ADMIN_TOKEN, colleague);
    assert.equal(signedIn.status, 303, 'the colleague can sign in to the console');
    assert.equal((await login(ADMIN_TOKEN, attacker)).status, 429);
  });

  it('Secure session cookie and HSTS when the request came over HTTPS (as a trusted proxy says)', async () => {
    ctx = await createTestContext({ env: { TRUST_PROXY: '127.0.0.0/8,::1/128' } });
    const https = await login(ADMIN_TOKEN, { 'X-Forwarded-Proto': 'https', 'X-Forwarded-For': '198.51.100.7' });
    assert.equal(https.status, 303);
    const cookie = setCookieHeader(https, 'warden_admin') ?? '';
    assert.match(cookie, /; Secure/);
    assert.match(cookie, /HttpOnly/);
    assert.equal(https.headers['strict-transport-security'], 'max-age=31536000');
    const plain = await login(ADMIN_TOKEN, { 'X-Forwarded-For': '198.51.100.8' });
    assert.doesNotMatch(setCookieHeader(plain, 'warden_admin') ?? '', /Secure/);
    assert.equal(plain.headers['strict-transport-security'], undefined);
  });

  it('an untrusted peer cannot claim HTTPS', async () => {
    ctx = await createTestContext();
    const res = await login(ADMIN_TOKEN, { 'X-Forwarded-Proto': 'https' });
    assert.equal(res.status, 303);
    assert.doesNotMatch(setCookieHeader(res, 'warden_admin') ?? '', /Secure/);
    assert.equal(res.headers['strict-transport-security'], undefined);
  });
});
