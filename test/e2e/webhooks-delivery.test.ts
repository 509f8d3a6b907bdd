/**
 * End to end: API → outbox → delivery worker → a real HTTP receiver on 127.0.0.1.
 * Retry schedule 50ms,100ms (3 attempts), timeout 2 s, real clock.
 */
import type { HttpMethod } from '../support/test-app.ts';
import assert from 'node:assert/strict';
import {
  type WebhookHarness,
  inbound,
  sendMessage,
  sleep,
  startWebhookHarness,
  subscribe,
} from '../support/webhook-harness.ts';
import {
  type ReceivedRequest,
  WebhookReceiver,
  verifiesWith,
  verifyStandardSignature,
  verifyWaSignatureIndependently,
} from '../support/webhook-receiver.ts';

describe('webhook delivery (e2e, loopback receiver)', function () {
  this.timeout(30_000);
  let h: WebhookHarness;
  let receiver: WebhookReceiver;
  let instanceId: string;

  const api = (method: HttpMethod, path: string, body?: unknown) => h.ctx.request(h.key, method, path, body);
  const deliveriesOf = async (webhookId: string, query = '') => {
    const res = await api('get', `/api/webhooks/${webhookId}/deliveries${query}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.deliveries as Record<string, unknown>[] & { attempts: Record<string, unknown>[] }[];
  };
  const waitForDelivery = async (
    webhookId: string,
    predicate: (d: Record<string, unknown>[]) => boolean,
    what: string,
  ) => {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const list = await deliveriesOf(webhookId);
      if (predicate(list)) return list;
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${what}: ${JSON.stringify(list, null, 1)}`);
      await sleep(50);
    }
  };

  beforeEach(async () => {
    h = await startWebhookHarness();
    receiver = await WebhookReceiver.start();
    instanceId = await h.ctx.createConnectedInstance(h.key, 'Support Line');
  });
  afterEach(async () => {
    await h.close();
    await receiver.close();
  });

  it('delivers message.sent from a sandbox send, signed both ways, one request id everywhere', async () => {
    const { secret } = await subscribe(h.ctx, h.key, {
      destination_url: receiver.url(),
      events: ['message.sent'],
    });
    assert.match(secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
    const messageId = await sendMessage(h.ctx, h.key, instanceId);
    await receiver.waitForCount(1);
    await sleep(100);
    assert.equal(receiver.requests.length, 1, 'exactly one request');
    const req = receiver.requests[0] as ReceivedRequest;
    assert.equal(req.method, 'POST');
    assert.equal(req.headers['content-type'], 'application/json');
    assert.ok(verifyWaSignatureIndependently(req, secret), 'X-WA-Signature verifies with node:crypto');
    assert.ok(
      verifyStandardSignature(req, secret),
      'Standard Webhooks signature verifies with standardwebhooks',
    );
    assert.equal(req.headers['x-wa-signature-alg'], 'HMAC-SHA256');
    assert.equal(req.headers['x-wa-event'], 'message.sent');
    assert.match(String(req.headers['x-wa-timestamp']), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal(
      Number(req.headers['webhook-timestamp']),
      Date.parse(String(req.headers['x-wa-timestamp'])) / 1000,
      'both timestamps are the same instant',
    );
    const envelope = req.json as Record<string, unknown>;
    assert.equal(envelope.event, 'message.sent');
    assert.equal(envelope.request_id, req.headers['x-wa-request-id']);
    assert.equal(envelope.request_id, req.headers['webhook-id']);
    assert.equal(envelope.account_id, h.accountId);
    assert.equal(envelope.instance_id, instanceId);
    assert.equal(envelope.instance_name, 'Support Line');
    assert.equal((envelope.payload as Record<string, unknown>).message_id, messageId);
    assert.deepEqual(Object.keys(envelope).slice(0, 3), ['event', 'request_id', 'timestamp']);
    assert.ok(!req.body.includes('whsec_'), 'the secret is never sent');
  });

  it('retries a failing receiver: third attempt succeeds with the same request id, three attempt rows', async () => {
    receiver.queue({ status: 500, body: 'boom' }, { status: 503, body: 'busy' });
    const { id, secret } = await subscribe(h.ctx, h.key, {
      destination_url: receiver.url(),
      events: ['message.received'],
    });
    await inbound(h.ctx, h.key, instanceId);
    await receiver.waitForCount(3);
    const ids = new Set(receiver.requests.map((r) => r.requestId));
    assert.equal(ids.size, 1, 'same request id on every attempt');
    for (const r of receiver.requests) assert.ok(verifiesWith(r, secret));
    const [delivery] = await waitForDelivery(id, (l) => l[0]?.status === 'succeeded', 'succeeded');
    assert.ok(delivery);
    assert.equal(delivery.request_id, [...ids][0]);
    const attempts = delivery.attempts as Record<string, unknown>[];
    assert.deepEqual(
      attempts.map((a) => [a.attempt_number, a.status_code, a.error]),
      [
        [1, 500, 'http_status_500'],
        [2, 503, 'http_status_503'],
        [3, 200, null],
      ],
    );
    const first = attempts[0] as Record<string, unknown>;
    assert.equal(first.url, receiver.url());
    assert.equal(first.method, 'POST');
    assert.equal(first.request_id, delivery.request_id);
    assert.equal(first.event, 'message.received');
    assert.equal(first.instance_id, instanceId);
    assert.ok(typeof first.message_id === 'string' && first.message_id.length > 0, 'message id logged');
    // The receiver is on loopback, reachable only because WEBHOOK_ALLOWED_CIDRS allows it: the
    // customer sees status and latency, never the body; the admin sees the body.
    assert.equal(first.response_body, null);
    assert.equal(first.response_body_hidden, true);
    assert.equal(first.private_destination, true);
    assert.equal(typeof first.latency_ms, 'number');
    const asAdmin = await h.ctx.admin('get', `/admin/api/webhook-endpoints/${id}/deliveries`);
    assert.equal(asAdmin.status, 200, asAdmin.text);
    const adminFirst = (asAdmin.body.deliveries[0].attempts as Record<string, unknown>[])[0] as Record<string, unknown>;
    assert.equal(adminFirst.response_body, 'boom');
    assert.equal(adminFirst.response_body_hidden, false);
    const endpoint = await api('get', `/api/webhooks/${id}`);
    assert.equal(endpoint.body.webhook.consecutive_failures, 0);
  });

  it('exhausted retries end failed; redeliver replays with the same request id; recover re-queues failures', async () => {
    receiver.respondWith({ status: 500, body: 'down' });
    const { id } = await subscribe(h.ctx, h.key, {
      destination_url: receiver.url(),
      events: ['message.received'],
    });
    await inbound(h.ctx, h.key, instanceId, 'first');
    await inbound(h.ctx, h.key, instanceId, 'second');
    const failed = await waitForDelivery(
      id,
      (l) => l.length === 2 && l.every((d) => d.status === 'failed'),
      'two failed',
    );
    assert.equal(receiver.requests.length, 6, 'N delays = N + 1 attempts each');
    for (const d of failed) assert.equal((d.attempts as unknown[]).length, 3);
    assert.equal((await deliveriesOf(id, '?status=failed')).length, 2);
    assert.equal((await deliveriesOf(id, '?status=succeeded')).length, 0);

    receiver.respondWith({ status: 204 });
    const one = failed[0] as Record<string, unknown>;
    const res = await api('post', `/api/webhooks/deliveries/${String(one.id)}/redeliver`);
    assert.equal(res.status, 202, JSON.stringify(res.body));
    await receiver.waitForCount(7);
    assert.equal(receiver.requests[6]?.requestId, one.request_id, 'redelivery keeps the request id');
    const after = await waitForDelivery(id, (l) => l.some((d) => d.status === 'succeeded'), 'redelivered');
    const redelivered = after.find((d) => d.id === one.id) as Record<string, unknown>;
    const attempts = redelivered.attempts as Record<string, unknown>[];
    assert.equal(attempts.length, 4);
    assert.deepEqual(attempts[3], { ...attempts[3], attempt_number: 4, trigger: 'manual', status_code: 204 });

    const again = await api('post', `/api/webhooks/deliveries/${String(one.id)}/redeliver`);
    assert.equal(again.status, 202);
    await receiver.waitForCount(8);

    const since = new Date(Date.now() - 60_000).toISOString();
    const recover = await api('post', `/api/webhooks/${id}/recover`, { since });
    assert.equal(recover.status, 202, JSON.stringify(recover.body));
    assert.equal(recover.body.recovered, 1, 'only the still-failed delivery');
    await receiver.waitForCount(9);
    const other = failed[1] as Record<string, unknown>;
    assert.equal(receiver.requests[8]?.requestId, other.request_id);
    await waitForDelivery(id, (l) => l.every((d) => d.status === 'succeeded'), 'all succeeded');
  });

  it('10 failed deliveries disable the endpoint; events while disabled are held, then delivered on re-enable', async () => {
    receiver.respondWith({ status: 500 });
    const { id } = await subscribe(h.ctx, h.key, {
      destination_url: receiver.url(),
      events: ['message.received'],
    });
    for (let i = 0; i < 10; i++) await inbound(h.ctx, h.key, instanceId, `msg ${i}`);
    await waitForDelivery(id, (l) => l.length === 10 && l.every((d) => d.status === 'failed'), '10 failed');
    const disabled = await api('get', `/api/webhooks/${id}`);
    assert.equal(disabled.body.webhook.enabled, false);
    assert.equal(disabled.body.webhook.disabled_reason, 'consecutive_failures');
    assert.match(String(disabled.body.webhook.disabled_at), /^\d{4}-/);
    assert.equal(disabled.body.webhook.consecutive_failures, 10);

    receiver.reset();
    receiver.respondWith({ status: 200 });
    await inbound(h.ctx, h.key, instanceId, 'while disabled 1');
    await inbound(h.ctx, h.key, instanceId, 'while disabled 2');
    await sleep(400);
    assert.equal(receiver.requests.length, 0, 'nothing is sent to a disabled endpoint');
    const held = await deliveriesOf(id, '?status=pending');
    assert.equal(held.length, 2);
    for (const d of held) assert.equal(d.held, true);

    const enable = await api('patch', `/api/webhooks/${id}`, { enabled: true });
    assert.equal(enable.status, 200, JSON.stringify(enable.body));
    assert.equal(enable.body.webhook.enabled, true);
    assert.equal(enable.body.webhook.disabled_reason, null);
    assert.equal(enable.body.webhook.consecutive_failures, 0);
    await receiver.waitForCount(2);
    const texts = receiver.requests
      .map((r) => (r.json?.payload as Record<string, unknown> | undefined)?.text)
      .sort();
    assert.deepEqual(texts, ['while disabled 1', 'while disabled 2']);
  });

  it('410 Gone disables the endpoint at once', async () => {
    receiver.respondWith({ status: 410, body: 'gone' });
    const { id } = await subscribe(h.ctx, h.key, {
      destination_url: receiver.url(),
      events: ['message.received'],
    });
    await inbound(h.ctx, h.key, instanceId);
    await receiver.waitForCount(1);
    const [d] = await waitForDelivery(id, (l) => l[0]?.status === 'failed', 'failed');
    assert.equal((d?.attempts as unknown[] | undefined)?.length, 1, 'no retry after 410');
    const res = await api('get', `/api/webhooks/${id}`);
    assert.equal(res.body.webhook.enabled, false);
    assert.equal(res.body.webhook.disabled_reason, 'gone');
    await inbound(h.ctx, h.key, instanceId, 'later');
    await sleep(300);
    assert.equal(receiver.requests.length, 1);
  });

  it('a redirect is a failure and is never followed', async () => {
    const target = await WebhookReceiver.start();
    try {
      receiver.respondWith({ redirectTo: target.url('/elsewhere') });
      const { id } = await subscribe(h.ctx, h.key, {
        destination_url: receiver.url(),
        events: ['message.received'],
      });
      await inbound(h.ctx, h.key, instanceId);
      const [d] = await waitForDelivery(id, (l) => l[0]?.status === 'failed', 'failed');
      const attempts = d?.attempts as Record<string, unknown>[];
      assert.equal(attempts.length, 3);
      assert.equal(attempts[0]?.status_code, 302);
      assert.equal(attempts[0]?.error, 'redirect_not_followed');
      assert.equal(target.requests.length, 0, 'the redirect target is never visited');
    } finally {
      await target.close();
    }
  });

  it('unsubscribed events never arrive; "*" gets everything', async () => {
    const only = await WebhookReceiver.start();
    try {
      await subscribe(h.ctx, h.key, { destination_url: only.url(), events: ['recipient.opted_out'] });
      await subscribe(h.ctx, h.key, { destination_url: receiver.url(), events: ['*'] });
      await sendMessage(h.ctx, h.key, instanceId);
      await inbound(h.ctx, h.key, instanceId, 'hello');
      await receiver.waitFor(
        (r) =>
          r.some((x) => x.json?.event === 'message.received') &&
          r.some((x) => x.json?.event === 'message.sent'),
      );
      await sleep(300);
      assert.equal(only.requests.length, 0, 'no event it did not subscribe to');
      await inbound(h.ctx, h.key, instanceId, 'STOP');
      await only.waitForCount(1);
      assert.deepEqual(
        only.requests.map((r) => r.json?.event),
        ['recipient.opted_out'],
      );
    } finally {
      await only.close();
    }
  });

  it('an instance-scoped subscription only gets that instance’s events', async () => {
    const other = await h.ctx.createConnectedInstance(h.key, 'Billing Line');
    await subscribe(h.ctx, h.key, {
      destination_url: receiver.url(),
      events: ['message.received'],
      instance_id: instanceId,
    });
    await inbound(h.ctx, h.key, other, 'to billing');
    await inbound(h.ctx, h.key, instanceId, 'to support');
    await receiver.waitForCount(1);
    await sleep(300);
    assert.equal(receiver.requests.length, 1);
    assert.equal(receiver.requests[0]?.json?.instance_id, instanceId);
  });

  it('secret rotation: both signatures during the grace period, then only the new one', async () => {
    const { id, secret: oldSecret } = await subscribe(h.ctx, h.key, {
      destination_url: receiver.url(),
      events: ['message.received'],
    });
    const rotated = await api('post', `/api/webhooks/${id}/rotate-secret`);
    assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
    const newSecret = rotated.body.secret as string;
    assert.match(newSecret, /^whsec_/);
    assert.notEqual(newSecret, oldSecret);
    const expires = Date.parse(rotated.body.webhook.previous_secret_expires_at);
    assert.ok(Math.abs(expires - (Date.now() + 86_400_000)) < 60_000, 'default grace is 24 h');

    await inbound(h.ctx, h.key, instanceId);
    await receiver.waitForCount(1);
    const during = receiver.requests[0] as ReceivedRequest;
    assert.equal(String(during.headers['x-wa-signature']).split(' ').length, 2);
    assert.equal(String(during.headers['webhook-signature']).split(' ').length, 2);
    assert.ok(verifiesWith(during, oldSecret), 'old secret still verifies');
    assert.ok(verifiesWith(during, newSecret), 'new secret verifies');

    const immediate = await api('post', `/api/webhooks/${id}/rotate-secret`, { grace_period_seconds: 0 });
    assert.equal(immediate.status, 200);
    assert.equal(immediate.body.webhook.previous_secret_expires_at, null);
    const newest = immediate.body.secret as string;
    await inbound(h.ctx, h.key, instanceId, 'after');
    await receiver.waitForCount(2);
    const after = receiver.requests[1] as ReceivedRequest;
    assert.ok(verifiesWith(after, newest));
    assert.ok(!verifyWaSignatureIndependently(after, newSecret), 'retired secret no longer signs');
    assert.ok(!verifyStandardSignature(after, oldSecret));
  });

  it('POST /test sends webhook.test to that endpoint only', async () => {
    const bystander = await WebhookReceiver.start();
    try {
      const { id, secret } = await subscribe(h.ctx, h.key, {
        destination_url: receiver.url(),
        events: ['message.received'],
      });
      await subscribe(h.ctx, h.key, { destination_url: bystander.url(), events: ['*'] });
      const res = await api('post', `/api/webhooks/${id}/test`);
      assert.equal(res.status, 202, JSON.stringify(res.body));
      await receiver.waitForCount(1);
      await sleep(200);
      const req = receiver.requests[0] as ReceivedRequest;
      assert.equal(req.json?.event, 'webhook.test');
      assert.equal(req.requestId, res.body.request_id);
      assert.ok(verifiesWith(req, secret));
      assert.equal(bystander.requests.length, 0);
    } finally {
      await bystander.close();
    }
  });

  it('a slow receiver with a backlog larger than all slots does not block deliveries to others', async () => {
    // The slow receiver answers nothing until released, and no attempt times out meanwhile (60 s):
    // the fast one getting all 20 in that state is the proof, with no wall-clock threshold (which
    // a busy machine breaks). Blocked behind the slow one, it would get nothing.
    await h.close();
    h = await startWebhookHarness({ env: { WEBHOOK_TIMEOUT: '60s' } });
    instanceId = await h.ctx.createConnectedInstance(h.key, 'Support Line');
    const slow = await WebhookReceiver.start();
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    let answered = 0;
    try {
      slow.respondWith(async () => {
        await released;
        answered += 1;
        return { status: 200 };
      });
      await subscribe(h.ctx, h.key, { destination_url: slow.url(), events: ['message.received'] });
      await subscribe(h.ctx, h.key, { destination_url: receiver.url(), events: ['message.received'] });
      // 20 deliveries each: more than the worker's 16 slots for the slow one alone.
      for (let i = 0; i < 20; i++) await inbound(h.ctx, h.key, instanceId, `n${i}`);
      await receiver.waitForCount(20);
      assert.equal(answered, 0, 'the fast receiver got all 20 while the slow one still hangs');
      assert.ok(
        slow.requests.length <= 12,
        `the slow endpoint holds at most 3/4 of the slots (${slow.requests.length})`,
      );
      release();
      await slow.waitForCount(20, 15_000);
    } finally {
      release();
      await slow.close();
    }
  });
});
