import assert from 'node:assert/strict';
import { createTestContext, type TestContext } from '../support/test-app.ts';

describe('admin API', () => {
  let ctx: TestContext;
  beforeEach(async () => {
    ctx = await createTestContext();
  });
  afterEach(() => ctx.close());

  it('creates accounts with the documented defaults', async () => {
    const res = await ctx.admin('post', '/admin/api/accounts', { name: 'Acme', plan: 'growth' });
    assert.equal(res.status, 201);
    assert.match(res.body.id, /^acc_/);
    const get = await ctx.admin('get', `/admin/api/accounts/${res.body.id}`);
    assert.equal(get.body.account.plan_active, true);
    assert.deepEqual(get.body.account.modules, ['api']);
    assert.equal(get.body.account.timezone, 'UTC');
    assert.deepEqual(get.body.account.limits, { daily: 500, monthly: 10000 });
  });

  it('rejects unknown plans and time zones with validation_error', async () => {
    const plan = await ctx.admin('post', '/admin/api/accounts', { name: 'Acme', plan: 'platinum' });
    assert.equal(plan.status, 422);
    assert.equal(plan.body.details.errors[0].field, '/plan');
    const tz = await ctx.admin('post', '/admin/api/accounts', {
      name: 'Acme',
      plan: 'starter',
      timezone: 'Mars/Olympus',
    });
    assert.equal(tz.status, 422);
    assert.equal(tz.body.details.errors[0].field, '/timezone');
  });

  it('reviewed overrides need a reason and an approver, and null clears them', async () => {
    const { id } = await ctx.createAccount();
    const missing = await ctx.admin('patch', `/admin/api/accounts/${id}`, { daily_limit_override: 400 });
    assert.equal(missing.status, 422);
    assert.equal(missing.body.details.errors[0].field, '/override_reason');
    const ok = await ctx.admin('patch', `/admin/api/accounts/${id}`, {
      daily_limit_override: 400,
      override_reason: 'Clinic reminders season',
      override_approved_by: 'rina@compliance',
    });
    assert.equal(ok.status, 200);
    assert.equal(ok.body.account.limits.daily, 400);
    assert.equal(ok.body.account.override_approved_by, 'rina@compliance');
    const cleared = await ctx.admin('patch', `/admin/api/accounts/${id}`, { daily_limit_override: null });
    assert.equal(cleared.body.account.limits.daily, 100);
    assert.equal(cleared.body.account.override_reason, null);
    const audit = await ctx.admin('get', '/admin/api/audit');
    assert.ok(
      audit.body.entries.some(
        (e: { action: string; note: string }) =>
          e.action === 'account.updated' && e.note === 'Clinic reminders season',
      ),
    );
  });

  it('API keys are shown once, stored hashed, listed by prefix', async () => {
    const { id } = await ctx.createAccount();
    const res = await ctx.admin('post', `/admin/api/accounts/${id}/api-keys`, { name: 'erp' });
    assert.equal(res.status, 201);
    assert.match(res.body.key, /^wdn_[A-Za-z0-9_-]{43}$/);
    const rows = await ctx.container.db('api_keys').where({ id: res.body.id });
    assert.equal(rows.length, 1);
    assert.notEqual(rows[0].key_hash, res.body.key);
    assert.ok(!JSON.stringify(rows[0]).includes(res.body.key));
    const get = await ctx.admin('get', `/admin/api/accounts/${id}`);
    assert.ok(!JSON.stringify(get.body).includes(res.body.key));
    assert.ok(get.body.api_keys.some((k: { prefix: string }) => res.body.key.startsWith(k.prefix)));
  });

  it('refuses anonymous callers, customer keys, and the admin token on customer routes', async () => {
    const { key } = await ctx.createAccount();
    for (const auth of [undefined, `Bearer ${key}`, 'Bearer wrong-token-wrong-token-wrong']) {
      const req = ctx.http.get('/admin/api/accounts');
      if (auth) req.set('Authorization', auth);
      const res = await req;
      assert.equal(res.status, 401);
      assert.deepEqual(res.body, {
        success: false,
        error: 'invalid_admin_token',
        message: 'A valid admin token is required.',
      });
    }
    const res = await ctx.admin('get', '/api/instances');
    assert.equal(res.status, 401);
    assert.equal(res.body.error, 'invalid_api_key');
  });

  it('pause and resume write audit entries and instance events; decisions are queryable', async () => {
    const { key } = await ctx.createAccount();
    const instance = await ctx.createConnectedInstance(key);
    const paused = await ctx.admin('post', `/admin/api/instances/${instance}/pause`, {
      reason: 'Spam complaints',
    });
    assert.equal(paused.status, 200);
    const list = await ctx.admin('get', '/admin/api/instances?paused=true');
    assert.deepEqual(
      list.body.instances.map((i: { id: string }) => i.id),
      [instance],
    );
    const twice = await ctx.admin('post', `/admin/api/instances/${instance}/pause`, { reason: 'again' });
    assert.equal(twice.status, 409);
    const noNote = await ctx.admin('post', `/admin/api/instances/${instance}/resume`, {});
    assert.equal(noNote.status, 422);
    const resumed = await ctx.admin('post', `/admin/api/instances/${instance}/resume`, {
      note: 'Customer explained the spike',
    });
    assert.equal(resumed.status, 200);
    const types = (await ctx.container.db('events').select('type')).map((r) => r.type);
    assert.ok(types.includes('instance.paused') && types.includes('instance.resumed'));
    const audit = await ctx.admin('get', `/admin/api/audit?target_id=${instance}`);
    assert.deepEqual(
      audit.body.entries.map((e: { action: string }) => e.action),
      ['instance.resumed', 'instance.paused'],
    );
    await ctx.http
      .post('/api/send-message')
      .set('Authorization', `Bearer ${key}`)
      .send({ instance_id: instance, phone: '+6281234567890', message: 'x', message_purpose: 'marketing' });
    const decisions = await ctx.admin('get', `/admin/api/decisions?instance_id=${instance}&outcome=blocked`);
    assert.equal(decisions.body.decisions.length, 1);
    assert.equal(decisions.body.decisions[0].error, 'message_purpose_not_allowed');
    assert.equal(decisions.body.decisions[0].deciding_check, 'purpose_allowed');
  });

  it('a recipient STOP can be lifted by an admin but not by the customer', async () => {
    const { id, key } = await ctx.createAccount();
    await ctx.container.suppressions.add(ctx.container.db, {
      scope: id,
      phone: '+6281234567890',
      reason: 'recipient_requested_stop',
    });
    const customer = await ctx.http
      .delete('/api/suppressed-recipients/+6281234567890')
      .set('Authorization', `Bearer ${key}`);
    assert.equal(customer.status, 403);
    assert.equal(customer.body.error, 'suppression_locked');
    const admin = await ctx.admin('delete', '/admin/api/suppressions', {
      phone: '+6281234567890',
      account_id: id,
      note: 'Recipient asked by email to resume',
    });
    assert.equal(admin.status, 200);
  });
});
