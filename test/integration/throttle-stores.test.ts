import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import type { ThrottlePolicy } from '../../src/config/policies.ts';
import { dialectOf } from '../../src/db/database.ts';
import { ThrottleService, type ThrottleStore } from '../../src/sending/throttle-service.ts';
import { createTestDatabase, currentLane, type TestDatabase } from '../support/test-db.ts';

/**
 * Throttles hold across nodes: two ThrottleService instances (two "nodes") sharing one store
 * together allow exactly the policy's points — with Redis (REDIS_URL) and with the lane's
 * database (MySQL store on MariaDB; on SQLite the store is per process by design).
 */
const policy: ThrottlePolicy = {
  per_instance: { points: 20, duration_seconds: 60 },
  per_recipient: { points: 6, duration_seconds: 3600 },
  new_recipients: { points: 30, duration_seconds: 3600 },
};

async function consumeConcurrently(nodes: ThrottleService[], instanceId: string, total: number, recipient = (i: number) => `r${i}`) {
  const results = await Promise.all(
    Array.from({ length: total }, (_, i) =>
      (nodes[i % nodes.length] as ThrottleService).consume({ instanceId, recipientHash: recipient(i), purpose: 'transactional', isNewRecipient: false, multiplier: 1 }),
    ),
  );
  return { ok: results.filter((r) => r.ok).length, refused: results.filter((r) => !r.ok) };
}

describe('throttle stores shared by two nodes', function () {
  this.timeout(30_000);

  describe('Redis (REDIS_URL or 127.0.0.1:6379)', () => {
    let redis: Redis;
    before(async () => {
      redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { lazyConnect: true, maxRetriesPerRequest: 1 });
      await redis.connect();
    });
    after(() => redis.disconnect());

    it('allows exactly 20 sends a minute per instance across both nodes', async () => {
      const store: ThrottleStore = { kind: 'redis', client: redis };
      const nodes = [new ThrottleService(policy, store), new ThrottleService(policy, store)];
      const instanceId = `inst_redis_${Date.now()}_${Math.random().toString(36).slice(2)}`;
      const { ok, refused } = await consumeConcurrently(nodes, instanceId, 50);
      assert.equal(ok, 20);
      assert.equal(refused.length, 30);
      const first = refused[0];
      assert.ok(first && !first.ok && first.refusal.limit === 'instance' && first.refusal.retryAfterSeconds > 0);
    });

    it('limits one recipient to 6 an hour across both nodes', async () => {
      const store: ThrottleStore = { kind: 'redis', client: redis };
      const nodes = [new ThrottleService(policy, store), new ThrottleService(policy, store)];
      const instanceId = `inst_redis_r_${Date.now()}_${Math.random().toString(36).slice(2)}`;
      const { ok, refused } = await consumeConcurrently(nodes, instanceId, 10, () => 'same-recipient');
      assert.equal(ok, 6);
      assert.ok(refused.every((r) => !r.ok && r.refusal.limit === 'recipient'));
    });
  });

  describe(`database store (${currentLane()})`, () => {
    let database: TestDatabase;
    before(async () => {
      database = await createTestDatabase();
    });
    after(() => database.destroy());

    it('MySQL store: exactly 20 across both nodes; SQLite lane uses the in-process store', async () => {
      const db = database.db;
      const store: ThrottleStore =
        dialectOf(db) === 'mysql'
          ? { kind: 'mysql', db, dbName: String((db.client.config.connection as { database: string }).database) }
          : { kind: 'memory' };
      const shared = store.kind === 'memory' ? new ThrottleService(policy, store) : null;
      const nodes = shared ? [shared, shared] : [new ThrottleService(policy, store), new ThrottleService(policy, store)];
      const { ok, refused } = await consumeConcurrently(nodes, `inst_db_${Date.now()}`, 40);
      assert.equal(ok, 20);
      const first = refused[0];
      assert.ok(first && !first.ok && first.refusal.limit === 'instance');
      // The window's expiry, read for the refusal: about a minute away.
      assert.ok(first.refusal.retryAfterSeconds > 50 && first.refusal.retryAfterSeconds <= 60);
    });

    it('a refunded send gives its point back to the next send (the database store too)', async () => {
      const db = database.db;
      const store: ThrottleStore =
        dialectOf(db) === 'mysql'
          ? { kind: 'mysql', db, dbName: String((db.client.config.connection as { database: string }).database) }
          : { kind: 'memory' };
      const node = new ThrottleService(
        { ...policy, per_instance: { points: 3, duration_seconds: 60 } },
        store,
      );
      const instanceId = `inst_db_refund_${Date.now()}`;
      const consume = (r: string) =>
        node.consume({ instanceId, recipientHash: r, purpose: 'transactional', isNewRecipient: false, multiplier: 1 });
      const tickets = [];
      for (const r of ['a', 'b', 'c']) {
        const result = await consume(r);
        assert.ok(result.ok);
        tickets.push(result.ticket);
      }
      assert.equal((await consume('d')).ok, false);
      await node.refund(tickets[0] as NonNullable<(typeof tickets)[0]>);
      // The refused consume counted as well (the stock limiter's arithmetic): one refund is not enough.
      assert.equal((await consume('e')).ok, false);
      await node.refund(tickets[1] as NonNullable<(typeof tickets)[0]>);
      await node.refund(tickets[2] as NonNullable<(typeof tickets)[0]>);
      assert.equal((await consume('f')).ok, true);
    });
  });
});
