/**
 * Send-pipeline benchmark, measured from outside the process (`npm run bench:send`).
 *
 * For each database lane it starts `bench/send-server.ts` as a child process (the gateway plus a
 * reference server on the same database and knex pool) and drives it with autocannon from this
 * process, one case after the other:
 *   (a) a bare express JSON endpoint,
 *   (b) the same endpoint doing one INSERT,
 *   (c) POST /api/send-message through the full ResponsibleMessageSender (sandbox transport),
 *   (d) the pipeline again at half of (c)'s accepted rate: the latency an unsaturated gateway gives.
 * It prints accepted requests/s, p50/p99, the ratio c/b and the gateway's CPU time per accepted send.
 *
 * Lanes: SQLite always, MariaDB when reachable (or BENCH_DB=sqlite|mysql). Everything on 127.0.0.1.
 * BENCH_REQUESTS (3000), BENCH_CONCURRENCY (32), BENCH_HALF_SECONDS (10), MYSQL_URL
 * (mysql://root@127.0.0.1:3306/warden_bench), BENCH_CPU_PROF=<dir> (the child runs with --cpu-prof).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';
import { ensureMysqlDatabase } from '../test/support/test-db.ts';
import type { BenchTarget } from './send-server.ts';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 3000);
const CONNECTIONS = Number(process.env.BENCH_CONCURRENCY ?? 32);
const HALF_SECONDS = Number(process.env.BENCH_HALF_SECONDS ?? 10);
const MYSQL_URL = process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/warden_bench';

interface Result {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  ok: number;
  total: number;
  /** Gateway-process CPU µs per accepted request (user + system). */
  cpuPerOk: number;
}

function startServer(dbUrl: string): Promise<{ child: ChildProcess; target: BenchTarget }> {
  const prof = process.env.BENCH_CPU_PROF;
  const child = spawn(
    process.execPath,
    [...(prof ? ['--cpu-prof', '--cpu-prof-dir', prof] : []), '--import', 'tsx', 'bench/send-server.ts'],
    { env: { ...process.env, BENCH_DB_URL: dbUrl }, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`bench server exited early (${code})`)));
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.on('line', (line) => {
      if (line.startsWith('READY ')) resolve({ child, target: JSON.parse(line.slice(6)) as BenchTarget });
      else process.stderr.write(`[server] ${line}\n`);
    });
  });
}

async function cpuMicros(target: BenchTarget): Promise<number> {
  const usage = (await (await fetch(`${target.referenceUrl}/cpu`)).json()) as NodeJS.CpuUsage;
  return usage.user + usage.system;
}

let orderNumber = 100_000;

async function load(
  name: string,
  target: BenchTarget,
  url: string,
  headers: Record<string, string>,
  options: { amount: number; overallRate?: number },
): Promise<Result> {
  const cpuBefore = await cpuMicros(target);
  // autocannon closes a run at its next one-second sample, so its `finish` is rounded up to a
  // whole second after the start: the span is measured here, to the last response.
  const started = performance.now();
  let lastResponse = started;
  const result = await autocannon({
    url,
    method: 'POST',
    connections: CONNECTIONS,
    amount: options.amount,
    ...(options.overallRate ? { overallRate: options.overallRate } : {}),
    headers: { 'content-type': 'application/json', ...headers },
    // A fresh order number per request (autocannon's own id replacement miscounts Content-Length).
    requests: [
      {
        onResponse: () => {
          lastResponse = performance.now();
        },
        setupRequest: (request) => ({
          ...request,
          body: JSON.stringify({
            instance_id: target.instanceId,
            phone: '+6281234567890',
            message: `Your order #${(orderNumber += 1)} has shipped and will arrive Tuesday.`,
            message_purpose: 'transactional',
          }),
        }),
      },
    ],
  });
  const cpu = (await cpuMicros(target)) - cpuBefore;
  const ok = result['2xx'];
  const seconds = (lastResponse - started) / 1000;
  return {
    name,
    rps: ok / seconds,
    p50: result.latency.p50,
    p99: result.latency.p99,
    ok,
    total: result.requests.total,
    cpuPerOk: ok > 0 ? cpu / ok : 0,
  };
}

async function lane(kind: 'sqlite' | 'mysql'): Promise<Result[]> {
  const dbUrl =
    kind === 'sqlite' ? `sqlite:${process.env.TMPDIR ?? '/tmp'}/warden-bench-${process.pid}.sqlite` : MYSQL_URL;
  const { child, target } = await startServer(dbUrl);
  child.removeAllListeners('exit');
  const exited = new Promise((r) => child.once('exit', r));
  try {
    const send = `${target.gatewayUrl}/api/send-message`;
    const auth = { authorization: `Bearer ${target.key}` };
    // Warm-up so the JIT, the pools and the caches are comparable.
    await load('warmup', target, `${target.referenceUrl}/insert`, {}, { amount: 500 });
    await load('warmup', target, send, auth, { amount: 500 });
    const results = [
      await load('(a) bare express JSON', target, `${target.referenceUrl}/bare`, {}, { amount: REQUESTS }),
      await load('(b) express + one INSERT', target, `${target.referenceUrl}/insert`, {}, { amount: REQUESTS }),
      await load('(c) full send pipeline', target, send, auth, { amount: REQUESTS }),
    ];
    const peak = (results[2] as Result).rps;
    const rate = Math.max(1, Math.floor(peak / 2));
    results.push(
      await load(`(d) pipeline at ${rate}/s`, target, send, auth, { amount: rate * HALF_SECONDS, overallRate: rate }),
    );
    for (const r of results)
      if (r.ok !== r.total) process.stderr.write(`warning: ${r.name}: only ${r.ok}/${r.total} answered 2xx\n`);
    return results;
  } finally {
    await fetch(`${target.referenceUrl}/quit`, { method: 'POST' }).catch(() => child.kill());
    await exited;
  }
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
process.stdout.write(
  `send benchmark: gateway in its own process, autocannon, ${REQUESTS} requests per case, ${CONNECTIONS} connections, loopback\n`,
);
for (const kind of lanes) {
  const results = await lane(kind);
  process.stdout.write(`\n[${kind}]\n`);
  process.stdout.write(
    `${'case'.padEnd(30)}${'req/s'.padStart(9)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}${'CPU µs/req'.padStart(12)}\n`,
  );
  for (const r of results)
    process.stdout.write(
      `${r.name.padEnd(30)}${r.rps.toFixed(0).padStart(9)}${r.p50.toFixed(1).padStart(9)}${r.p99.toFixed(1).padStart(9)}${r.cpuPerOk.toFixed(0).padStart(12)}\n`,
    );
  const b = results[1] as Result;
  const c = results[2] as Result;
  process.stdout.write(`ratio c/b (throughput): ${(c.rps / b.rps).toFixed(2)}\n`);
}
process.exit(0);
