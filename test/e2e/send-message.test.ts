import assert from 'node:assert/strict';
import { describePublicErrors } from '../../src/errors/errors.ts';
import { createTestContext, generousThrottles, type TestContext } from '../support/test-app.ts';

const MESSAGES = Object.fromEntries(describePublicErrors().map((e) => [e.code, e]));

function expectError(
  res: { status: number; body: Record<string, unknown>; headers: Record<string, string> },
  code: string,
): void {
  const spec = MESSAGES[code];
  assert.ok(spec, `unknown code ${code}`);
  assert.equal(res.status, spec.status, `status for ${code}: ${JSON.stringify(res.body)}`);
  assert.equal(res.body.success, false);
  assert.equal(res.body.error, code, JSON.stringify(res.body));
  assert.equal(res.body.message, spec.message);
  assert.match(String(res.headers['content-type']), /application\/json/);
}

describe('POST /api/send-message', () => {
  let ctx: TestContext;
  let key: string;
  let accountId: string;
  let instanceId: string;

  const send = (body: unknown, k: string | null = key, headers: Record<string, string> = {}) => {
    const req = ctx.http.post('/api/send-message').set('Content-Type', 'application/json');
    if (k) req.set('Authorization', `Bearer ${k}`);
    for (const [h, v] of Object.entries(headers)) req.set(h, v);
    return req.send(typeof body === 'string' ? body : JSON.stringify(body));
  };
  const valid = (over: Record<string, unknown> = {}) => ({
    instance_id: instanceId,
    phone: '+6281234567890',
    message: 'Your order #A-1029 has shipped and will arrive Tuesday.',
    message_purpose: 'transactional',
    ...over,
  });

  beforeEach(async () => {
    ctx = await createTestContext({ policies: generousThrottles });
    ({ id: accountId, key } = await ctx.createAccount({ plan: 'starter' }));
    instanceId = await ctx.createConnectedInstance(key, 'Customer Service Main');
  });
  afterEach(() => ctx.close());

  it('sends a transactional message and records the decision', async () => {
    const res = await send(valid({ reference: 'order-1029' }));
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.success, true);
    assert.equal(res.body.status, 'sent');
    assert.match(res.body.message_id, /^3EB0[0-9A-F]{18}$/);
    assert.equal(typeof res.body.log_id, 'number');
    const row = await ctx.container.db('messages').where({ id: res.body.log_id }).first();
    assert.ok(['sent', 'delivered', 'read'].includes(row.status), row.status);
    assert.equal(row.outcome, 'allowed');
    assert.equal(row.recipient, '+6281234567890');
    assert.equal(row.wa_message_id, res.body.message_id);
    assert.equal(row.reference, 'order-1029');
    const event = await ctx.container.db('events').where({ type: 'message.sent' }).first();
    assert.ok(event, 'message.sent written to the outbox');
    assert.equal(JSON.parse(event.envelope).payload.message_id, res.body.message_id);
  });

  it('415 unsupported_media_type without a JSON content type', async () => {
    const res = await ctx.http
      .post('/api/send-message')
      .set('Authorization', `Bearer ${key}`)
      .set('Content-Type', 'text/plain')
      .send('hi');
    expectError(res, 'unsupported_media_type');
  });

  it('401 invalid_api_key for a missing, malformed or unknown key', async () => {
    expectError(await send(valid(), null), 'invalid_api_key');
    expectError(await send(valid(), 'nope'), 'invalid_api_key');
    expectError(await send(valid(), `wdn_${'A'.repeat(43)}`), 'invalid_api_key');
  });

  it('401 revoked_api_key after revocation', async () => {
    const keys = await ctx.admin('get', `/admin/api/accounts/${accountId}`);
    const keyId = keys.body.api_keys[0].id;
    const del = await ctx.admin('delete', `/admin/api/accounts/${accountId}/api-keys/${keyId}`);
    assert.equal(del.status, 200);
    expectError(await send(valid()), 'revoked_api_key');
  });

  it('400 invalid_json', async () => {
    expectError(await send('{"instance_id": '), 'invalid_json');
  });

  it('422 validation_error with field details', async () => {
    const res = await send({ phone: '+6281234567890', message: 'x', message_purpose: 'transactional' });
    expectError(res, 'validation_error');
    assert.deepEqual(res.body.details.errors, [{ field: '/instance_id', reason: 'is required' }]);
    const bad = await send(valid({ phone: 'not-a-phone!!' }));
    expectError(bad, 'validation_error');
    assert.equal(bad.body.details.errors[0].field, '/phone');
    const array = await send('[1,2,3]');
    expectError(array, 'validation_error');
  });

  it('validates media type, MIME allowlist and size before spending quota', async () => {
    const pdf = Buffer.from('%PDF-1.4 invoice').toString('base64');
    const ok = await send(
      valid({
        message: 'Invoice INV-1 attached',
        media_type: 'document',
        mime_type: 'application/pdf',
        file_name: 'INV-1.pdf',
        media: pdf,
      }),
    );
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    const wrongMime = await send(
      valid({
        media_type: 'document',
        mime_type: 'application/x-msdownload',
        file_name: 'a.exe',
        media: pdf,
      }),
    );
    expectError(wrongMime, 'validation_error');
    assert.equal(wrongMime.body.details.errors[0].field, '/mime_type');
    const big = Buffer.alloc(5 * 1024 * 1024 + 10).toString('base64');
    const tooBig = await send(valid({ media_type: 'image', mime_type: 'image/png', media: big }));
    expectError(tooBig, 'validation_error');
    assert.equal(tooBig.body.details.errors[0].field, '/media');
    const notBase64 = await send(valid({ media_type: 'image', mime_type: 'image/png', media: '###' }));
    expectError(notBase64, 'validation_error');
    const quota = await ctx.http.get('/api/quota').set('Authorization', `Bearer ${key}`);
    assert.equal(quota.body.daily.used, 1);
  });

  it('403 module_not_enabled and 403 active_plan_required', async () => {
    await ctx.admin('patch', `/admin/api/accounts/${accountId}`, { modules: [] });
    expectError(await send(valid()), 'module_not_enabled');
    await ctx.admin('patch', `/admin/api/accounts/${accountId}`, { modules: ['api'], plan_active: false });
    expectError(await send(valid()), 'active_plan_required');
  });

  it('404 invalid_instance for unknown and for another account instance (tenant isolation)', async () => {
    expectError(await send(valid({ instance_id: 'inst_missing' })), 'invalid_instance');
    const other = await ctx.createAccount({ name: 'Other' });
    const otherInstance = await ctx.createConnectedInstance(other.key, 'Other line');
    expectError(await send(valid({ instance_id: otherInstance })), 'invalid_instance');
    const get = await ctx.http.get(`/api/instances/${otherInstance}`).set('Authorization', `Bearer ${key}`);
    expectError(get, 'invalid_instance');
    const list = await ctx.http.get('/api/messages').set('Authorization', `Bearer ${other.key}`);
    assert.equal(
      list.body.messages.filter((m: { instance_id: string }) => m.instance_id === instanceId).length,
      0,
    );
  });

  it('422 message_purpose_required for missing, null and empty purpose', async () => {
    for (const purpose of [undefined, null, '']) {
      const body = valid({ message_purpose: purpose });
      if (purpose === undefined) delete (body as Record<string, unknown>).message_purpose;
      expectError(await send(body), 'message_purpose_required');
    }
  });

  it('422 message_purpose_not_allowed for disallowed, unknown and non-string purposes', async () => {
    for (const purpose of [
      'marketing',
      'promotion',
      'cold_outreach',
      'bulk_campaign',
      'political',
      'newsletter',
      42,
      ['transactional'],
    ]) {
      expectError(await send(valid({ message_purpose: purpose })), 'message_purpose_not_allowed');
    }
  });

  it('group JIDs only for internal_team', async () => {
    expectError(await send(valid({ phone: '120363025246125486@g.us' })), 'validation_error');
    const ok = await send(
      valid({
        phone: '120363025246125486@g.us',
        message_purpose: 'internal_team',
        message: 'Deploy finished OK',
      }),
    );
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
  });

  it('normalizes local and 00-prefixed numbers with the default country', async () => {
    await ctx.admin('patch', `/admin/api/accounts/${accountId}`, { default_country: 'ID' });
    for (const phone of ['081234567890', '006281234567890', '6281234567890', '+62 812-3456-7890']) {
      const res = await send(valid({ phone }));
      assert.equal(res.status, 200, `${phone}: ${JSON.stringify(res.body)}`);
      const row = await ctx.container.db('messages').where({ id: res.body.log_id }).first();
      assert.equal(row.recipient, '+6281234567890');
    }
  });

  it('423 instance_paused_for_review', async () => {
    const pause = await ctx.admin('post', `/admin/api/instances/${instanceId}/pause`, {
      reason: 'Complaints from recipients',
    });
    assert.equal(pause.status, 200, JSON.stringify(pause.body));
    const res = await send(valid());
    expectError(res, 'instance_paused_for_review');
    assert.equal(res.body.details.action, 'review');
    await ctx.admin('post', `/admin/api/instances/${instanceId}/resume`, {
      note: 'Reviewed, legitimate traffic',
    });
    assert.equal((await send(valid())).status, 200);
  });

  it('403 recipient_suppressed, matched in any phone form', async () => {
    const add = await ctx.http
      .post('/api/suppressed-recipients')
      .set('Authorization', `Bearer ${key}`)
      .send({ phone: '6281234567890', note: 'asked by phone' });
    assert.equal(add.status, 201, JSON.stringify(add.body));
    const res = await send(valid({ phone: '+62 812 3456 7890' }));
    expectError(res, 'recipient_suppressed');
    const del = await ctx.http
      .delete(`/api/suppressed-recipients/${encodeURIComponent('+6281234567890')}`)
      .set('Authorization', `Bearer ${key}`);
    assert.equal(del.status, 200);
    assert.equal((await send(valid())).status, 200);
  });

  it('a gateway-wide admin block applies to every account', async () => {
    const add = await ctx.admin('post', '/admin/api/suppressions', {
      phone: '+6281234567890',
      note: 'fraud reports',
    });
    assert.equal(add.status, 201, JSON.stringify(add.body));
    expectError(await send(valid()), 'recipient_suppressed');
  });

  it('429 daily_message_limit_exceeded with limit, used and Retry-After; blocked sends do not count', async () => {
    await ctx.admin('patch', `/admin/api/accounts/${accountId}`, {
      daily_limit_override: 2,
      override_reason: 'test',
      override_approved_by: 'qa',
    });
    assert.equal((await send(valid())).status, 200);
    assert.equal((await send(valid({ phone: '+6281234567891' }))).status, 200);
    const res = await send(valid({ phone: '+6281234567892' }));
    expectError(res, 'daily_message_limit_exceeded');
    assert.deepEqual(
      { limit: res.body.details.limit, used: res.body.details.used, action: res.body.details.action },
      { limit: 2, used: 2, action: 'block' },
    );
    assert.ok(Number(res.headers['retry-after']) > 0);
    const quota = await ctx.http.get('/api/quota').set('Authorization', `Bearer ${key}`);
    assert.equal(quota.body.daily.used, 2);
    assert.equal(quota.body.daily.remaining, 0);
  });

  it('429 monthly_message_limit_exceeded', async () => {
    await ctx.admin('patch', `/admin/api/accounts/${accountId}`, {
      monthly_limit_override: 1,
      override_reason: 'test',
      override_approved_by: 'qa',
    });
    assert.equal((await send(valid())).status, 200);
    const res = await send(valid({ phone: '+6281234567891' }));
    expectError(res, 'monthly_message_limit_exceeded');
    assert.equal(res.body.details.limit, 1);
    const quota = await ctx.http.get('/api/quota').set('Authorization', `Bearer ${key}`);
    assert.equal(quota.body.daily.used, 1, 'the refused monthly reservation released its daily reservation');
  });

  it('502 gateway_send_failed releases quota; not connected says so', async () => {
    await ctx.http
      .post(`/api/instances/${instanceId}/sandbox/fail-next`)
      .set('Authorization', `Bearer ${key}`)
      .send({ count: 1 });
    const res = await send(valid());
    expectError(res, 'gateway_send_failed');
    const quota = await ctx.http.get('/api/quota').set('Authorization', `Bearer ${key}`);
    assert.equal(quota.body.daily.used, 0);
    assert.ok(await ctx.container.db('events').where({ type: 'message.failed' }).first());
    await ctx.http
      .post(`/api/instances/${instanceId}/sandbox/disconnect`)
      .set('Authorization', `Bearer ${key}`);
    const down = await send(valid());
    expectError(down, 'gateway_send_failed');
    assert.equal(down.body.details.reason, 'instance_not_connected');
  });

  it('403 policy_violation for marketing content even with an allowed purpose', async () => {
    const res = await send(
      valid({
        message: 'FLASH SALE!!! 70% OFF today only, buy now at bit.ly/xyz — limited offer, click here!',
      }),
    );
    expectError(res, 'policy_violation');
    assert.equal(res.body.details.action, 'block');
    assert.ok(res.body.details.risk_score >= 0);
    assert.ok(Array.isArray(res.body.details.rules) && res.body.details.rules.length > 0);
    const row = await ctx.container.db('messages').orderBy('id', 'desc').first();
    assert.equal(row.outcome, 'blocked');
    assert.equal(row.error_code, 'policy_violation');
    assert.equal(row.deciding_check, 'risk');
    const quota = await ctx.http.get('/api/quota').set('Authorization', `Bearer ${key}`);
    assert.equal(quota.body.daily.used, 0);
  });

  it('first failing check decides: order of refusals', async () => {
    // purpose (9) before paused (10) before suppressed (11) before quota (12)
    await ctx.admin('post', `/admin/api/instances/${instanceId}/pause`, { reason: 'review' });
    await ctx.http
      .post('/api/suppressed-recipients')
      .set('Authorization', `Bearer ${key}`)
      .send({ phone: '+6281234567890' });
    expectError(await send(valid({ message_purpose: 'marketing' })), 'message_purpose_not_allowed');
    expectError(await send(valid()), 'instance_paused_for_review');
    await ctx.admin('post', `/admin/api/instances/${instanceId}/resume`, { note: 'ok now' });
    expectError(await send(valid()), 'recipient_suppressed');
    // module (5) before plan (6) before instance (7)
    await ctx.admin('patch', `/admin/api/accounts/${accountId}`, { modules: [], plan_active: false });
    expectError(await send(valid({ instance_id: 'inst_nope' })), 'module_not_enabled');
    await ctx.admin('patch', `/admin/api/accounts/${accountId}`, { modules: ['api'] });
    expectError(await send(valid({ instance_id: 'inst_nope' })), 'active_plan_required');
    // content type (1) before key (2) before JSON (3) before schema (4)
    const r1 = await ctx.http.post('/api/send-message').set('Content-Type', 'text/plain').send('{');
    expectError(r1, 'unsupported_media_type');
    expectError(await send('{', null), 'invalid_api_key');
  });

  it('every refusal after authentication is recorded as a decision', async () => {
    await send(valid({ message_purpose: 'marketing' }));
    await send(valid({ instance_id: 'inst_nope' }));
    const res = await ctx.http.get('/api/messages?outcome=blocked').set('Authorization', `Bearer ${key}`);
    assert.equal(res.status, 200);
    const codes = res.body.messages.map((m: { error: string }) => m.error).sort();
    assert.deepEqual(codes, ['invalid_instance', 'message_purpose_not_allowed']);
  });

  it('Idempotency-Key: same body replays, different body 409, refusals are not stored', async () => {
    const first = await send(valid(), key, { 'Idempotency-Key': 'order-1029-shipped' });
    assert.equal(first.status, 200);
    const again = await send(valid(), key, { 'Idempotency-Key': 'order-1029-shipped' });
    assert.equal(again.status, 200);
    assert.deepEqual(again.body, first.body);
    const sent = await ctx.container.db('messages').whereNotNull('wa_message_id').count({ n: '*' }).first();
    assert.equal(Number(sent?.n), 1, 'sent once');
    const reused = await send(valid({ message: 'Different text for order' }), key, {
      'Idempotency-Key': 'order-1029-shipped',
    });
    assert.equal(reused.status, 409);
    assert.equal(reused.body.error, 'idempotency_key_reused');
    const refused = await send(valid({ message_purpose: 'marketing' }), key, {
      'Idempotency-Key': 'retry-me',
    });
    assert.equal(refused.status, 422);
    const fixed = await send(valid({ message_purpose: 'marketing' }), key, { 'Idempotency-Key': 'retry-me' });
    assert.equal(fixed.body.error, 'message_purpose_not_allowed', 'evaluated afresh');
  });

  it('concurrent retries with one Idempotency-Key send once', async () => {
    const results = await Promise.all(
      Array.from({ length: 10 }, () => send(valid(), key, { 'Idempotency-Key': 'burst-key' })),
    );
    const ok = results.filter((r) => r.status === 200);
    assert.ok(ok.length >= 1);
    for (const r of results)
      assert.ok(
        r.status === 200 || (r.status === 409 && r.body.error === 'conflict'),
        JSON.stringify(r.body),
      );
    const sent = await ctx.container.db('messages').whereNotNull('wa_message_id').count({ n: '*' }).first();
    assert.equal(Number(sent?.n), 1);
  });

  it('413 payload_too_large over 24 MB', async () => {
    const huge = JSON.stringify(
      valid({ media_type: 'video', mime_type: 'video/mp4', media: 'A'.repeat(25 * 1024 * 1024) }),
    );
    const res = await send(huge);
    assert.equal(res.status, 413);
    assert.deepEqual(res.body, {
      success: false,
      error: 'payload_too_large',
      message: 'Request body is too large.',
    });
  });
});
