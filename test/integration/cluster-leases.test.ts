import assert from 'node:assert/strict';
import net from 'node:net';
import { loadClusterSettings } from '../../src/cluster/cluster-settings.ts';
import { LeaseLostError, LeaseStore } from '../../src/cluster/lease-store.ts';
import { createTestContext, type TestContext } from '../support/test-app.ts';
import { createTestDatabase, currentLane, type TestDatabase } from '../support/test-db.ts';

async function insertInstance(db: TestDatabase['db'], id: string): Promise<void> {
  const now = Date.now();
  await db('accounts')
    .insert({ id: 'acct_lease', name: 'Lease Co', plan: 'starter', modules: '["api"]', created_at: now, updated_at: now })
    .onConflict('id')
    .ignore();
  await db('instances').insert({
    id,
    account_id: 'acct_lease',
    name: id,
    live_name: id,
    state: 'connected',
    has_session: true,
    created_at: now,
    updated_at: now,
  });
}

describe(`instance leases on the database clock (${currentLane()})`, () => {
  let database: TestDatabase;
  let leases: LeaseStore;

  beforeEach(async () => {
    database = await createTestDatabase();
    leases = new LeaseStore(database.db);
    await insertInstance(database.db, 'inst_one');
  });
  afterEach(() => database.destroy());

  it('a claim takes a free lease once, the generation grows on every change of owner, an unexpired lease cannot be taken', async () => {
    await leases.ensureLeaseRows();
    assert.deepEqual(await leases.claimable(10), ['inst_one']);
    const [first, second] = await Promise.all([
      leases.claim('inst_one', 'node-a', 60_000),
      leases.claim('inst_one', 'node-b', 60_000),
    ]);
    assert.deepEqual([first, second].filter((g) => g !== null), [1], 'exactly one concurrent claim wins');
    const winner = first === null ? 'node-b' : 'node-a';
    const loser = winner === 'node-a' ? 'node-b' : 'node-a';
    assert.equal(await leases.claim('inst_one', loser, 60_000), null);
    assert.equal(await leases.ownerOf('inst_one'), winner);
    assert.deepEqual(await leases.claimable(10), []);
    // graceful release of the held generation, then the other node's claim bumps it
    assert.equal(await leases.release('inst_one', winner, 7), false, 'a stale generation releases nothing');
    assert.equal(await leases.release('inst_one', winner, 1), true);
    assert.equal(await leases.claim('inst_one', loser, 60_000), 2);
    assert.equal(await leases.ownerOf('inst_one'), loser);
  });

  it('expiry is decided by the database clock: a lease not renewed in time is free for another node, and the fence refuses the ex-owner', async () => {
    await leases.ensureLeaseRows();
    assert.equal(await leases.claim('inst_one', 'node-a', 300), 1);
    await database.db.transaction((trx) => leases.assertHeld(trx, 'inst_one', 'node-a', 1));
    const before = await leases.dbNow();
    const row = await database.db('instance_leases').where({ instance_id: 'inst_one' }).first();
    assert.ok(Number(row.expires_at) > before && Number(row.expires_at) <= before + 300 + 50);
    await new Promise((r) => setTimeout(r, 400));
    assert.equal((await leases.renew('node-a', 300)).size, 0, 'an expired lease is not renewed');
    assert.equal(await leases.claim('inst_one', 'node-b', 60_000), 2);
    await assert.rejects(
      database.db.transaction((trx) => leases.assertHeld(trx, 'inst_one', 'node-a', 1)),
      LeaseLostError,
    );
    assert.equal((await leases.renew('node-b', 60_000)).get('inst_one'), 2);
  });

  it('nodes: heartbeat on the database clock; draining and silent nodes are not alive', async () => {
    await leases.heartbeat({ id: 'node-a', url: 'http://127.0.0.1:1', draining: false });
    await leases.heartbeat({ id: 'node-b', url: 'http://127.0.0.1:2', draining: true });
    assert.equal(await leases.countLiveNodes(5_000), 1);
    await leases.ensureLeaseRows();
    await leases.claim('inst_one', 'node-a', 60_000);
    const nodes = await leases.listNodes(5_000);
    assert.deepEqual(
      nodes.map((n) => [n.id, n.alive, n.draining, n.instances]),
      [
        ['node-a', true, false, 1],
        ['node-b', false, true, 0],
      ],
    );
    await new Promise((r) => setTimeout(r, 120));
    assert.equal(await leases.countLiveNodes(100), 0);
  });

  it('the cluster secret is generated once and shared by every node on the database', async () => {
    const a = await leases.clusterSecret(null, Date.now());
    const b = await new LeaseStore(database.db).clusterSecret(null, Date.now());
    assert.equal(a, b);
    assert.match(a, /^wdn_cluster_[A-Za-z0-9_-]{43}$/);
    assert.equal(await leases.clusterSecret('configured-secret-123', Date.now()), 'configured-secret-123');
  });
});

if (currentLane() === 'mysql')
  describe('a node without a live owner for an instance (mysql)', () => {
    let ctx: TestContext;
    let key: string;
    let instanceId: string;

    beforeEach(async () => {
      ctx = await createTestContext({ overrides: { cluster: true } });
      await ctx.container.cluster?.start(
        loadClusterSettings(
          {
            NODE_ID: 'solo',
            CLUSTER_LEASE: '1500ms',
            CLUSTER_HEARTBEAT: '250ms',
            CLUSTER_FAILOVER_WAIT: '300ms',
            CLUSTER_CLAIM_JITTER: '1ms',
          },
          0,
        ),
      );
      ({ key } = await ctx.createAccount({ plan: 'starter' }));
      instanceId = await ctx.createConnectedInstance(key, 'Orders');
    });
    afterEach(() => ctx.close());

    const send = (n: number) =>
      ctx.request(key, 'post', '/api/send-message', {
        instance_id: instanceId,
        phone: '+6281234567890',
        message: `Your order #${n} has shipped.`,
        message_purpose: 'transactional',
      });

    it('waits, then answers 502 gateway_send_failed, reason instance_failing_over, Retry-After; the ex-owner sends nothing and writes nothing', async () => {
      assert.equal((await send(1)).status, 200);
      const db = ctx.database.db;
      // another node (its process gone: nothing listens at its address) takes the lease over
      // behind this node's back
      const closed = await new Promise<number>((resolve) => {
        const server = net.createServer().listen(0, '127.0.0.1', () => {
          const port = (server.address() as net.AddressInfo).port;
          server.close(() => resolve(port));
        });
      });
      await db('cluster_nodes').insert({
        id: 'ghost',
        url: `http://127.0.0.1:${closed}`,
        started_at: Date.now(),
        heartbeat_at: Date.now() + 3_600_000,
        draining: false,
      });
      await db('instance_leases')
        .where({ instance_id: instanceId })
        .update({ owner_node: 'ghost', generation: db.raw('generation + 1'), expires_at: Date.now() + 3_600_000 });
      const node = ctx.container.cluster;
      assert.ok(node);
      // the database fence refuses even before the heartbeat noticed
      await assert.rejects(db.transaction((trx) => node.fence(trx, instanceId)), LeaseLostError);
      const started = Date.now();
      const res = await send(2);
      assert.ok(Date.now() - started >= 300, 'the call waited for an owner');
      assert.equal(res.status, 502);
      assert.equal(res.body.error, 'gateway_send_failed');
      assert.equal(
        res.body.message,
        'The message passed responsible messaging checks, but delivery could not be completed. Please try again or contact support.',
      );
      assert.equal(res.body.details.reason, 'instance_failing_over');
      assert.equal(res.body.details.retry_after, 2);
      assert.equal(res.headers['retry-after'], '2');
      const rows = await db('messages').orderBy('id').select('status', 'failure_reason', 'wa_message_id');
      assert.equal(rows.length, 2);
      assert.equal(rows[1].status, 'failed');
      assert.equal(rows[1].failure_reason, 'instance_failing_over');
      assert.equal(rows[1].wa_message_id, null);
      const quota = await ctx.request(key, 'get', '/api/quota');
      assert.equal(quota.body.daily.used, 1, 'quota used equals messages sent');
      // the heartbeat drops the session it may no longer run
      const { performance } = await import('node:perf_hooks');
      const t0 = performance.now();
      while (node.heldCount() > 0 && performance.now() - t0 < 3_000) await new Promise((r) => setTimeout(r, 25));
      assert.equal(node.heldCount(), 0);
      assert.equal(ctx.sandbox?.isConnected(instanceId), false);
      const admin = await ctx.admin('get', `/admin/api/instances/${instanceId}`);
      assert.equal(admin.body.instance.owner_node, 'ghost');
    });
  });
