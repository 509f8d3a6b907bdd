/**
 * A database that does not answer is noticed: `/health` answers 503 within 2 s (blackholed,
 * unreachable or without the schema), requests fail fast with `503 service_unavailable`, and a
 * SIGTERM ends the process within 10 s whatever the database does. The blackhole is a loopback
 * TCP server that accepts and never answers (test/support/blackhole.ts).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createDb } from '../../src/db/database.ts';
import { migrateLatest } from '../../src/db/migrator.ts';
import { BlackholeProxy } from '../support/blackhole.ts';
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.ts';
import { createTestContext, type TestContext } from '../support/test-app.ts';
import { currentLane, ensureMysqlDatabase, mysqlUrl } from '../support/test-db.ts';

const UNAVAILABLE = {
  success: false,
  error: 'service_unavailable',
  message: 'The gateway cannot reach its database right now. Please try again shortly.',
};

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await fn();
  return { value, ms: Math.round(performance.now() - started) };
}

describe(`database deadlines (${currentLane()})`, function () {
  this.timeout(60_000);
  let ctx: TestContext | null = null;
  let hole: BlackholeProxy | null = null;
  let gateway: GatewayProcess | null = null;
  afterEach(async () => {
    await gateway?.stop('SIGKILL');
    gateway = null;
    await ctx?.close().catch(() => {});
    ctx = null;
    await hole?.close();
    hole = null;
  });

  it('a blackholed database: /health 503 within 2 s, requests 503 service_unavailable, not a hang', async () => {
    hole = await BlackholeProxy.start();
    const db = createDb(`mysql://root@127.0.0.1:${hole.port}/warden`, {
      connectTimeoutMs: 1000,
      acquireTimeoutMs: 1500,
      queryTimeoutMs: 1000,
    });
    ctx = await createTestContext({ overrides: { db } });
    const health = await timed(() => ctx!.http.get('/health'));
    assert.equal(health.value.status, 503);
    assert.equal(health.value.body.status, 'degraded');
    // The 1 s connect deadline may fire before the 1.5 s probe deadline.
    assert.ok(['timeout', 'unreachable'].includes(health.value.body.checks.database), health.value.text);
    assert.ok(health.ms < 2000, `/health took ${health.ms} ms`);
    const api = await timed(() => ctx!.http.get('/api/quota').set('Authorization', `Bearer wdn_${'a'.repeat(43)}`));
    assert.equal(api.value.status, 503, api.value.text);
    assert.deepEqual(api.value.body, UNAVAILABLE);
    assert.equal(api.value.headers['retry-after'], '5');
    assert.ok(api.ms < 5000, `a request took ${api.ms} ms`);
    process.stdout.write(`      blackholed: /health 503 in ${health.ms} ms, GET /api/quota 503 in ${api.ms} ms\n`);
    await db.destroy().catch(() => {});
  });

  it('an unreachable database (connection refused): /health 503 unreachable', async () => {
    // A port that was just free: nothing listens there, so the connection is refused.
    const probe = await BlackholeProxy.start();
    const port = probe.port;
    await probe.close();
    const db = createDb(`mysql://root@127.0.0.1:${port}/warden`, { acquireTimeoutMs: 1500 });
    ctx = await createTestContext({ overrides: { db } });
    const health = await timed(() => ctx!.http.get('/health'));
    assert.equal(health.value.status, 503);
    assert.ok(['unreachable', 'timeout'].includes(health.value.body.checks.database), health.value.text);
    assert.ok(health.ms < 2000, `/health took ${health.ms} ms`);
    await db.destroy().catch(() => {});
  });

  it('a database without the schema (dropped, or never migrated): /health 503 schema_missing', async () => {
    let url: string;
    if (currentLane() === 'mysql') {
      const u = new URL(mysqlUrl());
      u.pathname = `${u.pathname}_dropped`;
      url = u.toString();
      await ensureMysqlDatabase(url, { recreate: true });
      const setup = createDb(url);
      await migrateLatest(setup);
      await setup.destroy();
    } else {
      url = `sqlite:${path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'warden-noschema-')), 'empty.sqlite')}`;
    }
    const db = createDb(url);
    ctx = await createTestContext({ overrides: { db } });
    if (currentLane() === 'mysql') {
      assert.equal((await ctx.http.get('/health')).status, 200, 'healthy while the schema exists');
      await db.raw(`DROP DATABASE \`${new URL(url).pathname.slice(1)}\``);
    }
    const health = await timed(() => ctx!.http.get('/health'));
    assert.equal(health.value.status, 503, health.value.text);
    assert.equal(health.value.body.checks.database, 'schema_missing');
    assert.ok(health.ms < 2000);
    await db.destroy();
  });

  it('SIGTERM ends the gateway within 10 s while a send is stuck', async () => {
    ctx = await createTestContext();
    const { key } = await ctx.createAccount();
    const instanceId = await ctx.createConnectedInstance(key);
    gateway = await startGatewayProcess({ DATABASE_URL: ctx.database.url, SANDBOX_SEND_LATENCY: '50s' });
    const stuck = fetch(`${gateway.baseUrl}/api/send-message`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ instance_id: instanceId, phone: '+6281234567890', message: 'Your order #1 shipped.', message_purpose: 'transactional' }),
    }).catch(() => null);
    await waitFor(async () => (await ctx!.container.db('messages').where({ status: 'reserved' }).first()) !== undefined);
    const stop = await timed(() => gateway!.stop('SIGTERM'));
    assert.ok(stop.ms < 10_000, `shutdown took ${stop.ms} ms`);
    await stuck;
    process.stdout.write(`      SIGTERM with a stuck send: exited in ${stop.ms} ms\n`);
  });

  const onMysql = currentLane() === 'mysql' ? it : it.skip;
  onMysql('a gateway whose database becomes blackholed: /health 503 within 2 s, SIGTERM exits within 10 s', async () => {
    const target = new URL(mysqlUrl());
    hole = await BlackholeProxy.start({ host: target.hostname, port: Number(target.port || 3306) });
    ctx = await createTestContext();
    const via = new URL(ctx.database.url);
    via.port = String(hole.port);
    gateway = await startGatewayProcess({ DATABASE_URL: via.toString() });
    const ok = await fetch(`${gateway.baseUrl}/health`);
    assert.equal(ok.status, 200);
    hole.blackhole();
    const health = await timed(() => fetch(`${gateway!.baseUrl}/health`));
    assert.equal(health.value.status, 503);
    const body = (await health.value.json()) as { checks: { database: string } };
    assert.equal(body.checks.database, 'timeout');
    assert.ok(health.ms < 2000, `/health took ${health.ms} ms`);
    const stop = await timed(() => gateway!.stop('SIGTERM'));
    assert.ok(stop.ms < 10_000, `shutdown took ${stop.ms} ms`);
    process.stdout.write(`      live gateway, database blackholed: /health 503 in ${health.ms} ms, SIGTERM exit in ${stop.ms} ms\n`);
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
