/**
 * The delivery worker against the real stores (SQLite, or MariaDB with TEST_DB=mysql): leases,
 * crash recovery, fencing, SSRF refusal, timeouts, shutdown, and two workers on one database.
 */
import assert from 'node:assert/strict';
import { createDb } from '../../src/db/database.ts';
import type { EventType } from '../../src/events/event-types.ts';
import { DeliveryWorker } from '../../src/webhooks/delivery-worker.ts';
import { WebhookDeliveryStore } from '../../src/webhooks/webhook-delivery-store.ts';
import { WebhookEndpointStore } from '../../src/webhooks/webhook-endpoint-store.ts';
import { currentLane } from '../support/test-db.ts';
import { noDnsResolver, sleep, startWebhookHarness, subscribe, type WebhookHarness } from '../support/webhook-harness.ts';
import { verifiesWith, WebhookReceiver } from '../support/webhook-receiver.ts';

describe(`webhook delivery worker (${currentLane()})`, function () {
  this.timeout(60_000);
  let h: WebhookHarness;
  let receiver: WebhookReceiver;

  const emit = (count: number, type: EventType = 'message.received') =>
    h.ctx.container.db.transaction(async (trx) => {
      for (let i = 0; i < count; i++) {
        await h.ctx.container.outbox.emit(trx, {
          type,
          accountId: h.accountId,
          instanceId: null,
          instanceName: null,
          payload: { n: i } as never, // a stand-in: the worker never reads payloads
        });
      }
    });
  const deliveryRows = () => h.ctx.container.db('webhook_deliveries').orderBy('created_at');
  const attemptRows = (deliveryId?: string) => {
    const q = h.ctx.container.db('webhook_attempts').orderBy('id');
    return deliveryId ? q.where({ delivery_id: deliveryId }) : q;
  };
  const worker = (overrides: Partial<ConstructorParameters<typeof DeliveryWorker>[0]> = {}) =>
    new DeliveryWorker({
      deliveries: h.ctx.container.webhookDeliveries,
      endpoints: h.ctx.container.webhookEndpoints,
      outbox: h.ctx.container.outbox,
      retrySchedule: [50, 100],
      timeoutMs: 2000,
      allowedCidrs: '127.0.0.0/8',
      resolver: noDnsResolver,
      jitter: 0,
      pollIntervalMs: 20,
      ...overrides,
    });

  beforeEach(async () => {
    h = await startWebhookHarness({ start: false });
    receiver = await WebhookReceiver.start();
  });
  afterEach(async () => {
    await h.close();
    await receiver.close();
  });

  it('claims with a lease: a row leased by a crashed node is re-sent only after its lease expires', async () => {
    const { secret } = await subscribe(h.ctx, h.key, { destination_url: receiver.url(), events: ['*'] });
    await emit(1);
    const store = h.ctx.container.webhookDeliveries;
    let now = Date.now();
    // A node claims the row and dies before sending anything.
    const crashed = await store.claim({ owner: 'dead-node:boot:0', now, leaseMs: 10_000, limit: 10 });
    assert.equal(crashed.length, 1);
    assert.equal((await store.claim({ owner: 'other:boot:0', now, leaseMs: 10_000, limit: 10 })).length, 0, 'leased rows are not claimable');

    const clock = () => now;
    const w = worker({ now: clock, nodeId: 'survivor' });
    w.start();
    await sleep(200);
    assert.equal(receiver.requests.length, 0, 'nothing is sent while the lease is live');
    now += 10_001;
    w.wake();
    await receiver.waitForCount(1);
    await w.whenIdle();
    await w.stop();
    const [req] = receiver.requests;
    assert.ok(req && verifiesWith(req, secret));
    assert.equal(req.requestId, crashed[0]?.id, 'same request id as the lost attempt');
    const [row] = await deliveryRows();
    assert.equal(row.status, 'succeeded');
    assert.equal(row.lease_owner, null);
    // Attempt 1 died with the node (its number is consumed, no row); attempt 2 is on record.
    assert.deepEqual(
      (await attemptRows()).map((a) => a.attempt_number),
      [2],
    );
  });

  it('a restarted node with the same NODE_ID takes its own leases back at once', async () => {
    await subscribe(h.ctx, h.key, { destination_url: receiver.url(), events: ['*'] });
    await emit(3);
    const claimed = await h.ctx.container.webhookDeliveries.claim({
      owner: 'node-a:oldboot:0',
      now: Date.now(),
      leaseMs: 600_000,
      limit: 10,
    });
    assert.equal(claimed.length, 3);
    const stranger = worker({ nodeId: 'node-b', releaseOwnStaleLeases: true });
    stranger.start();
    await sleep(200);
    await stranger.stop();
    assert.equal(receiver.requests.length, 0, "another node's live leases are left alone");
    const restarted = worker({ nodeId: 'node-a', releaseOwnStaleLeases: true });
    restarted.start();
    await receiver.waitForDistinct(3);
    await restarted.stop();
  });

  it('fences the finalize: a worker whose lease was taken over records its attempt but changes nothing', async () => {
    await subscribe(h.ctx, h.key, { destination_url: receiver.url(), events: ['*'] });
    receiver.respondWith({ status: 200, delayMs: 300 });
    await emit(1);
    let now = Date.now();
    const slow = worker({ now: () => now, leaseMs: 2500 });
    slow.start();
    await receiver.waitForCount(1);
    // While the first attempt is in flight its lease "expires" and another node takes the row.
    now += 5000;
    const store = h.ctx.container.webhookDeliveries;
    const [taken] = await store.claim({ owner: 'usurper:boot:0', now, leaseMs: 60_000, limit: 1 });
    assert.ok(taken, 'the expired lease is claimable');
    await sleep(500);
    await slow.stop();
    assert.equal(slow.metrics.lostLeases, 1);
    const [row] = await deliveryRows();
    assert.equal(row.status, 'pending', 'the usurper owns it now');
    assert.equal(row.lease_owner, 'usurper:boot:0');
    assert.equal((await attemptRows()).length, 1, 'the attempt that happened is still logged');
  });

  it('an SSRF-refused destination fails at once, without retries', async () => {
    const { id } = await subscribe(h.ctx, h.key, { destination_url: receiver.url(), events: ['*'] });
    await emit(1);
    // This worker allows nothing private: 127.0.0.1 is refused before any connection is made.
    const strict = worker({ allowedCidrs: '' });
    strict.start();
    await strict.whenIdle();
    await strict.stop();
    assert.equal(receiver.requests.length, 0);
    const [row] = await deliveryRows();
    assert.equal(row.status, 'failed');
    const attempts = await attemptRows();
    assert.equal(attempts.length, 1);
    assert.match(attempts[0].error, /^destination_refused: .*loopback/);
    assert.equal(attempts[0].status_code, null);
    assert.equal(strict.metrics.attempts.refused, 1);
    const endpoint = await h.ctx.container.webhookEndpoints.get(id);
    assert.equal(endpoint?.consecutiveFailures, 1);
  });

  it('a receiver slower than the timeout is a timeout failure, then retried', async () => {
    await subscribe(h.ctx, h.key, { destination_url: receiver.url(), events: ['*'] });
    receiver.queue({ status: 200, delayMs: 1000 });
    await emit(1);
    const w = worker({ timeoutMs: 200, leaseMs: 5000 });
    w.start();
    await receiver.waitForCount(2);
    await w.whenIdle();
    await w.stop();
    const attempts = await attemptRows();
    assert.deepEqual(
      attempts.map((a) => [a.attempt_number, a.error]),
      [
        [1, 'timeout'],
        [2, null],
      ],
    );
    assert.ok(attempts[0].latency_ms >= 190 && attempts[0].latency_ms < 900, `latency ${attempts[0].latency_ms}`);
  });

  it('stop() waits for the attempts in flight and records them', async () => {
    await subscribe(h.ctx, h.key, { destination_url: receiver.url(), events: ['*'] });
    receiver.respondWith({ status: 200, delayMs: 300 });
    await emit(5);
    const w = worker();
    w.start();
    await receiver.waitForCount(5);
    await w.stop();
    const rows = await deliveryRows();
    assert.deepEqual(
      rows.map((r) => r.status),
      ['succeeded', 'succeeded', 'succeeded', 'succeeded', 'succeeded'],
    );
    assert.equal(w.metrics.inFlight, 0);
    assert.equal(w.metrics.deliveries.succeeded, 5);
    assert.equal(w.metrics.latency.count, 5);
  });

  it('keeps counters for the metrics feature', async () => {
    await subscribe(h.ctx, h.key, { destination_url: receiver.url(), events: ['*'] });
    receiver.queue({ status: 500 }, { status: 404 });
    await emit(2);
    const w = worker({ metrics: h.ctx.container.webhookMetrics });
    w.start();
    await receiver.waitForCount(4);
    await w.whenIdle();
    await w.stop();
    const m = h.ctx.container.webhookMetrics;
    assert.equal(m.attempts.http_error, 2);
    assert.equal(m.attempts.success, 2);
    assert.equal(m.deliveries.succeeded, 2);
    assert.equal(m.deliveries.retried, 2);
    assert.equal(m.latency.count, 4);
    assert.equal(m.latency.buckets.at(-1), 4, '+Inf bucket counts everything');
  });

  it('two workers on one database (two connection pools) never run the same attempt twice', async () => {
    const { secret } = await subscribe(h.ctx, h.key, { destination_url: receiver.url(), events: ['*'] });
    // A little latency so both workers have deliveries in flight at the same time.
    receiver.respondWith({ status: 200, delayMs: 5 });
    const total = 300;
    await emit(total);
    const secondDb = createDb(h.ctx.database.url, { poolMax: 4 });
    const workers = [
      worker({ nodeId: 'node-1', concurrency: 8 }),
      new DeliveryWorker({
        deliveries: new WebhookDeliveryStore(secondDb),
        endpoints: new WebhookEndpointStore(secondDb),
        retrySchedule: [50, 100],
        timeoutMs: 2000,
        allowedCidrs: '127.0.0.0/8',
        resolver: noDnsResolver,
        jitter: 0,
        pollIntervalMs: 20,
        nodeId: 'node-2',
        concurrency: 8,
      }),
    ];
    try {
      for (const w of workers) w.start();
      await receiver.waitForDistinct(total, 40_000);
      await sleep(300);
      for (const w of workers) await w.stop();
    } finally {
      for (const w of workers) await w.stop();
      await secondDb.destroy();
    }
    const byId = receiver.byRequestId();
    assert.equal(byId.size, total);
    const duplicated = [...byId].filter(([, reqs]) => reqs.length !== 1).map(([id]) => id);
    assert.deepEqual(duplicated, [], 'every request id was sent exactly once');
    for (const req of receiver.requests.slice(0, 20)) assert.ok(verifiesWith(req, secret));
    const perDelivery = (await h.ctx.container
      .db('webhook_attempts')
      .select('delivery_id')
      .count({ n: '*' })
      .groupBy('delivery_id')) as { delivery_id: string; n: number | string }[];
    assert.equal(perDelivery.length, total);
    assert.ok(perDelivery.every((r) => Number(r.n) === 1), 'one attempt row per delivery');
    const [w1, w2] = workers as [DeliveryWorker, DeliveryWorker];
    assert.equal(w1.metrics.deliveries.succeeded + w2.metrics.deliveries.succeeded, total);
    assert.ok(
      w1.metrics.deliveries.succeeded > 0 && w2.metrics.deliveries.succeeded > 0,
      `both workers delivered (${w1.metrics.deliveries.succeeded} / ${w2.metrics.deliveries.succeeded})`,
    );
    assert.ok(
      (await deliveryRows()).every((r) => r.status === 'succeeded' && Number(r.attempts) === 1),
      'each delivery attempted once',
    );
  });
});
