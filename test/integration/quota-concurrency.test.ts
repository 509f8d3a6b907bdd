import assert from 'node:assert/strict';
import { generousThrottles, createTestContext, type TestContext } from '../support/test-app.ts';
import { policiesDirWith, startGatewayProcess } from '../support/gateway-process.ts';
import { currentLane } from '../support/test-db.ts';

/**
 * Limits are exact under concurrency: with 100 left today and 300 concurrent requests that
 * nothing else refuses, exactly 100 are sent — on this lane's database, and (MariaDB) with two
 * gateway processes sharing it.
 */
describe(`quota exactness under concurrency (${currentLane()})`, function () {
  this.timeout(120_000);
  let ctx: TestContext;
  let key: string;
  let accountId: string;
  let instanceId: string;

  beforeEach(async () => {
    ctx = await createTestContext({ policies: generousThrottles });
    ({ id: accountId, key } = await ctx.createAccount({ plan: 'starter' }));
    instanceId = await ctx.createConnectedInstance(key, 'Orders');
  });
  afterEach(() => ctx.close());

  const body = (i: number) =>
    JSON.stringify({
      instance_id: instanceId,
      phone: '+6281234567890',
      message: `Your order #${1000 + i} has shipped.`,
      message_purpose: 'transactional',
    });

  async function assertExactly(sent: number, expected: number) {
    assert.equal(sent, expected, 'accepted sends');
    const rows = await ctx.container.db('messages').whereNotNull('wa_message_id').count({ n: '*' }).first();
    assert.equal(Number(rows?.n), expected, 'sent rows');
    const quota = await ctx.http.get('/api/quota').set('Authorization', `Bearer ${key}`);
    assert.equal(quota.body.daily.used, expected, 'quota used equals messages sent');
    assert.equal(quota.body.daily.remaining, 0);
  }

  it('300 concurrent requests against 100 remaining → exactly 100 sent', async () => {
    const results = await Promise.all(
      Array.from({ length: 300 }, (_, i) =>
        ctx.http
          .post('/api/send-message')
          .set('Authorization', `Bearer ${key}`)
          .set('Content-Type', 'application/json')
          .send(body(i)),
      ),
    );
    const ok = results.filter((r) => r.status === 200).length;
    const refused = results.filter(
      (r) => r.status === 429 && r.body.error === 'daily_message_limit_exceeded',
    ).length;
    assert.equal(
      ok + refused,
      300,
      `unexpected statuses: ${JSON.stringify(results.filter((r) => r.status !== 200 && r.status !== 429).map((r) => r.body)[0])}`,
    );
    await assertExactly(ok, 100);
  });

  it('transport failures give quota back under concurrency', async () => {
    ctx.sandbox?.failNext(instanceId, 50);
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        ctx.http
          .post('/api/send-message')
          .set('Authorization', `Bearer ${key}`)
          .set('Content-Type', 'application/json')
          .send(body(i)),
      ),
    );
    const failed = results.filter((r) => r.status === 502).length;
    assert.equal(failed, 50);
    // A reservation held by a send that later failed may refuse a concurrent request; what must
    // hold is that failures leak nothing: a second wave fills the day to exactly 100.
    const second = await Promise.all(
      Array.from({ length: 150 }, (_, i) =>
        ctx.http
          .post('/api/send-message')
          .set('Authorization', `Bearer ${key}`)
          .set('Content-Type', 'application/json')
          .send(body(500 + i)),
      ),
    );
    const ok = [...results, ...second].filter((r) => r.status === 200).length;
    await assertExactly(ok, 100);
  });

  // Registered only on the MariaDB lane (it needs a database two processes can share over TCP).
  const onMysql = currentLane() === 'mysql' ? it : null;
  onMysql?.('two gateway processes sharing one MariaDB database → exactly 100 sent', async function () {
    const policiesDir = policiesDirWith((name, data) => {
      if (name !== 'throttle.json') return data;
      return {
        ...data,
        per_instance: { points: 100000, duration_seconds: 60 },
        per_recipient: { points: 100000, duration_seconds: 3600 },
        new_recipients: { points: 100000, duration_seconds: 3600 },
      };
    });
    // Unclustered, so both processes send for the instance themselves and only the database keeps
    // the quota exact (clustered, the second process would forward to the lease owner instead).
    const other = await startGatewayProcess({ DATABASE_URL: ctx.database.url, POLICIES_DIR: policiesDir, CLUSTER: 'off' });
    try {
      const results = await Promise.all(
        Array.from({ length: 300 }, async (_, i) => {
          if (i % 2 === 0) {
            const r = await ctx.http
              .post('/api/send-message')
              .set('Authorization', `Bearer ${key}`)
              .set('Content-Type', 'application/json')
              .send(body(i));
            return r.status;
          }
          const r = await fetch(`${other.baseUrl}/api/send-message`, {
            method: 'POST',
            headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
            body: body(i),
          });
          await r.arrayBuffer();
          return r.status;
        }),
      );
      const ok = results.filter((s) => s === 200).length;
      assert.equal(
        results.filter((s) => s !== 200 && s !== 429).length,
        0,
        `unexpected statuses ${results.join(',')}\n${other.output().slice(-2000)}`,
      );
      await assertExactly(ok, 100);
    } finally {
      await other.stop();
    }
    void accountId;
  });
});
