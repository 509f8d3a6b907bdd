/**
 * The subscription API: validation, tenancy, secrets shown once, hostile destinations refused at
 * creation. No worker runs here, so nothing is ever sent anywhere.
 */
import assert from 'node:assert/strict';
import { describePublicErrors } from '../../src/errors/errors.ts';
import { EVENT_TYPES } from '../../src/events/event-types.ts';
import { createTestContext, generousThrottles, type TestContext, type HttpMethod } from '../support/test-app.ts';

const ERRORS = Object.fromEntries(describePublicErrors().map((e) => [e.code, e]));

function expectError(res: { status: number; body: Record<string, unknown> }, code: string): void {
  const spec = ERRORS[code];
  assert.ok(spec, `unknown code ${code}`);
  assert.equal(res.status, spec.status, `${code}: ${JSON.stringify(res.body)}`);
  assert.equal(res.body.success, false);
  assert.equal(res.body.error, code, JSON.stringify(res.body));
}

describe('webhook subscriptions API', () => {
  let ctx: TestContext;
  let key: string;
  let otherKey: string;
  let instanceId: string;

  const call = (k: string, method: HttpMethod, path: string, body?: unknown) => ctx.request(k, method, path, body);
  const api = (method: 'get' | 'post' | 'patch' | 'delete', path: string, body?: unknown) => call(key, method, path, body);
  const create = (body: Record<string, unknown>) => api('post', '/api/webhooks', body);
  const valid = (over: Record<string, unknown> = {}) => ({
    destination_url: 'https://crm.example.com/hooks/whatsapp',
    events: ['message.received', 'recipient.opted_out'],
    ...over,
  });

  async function setup(env: Record<string, string> = {}): Promise<void> {
    ctx = await createTestContext({ policies: generousThrottles, env });
    ({ key } = await ctx.createAccount());
    ({ key: otherKey } = await ctx.createAccount({ name: 'Other Co' }));
    instanceId = await ctx.createConnectedInstance(key, 'Main');
  }
  afterEach(() => ctx.close());

  describe('create, read, update, delete', () => {
    beforeEach(() => setup());

    it('creates a subscription and returns the signing secret once', async () => {
      const res = await create(valid({ description: 'CRM' }));
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.equal(res.body.success, true);
      assert.match(res.body.secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
      assert.equal(Buffer.from(res.body.secret.slice(6), 'base64').length, 32);
      assert.equal(res.body.webhook.secret, res.body.secret);
      const w = res.body.webhook;
      assert.match(w.id, /^wh_/);
      assert.equal(w.destination_url, 'https://crm.example.com/hooks/whatsapp');
      assert.deepEqual(w.events, ['message.received', 'recipient.opted_out']);
      assert.equal(w.instance_id, null);
      assert.equal(w.description, 'CRM');
      assert.equal(w.enabled, true);
      assert.equal(w.disabled_reason, null);
      assert.equal(w.consecutive_failures, 0);

      const get = await api('get', `/api/webhooks/${w.id}`);
      assert.equal(get.status, 200);
      assert.ok(!JSON.stringify(get.body).includes('whsec_'), 'GET never returns a secret');
      assert.equal('secret' in get.body.webhook, false);
      const list = await api('get', '/api/webhooks');
      assert.equal(list.status, 200);
      assert.deepEqual(
        list.body.webhooks.map((x: { id: string }) => x.id),
        [w.id],
      );
      assert.ok(!JSON.stringify(list.body).includes('whsec_'));
    });

    it('accepts "*" and every published event name', async () => {
      assert.equal((await create(valid({ events: ['*'] }))).status, 201);
      assert.equal((await create(valid({ events: [...EVENT_TYPES] }))).status, 201);
    });

    it('422 validation_error for bad bodies', async () => {
      for (const body of [
        {},
        { destination_url: 'https://a.example/h' },
        valid({ events: [] }),
        valid({ events: ['message.bogus'] }),
        valid({ events: ['message.sent', 'message.sent'] }),
        valid({ events: 'message.sent' }),
        valid({ destination_url: 42 }),
        valid({ surprise: true }),
        valid({ description: 'x'.repeat(201) }),
      ]) {
        const res = await create(body);
        expectError(res, 'validation_error');
        assert.ok(Array.isArray((res.body.details as { errors: unknown[] }).errors), JSON.stringify(res.body));
      }
    });

    it('instance_id must be one of the caller’s instances (404 invalid_instance)', async () => {
      const otherInstance = await ctx.createConnectedInstance(otherKey, 'Theirs');
      expectError(await create(valid({ instance_id: otherInstance })), 'invalid_instance');
      expectError(await create(valid({ instance_id: 'inst_nope' })), 'invalid_instance');
      const ok = await create(valid({ instance_id: instanceId }));
      assert.equal(ok.status, 201);
      assert.equal(ok.body.webhook.instance_id, instanceId);
      expectError(await api('patch', `/api/webhooks/${ok.body.webhook.id}`, { instance_id: otherInstance }), 'invalid_instance');
    });

    it('another account’s webhook is 404 not_found on every route', async () => {
      const { body } = await create(valid());
      const id = body.webhook.id as string;
      const since = new Date(Date.now() - 3600_000).toISOString();
      expectError(await call(otherKey, 'get', `/api/webhooks/${id}`), 'not_found');
      expectError(await call(otherKey, 'patch', `/api/webhooks/${id}`, { enabled: false }), 'not_found');
      expectError(await call(otherKey, 'delete', `/api/webhooks/${id}`), 'not_found');
      expectError(await call(otherKey, 'post', `/api/webhooks/${id}/rotate-secret`), 'not_found');
      expectError(await call(otherKey, 'post', `/api/webhooks/${id}/test`), 'not_found');
      expectError(await call(otherKey, 'get', `/api/webhooks/${id}/deliveries`), 'not_found');
      expectError(await call(otherKey, 'post', `/api/webhooks/${id}/recover`, { since }), 'not_found');
      const list = await call(otherKey, 'get', '/api/webhooks');
      assert.deepEqual(list.body.webhooks, []);
      await api('post', `/api/webhooks/${id}/test`);
      const delivery = await ctx.container.db('webhook_deliveries').where({ endpoint_id: id }).first();
      expectError(await call(otherKey, 'post', `/api/webhooks/deliveries/${delivery.id}/redeliver`), 'not_found');
      // Still there for its owner.
      assert.equal((await api('get', `/api/webhooks/${id}`)).status, 200);
    });

    it('requires an API key', async () => {
      expectError(await ctx.http.get('/api/webhooks'), 'invalid_api_key');
      expectError(
        await ctx.http.post('/api/webhooks').set('Content-Type', 'application/json').send(JSON.stringify(valid())),
        'invalid_api_key',
      );
    });

    it('PATCH updates fields, disables by hand and re-enables', async () => {
      const { body } = await create(valid());
      const id = body.webhook.id as string;
      const res = await api('patch', `/api/webhooks/${id}`, {
        destination_url: 'https://erp.example.com/in',
        events: ['message.sent'],
        description: null,
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.webhook.destination_url, 'https://erp.example.com/in');
      assert.deepEqual(res.body.webhook.events, ['message.sent']);
      const off = await api('patch', `/api/webhooks/${id}`, { enabled: false });
      assert.equal(off.body.webhook.enabled, false);
      assert.equal(off.body.webhook.disabled_reason, 'manual');
      assert.match(off.body.webhook.disabled_at, /^\d{4}-/);
      const on = await api('patch', `/api/webhooks/${id}`, { enabled: true });
      assert.equal(on.body.webhook.enabled, true);
      assert.equal(on.body.webhook.disabled_reason, null);
      assert.equal(on.body.webhook.disabled_at, null);
      expectError(await api('patch', `/api/webhooks/${id}`, {}), 'validation_error');
      expectError(await api('patch', `/api/webhooks/${id}`, { destination_url: 'http://10.0.0.1/' }), 'validation_error');
      expectError(await api('patch', `/api/webhooks/${id}`, { secret: 'whsec_x' }), 'validation_error');
    });

    it('DELETE removes it and cancels its queued deliveries', async () => {
      const { body } = await create(valid({ events: ['*'] }));
      const id = body.webhook.id as string;
      const test = await api('post', `/api/webhooks/${id}/test`);
      assert.equal(test.status, 202);
      const del = await api('delete', `/api/webhooks/${id}`);
      assert.equal(del.status, 200);
      assert.equal(del.body.deleted, true);
      expectError(await api('get', `/api/webhooks/${id}`), 'not_found');
      expectError(await api('delete', `/api/webhooks/${id}`), 'not_found');
      const row = await ctx.container.db('webhook_deliveries').where({ id: test.body.request_id }).first();
      assert.equal(row.status, 'cancelled');
      assert.deepEqual((await api('get', '/api/webhooks')).body.webhooks, []);
    });

    it('POST /test queues a webhook.test delivery and reports its request id', async () => {
      const { body } = await create(valid());
      const res = await api('post', `/api/webhooks/${body.webhook.id}/test`);
      assert.equal(res.status, 202, JSON.stringify(res.body));
      assert.match(res.body.request_id, /^[0-9a-f-]{36}$/);
      const list = await api('get', `/api/webhooks/${body.webhook.id}/deliveries`);
      assert.equal(list.status, 200);
      assert.equal(list.body.deliveries.length, 1);
      const d = list.body.deliveries[0];
      assert.equal(d.request_id, res.body.request_id);
      assert.equal(d.event, 'webhook.test');
      assert.equal(d.status, 'pending');
      assert.deepEqual(d.attempts, []);
    });

    it('deliveries: pagination and status filter are validated', async () => {
      const { body } = await create(valid());
      const id = body.webhook.id as string;
      for (let i = 0; i < 3; i++) await api('post', `/api/webhooks/${id}/test`);
      const page = await api('get', `/api/webhooks/${id}/deliveries?limit=2`);
      assert.equal(page.body.deliveries.length, 2);
      const next = await api('get', `/api/webhooks/${id}/deliveries?limit=2&offset=2`);
      assert.equal(next.body.deliveries.length, 1);
      assert.equal((await api('get', `/api/webhooks/${id}/deliveries?status=failed`)).body.deliveries.length, 0);
      assert.equal((await api('get', `/api/webhooks/${id}/deliveries?status=pending`)).body.deliveries.length, 3);
      expectError(await api('get', `/api/webhooks/${id}/deliveries?status=bogus`), 'validation_error');
      expectError(await api('get', `/api/webhooks/${id}/deliveries?limit=0`), 'validation_error');
    });

    it('redeliver: 404 for unknown ids, 409 while the delivery is still queued', async () => {
      const { body } = await create(valid());
      const test = await api('post', `/api/webhooks/${body.webhook.id}/test`);
      expectError(await api('post', '/api/webhooks/deliveries/00000000-0000-4000-8000-000000000000/redeliver'), 'not_found');
      expectError(await api('post', `/api/webhooks/deliveries/${test.body.request_id}/redeliver`), 'conflict');
    });

    it('recover: since is required, an RFC 3339 time, at most 14 days back and not in the future', async () => {
      const { body } = await create(valid());
      const id = body.webhook.id as string;
      const day = 86_400_000;
      expectError(await api('post', `/api/webhooks/${id}/recover`, {}), 'validation_error');
      expectError(await api('post', `/api/webhooks/${id}/recover`, { since: 'yesterday' }), 'validation_error');
      expectError(
        await api('post', `/api/webhooks/${id}/recover`, { since: new Date(Date.now() - 15 * day).toISOString() }),
        'validation_error',
      );
      expectError(
        await api('post', `/api/webhooks/${id}/recover`, { since: new Date(Date.now() + day).toISOString() }),
        'validation_error',
      );
      const ok = await api('post', `/api/webhooks/${id}/recover`, { since: new Date(Date.now() - 13 * day).toISOString() });
      assert.equal(ok.status, 202, JSON.stringify(ok.body));
      assert.equal(ok.body.recovered, 0);
      assert.equal(ok.body.truncated, false);
    });

    it('rotate-secret returns a new secret once and keeps the old one for 24 h by default', async () => {
      const { body } = await create(valid());
      const id = body.webhook.id as string;
      const res = await api('post', `/api/webhooks/${id}/rotate-secret`);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.match(res.body.secret, /^whsec_/);
      assert.notEqual(res.body.secret, body.secret);
      const row = await ctx.container.db('webhook_endpoints').where({ id }).first();
      assert.equal(row.previous_secret, body.secret);
      assert.equal(Number(row.previous_secret_expires_at) - ctx.clock.now().getTime(), 86_400_000);
      const get = await api('get', `/api/webhooks/${id}`);
      assert.ok(!JSON.stringify(get.body).includes('whsec_'));
      assert.ok(get.body.webhook.previous_secret_expires_at);
      expectError(await api('post', `/api/webhooks/${id}/rotate-secret`, { grace_period_seconds: -1 }), 'validation_error');
      expectError(await api('post', `/api/webhooks/${id}/rotate-secret`, { grace_period_seconds: 8 * 86400 }), 'validation_error');
    });
  });

  describe('destination URLs', () => {
    // WEBHOOK_ALLOWED_CIDRS=127.0.0.0/8 (the test default): loopback IPv4 is allowed, nothing else private.
    const hostile: [string, string][] = [
      ['ftp://example.com/hook', 'not http(s)'],
      ['file:///etc/passwd', 'file scheme'],
      ['javascript:alert(1)', 'javascript scheme'],
      ['gopher://127.0.0.1:25/', 'gopher'],
      ['not a url', 'garbage'],
      ['example.com/hook', 'no scheme'],
      ['https://', 'no host'],
      ['/https://evil.example/hook', 'relative path that embeds a URL'],
      ['//evil.example/hook', 'protocol-relative'],
      ['/hooks/../admin', 'dot segments'],
      ['http://user:pw@example.com/hook', 'credentials'],
      ['http://example.com/hook#frag', 'fragment'],
      ['http://exa mple.com/', 'space'],
      ['http://example.com\\@evil.example/', 'backslash'],
      ['http://example.com:0/', 'port 0'],
      ['http://169.254.169.254/latest/meta-data/', 'cloud metadata'],
      ['http://[fd00:ec2::254]/', 'IPv6 metadata'],
      ['http://100.100.100.200/', 'Alibaba metadata'],
      ['http://2852039166/', 'metadata as a decimal integer'],
      ['http://0xa9.0xfe.0xa9.0xfe/', 'metadata in hex'],
      ['http://[::ffff:169.254.169.254]/', 'IPv4-mapped metadata'],
      ['http://[::ffff:a9fe:a9fe]/', 'IPv4-mapped metadata, hex form'],
      ['http://10.0.0.1/hook', 'RFC 1918'],
      ['http://172.16.5.4/hook', 'RFC 1918'],
      ['http://192.168.1.10/hook', 'RFC 1918'],
      ['http://100.64.0.1/', 'carrier-grade NAT'],
      ['http://0.0.0.0/', 'unspecified'],
      ['http://[::]/', 'IPv6 unspecified'],
      ['http://[::1]/hook', 'IPv6 loopback (not in the allowed list)'],
      ['http://[fe80::1]/', 'IPv6 link-local'],
      ['http://[fc00::1]/', 'IPv6 unique-local'],
      ['http://224.0.0.1/', 'multicast'],
      [`https://example.com/${'a'.repeat(2100)}`, 'too long'],
    ];

    beforeEach(() => setup());

    for (const [url, label] of hostile) {
      it(`refuses ${JSON.stringify(url.length > 60 ? `${url.slice(0, 60)}…` : url)} (${label}) with 422`, async () => {
        const res = await create(valid({ destination_url: url }));
        expectError(res, 'validation_error');
        const errors = (res.body.details as { errors: { field: string; reason: string }[] }).errors;
        assert.equal(errors[0]?.field, '/destination_url', JSON.stringify(res.body));
        assert.ok(errors[0]?.reason, 'a reason is given');
      });
    }

    it('accepts public https and http destinations and the allowed loopback range', async () => {
      for (const url of ['https://crm.example.com/hook', 'http://crm.example.com:8080/hook?x=1', 'http://127.0.0.1:9/hook']) {
        const res = await create(valid({ destination_url: url }));
        assert.equal(res.status, 201, `${url}: ${JSON.stringify(res.body)}`);
        assert.equal(res.body.webhook.destination_url, url);
      }
    });

    it('refuses a relative path when WEBHOOK_BASE_URL is unset', async () => {
      expectError(await create(valid({ destination_url: '/hooks/crm' })), 'validation_error');
    });
  });

  describe('configuration', () => {
    it('resolves a relative path against WEBHOOK_BASE_URL', async () => {
      await setup({ WEBHOOK_BASE_URL: 'http://127.0.0.1:8080/crm' });
      const res = await create(valid({ destination_url: '/hooks/whatsapp?src=warden' }));
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.equal(res.body.webhook.destination_url, 'http://127.0.0.1:8080/crm/hooks/whatsapp?src=warden');
      expectError(await create(valid({ destination_url: '/https://evil.example/' })), 'validation_error');
    });

    it('WEBHOOK_REQUIRE_HTTPS=true refuses http://', async () => {
      await setup({ WEBHOOK_REQUIRE_HTTPS: 'true' });
      expectError(await create(valid({ destination_url: 'http://crm.example.com/hook' })), 'validation_error');
      assert.equal((await create(valid({ destination_url: 'https://crm.example.com/hook' }))).status, 201);
    });

    it('without WEBHOOK_ALLOWED_CIDRS loopback is refused too', async () => {
      await setup({ WEBHOOK_ALLOWED_CIDRS: '' });
      for (const url of ['http://127.0.0.1:9/hook', 'http://localhost:9/hook', 'http://0x7f.1/']) {
        expectError(await create(valid({ destination_url: url })), 'validation_error');
      }
    });
  });
});
