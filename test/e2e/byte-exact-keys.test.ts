import assert from 'node:assert/strict';
import { dialectOf } from '../../src/db/database.ts';
import { createTestContext, generousThrottles, type TestContext } from '../support/test-app.ts';

/** Identifiers, keys and hashes compare byte for byte on SQLite and MariaDB alike. */
describe('byte-exact keys and identifiers', () => {
  let ctx: TestContext;
  let key: string;
  let instanceId: string;
  before(async () => {
    ctx = await createTestContext({ policies: generousThrottles });
    ({ key } = await ctx.createAccount());
    instanceId = await ctx.createConnectedInstance(key);
  });
  after(() => ctx.close());

  const send = (idemKey: string, message: string) =>
    ctx.http
      .post('/api/send-message')
      .set('Authorization', `Bearer ${key}`)
      .set('Idempotency-Key', idemKey)
      .send({ instance_id: instanceId, phone: '+6281234567890', message, message_purpose: 'transactional' });

  it('Idempotency-Key differing only in case are two keys: both send', async () => {
    const a = await send('Order-Case-A', 'Your order #1 has shipped.');
    const b = await send('order-case-a', 'Your order #2 has shipped.');
    assert.equal(a.status, 200, a.text);
    assert.equal(b.status, 200, b.text);
    assert.notEqual(a.body.message_id, b.body.message_id);
    assert.notEqual(a.body.log_id, b.body.log_id);
    const replay = await send('Order-Case-A', 'Your order #1 has shipped.');
    assert.equal(replay.status, 200);
    assert.deepEqual(replay.body, a.body, 'each key replays its own answer');
    const rows = await ctx.container.db('idempotency_keys').whereIn('idem_key', ['Order-Case-A', 'order-case-a']);
    assert.deepEqual(rows.map((r) => r.idem_key).sort(), ['Order-Case-A', 'order-case-a']);
  });

  it('an API key that differs only in case is not the key', async () => {
    const swapped = key.replace(/[a-z]/, (ch) => ch.toUpperCase());
    assert.notEqual(swapped, key);
    const res = await ctx.http.get('/api/quota').set('Authorization', `Bearer ${swapped}`);
    assert.equal(res.status, 401);
    assert.equal(res.body.error, 'invalid_api_key');
  });

  it('an instance id in another case is not found', async () => {
    const res = await ctx.http
      .get(`/api/instances/${instanceId.toUpperCase()}`)
      .set('Authorization', `Bearer ${key}`);
    assert.equal(res.status, 404);
  });

  it('no text column of the schema compares case-insensitively (MariaDB lane)', async function () {
    if (dialectOf(ctx.container.db) !== 'mysql') {
      // SQLite compares with BINARY unless a column says otherwise; none does.
      const rows = (await ctx.container.db.raw(
        "SELECT name FROM sqlite_master WHERE sql LIKE '%COLLATE NOCASE%'",
      )) as { name: string }[];
      assert.deepEqual(rows, []);
      return;
    }
    const [rows] = (await ctx.container.db.raw(
      "SELECT table_name AS t, column_name AS c, collation_name AS k FROM information_schema.columns WHERE table_schema = DATABASE() AND collation_name IS NOT NULL AND collation_name <> 'utf8mb4_bin' AND table_name NOT LIKE 'knex\\_migrations%'",
    )) as [{ t: string; c: string; k: string }[]];
    assert.deepEqual(rows, []);
  });
});
