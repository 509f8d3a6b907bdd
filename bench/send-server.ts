/**
 * The process under test for `bench/send.ts` (started by it; not meant to be run by hand).
 *
 * One database (SQLite file or MariaDB, from BENCH_DB_URL), two HTTP servers on 127.0.0.1:
 *   - the reference server: `POST /bare` (express + JSON), `POST /insert` (the same plus one INSERT
 *     through the same knex pool), `GET /cpu` (this process's CPU time so far), `POST /quit`;
 *   - the gateway: the real app (`createApp`) with the sandbox transport, shipped policies with
 *     throttles out of the way, and one provisioned account (limits out of the way), key and
 *     connected instance.
 * When ready it prints one line `READY {json}` with both URLs, the API key and the instance id.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { rmSync } from 'node:fs';
import express from 'express';
import { createApp } from '../src/app.ts';
import { createContainer } from '../src/container.ts';
import { createDb } from '../src/db/database.ts';
import { migrateLatest } from '../src/db/migrator.ts';
import { SandboxTransport } from '../src/transport/sandbox/sandbox-transport.ts';
import { ADMIN_TOKEN, generousThrottles, testConfig, testPolicies } from '../test/support/test-app.ts';
import { ensureMysqlDatabase, truncateAll } from '../test/support/test-db.ts';

export interface BenchTarget {
  referenceUrl: string;
  gatewayUrl: string;
  key: string;
  instanceId: string;
}

const url = process.env.BENCH_DB_URL;
if (!url) throw new Error('BENCH_DB_URL is required');
const mysql = !url.startsWith('sqlite:');

async function listen(app: express.Express): Promise<{ url: string; server: http.Server }> {
  const server = http.createServer(app);
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, server };
}

if (mysql) await ensureMysqlDatabase(url);
const db = createDb(url);
await migrateLatest(db);
if (mysql) await truncateAll(db);
await db.schema.dropTableIfExists('bench_rows');
await db.schema.createTable('bench_rows', (t) => {
  t.increments('id');
  t.string('instance_id', 40);
  t.string('phone', 32);
  t.text('message');
  t.bigInteger('created_at');
});

/** BENCH_QUERY_STATS=1: count and time every statement (by SQL text); printed to stderr at quit. */
const queryStats = new Map<string, { n: number; ms: number }>();
if (process.env.BENCH_QUERY_STATS) {
  const started = new Map<string, number>();
  db.on('query', (q: { __knexQueryUid: string }) => started.set(q.__knexQueryUid, performance.now()));
  db.on('query-response', (_r: unknown, q: { __knexQueryUid: string; sql: string }) => {
    const t0 = started.get(q.__knexQueryUid);
    started.delete(q.__knexQueryUid);
    const s = queryStats.get(q.sql) ?? { n: 0, ms: 0 };
    s.n += 1;
    s.ms += t0 === undefined ? 0 : performance.now() - t0;
    queryStats.set(q.sql, s);
  });
}

const transport = new SandboxTransport({ receiptDelayMs: 600_000 });
const container = await createContainer(testConfig(url, { LOG_LEVEL: 'error' }), testPolicies(generousThrottles), {
  db,
  transport,
});
container.setAdminToken(ADMIN_TOKEN);
const gateway = await listen(createApp(container));

const reference = express();
reference.post('/bare', express.json(), (_req, res) => {
  res.json({ success: true });
});
reference.post('/insert', express.json(), async (req, res) => {
  const [id] = await db('bench_rows').insert({
    instance_id: req.body.instance_id,
    phone: req.body.phone,
    message: req.body.message,
    created_at: Date.now(),
  });
  res.json({ success: true, log_id: id });
});
reference.get('/cpu', (_req, res) => {
  res.json(process.cpuUsage());
});
reference.post('/quit', (_req, res) => {
  res.json({ ok: true });
  void (async () => {
    for (const [sql, s] of [...queryStats].sort((a, b) => b[1].ms - a[1].ms).slice(0, 30))
      process.stderr.write(`${String(s.n).padStart(7)} ${s.ms.toFixed(0).padStart(7)} ms  ${sql.slice(0, 160)}\n`);
    gateway.server.close();
    server.close();
    await container.close();
    await db.schema.dropTableIfExists('bench_rows');
    await db.destroy();
    if (!mysql) rmSync(url.slice('sqlite:'.length), { force: true });
    // A normal exit, so `--cpu-prof` writes its profile.
    process.exit(0);
  })();
});
const { url: referenceUrl, server } = await listen(reference);

async function call<T>(method: string, path: string, token: string, body?: unknown): Promise<T> {
  const res = await fetch(`${gateway.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

const account = await call<{ id: string }>('POST', '/admin/api/accounts', ADMIN_TOKEN, { name: 'Bench', plan: 'scale' });
await call('PATCH', `/admin/api/accounts/${account.id}`, ADMIN_TOKEN, {
  daily_limit_override: 10_000_000,
  monthly_limit_override: 10_000_000,
  override_reason: 'benchmark',
  override_approved_by: 'bench',
});
const { key } = await call<{ key: string }>('POST', `/admin/api/accounts/${account.id}/api-keys`, ADMIN_TOKEN, {
  name: 'bench',
});
const { instance } = await call<{ instance: { id: string } }>('POST', '/api/instances', key, { name: 'Bench line' });
await call('POST', `/api/instances/${instance.id}/sandbox/scan`, key);

const target: BenchTarget = { referenceUrl, gatewayUrl: gateway.url, key, instanceId: instance.id };
process.stdout.write(`READY ${JSON.stringify(target)}\n`);
