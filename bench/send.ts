/**
 * Send-pipeline benchmark. In one run, on the same database, it measures accepted requests/s and
 * p50/p99 latency for:
 *   (a) a bare express JSON endpoint,
 *   (b) the same endpoint doing one INSERT,
 *   (c) POST /api/send-message through the full ResponsibleMessageSender with the sandbox transport,
 * and prints the ratio c/b. Lanes: SQLite always; MariaDB when reachable (or BENCH_DB=sqlite|mysql).
 * Everything runs on 127.0.0.1.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { Pool } from 'undici';
import { createApp } from '../src/app.ts';
import { createContainer } from '../src/container.ts';
import { createDb } from '../src/db/database.ts';
import { migrateLatest } from '../src/db/migrator.ts';
import { SandboxTransport } from '../src/transport/sandbox/sandbox-transport.ts';
import { ADMIN_TOKEN, testConfig, testPolicies, generousThrottles } from '../test/support/test-app.ts';
import { ensureMysqlDatabase, truncateAll } from '../test/support/test-db.ts';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 3000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const MYSQL_URL = process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/warden_bench';

interface Result {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  ok: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

async function listen(app: express.Express): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer(app);
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(() => r())) };
}

function load(name: string, url: string, path: string, headers: Record<string, string>, body: (i: number) => string): Promise<Result> {
  return loadMany(name, url, path, (i) => ({ headers, body: body(i) }));
}

async function loadMany(
  name: string,
  url: string,
  path: string,
  request: (i: number) => { headers: Record<string, string>; body: string },
): Promise<Result> {
  const pool = new Pool(url, { connections: CONCURRENCY, pipelining: 1 });
  const latencies: number[] = [];
  let next = 0;
  let ok = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < REQUESTS) {
        const r = request(next++);
        const t0 = performance.now();
        const res = await pool.request({ method: 'POST', path, headers: { 'content-type': 'application/json', ...r.headers }, body: r.body });
        await res.body.dump();
        latencies.push(performance.now() - t0);
        if (res.statusCode === 200) ok++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await pool.close();
  latencies.sort((a, b) => a - b);
  return { name, rps: ok / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99), ok };
}

async function lane(kind: 'sqlite' | 'mysql'): Promise<Result[]> {
  const url =
    kind === 'sqlite'
      ? `sqlite:${process.env.TMPDIR ?? '/tmp'}/warden-bench-${process.pid}.sqlite`
      : MYSQL_URL;
  if (kind === 'mysql') await ensureMysqlDatabase(url);
  const db = createDb(url, { poolMax: 16 });
  await migrateLatest(db);
  if (kind === 'mysql') await truncateAll(db);
  else
    for (const t of ['messages', 'usage_counters', 'events', 'accounts', 'api_keys', 'instances'])
      await db(t).delete();
  await db.schema.dropTableIfExists('bench_rows');
  await db.schema.createTable('bench_rows', (t) => {
    t.increments('id');
    t.string('instance_id', 40);
    t.string('phone', 32);
    t.text('message');
    t.bigInteger('created_at');
  });

  // (a) and (b)
  const bare = express();
  bare.post('/bare', express.json(), (_req, res) => {
    res.json({ success: true });
  });
  bare.post('/insert', express.json(), async (req, res) => {
    const [id] = await db('bench_rows').insert({
      instance_id: req.body.instance_id,
      phone: req.body.phone,
      message: req.body.message,
      created_at: Date.now(),
    });
    res.json({ success: true, log_id: id });
  });
  const bareServer = await listen(bare);

  // (c)
  const transport = new SandboxTransport({ receiptDelayMs: 60_000 });
  const container = await createContainer(
    testConfig(url, { LOG_LEVEL: 'error' }),
    testPolicies(generousThrottles),
    { db, transport },
  );
  container.setAdminToken(ADMIN_TOKEN);
  const app = createApp(container);
  const gateway = await listen(app);
  const admin = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' };
  /** An account with limits out of the way, one API key and one connected sandbox instance. */
  const provision = async (name: string) => {
    const acc = (await (
      await fetch(`${gateway.url}/admin/api/accounts`, { method: 'POST', headers: admin, body: JSON.stringify({ name, plan: 'scale' }) })
    ).json()) as { id: string };
    await fetch(`${gateway.url}/admin/api/accounts/${acc.id}`, {
      method: 'PATCH',
      headers: admin,
      body: JSON.stringify({ daily_limit_override: 10_000_000, monthly_limit_override: 10_000_000, override_reason: 'benchmark', override_approved_by: 'bench' }),
    });
    const { key: k } = (await (
      await fetch(`${gateway.url}/admin/api/accounts/${acc.id}/api-keys`, { method: 'POST', headers: admin, body: JSON.stringify({ name: 'bench' }) })
    ).json()) as { key: string };
    const created = (await (
      await fetch(`${gateway.url}/api/instances`, { method: 'POST', headers: { authorization: `Bearer ${k}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: `${name} line` }) })
    ).json()) as { instance: { id: string } };
    await fetch(`${gateway.url}/api/instances/${created.instance.id}/sandbox/scan`, { method: 'POST', headers: { authorization: `Bearer ${k}` } });
    return { key: k, instanceId: created.instance.id };
  };
  const account = (await (
    await fetch(`${gateway.url}/admin/api/accounts`, {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({ name: 'Bench', plan: 'scale' }),
    })
  ).json()) as { id: string };
  await fetch(`${gateway.url}/admin/api/accounts/${account.id}`, {
    method: 'PATCH',
    headers: admin,
    body: JSON.stringify({
      daily_limit_override: 10_000_000,
      monthly_limit_override: 10_000_000,
      override_reason: 'benchmark',
      override_approved_by: 'bench',
    }),
  });
  const { key } = (await (
    await fetch(`${gateway.url}/admin/api/accounts/${account.id}/api-keys`, {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({ name: 'bench' }),
    })
  ).json()) as { key: string };
  const auth = { authorization: `Bearer ${key}` };
  const inst = (await (
    await fetch(`${gateway.url}/api/instances`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Bench line' }),
    })
  ).json()) as { instance: { id: string } };
  await fetch(`${gateway.url}/api/instances/${inst.instance.id}/sandbox/scan`, {
    method: 'POST',
    headers: auth,
  });

  const body = (i: number) =>
    JSON.stringify({
      instance_id: inst.instance.id,
      phone: '+6281234567890',
      message: `Your order #${100000 + i} has shipped and will arrive Tuesday.`,
      message_purpose: 'transactional',
    });

  // Warm-up so JIT and pools are comparable.
  await load('warmup', bareServer.url, '/insert', {}, body);
  const results = [
    await load('(a) bare express JSON', bareServer.url, '/bare', {}, body),
    await load('(b) express + one INSERT', bareServer.url, '/insert', {}, body),
    await load('(c) full send pipeline', gateway.url, '/api/send-message', auth, body),
  ];
  // (c2) the same pipeline spread over 16 accounts: shows how much of (c) is the per-account
  // serialization on the quota counter row (the price of exact limits) rather than pipeline work.
  const tenants = await Promise.all(Array.from({ length: 16 }, (_, i) => provision(`Tenant ${i}`)));
  results.push(
    await loadMany('(c2) pipeline, 16 accounts', gateway.url, '/api/send-message', (i) => {
      const t = tenants[i % tenants.length] as { key: string; instanceId: string };
      return {
        headers: { authorization: `Bearer ${t.key}` },
        body: JSON.stringify({ instance_id: t.instanceId, phone: '+6281234567890', message: `Your order #${200000 + i} has shipped.`, message_purpose: 'transactional' }),
      };
    }),
  );
  const c = results[2] as Result;
  if (c.ok !== REQUESTS) process.stderr.write(`warning: only ${c.ok}/${REQUESTS} sends accepted in (c)\n`);
  await gateway.close();
  await bareServer.close();
  await container.close();
  await db.schema.dropTableIfExists('bench_rows');
  await db.destroy();
  return results;
}

async function mysqlReachable(): Promise<boolean> {
  try {
    await ensureMysqlDatabase(MYSQL_URL);
    return true;
  } catch {
    return false;
  }
}

const lanes: ('sqlite' | 'mysql')[] = process.env.BENCH_DB
  ? [process.env.BENCH_DB as 'sqlite' | 'mysql']
  : ['sqlite', ...((await mysqlReachable()) ? (['mysql'] as const) : [])];
process.stdout.write(`send benchmark: ${REQUESTS} requests per case, concurrency ${CONCURRENCY}, loopback\n`);
for (const kind of lanes) {
  const results = await lane(kind);
  process.stdout.write(`\n[${kind}]\n`);
  process.stdout.write(
    `${'case'.padEnd(28)}${'req/s'.padStart(10)}${'p50 ms'.padStart(10)}${'p99 ms'.padStart(10)}\n`,
  );
  for (const r of results)
    process.stdout.write(
      `${r.name.padEnd(28)}${r.rps.toFixed(0).padStart(10)}${r.p50.toFixed(2).padStart(10)}${r.p99.toFixed(2).padStart(10)}\n`,
    );
  const b = results[1] as Result;
  const c = results[2] as Result;
  process.stdout.write(`ratio c/b (throughput): ${(c.rps / b.rps).toFixed(2)}\n`);
  const c2 = results[3];
  if (c2) process.stdout.write(`ratio c2/b (throughput): ${(c2.rps / b.rps).toFixed(2)}\n`);
}
process.exit(0);
