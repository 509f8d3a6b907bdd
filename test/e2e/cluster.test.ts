import assert from 'node:assert/strict';
import { ADMIN_TOKEN } from '../support/test-app.ts';
import { call, TestCluster, waitFor } from '../support/cluster-harness.ts';
import { createTestDatabase, currentLane, type TestDatabase } from '../support/test-db.ts';

/**
 * Several gateway processes on one MariaDB database (SPEC §12), sandbox transport: each instance
 * owned by exactly one live node, failover after SIGKILL, no action after a lost lease
 * (SIGSTOP/SIGCONT), rebalancing when a node joins, hand-over on SIGTERM, one gateway to the
 * customer (any node's API). Registered on the MariaDB lane only (SQLite: one process).
 */
if (currentLane() === 'mysql')
  describe('several nodes on one MariaDB database (real processes, sandbox)', function () {
    this.timeout(120_000);
    let database: TestDatabase;
    let cluster: TestCluster;

    beforeEach(async () => {
      database = await createTestDatabase();
      cluster = new TestCluster(database.url);
    });
    afterEach(async () => {
      await cluster.stopAll();
      await database.destroy();
    });

    async function sentRows(): Promise<number> {
      const row = await database.db('messages').whereNotNull('wa_message_id').count({ n: '*' }).first();
      return Number(row?.n);
    }

    async function quotaUsed(key: string, via: string): Promise<number> {
      const q = await call(cluster.node(via).baseUrl, 'GET', '/api/quota', key);
      return Number((q.body.daily as { used: number }).used);
    }

    it('SIGKILL of the owner during a burst: taken over, sends through any node succeed, quota used == sent', async () => {
      await Promise.all(['a', 'b', 'c'].map((id) => cluster.start(id)));
      const { key } = await cluster.account();
      const ids = [
        await cluster.instance(key, 'Orders', 'a', 'b'),
        await cluster.instance(key, 'Billing', 'b', 'c'),
        await cluster.instance(key, 'Support', 'c', 'a'),
      ];
      // fair share: one instance per node once everything settled
      await waitFor('one instance per node', async () => {
        const nodes = await cluster.nodesList('a');
        return nodes.length === 3 && nodes.every((n) => n.alive && n.instances === 1) ? nodes : undefined;
      });
      const victim = (await cluster.ownerOf(ids[0] as string)) as string;
      const survivors = ['a', 'b', 'c'].filter((n) => n !== victim);

      const statuses: { status: number; reason?: unknown; error?: unknown }[] = [];
      let n = 0;
      const burst = async (rounds: number, vias: string[]) => {
        for (let r = 0; r < rounds; r++) {
          const results = await Promise.all(
            ids.flatMap((id) => vias.map((via) => cluster.send(via, key, id, n++))),
          );
          for (const res of results)
            statuses.push({ status: res.status, reason: res.body.details?.reason, error: res.body.error });
        }
      };
      await burst(2, ['a', 'b', 'c']);
      assert.ok(statuses.every((s) => s.status === 200), JSON.stringify(statuses));
      const killedAt = Date.now();
      const inFlight = burst(3, survivors);
      cluster.node(victim).child.kill('SIGKILL');
      await inFlight;
      // every refusal while failing over is the documented one (or the in-flight call the
      // killed owner never answered); nothing else
      for (const s of statuses.filter((x) => x.status !== 200)) {
        assert.equal(s.status, 502, JSON.stringify(s));
        assert.equal(s.error, 'gateway_send_failed');
        assert.ok(['instance_failing_over', 'owner_unreachable'].includes(String(s.reason)), JSON.stringify(s));
      }
      const { ms } = await waitFor('a survivor owns the instance and sends through it', async () => {
        const owner = await cluster.ownerOf(ids[0] as string, survivors[0]);
        if (!owner || !survivors.includes(owner)) return undefined;
        const res = await cluster.send(survivors[1] as string, key, ids[0] as string, n++);
        statuses.push({ status: res.status });
        return res.status === 200 ? owner : undefined;
      });
      assert.ok(Date.now() - killedAt < 10_000, `failover took ${Date.now() - killedAt} ms (${ms})`);
      // afterwards every instance sends through every surviving node
      for (const id of ids)
        for (const via of survivors) assert.equal((await cluster.send(via, key, id, n++)).status, 200);
      for (const id of ids) assert.equal(await cluster.instanceState(id, survivors[0] as string), 'connected');
      const accepted = statuses.filter((s) => s.status === 200).length + ids.length * survivors.length;
      assert.equal(await sentRows(), accepted, 'each accepted message is sent exactly once');
      assert.equal(await quotaUsed(key, survivors[0] as string), accepted, 'quota used equals messages sent');
      const nodes = await cluster.nodesList(survivors[0] as string);
      assert.equal(nodes.find((x) => x.id === victim)?.alive, false);
    });

    it('SIGSTOP beyond the lease, then SIGCONT: the paused owner acts no more; its pending call goes to the new owner once', async () => {
      await Promise.all(['a', 'b'].map((id) => cluster.start(id)));
      const { key } = await cluster.account();
      const id = await cluster.instance(key, 'Orders', 'a', 'a');
      assert.equal(await cluster.ownerOf(id, 'b'), 'a');
      cluster.node('a').child.kill('SIGSTOP');
      // this call reaches the paused owner's socket and waits there
      const pending = cluster.send('b', key, id, 1);
      const { value: newOwner } = await waitFor('b takes over', async () => {
        const owner = await cluster.ownerOf(id, 'b');
        return owner === 'b' ? owner : undefined;
      });
      assert.equal(newOwner, 'b');
      assert.equal((await cluster.send('b', key, id, 2)).status, 200);
      cluster.node('a').child.kill('SIGCONT');
      const answered = await pending;
      assert.equal(answered.status, 200, JSON.stringify(answered.body));
      // the woken node refused the call it had accepted (its lease was gone), dropped the
      // session, and serves calls by forwarding to the new owner
      const metrics = await waitFor('a noticed the lost lease', async () => {
        const res = await fetch(`${cluster.node('a').baseUrl}/metrics`, {
          headers: { Authorization: `Bearer ${ADMIN_TOKEN}` },
        });
        const text = await res.text();
        return /warden_cluster_leases_released_total\{reason="lost"\} 1/.test(text) ? text : undefined;
      });
      assert.match(metrics.value, /warden_cluster_leases_held 0/);
      const viaA = await cluster.send('a', key, id, 3);
      assert.equal(viaA.status, 200);
      assert.equal(await sentRows(), 3, 'three accepted sends, three sent rows');
      assert.equal(await quotaUsed(key, 'a'), 3);
      const bMetrics = await (
        await fetch(`${cluster.node('b').baseUrl}/metrics`, { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } })
      ).text();
      assert.match(bMetrics, /warden_cluster_forwarded_calls_total\{op="send",result="not_owner"\} [1-9]/);
    });

    it('a third node takes its share without a restart; no connection flaps; SIGTERM hands over in ≤ 3 s', async () => {
      await Promise.all(['a', 'b'].map((id) => cluster.start(id)));
      const { key } = await cluster.account();
      const ids: string[] = [];
      for (let i = 0; i < 6; i++) ids.push(await cluster.instance(key, `Line ${i}`, i % 2 ? 'a' : 'b', i % 2 ? 'b' : 'a'));
      const unscanned = await cluster.instance(key, 'Waiting for QR', 'a');
      await cluster.start('c');
      const { value: shares } = await waitFor('rebalanced: at most ceil(7/3) each, c has a share', async () => {
        const nodes = await cluster.nodesList('c');
        const c = nodes.find((x) => x.id === 'c');
        return nodes.length === 3 && c && c.instances >= 1 && nodes.every((x) => x.instances <= 3) && nodes.reduce((s, x) => s + x.instances, 0) === 7
          ? nodes
          : undefined;
      });
      assert.equal(shares.length, 3);
      for (const id of ids) assert.equal(await cluster.instanceState(id, 'c'), 'connected');
      const flaps = await database.db('events').whereIn('type', ['instance.disconnected']).count({ n: '*' }).first();
      assert.equal(Number(flaps?.n), 0, 'no disconnect while instances moved');

      // graceful hand-over of every instance of one node
      const owners = await Promise.all([...ids, unscanned].map((id) => cluster.ownerOf(id, 'c')));
      const leaving = owners.find((o) => o !== 'c') as string;
      const moving = [...ids, unscanned].filter((_, i) => owners[i] === leaving);
      const qrBefore = await call(cluster.node('c').baseUrl, 'GET', `/api/instances/${unscanned}`, key);
      const t0 = Date.now();
      const stopped = cluster.node(leaving).stop('SIGTERM');
      const staying = ['a', 'b', 'c'].filter((x) => x !== leaving);
      await waitFor('every instance of the leaving node owned elsewhere', async () => {
        const now = await Promise.all(moving.map((id) => cluster.ownerOf(id, 'c')));
        return now.every((o) => o && staying.includes(o)) ? now : undefined;
      });
      const handover = Date.now() - t0;
      assert.ok(handover <= 3000, `hand-over took ${handover} ms`);
      await stopped;
      assert.equal(cluster.node(leaving).child.exitCode, 0);
      for (const id of ids) assert.equal((await cluster.send(staying[0] as string, key, id, 100)).status, 200);
      // an instance waiting for a QR moved too: its new owner issued a fresh QR, served by every node
      if (moving.includes(unscanned)) {
        const after = await waitFor('a fresh QR', async () => {
          const r = await call(cluster.node(staying[0] as string).baseUrl, 'GET', `/api/instances/${unscanned}`, key);
          const qr = (r.body.instance as { qr?: { raw: string } | null }).qr;
          return qr && qr.raw !== (qrBefore.body.instance as { qr: { raw: string } }).qr.raw ? qr : undefined;
        });
        assert.ok(after.value.raw.startsWith('2@'));
      }
    });

    it('one gateway: QR, pairing code, sandbox controls and disconnect through any node; node-to-node calls need the secret and never hop twice', async () => {
      await Promise.all(['a', 'b'].map((id) => cluster.start(id)));
      const { key } = await cluster.account();
      const id = await cluster.instance(key, 'Front desk', 'a');
      const b = cluster.node('b').baseUrl;
      assert.equal(await cluster.ownerOf(id, 'b'), 'a');
      // the QR is still valid: the owner's answer comes back unchanged
      const early = await call(b, 'POST', `/api/instances/${id}/qr`, key);
      assert.equal(early.status, 409);
      assert.equal(early.body.error, 'qr_still_valid');
      const pairing = await call(b, 'POST', `/api/instances/${id}/pairing-code`, key, { phone: '+6281234567890' });
      assert.equal(pairing.status, 200, JSON.stringify(pairing.body));
      assert.match(String(pairing.body.pairing_code), /^[A-Z0-9]{8}$/);
      assert.equal((await call(b, 'POST', `/api/instances/${id}/sandbox/scan`, key)).status, 200);
      assert.equal(await cluster.instanceState(id, 'b'), 'connected');
      assert.equal((await call(b, 'POST', `/api/instances/${id}/sandbox/fail-next`, key, { count: 1 })).status, 200);
      const failed = await cluster.send('b', key, id, 1);
      assert.equal(failed.status, 502);
      assert.equal(failed.body.details?.reason, 'sandbox_injected_failure');
      assert.equal((await cluster.send('b', key, id, 2)).status, 200);
      const inbound = await call(b, 'POST', `/api/instances/${id}/sandbox/inbound`, key, {
        from: '+6281234567890',
        text: 'Where is my parcel?',
      });
      assert.equal(inbound.status, 200, JSON.stringify(inbound.body));
      const logs = await waitFor('inbound logged', async () => {
        const r = await call(b, 'GET', '/api/inbound-logs', key);
        const items = r.body.inbound_messages as unknown[] | undefined;
        return items && items.length === 1 ? items : undefined;
      });
      assert.equal(logs.value.length, 1);

      // node-to-node: no secret → 401; a non-owner never forwards a second time → 409 not_owner
      const secret = String((await database.db('settings').where({ key: 'cluster_secret' }).first()).value);
      const op = { op: 'send', instance_id: id, args: { to: '+6281234567890', text: 'x' } };
      const noSecret = await fetch(`${b}/internal/cluster/call`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-warden-cluster-secret': 'wrong-secret-value' },
        body: JSON.stringify(op),
      });
      assert.equal(noSecret.status, 401);
      assert.equal(((await noSecret.json()) as { error: string }).error, 'invalid_cluster_secret');
      const secondHop = await fetch(`${b}/internal/cluster/call`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-warden-cluster-secret': secret },
        body: JSON.stringify(op),
      });
      assert.equal(secondHop.status, 409);
      assert.equal(((await secondHop.json()) as { error: string }).error, 'not_owner');
      assert.equal(await sentRows(), 1, 'the refused hop sent nothing');

      const health = await call(b, 'GET', '/health');
      assert.equal(health.body.node_id, 'b');
      const disconnect = await call(b, 'POST', `/api/instances/${id}/disconnect`, key);
      assert.equal(disconnect.status, 200, JSON.stringify(disconnect.body));
      assert.equal(await cluster.instanceState(id, 'a'), 'disconnected');
      const after = await cluster.send('b', key, id, 3);
      assert.equal(after.status, 502);
      assert.equal(after.body.details?.reason, 'instance_not_connected');
    });
  });
