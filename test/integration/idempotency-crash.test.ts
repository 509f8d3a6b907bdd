/**
 * Crash safety of Idempotency-Key and quota with the real gateway process: 200 concurrent sends
 * with keys, SIGKILL mid-burst, restart, retry every key with the same body. Keys whose message
 * was sent replay that send (same message_id and log_id); the rest are evaluated afresh once the
 * send's deadline (SEND_DEADLINE=3s here) has passed; in the end every key sent exactly one
 * message and quota `used` equals messages sent. Runs on SQLite, or MariaDB with TEST_DB=mysql.
 */
import assert from 'node:assert/strict';
import { policiesDirWith, startGatewayProcess, type GatewayProcess } from '../support/gateway-process.ts';
import { createTestContext, generousThrottles, type TestContext } from '../support/test-app.ts';
import { createTestDatabase, currentLane, type TestDatabase } from '../support/test-db.ts';

const TOTAL = 200;
const KILL_AFTER = 40;

interface Answer {
  status: number;
  body: Record<string, unknown>;
  retryAfter: string | null;
  replayed: boolean;
}

describe(`Idempotency-Key and quota survive a SIGKILL mid-burst (${currentLane()})`, function () {
  this.timeout(120_000);
  let database: TestDatabase;
  let ctx: TestContext;
  let gateway: GatewayProcess | null = null;
  let key: string;
  let instanceId: string;

  before(async () => {
    database = await createTestDatabase();
    ctx = await createTestContext({ database, policies: generousThrottles });
    ({ key } = await ctx.createAccount({ plan: 'growth' }));
    instanceId = await ctx.createConnectedInstance(key, 'Orders');
  });
  after(async () => {
    await gateway?.stop('SIGKILL');
    await ctx.close();
    await database.destroy();
  });

  const policiesDir = () =>
    policiesDirWith((name, data) =>
      name === 'throttle.json'
        ? {
            ...data,
            per_instance: { points: 100000, duration_seconds: 60 },
            per_recipient: { points: 100000, duration_seconds: 3600 },
            new_recipients: { points: 100000, duration_seconds: 3600 },
          }
        : data,
    );
  const start = (dir: string) =>
    startGatewayProcess({
      DATABASE_URL: database.url,
      POLICIES_DIR: dir,
      SEND_DEADLINE: '3s',
      SANDBOX_SEND_LATENCY: '150ms',
      // One gateway restarted in place: what is measured is the key and the quota, not a
      // failover (a clustered restart waits for the dead process's lease: test/e2e/cluster.test.ts).
      CLUSTER: 'off',
    });
  const bodyOf = (i: number) =>
    JSON.stringify({
      instance_id: instanceId,
      phone: '+6281234567890',
      message: `Your order #${5000 + i} has shipped.`,
      message_purpose: 'transactional',
    });
  async function send(base: string, i: number): Promise<Answer> {
    const res = await fetch(`${base}/api/send-message`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json', 'Idempotency-Key': `crash-${i}` },
      body: bodyOf(i),
    });
    return {
      status: res.status,
      body: (await res.json()) as Record<string, unknown>,
      retryAfter: res.headers.get('retry-after'),
      replayed: res.headers.get('idempotent-replayed') === 'true',
    };
  }

  /**
   * A send to the live gateway, retried on a network error the way a client with an
   * Idempotency-Key would: a pooled keep-alive connection the server closed while the machine
   * was busy resets, and a retry of the same key must not send twice (which is what is measured).
   */
  async function sendRetrying(base: string, i: number): Promise<Answer> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await send(base, i);
      } catch (error) {
        if (attempt >= 3) throw error;
      }
    }
  }

  it('every key ends with exactly one send; used equals messages sent', async () => {
    const dir = policiesDir();
    gateway = await start(dir);
    const first = gateway;
    const before = new Map<number, Answer>();
    let answered = 0;
    let killed: Promise<void> | null = null;
    await Promise.all(
      Array.from({ length: TOTAL }, async (_, i) => {
        try {
          const a = await send(first.baseUrl, i);
          if (killed) return; // the answer raced the kill; treat it as lost
          before.set(i, a);
          if (a.status === 200 && ++answered === KILL_AFTER) killed = first.stop('SIGKILL');
        } catch {
          // connection reset by the kill
        }
      }),
    );
    await killed;
    assert.ok(before.size >= KILL_AFTER && before.size < TOTAL, `killed mid-burst (${before.size} answered)`);
    for (const a of before.values()) assert.equal(a.status, 200, JSON.stringify(a.body));
    const interrupted = await ctx.container.db('messages').where({ status: 'reserved' }).count({ n: '*' }).first();
    const inFlight = await ctx.container.db('idempotency_keys').where({ state: 'in_flight' }).count({ n: '*' }).first();
    process.stdout.write(
      `      after SIGKILL: ${before.size} answered, ${Number(inFlight?.n)} keys in flight, ${Number(interrupted?.n)} reservations interrupted\n`,
    );

    gateway = await start(dir);
    const second = gateway;
    const retry = await Promise.all(Array.from({ length: TOTAL }, (_, i) => sendRetrying(second.baseUrl, i)));
    let waitMs = 0;
    for (const [i, a] of retry.entries()) {
      const earlier = before.get(i);
      if (earlier) {
        assert.equal(a.status, 200);
        assert.deepEqual(a.body, earlier.body, `key ${i} replays its first answer`);
        assert.ok(a.replayed);
      } else if (a.status === 409) {
        assert.equal(a.body.error, 'conflict');
        assert.equal((a.body.details as { reason: string }).reason, 'idempotent_request_in_progress');
        const seconds = Number(a.retryAfter);
        assert.ok(seconds >= 1 && seconds <= 3, `Retry-After ${a.retryAfter} within SEND_DEADLINE`);
        waitMs = Math.max(waitMs, seconds * 1000);
      } else assert.equal(a.status, 200, JSON.stringify(a.body));
    }
    const conflicts = retry.filter((a) => a.status === 409).length;
    // Retry-After rounds up to whole seconds; after it every claim has expired.
    await new Promise((resolve) => setTimeout(resolve, waitMs + 100));
    const last = await Promise.all(Array.from({ length: TOTAL }, (_, i) => sendRetrying(second.baseUrl, i)));
    const statuses = last.map((a) => a.status);
    assert.deepEqual([...new Set(statuses)], [200], JSON.stringify(last.find((a) => a.status !== 200)?.body));
    const final = await Promise.all(Array.from({ length: TOTAL }, (_, i) => sendRetrying(second.baseUrl, i)));
    const logIds = new Set(final.map((a) => a.body.log_id));
    const messageIds = new Set(final.map((a) => a.body.message_id));
    assert.equal(logIds.size, TOTAL, 'one log row per key');
    assert.equal(messageIds.size, TOTAL, 'one message per key');
    assert.ok(final.every((a) => a.replayed));
    for (const [i, a] of final.entries()) assert.deepEqual(a.body, last[i]?.body, `key ${i} is stable`);

    const sent = await ctx.container.db('messages').whereNotNull('wa_message_id').count({ n: '*' }).first();
    const quota = await ctx.http.get('/api/quota').set('Authorization', `Bearer ${key}`);
    process.stdout.write(
      `      after restart: ${conflicts} retries answered 409 (≤ ${waitMs / 1000}s), then all ${TOTAL} keys 200; sent ${Number(sent?.n)}, quota used ${quota.body.daily.used}\n`,
    );
    assert.equal(quota.body.daily.used, Number(sent?.n), 'quota used equals messages sent');
    assert.equal(Number(sent?.n), TOTAL, 'no key sent twice');
  });
});
