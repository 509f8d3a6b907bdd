/**
 * Baileys auth state in the database: every Signal key type round-trips through BufferJSON,
 * writes are transactional and safe under concurrency, clear() is per instance, and writes can
 * be fenced. Runs on SQLite always and on MySQL when MYSQL_URL is set (loopback only).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Curve, initAuthCreds, proto, type SignalDataSet } from '@whiskeysockets/baileys';
import {
  AUTH_TABLE,
  clearAuthState,
  hasStoredCreds,
  useDbAuthState,
} from '../../src/transport/baileys/db-auth-state.ts';
import { mysqlTestDb, sqliteTestDb, type TestDb } from '../support/wa-sim/index.ts';

// the MySQL lane runs when MYSQL_URL is set (e.g. mysql://root@127.0.0.1:3306/warden_test)
const lanes: Array<{ name: string; open: () => Promise<TestDb | undefined> }> = [{ name: 'sqlite', open: sqliteTestDb }];
if (process.env.MYSQL_URL) {
  lanes.push({ name: 'mysql', open: mysqlTestDb });
}

function sampleKeys(): SignalDataSet {
  const kp = Curve.generateKeyPair();
  return {
    'pre-key': { '1': kp, '2': Curve.generateKeyPair() },
    session: { '2900000000001_1.0': randomBytes(700) },
    'sender-key': { '1203@g.us::2900000000001_1::0': Buffer.from(JSON.stringify([{ id: 1 }])) },
    'sender-key-memory': { '1203@g.us': { '2900000000001:0@lid': true, '628130000100@s.whatsapp.net': false } },
    'app-state-sync-key': {
      AAAAAQ: proto.Message.AppStateSyncKeyData.fromObject({
        keyData: randomBytes(32),
        fingerprint: { rawId: 7, currentIndex: 1, deviceIndexes: [0, 2] },
        timestamp: 1_700_000_000,
      }),
      aaaaaq: proto.Message.AppStateSyncKeyData.fromObject({ keyData: randomBytes(32) }),
    },
    'app-state-sync-version': {
      regular_high: { version: 3, hash: randomBytes(128), indexValueMap: { 'aW5kZXg=': { valueMac: randomBytes(32) } } },
    },
    'lid-mapping': { '628130000100': '290000000000100', '290000000000100_reverse': '628130000100' },
    'device-list': { '628130000100': ['0', '3'] },
    tctoken: { '290000000000100@lid': { token: randomBytes(24), timestamp: '1700000000', senderTimestamp: 1_700_000_100 } },
    'identity-key': { '290000000000100_1.0': Buffer.concat([Buffer.from([5]), randomBytes(32)]) },
  };
}

for (const lane of lanes) {
  describe(`Baileys DB auth state (${lane.name})`, function () {
    this.timeout(30_000);
    let tdb: TestDb | undefined;

    before(async function () {
      tdb = await lane.open();
      if (!tdb) {
        this.skip();
      }
    });

    after(async () => {
      await tdb?.cleanup();
    });

    beforeEach(async () => {
      await tdb!.db(AUTH_TABLE).delete();
    });

    it('round-trips every Signal key type and deletes on null', async () => {
      const db = tdb!.db;
      const auth = await useDbAuthState(db, 'inst-k', { cache: false });
      const data = sampleKeys();
      await auth.state.keys.set(data);
      for (const [type, entries] of Object.entries(data) as Array<[keyof SignalDataSet, Record<string, unknown>]>) {
        const got = await auth.state.keys.get(type, Object.keys(entries));
        assert.deepEqual(Object.keys(got).sort(), Object.keys(entries).sort(), type);
        for (const [id, value] of Object.entries(entries)) {
          if (type === 'app-state-sync-key') {
            const v = got[id] as proto.Message.IAppStateSyncKeyData;
            const want = value as proto.Message.IAppStateSyncKeyData;
            assert.ok(v instanceof proto.Message.AppStateSyncKeyData, 'revived as a proto object');
            assert.ok(Buffer.from(v.keyData!).equals(Buffer.from(want.keyData!)));
            assert.equal(v.fingerprint?.rawId ?? undefined, want.fingerprint?.rawId ?? undefined);
          } else {
            assert.deepEqual(normalise(got[id]), normalise(value), `${type}/${id}`);
          }
        }
      }
      // base64 ids that differ only by case are distinct keys (binary collation on MySQL)
      const both = await auth.state.keys.get('app-state-sync-key', ['AAAAAQ', 'aaaaaq']);
      assert.equal(Object.keys(both).length, 2);

      await auth.state.keys.set({ 'pre-key': { '1': null }, session: { '2900000000001_1.0': null } });
      assert.deepEqual(Object.keys(await auth.state.keys.get('pre-key', ['1', '2'])), ['2']);
      assert.deepEqual(await auth.state.keys.get('session', ['2900000000001_1.0']), {});
      assert.deepEqual(await auth.state.keys.get('session', []), {});
      auth.dispose();
    });

    it('saves and restores credentials with their buffers', async () => {
      const db = tdb!.db;
      assert.equal(await hasStoredCreds(db, 'inst-c'), false);
      const first = await useDbAuthState(db, 'inst-c');
      assert.equal(first.restored, false);
      first.state.creds.me = { id: '6281200000001:2@s.whatsapp.net', lid: '190000000000001:2@lid', name: 'Shop' };
      first.state.creds.routingInfo = randomBytes(12);
      await first.saveCreds();
      first.dispose();
      assert.equal(await hasStoredCreds(db, 'inst-c'), true);
      const second = await useDbAuthState(db, 'inst-c');
      assert.equal(second.restored, true);
      assert.deepEqual(normalise(second.state.creds), normalise(first.state.creds));
      assert.ok(Buffer.isBuffer(second.state.creds.noiseKey.private));
      assert.ok(Buffer.isBuffer(second.state.creds.signedPreKey.signature));
      second.dispose();
    });

    it('stores values larger than 64 KB (mediumtext)', async () => {
      const auth = await useDbAuthState(tdb!.db, 'inst-big', { cache: false });
      const big = randomBytes(200_000);
      await auth.state.keys.set({ session: { big } });
      const got = await auth.state.keys.get('session', ['big']);
      assert.ok(Buffer.from(got.big as Uint8Array).equals(big));
      auth.dispose();
    });

    it('stays consistent under concurrent key updates of several instances', async () => {
      const db = tdb!.db;
      const a = await useDbAuthState(db, 'inst-a');
      const b = await useDbAuthState(db, 'inst-b');
      const writes: Array<Promise<void>> = [];
      for (let i = 0; i < 40; i++) {
        for (const auth of [a, b]) {
          writes.push(
            Promise.resolve(
              auth.state.keys.set({
                session: { [`s${i % 5}`]: Buffer.from(`v${i}`) },
                'pre-key': { [String(i)]: Curve.generateKeyPair(), [String(i - 1)]: i % 2 ? null : undefined } as never,
              }),
            ),
          );
          writes.push(auth.saveCreds());
        }
      }
      await Promise.all(writes);
      for (const [auth, id] of [
        [a, 'inst-a'],
        [b, 'inst-b'],
      ] as const) {
        const sessions = await auth.state.keys.get('session', ['s0', 's1', 's2', 's3', 's4']);
        // the last write per key wins, in submission order
        assert.deepEqual(
          Object.fromEntries(Object.entries(sessions).map(([k, v]) => [k, Buffer.from(v as Uint8Array).toString()])),
          { s0: 'v35', s1: 'v36', s2: 'v37', s3: 'v38', s4: 'v39' },
          id,
        );
        const [row] = await db(AUTH_TABLE).where({ instance_id: id, category: 'creds' }).count<Array<{ n: number }>>('* as n');
        assert.equal(Number(row?.n), 1);
      }
      a.dispose();
      b.dispose();
    });

    it('clear() deletes one instance only and blocks late writes from a dying socket', async () => {
      const db = tdb!.db;
      const a = await useDbAuthState(db, 'inst-a');
      const b = await useDbAuthState(db, 'inst-b');
      await a.saveCreds();
      await b.saveCreds();
      await a.state.keys.set(sampleKeys());
      await b.state.keys.set(sampleKeys());
      await a.clear();
      await a.saveCreds();
      await a.state.keys.set({ session: { late: randomBytes(8) } });
      const left = await db(AUTH_TABLE).select('instance_id').groupBy('instance_id');
      assert.deepEqual(left.map((r: { instance_id: string }) => r.instance_id), ['inst-b']);
      await clearAuthState(db, 'inst-b');
      assert.equal((await db(AUTH_TABLE).select('key_id')).length, 0);
      a.dispose();
      b.dispose();
    });

    it('fences writes through beforeWrite (a lost lease aborts the write)', async () => {
      const db = tdb!.db;
      let owner = true;
      const auth = await useDbAuthState(db, 'inst-f', {
        beforeWrite: () => {
          if (!owner) {
            throw new Error('lease lost');
          }
        },
      });
      await auth.state.keys.set({ session: { one: Buffer.from('1') } });
      owner = false;
      await assert.rejects(Promise.resolve(auth.state.keys.set({ session: { two: Buffer.from('2') } })), /lease lost/);
      await assert.rejects(auth.saveCreds(), /lease lost/);
      const rows = await db(AUTH_TABLE).where({ instance_id: 'inst-f' }).select('key_id');
      assert.deepEqual(rows.map((r: { key_id: string }) => r.key_id), ['one']);
      auth.dispose();
    });

    it('wraps the key store with a cache', async () => {
      const db = tdb!.db;
      const auth = await useDbAuthState(db, 'inst-cache');
      await auth.state.keys.set({ 'device-list': { u: ['0'] } });
      await db(AUTH_TABLE).where({ instance_id: 'inst-cache' }).delete();
      assert.deepEqual(await auth.state.keys.get('device-list', ['u']), { u: ['0'] }, 'served from the cache');
      auth.dispose();
      // a new state has a cold cache
      const fresh = await useDbAuthState(db, 'inst-cache');
      assert.deepEqual(await fresh.state.keys.get('device-list', ['u']), {});
      fresh.dispose();
    });

    it('creates fresh credentials when none are stored', async () => {
      const auth = await useDbAuthState(tdb!.db, 'inst-new');
      assert.equal(auth.restored, false);
      assert.equal(auth.state.creds.me, undefined);
      assert.equal(typeof initAuthCreds().advSecretKey, typeof auth.state.creds.advSecretKey);
      auth.dispose();
    });
  });
}

/** Compare values with Buffers/Uint8Arrays as hex. */
function normalise(value: unknown): unknown {
  if (value instanceof Uint8Array) {
    return `hex:${Buffer.from(value).toString('hex')}`;
  }
  if (Array.isArray(value)) {
    return value.map(normalise);
  }
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, normalise(v)]),
    );
  }
  return value;
}
