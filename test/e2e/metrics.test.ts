/**
 * `GET /metrics`: refused without the metrics or admin token; after sends and webhook deliveries
 * to a loopback receiver, the counters, histograms and gauges have moved.
 */
import assert from 'node:assert/strict';
import type { ManualClock } from '../../src/lib/clock.ts';
import { fanOutDecisions, type SendDecision } from '../../src/sending/send-context.ts';
import { createTestContext, generousThrottles, type TestContext } from '../support/test-app.ts';
import { sleep, startWebhookHarness, subscribe, type WebhookHarness } from '../support/webhook-harness.ts';
import { WebhookReceiver } from '../support/webhook-receiver.ts';

/** Sum of the samples of `name` whose labels include `labels`. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  let found = false;
  let total = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries(
      [...(m[3] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]),
    );
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) {
      found = true;
      total += Number(m[4]);
    }
  }
  return found ? total : undefined;
}

async function scrape(ctx: TestContext, token = ctx.container.adminToken()): Promise<string> {
  const res = await ctx.http.get('/metrics').set('Authorization', `Bearer ${token}`);
  assert.equal(res.status, 200, res.text);
  assert.match(String(res.headers['content-type']), /^text\/plain; version=0\.0\.4/);
  return res.text;
}

const send = (ctx: TestContext, key: string, body: Record<string, unknown>) =>
  ctx.http
    .post('/api/send-message')
    .set('Authorization', `Bearer ${key}`)
    .set('Content-Type', 'application/json')
    .send(JSON.stringify(body));

describe('/metrics', function () {
  this.timeout(30_000);

  describe('access', () => {
    let ctx: TestContext;
    before(async () => {
      ctx = await createTestContext({ env: { METRICS_TOKEN: 'metrics-token-0123456789abcdef' } });
    });
    after(async () => {
      await ctx.close();
    });

    it('refuses anonymous callers, wrong tokens and customer API keys with 401 invalid_admin_token', async () => {
      const { key } = await ctx.createAccount();
      for (const auth of [undefined, 'Bearer nope', `Bearer ${key}`, 'Basic YWRtaW46YWRtaW4=']) {
        const req = ctx.http.get('/metrics');
        const res = await (auth ? req.set('Authorization', auth) : req);
        assert.equal(res.status, 401, String(auth));
        assert.deepEqual(res.body, {
          success: false,
          error: 'invalid_admin_token',
          message: 'A valid admin token is required.',
        });
        assert.doesNotMatch(res.text, /warden_/);
      }
    });

    it('accepts METRICS_TOKEN and the admin token', async () => {
      const viaMetricsToken = await scrape(ctx, 'metrics-token-0123456789abcdef');
      assert.match(viaMetricsToken, /^# HELP warden_build_info/m);
      const viaAdmin = await scrape(ctx);
      assert.equal(sample(viaAdmin, 'warden_build_info', { transport: 'sandbox' }), 1);
      assert.equal(sample(viaAdmin, 'warden_database_up'), 1);
      // Process metrics (collectDefaultMetrics).
      assert.ok((sample(viaAdmin, 'process_cpu_user_seconds_total') ?? -1) >= 0);
      assert.ok(sample(viaAdmin, 'nodejs_eventloop_lag_seconds') !== undefined);
      assert.ok((sample(viaAdmin, 'process_resident_memory_bytes') ?? 0) > 0);
    });
  });

  describe('outbox and instance gauges', () => {
    let ctx: TestContext;
    before(async () => {
      ctx = await createTestContext({ policies: generousThrottles });
    });
    after(async () => {
      await ctx.close();
    });

    it('reports pending deliveries, the age of the oldest, instances by state and paused instances', async () => {
      const { key } = await ctx.createAccount();
      const instance = await ctx.createConnectedInstance(key, 'Gauge Line');
      await ctx.http.post('/api/instances').set('Authorization', `Bearer ${key}`).send({ name: 'Waiting Line' });
      let text = await scrape(ctx);
      assert.equal(sample(text, 'warden_instances', { state: 'connected' }), 1);
      assert.equal(sample(text, 'warden_instances', { state: 'qr_generated' }), 1);
      assert.equal(sample(text, 'warden_instances', { state: 'disconnected' }), 0);
      assert.equal(sample(text, 'warden_instances_paused'), 0);
      assert.equal(sample(text, 'warden_webhook_outbox_pending'), 0);
      assert.equal(sample(text, 'warden_webhook_outbox_oldest_pending_age_seconds'), 0);

      // No worker runs in this context: deliveries stay pending.
      await subscribe(ctx, key, { destination_url: 'http://127.0.0.1:9/hook', events: ['message.sent'] });
      for (let i = 0; i < 3; i++) {
        const res = await send(ctx, key, {
          instance_id: instance,
          phone: `+62812345678${i}0`,
          message: `Your order #${i} has shipped.`,
          message_purpose: 'transactional',
        });
        assert.equal(res.status, 200, JSON.stringify(res.body));
      }
      (ctx.clock as ManualClock).advance(120_000);
      const paused = await ctx.admin('post', `/admin/api/instances/${instance}/pause`, { reason: 'Checking a complaint' });
      assert.equal(paused.status, 200);
      text = await scrape(ctx);
      assert.ok((sample(text, 'warden_webhook_outbox_pending') ?? 0) >= 3);
      assert.ok((sample(text, 'warden_webhook_outbox_oldest_pending_age_seconds') ?? 0) >= 120);
      assert.equal(sample(text, 'warden_instances_paused'), 1);
      assert.equal(sample(text, 'warden_webhook_endpoints', { state: 'enabled' }), 1);
    });
  });

  describe('after sends and webhook deliveries', () => {
    let h: WebhookHarness;
    let receiver: WebhookReceiver;
    before(async () => {
      h = await startWebhookHarness();
      receiver = await WebhookReceiver.start();
    });
    after(async () => {
      await h.close();
      await receiver.close();
    });

    it('counts decisions by outcome and code, times the pipeline and the transport, and counts deliveries', async () => {
      const ctx = h.ctx;
      const instance = await ctx.createConnectedInstance(h.key, 'Metrics Line');
      await subscribe(ctx, h.key, { destination_url: receiver.url(), events: ['message.sent', 'message.failed'] });
      const before = await scrape(ctx);
      assert.equal(sample(before, 'warden_sends_total'), undefined, 'no sends yet');

      const ok = { instance_id: instance, message_purpose: 'transactional' };
      for (const phone of ['+6281234567890', '+6281234567891']) {
        const res = await send(ctx, h.key, { ...ok, phone, message: 'Your order #1029 has shipped.' });
        assert.equal(res.status, 200, JSON.stringify(res.body));
      }
      const blocked = await send(ctx, h.key, {
        ...ok,
        phone: '+6281234567892',
        message: 'x',
        message_purpose: 'marketing',
      });
      assert.equal(blocked.body.error, 'message_purpose_not_allowed');
      const failNext = await ctx.http
        .post(`/api/instances/${instance}/sandbox/fail-next`)
        .set(h.auth)
        .send({ count: 1 });
      assert.equal(failNext.status, 200);
      const failed = await send(ctx, h.key, { ...ok, phone: '+6281234567893', message: 'Your invoice is ready.' });
      assert.equal(failed.body.error, 'gateway_send_failed');

      await receiver.waitForCount(3);
      await sleep(150);
      const text = await scrape(ctx);

      assert.equal(sample(text, 'warden_sends_total', { outcome: 'sent', error_code: 'none' }), 2);
      assert.equal(
        sample(text, 'warden_sends_total', {
          outcome: 'blocked',
          error_code: 'message_purpose_not_allowed',
          check: 'purpose_allowed',
        }),
        1,
      );
      assert.equal(sample(text, 'warden_sends_total', { outcome: 'failed', error_code: 'gateway_send_failed' }), 1);
      assert.equal(sample(text, 'warden_send_pipeline_duration_seconds_count'), 4);
      assert.equal(sample(text, 'warden_send_pipeline_duration_seconds_count', { outcome: 'sent' }), 2);
      assert.ok((sample(text, 'warden_send_pipeline_duration_seconds_sum') ?? 0) > 0);
      assert.equal(
        sample(text, 'warden_send_pipeline_duration_seconds_bucket', { outcome: 'sent', le: '+Inf' }),
        2,
      );
      assert.equal(sample(text, 'warden_transport_send_duration_seconds_count', { result: 'ok' }), 2);
      assert.equal(sample(text, 'warden_transport_send_duration_seconds_count', { result: 'error' }), 1);

      assert.ok((sample(text, 'warden_webhook_attempts_total', { outcome: 'success' }) ?? 0) >= 3);
      assert.ok((sample(text, 'warden_webhook_deliveries_total', { result: 'succeeded' }) ?? 0) >= 3);
      assert.ok((sample(text, 'warden_webhook_attempt_duration_seconds_count') ?? 0) >= 3);
      assert.equal(
        sample(text, 'warden_webhook_attempt_duration_seconds_bucket', { le: '+Inf' }),
        sample(text, 'warden_webhook_attempt_duration_seconds_count'),
      );
      assert.equal(sample(text, 'warden_webhook_outbox_pending'), 0);
      assert.equal(sample(text, 'warden_instances', { state: 'connected' }), 1);
      assert.equal(sample(text, 'warden_webhook_attempts_in_flight'), 0);
    });
  });

  describe('decision listeners', () => {
    const decision: SendDecision = {
      accountId: 'acc',
      instanceId: 'inst',
      logId: 1,
      outcome: 'allowed',
      check: null,
      errorCode: null,
      riskScore: 0,
      flagged: false,
      durationMs: 3,
    };

    it('fan out in order; a failing listener neither fails the send nor starves the others', async () => {
      const calls: string[] = [];
      const errors: number[] = [];
      const handler = fanOutDecisions(
        [
          () => {
            calls.push('a');
            throw new Error('boom');
          },
          async () => {
            await sleep(1);
            calls.push('b');
          },
          () => {
            calls.push('c');
          },
        ],
        (_error, index) => errors.push(index),
      );
      await handler(decision);
      assert.deepEqual(calls, ['a', 'b', 'c']);
      assert.deepEqual(errors, [0]);
    });
  });
});
