import assert from 'node:assert/strict';
import { ManualClock } from '../../src/lib/clock.ts';
import { createTestContext, generousThrottles, type TestContext, type HttpMethod } from '../support/test-app.ts';

/** `/api/integrations/3cx` (SPEC §10): module gate, tenant isolation, validation, secrets at rest. */

describe('3CX integration settings API', () => {
  let ctx: TestContext;
  let key: string;
  let instanceId: string;

  const api = (method: HttpMethod, path: string, body?: unknown, k = key) => ctx.request(k, method, path, body);
  const create = (body: Record<string, unknown> = {}, k = key) =>
    api('post', '/api/integrations/3cx', { instance_id: instanceId, ...body }, k);

  beforeEach(async () => {
    ctx = await createTestContext({
      clock: new ManualClock('2026-05-08T10:00:00Z'),
      policies: generousThrottles,
    });
    ({ key } = await ctx.createAccount({ modules: ['api', 'threecx'] }));
    instanceId = await ctx.createConnectedInstance(key, 'Support Line');
  });
  afterEach(() => ctx.close());

  it('creates with documented defaults; the secret is shown once and stored only encrypted', async () => {
    const res = await create({ business_name: 'Acme Support' });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(res.body.success, true);
    const { id, secret } = res.body;
    assert.match(id, /^tcx_[A-Za-z0-9_-]{16}$/);
    assert.match(secret, /^tcx_[A-Za-z0-9_-]{43}$/);
    assert.equal(res.body.forwarding, null);
    assert.deepEqual(res.body.integration, {
      id,
      instance_id: instanceId,
      business_name: 'Acme Support',
      enabled: true,
      webhook_path: `/integrations/3cx/webhook/${id}`,
      secret_hint: `${secret.slice(0, 8)}…`,
      require_hmac: false,
      ip_allowlist: [],
      trusted_proxies: [],
      outbound_enabled: true,
      call_events_enabled: true,
      enabled_call_events: ['missed_call', 'voicemail', 'call_ended', 'queue_callback', 'after_hours'],
      templates: {},
      strict_window: true,
      window_hours: 24,
      destination_url: null,
      forward_webhook_id: null,
      created_at: '2026-05-08T10:00:00.000Z',
      updated_at: '2026-05-08T10:00:00.000Z',
    });
    const got = await api('get', `/api/integrations/3cx/${id}`);
    assert.equal(got.status, 200);
    assert.ok(!JSON.stringify(got.body).includes(secret), 'GET never shows the secret');
    assert.equal(got.body.integration.id, id);
    assert.ok(got.body.default_templates.missed_call.includes('{{business_name}}'));
    const list = await api('get', '/api/integrations/3cx');
    assert.equal(list.status, 200);
    assert.deepEqual(
      list.body.integrations.map((i: { id: string }) => i.id),
      [id],
    );
    assert.ok(!JSON.stringify(list.body).includes(secret));

    const row = await ctx.container.db('threecx_integrations').where({ id }).first();
    assert.ok(!JSON.stringify(row).includes(secret), 'the row holds no plaintext secret');
    assert.match(row.secret_ciphertext, /^v1\.[0-9a-f]{8}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    // No SECRET_KEY: a random key was generated once and kept in settings.
    const setting = await ctx.container.db('settings').where({ key: 'secret_key' }).first();
    assert.equal(Buffer.from(setting.value, 'base64').length, 32);
  });

  it('module_not_enabled (with the 3CX message) on every settings route', async () => {
    const { key: other } = await ctx.createAccount({
      name: 'No 3CX',
      modules: ['api'],
    });
    const expect = (res: { status: number; body: Record<string, unknown> }) => {
      assert.equal(res.status, 403, JSON.stringify(res.body));
      assert.deepEqual(
        { error: res.body.error, message: res.body.message },
        {
          error: 'module_not_enabled',
          message: '3CX integration is not enabled for this account.',
        },
      );
    };
    expect(await create({}, other));
    expect(await api('get', '/api/integrations/3cx', undefined, other));
    expect(await api('get', '/api/integrations/3cx/tcx_x', undefined, other));
    expect(await api('patch', '/api/integrations/3cx/tcx_x', { enabled: false }, other));
    expect(await api('delete', '/api/integrations/3cx/tcx_x', undefined, other));
    expect(await api('post', '/api/integrations/3cx/tcx_x/rotate-secret', undefined, other));
  });

  it('401 without a key, 415 without JSON, 404 invalid_instance for a foreign or unknown instance', async () => {
    const none = await ctx.http.get('/api/integrations/3cx');
    assert.equal(none.status, 401);
    assert.equal(none.body.error, 'invalid_api_key');
    const text = await ctx.http
      .post('/api/integrations/3cx')
      .set('Authorization', `Bearer ${key}`)
      .set('Content-Type', 'text/plain')
      .send('x');
    assert.equal(text.status, 415);
    const unknown = await create({ instance_id: 'inst_nope' });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error, 'invalid_instance');
    const { key: otherKey } = await ctx.createAccount({
      name: 'Other',
      modules: ['api', 'threecx'],
    });
    const foreign = await ctx.createConnectedInstance(otherKey, 'Theirs');
    const res = await create({ instance_id: foreign });
    assert.equal(res.status, 404);
    assert.equal(res.body.error, 'invalid_instance');
  });

  it('another account cannot see, change, rotate or delete an integration', async () => {
    const { id } = (await create()).body;
    const { key: otherKey } = await ctx.createAccount({
      name: 'Other',
      modules: ['api', 'threecx'],
    });
    for (const res of [
      await api('get', `/api/integrations/3cx/${id}`, undefined, otherKey),
      await api('patch', `/api/integrations/3cx/${id}`, { enabled: false }, otherKey),
      await api('post', `/api/integrations/3cx/${id}/rotate-secret`, undefined, otherKey),
      await api('delete', `/api/integrations/3cx/${id}`, undefined, otherKey),
      await api('get', `/api/integrations/3cx/${id}/events`, undefined, otherKey),
    ]) {
      assert.equal(res.status, 404, JSON.stringify(res.body));
      assert.equal(res.body.error, 'not_found');
    }
    assert.deepEqual((await api('get', '/api/integrations/3cx', undefined, otherKey)).body.integrations, []);
    assert.equal((await api('get', `/api/integrations/3cx/${id}`)).status, 200);
  });

  it('schema and field validation: 422 with details', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ instance_id: undefined }, '/instance_id'],
      [{ surprise: true }, '/surprise'],
      [{ window_hours: 0 }, '/window_hours'],
      [{ window_hours: 25 }, '/window_hours'],
      [{ ip_allowlist: ['not-an-ip'] }, '/ip_allowlist/0'],
      [{ ip_allowlist: ['10.0.0.0/33'] }, '/ip_allowlist/0'],
      [{ trusted_proxies: ['127.0.0.1', 'proxy.example.com'] }, '/trusted_proxies/1'],
      [{ enabled_call_events: ['call_started'] }, '/enabled_call_events/0'],
      [{ templates: { sms_blast: 'hi' } }, '/templates/sms_blast'],
      [{ destination_url: 'ftp://example.com/x' }, '/destination_url'],
    ];
    for (const [body, field] of cases) {
      const res = await create(body);
      assert.equal(res.status, 422, `${field}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error, 'validation_error');
      assert.ok(
        res.body.details.errors.some((e: { field: string }) => e.field === field),
        `${field}: ${JSON.stringify(res.body.details)}`,
      );
    }
    const ok = await create({
      ip_allowlist: ['203.0.113.7', '10.0.0.0/8', '2001:db8::/32', '::ffff:10.0.0.0/104'],
    });
    assert.equal(ok.status, 201, JSON.stringify(ok.body));
  });

  it('template overrides are validated when saved: unknown variables, helpers and compile errors are refused', async () => {
    const refused: [string, RegExp][] = [
      ['Hi {{customer_name}}', /unknown variable \{\{customer_name\}\}/],
      ['Hi {{business_name}} {{discount_code}}', /unknown variable \{\{discount_code\}\}/],
      ['{{#if queue}}open', /does not compile/],
      ['{{business_name', /does not compile/],
      ['{{lookup business_name 0}}', /helpers are not allowed/],
      ['{{#each queue}}x{{/each}}', /block \{\{#each\}\} is not allowed/],
      ['{{> header}}', /partials are not allowed/],
      ['{{../business_name}}', /unknown variable/],
      ['{{this}}', /unknown variable/],
      ['{{@root.business_name}}', /unknown variable/],
      ['{{business_name.length}}', /unknown variable/],
      ['{{#if (lookup queue 0)}}x{{/if}}', /only the variables/],
      ['   ', /must not be empty/],
      ['x'.repeat(1001), /1000/],
    ];
    for (const [source, reason] of refused) {
      const res = await create({ templates: { missed_call: source } });
      assert.equal(res.status, 422, `${source}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error, 'validation_error');
      const error = res.body.details.errors.find(
        (e: { field: string }) => e.field === '/templates/missed_call',
      );
      assert.ok(error, `${source}: ${JSON.stringify(res.body.details)}`);
      assert.match(error.reason, reason, source);
    }
    const good =
      'We missed your call{{#if call_time}} at {{call_time}}{{/if}}. {{business_name}} ({{queue}}, ext {{agent_extension}}) will call {{customer_phone}}{{#unless queue}} soon{{/unless}}.{{!-- note --}}';
    const ok = await create({
      templates: {
        missed_call: good,
        after_hours: 'Closed. {{{business_name}}}',
      },
    });
    assert.equal(ok.status, 201, JSON.stringify(ok.body));
    assert.equal(ok.body.integration.templates.missed_call, good);
    const bad = await api('patch', `/api/integrations/3cx/${ok.body.id}`, {
      templates: { voicemail: '{{oops}}' },
    });
    assert.equal(bad.status, 422);
    assert.equal(bad.body.details.errors[0].field, '/templates/voicemail');
    // The failed update changed nothing.
    const got = await api('get', `/api/integrations/3cx/${ok.body.id}`);
    assert.deepEqual(Object.keys(got.body.integration.templates).sort(), ['after_hours', 'missed_call']);
  });

  it('PATCH updates fields, merges templates, checks the new instance; rotate and delete', async () => {
    const created = (await create({ templates: { voicemail: 'VM {{business_name}}' } })).body;
    const second = await ctx.createConnectedInstance(key, 'Second Line');
    const res = await api('patch', `/api/integrations/3cx/${created.id}`, {
      instance_id: second,
      business_name: 'Renamed',
      require_hmac: true,
      ip_allowlist: ['203.0.113.0/24'],
      trusted_proxies: ['127.0.0.1'],
      outbound_enabled: false,
      call_events_enabled: false,
      enabled_call_events: ['missed_call'],
      strict_window: false,
      window_hours: 12,
      templates: { missed_call: 'MC {{customer_phone}}' },
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const i = res.body.integration;
    assert.equal(i.instance_id, second);
    assert.equal(i.business_name, 'Renamed');
    assert.equal(i.require_hmac, true);
    assert.deepEqual(i.ip_allowlist, ['203.0.113.0/24']);
    assert.deepEqual(i.trusted_proxies, ['127.0.0.1']);
    assert.equal(i.outbound_enabled, false);
    assert.equal(i.call_events_enabled, false);
    assert.deepEqual(i.enabled_call_events, ['missed_call']);
    assert.equal(i.strict_window, false);
    assert.equal(i.window_hours, 12);
    assert.deepEqual(i.templates, {
      voicemail: 'VM {{business_name}}',
      missed_call: 'MC {{customer_phone}}',
    });
    const empty = await api('patch', `/api/integrations/3cx/${created.id}`, {});
    assert.equal(empty.status, 422);
    const foreign = await api('patch', `/api/integrations/3cx/${created.id}`, {
      instance_id: 'inst_nope',
    });
    assert.equal(foreign.status, 404);
    assert.equal(foreign.body.error, 'invalid_instance');

    const rotated = await api('post', `/api/integrations/3cx/${created.id}/rotate-secret`);
    assert.equal(rotated.status, 200);
    assert.match(rotated.body.secret, /^tcx_/);
    assert.notEqual(rotated.body.secret, created.secret);
    assert.equal(rotated.body.integration.secret_hint, `${rotated.body.secret.slice(0, 8)}…`);

    const del = await api('delete', `/api/integrations/3cx/${created.id}`);
    assert.deepEqual(del.body, { success: true, deleted: true });
    assert.equal((await api('get', `/api/integrations/3cx/${created.id}`)).status, 404);
    assert.equal((await api('delete', `/api/integrations/3cx/${created.id}`)).status, 404);
  });

  it('SECRET_KEY, when set, is the key material (nothing is generated into settings)', async () => {
    await ctx.close();
    ctx = await createTestContext({
      clock: new ManualClock('2026-05-08T10:00:00Z'),
      env: { SECRET_KEY: 'an-operator-secret-key-of-at-least-32-chars' },
    });
    ({ key } = await ctx.createAccount({ modules: ['api', 'threecx'] }));
    instanceId = await ctx.createConnectedInstance(key);
    const created = await create();
    assert.equal(created.status, 201);
    const hook = await ctx.http
      .post(`/integrations/3cx/webhook/${created.body.id}`)
      .set('X-WhatsApp-Gateway-3CX-Secret', created.body.secret)
      .set('Content-Type', 'application/json')
      .send('{"event_type":"test"}');
    assert.equal(hook.status, 200, JSON.stringify(hook.body));
    assert.equal(await ctx.container.db('settings').where({ key: 'secret_key' }).first(), undefined);
  });
});
