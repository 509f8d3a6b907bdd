import assert from 'node:assert/strict';
import os from 'node:os';
import path from 'node:path';
import { call, TestCluster, waitFor } from '../support/cluster-harness.ts';
import { ADMIN_TOKEN } from '../support/test-app.ts';
import { createTestDatabase, currentLane, type TestDatabase } from '../support/test-db.ts';
import { type Companion, startWaSimulator, type WaSimulator, writePairedAuthFixture } from '../support/wa-sim/index.ts';

/**
 * Several gateway processes with the REAL Baileys transport on one MariaDB database, logged in to
 * the loopback WhatsApp simulator, which replaces a device's older connection with 440 when it
 * logs in again (as WhatsApp does) and records every message its contacts decrypt. SPEC §12.
 */
if (currentLane() === 'mysql')
  describe('several nodes with Baileys on one MariaDB database (real processes, WhatsApp simulator)', function () {
    this.timeout(150_000);
    let sim: WaSimulator;
    let database: TestDatabase;
    let cluster: TestCluster;
    let key: string;
    let accountId: string;
    const ids = ['inst_cluster_one', 'inst_cluster_two'];
    const companions = new Map<string, Companion>();

    beforeEach(async () => {
      sim = await startWaSimulator({ contacts: ['alice'] });
      database = await createTestDatabase();
      cluster = new TestCluster(
        database.url,
        {
          TRANSPORT: 'baileys',
          WA_WEBSOCKET_URL: sim.url,
          NODE_ENV: 'test',
          MEDIA_DIR: path.join(os.tmpdir(), 'warden-test-media'),
        },
        ['./test/support/wa-sim/preload-trust-anchor.ts'],
      );
      await cluster.start('a');
      ({ id: accountId, key } = await cluster.account());
      const now = Date.now();
      for (const [i, id] of ids.entries()) {
        // credentials first: a node may claim the instance as soon as its row exists
        companions.set(id, await writePairedAuthFixture(database.db, id, sim));
        await database.db('instances').insert({
          id,
          account_id: accountId,
          name: `Line ${i}`,
          live_name: `Line ${i}`,
          state: 'connected',
          has_session: true,
          created_at: now,
          updated_at: now,
        });
      }
    });
    afterEach(async () => {
      await cluster.stopAll();
      await sim.close();
      await database.destroy();
    });

    const alice = () => sim.world.contact('alice').e164;
    const send = (via: string, id: string, text: string) =>
      call(cluster.node(via).baseUrl, 'POST', '/api/send-message', key, {
        instance_id: id,
        phone: alice(),
        message: text,
        message_purpose: 'transactional',
      });
    const decrypted = (text: string) => sim.allOutgoing().filter((m) => m.text === text).length;

    async function settled(nodes: string[]): Promise<Record<string, string>> {
      const { value } = await waitFor(
        'every instance owned by a live node and logged in once',
        async () => {
          const owners: Record<string, string> = {};
          for (const id of ids) {
            const owner = await cluster.ownerOf(id, nodes[0]);
            if (!owner || !nodes.includes(owner)) return undefined;
            if (sim.liveConnections({ companion: companions.get(id) }).length !== 1) return undefined;
            owners[id] = owner;
          }
          return owners;
        },
        30_000,
        100,
      );
      return value;
    }

    it('a joining node takes a share without a 440 loop; SIGKILL of an owner mid-burst: reconnected elsewhere, each accepted message decrypted exactly once, quota used == sent', async () => {
      await settled(['a']);
      await Promise.all([cluster.start('b'), cluster.start('c')]);
      const { value: owners } = await waitFor(
        'the instances spread over two nodes',
        async () => {
          const o = await settled(['a', 'b', 'c']);
          return new Set(Object.values(o)).size === 2 ? o : undefined;
        },
        30_000,
        200,
      );
      assert.equal(sim.replacedCount(), 0, 'moving an instance never made WhatsApp replace a connection');

      const accepted: string[] = [];
      let n = 0;
      const burst = async (vias: string[]) => {
        const results = await Promise.all(
          ids.flatMap((id) =>
            vias.map(async (via) => {
              const text = `Your order #${20_000 + n++} has shipped.`;
              const res = await send(via, id, text);
              if (res.status === 200) accepted.push(text);
              else {
                assert.equal(res.status, 502, JSON.stringify(res.body));
                assert.ok(
                  ['instance_failing_over', 'owner_unreachable', 'instance_not_connected'].includes(
                    String(res.body.details?.reason),
                  ),
                  JSON.stringify(res.body),
                );
              }
            }),
          ),
        );
        return results;
      };
      await burst(['a', 'b', 'c']);
      assert.equal(accepted.length, 6);
      const victim = owners[ids[0] as string] as string;
      const survivors = ['a', 'b', 'c'].filter((x) => x !== victim);
      const killedAt = Date.now();
      const during = burst(survivors);
      cluster.node(victim).child.kill('SIGKILL');
      await during;
      await burst(survivors);
      await settled(survivors);
      const { ms } = await waitFor(
        'sends through every survivor succeed',
        async () => {
          for (const id of ids)
            for (const via of survivors) {
              const text = `Your order #${20_000 + n++} has shipped.`;
              const res = await send(via, id, text);
              if (res.status !== 200) return undefined;
              accepted.push(text);
            }
          return true;
        },
        30_000,
        200,
      );
      assert.ok(Date.now() - killedAt < 20_000, `failover ${Date.now() - killedAt} ms (${ms})`);
      await waitFor('every accepted message decrypted by alice', async () => accepted.every((t) => decrypted(t) >= 1), 15_000);
      for (const t of accepted) assert.equal(decrypted(t), 1, `"${t}" decrypted once`);
      const sent = await database.db('messages').whereNotNull('wa_message_id').count({ n: '*' }).first();
      assert.equal(Number(sent?.n), accepted.length, 'each accepted message sent exactly once');
      const quota = await call(cluster.node(survivors[0] as string).baseUrl, 'GET', '/api/quota', key);
      assert.equal((quota.body.daily as { used: number }).used, accepted.length, 'quota used equals messages sent');
      assert.equal(sim.maxSimultaneousSessions(), 1, 'never two sessions of one device');
    });

    it('SIGSTOP of the owner beyond its lease, then SIGCONT: the new owner replaces it, the old one yields (no 440 loop) and sends nothing', async () => {
      await cluster.start('b');
      const owners = await waitFor(
        'one instance per node',
        async () => {
          const o = await settled(['a', 'b']);
          return new Set(Object.values(o)).size === 2 ? o : undefined;
        },
        30_000,
        200,
      );
      const id = ids[0] as string;
      const victim = owners.value[id] as string;
      const other = victim === 'a' ? 'b' : 'a';
      const companion = companions.get(id) as Companion;
      const outgoingBefore = sim.allOutgoing().length;
      cluster.node(victim).child.kill('SIGSTOP');
      const stoppedAt = Date.now();
      await waitFor(
        'the other node owns the instance and is logged in',
        async () => (await cluster.ownerOf(id, other)) === other && sim.replacedCount(companion) === 1,
        30_000,
        100,
      );
      const text = 'Your order #30001 has shipped.';
      const res = await waitFor('a send through the new owner', async () => {
        const r = await send(other, id, text);
        return r.status === 200 ? r : undefined;
      }, 15_000, 200);
      assert.equal(res.value.status, 200);
      cluster.node(victim).child.kill('SIGCONT');
      // the woken node sees the 440, re-reads its lease and yields: no reconnect, no second kick
      await waitFor('the woken node dropped the session', async () => {
        const m = await fetch(`${cluster.node(victim).baseUrl}/metrics`, {
          headers: { Authorization: `Bearer ${ADMIN_TOKEN}` },
        });
        const text = await m.text();
        return /warden_cluster_leases_held 1\b/.test(text) || /warden_cluster_leases_held 0\b/.test(text)
          ? /warden_cluster_leases_released_total\{reason="(lost|replaced)"\} [1-9]/.test(text)
          : false;
      }, 15_000, 100);
      // fair share may hand one instance back to the woken node: a quiet move, never a kick
      await settled(['a', 'b']);
      await new Promise((r) => setTimeout(r, 1_000));
      await settled(['a', 'b']);
      assert.equal(sim.replacedCount(companion), 1, 'exactly one replacement: no 440 loop');
      assert.equal(sim.replacedCount(), 1);
      assert.equal(decrypted(text), 1);
      assert.equal(sim.allOutgoing().length, outgoingBefore + 1, 'the paused node sent nothing');
      const viaVictim = await send(victim, id, 'Your order #30002 has shipped.');
      assert.equal(viaVictim.status, 200, JSON.stringify(viaVictim.body));
      assert.ok(Date.now() - stoppedAt > 1500);
    });
  });
