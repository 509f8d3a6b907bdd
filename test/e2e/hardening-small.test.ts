import assert from 'node:assert/strict';
import { maskPath, redact } from '../../src/lib/logger.ts';
import { WEBHOOK_TESTS_PER_MINUTE } from '../../src/http/routes/webhooks.routes.ts';
import { createTestContext, type TestContext } from '../support/test-app.ts';

describe('hardening: smaller items', () => {
  let ctx: TestContext;
  let key: string;
  let accountId: string;
  before(async () => {
    ctx = await createTestContext();
    ({ id: accountId, key } = await ctx.createAccount());
  });
  after(() => ctx.close());

  it('masks phone numbers in access-log paths, leaving UUIDs and ids alone', () => {
    assert.equal(maskPath('/api/suppressed-recipients/%2B6281234567890'), '/api/suppressed-recipients/%2B628****890');
    assert.equal(maskPath('/api/suppressed-recipients/+6281234567890'), '/api/suppressed-recipients/+628****890');
    assert.equal(maskPath('/api/suppressed-recipients/6281234567890'), '/api/suppressed-recipients/628****890');
    const uuid = '/api/instances/12345678-1234-4123-8123-123456789012';
    assert.equal(maskPath(uuid), uuid);
    assert.equal(maskPath('/api/messages/1234'), '/api/messages/1234');
  });

  it('database errors reach the log without their SQL or bound values', async () => {
    let caught: unknown;
    try {
      await ctx.container.db('suppressions').insert({ phone_number_that_is_not_a_column: '+6281234567890' });
    } catch (error) {
      caught = error;
    }
    assert.ok(caught instanceof Error);
    assert.match(caught.message, /6281234567890/, 'the raw driver error does carry the value');
    const logged = JSON.stringify(redact(caught, 'error'));
    assert.doesNotMatch(logged, /6281234567890/);
    assert.doesNotMatch(logged, /insert into `suppressions`/i, 'no SQL statement');
    assert.match(logged, /phone_number_that_is_not_a_column/, 'the reason is kept');
    assert.doesNotMatch(JSON.stringify(redact('sending to +6281234567890 failed')), /6281234567890/);
  });

  it('responses that carry a secret are Cache-Control: no-store; others are not', async () => {
    const created = await ctx.admin('post', `/admin/api/accounts/${accountId}/api-keys`, { name: 'erp' });
    assert.equal(created.status, 201, created.text);
    assert.equal(typeof created.body.key, 'string');
    assert.equal(created.headers['cache-control'], 'no-store');
    const hook = await ctx.request(key, 'post', '/api/webhooks', {
      destination_url: 'http://127.0.0.1:9/hook',
      events: ['message.sent'],
    });
    assert.equal(hook.status, 201, hook.text);
    assert.equal(hook.headers['cache-control'], 'no-store');
    const rotated = await ctx.request(key, 'post', `/api/webhooks/${hook.body.webhook.id}/rotate-secret`, {});
    assert.equal(rotated.status, 200, rotated.text);
    assert.equal(rotated.headers['cache-control'], 'no-store');
    const listed = await ctx.request(key, 'get', '/api/webhooks');
    assert.equal(listed.status, 200);
    assert.equal(listed.headers['cache-control'], undefined);
  });

  it(`POST /api/webhooks/{id}/test is limited to ${WEBHOOK_TESTS_PER_MINUTE} per account per minute`, async () => {
    const { key: other } = await ctx.createAccount();
    const hook = await ctx.request(other, 'post', '/api/webhooks', {
      destination_url: 'http://127.0.0.1:9/hook',
      events: ['message.sent'],
    });
    assert.equal(hook.status, 201, hook.text);
    const path = `/api/webhooks/${hook.body.webhook.id}/test`;
    for (let i = 0; i < WEBHOOK_TESTS_PER_MINUTE; i++) {
      const ok = await ctx.request(other, 'post', path);
      assert.equal(ok.status, 202, `${i}: ${ok.text}`);
    }
    const limited = await ctx.request(other, 'post', path);
    assert.equal(limited.status, 429);
    assert.equal(limited.body.error, 'rate_limited');
    assert.equal(limited.body.message, 'Too many requests. Please slow down.');
    assert.equal(limited.body.details.limit, WEBHOOK_TESTS_PER_MINUTE);
    assert.ok(Number(limited.headers['retry-after']) >= 1 && Number(limited.headers['retry-after']) <= 60);
    // Another account is not affected.
    const mine = await ctx.request(key, 'get', '/api/webhooks');
    const own = await ctx.request(key, 'post', `/api/webhooks/${mine.body.webhooks[0].id}/test`);
    assert.equal(own.status, 202, own.text);
  });
});

describe('WEBHOOK_ALLOWED_CIDRS with a port', () => {
  let ctx: TestContext;
  let key: string;
  before(async () => {
    ctx = await createTestContext({ env: { WEBHOOK_ALLOWED_CIDRS: '127.0.0.0/8:8443' } });
    ({ key } = await ctx.createAccount());
  });
  after(() => ctx.close());

  it('a webhook may target the allowed loopback port only; other ports are refused by name', async () => {
    const ok = await ctx.request(key, 'post', '/api/webhooks', {
      destination_url: 'http://127.0.0.1:8443/hook',
      events: ['message.sent'],
    });
    assert.equal(ok.status, 201, ok.text);
    for (const url of ['http://127.0.0.1:6379/', 'http://127.0.0.1/hook', 'http://localhost:22/']) {
      const refused = await ctx.request(key, 'post', '/api/webhooks', { destination_url: url, events: ['message.sent'] });
      assert.equal(refused.status, 422, `${url}: ${refused.text}`);
      assert.equal(refused.body.error, 'validation_error');
      assert.match(JSON.stringify(refused.body.details), /allowed by WEBHOOK_ALLOWED_CIDRS on port 8443 only/);
    }
  });
});
