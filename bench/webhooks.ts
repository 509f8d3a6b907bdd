/**
 * Webhook delivery benchmark. In one run, against the same kind of loopback receiver and with the
 * same HTTP concurrency, it compares:
 *   (a) the outbox pipeline: events committed to the outbox (one transaction each), claimed under a
 *       lease by the delivery worker, signed both ways, POSTed through the SSRF-guarded agent, and
 *       recorded (attempt row + delivery state);
 *   (b) a bare undici POST loop of the same bodies.
 * Two measurements:
 *   - throughput: N events already committed, time until the receiver has all of them (a), vs N
 *     POSTs (b); best of BENCH_ROUNDS alternating rounds each (the box is shared and noisy), and the
 *     ratio a/b (target ≥ 0.5). Once with a receiver that answers at once (pure overhead: every
 *     delivery costs two row writes, an attempt row and two HMACs that a bare POST does not) and
 *     once with one that takes BENCH_RECEIVER_MS to answer, as real receivers do; process CPU per
 *     event is printed too, being steadier than wall time on a busy machine;
 *   - latency at a steady rate below capacity (BENCH_RATE events/s): commit → receiver (a) and
 *     send → receiver (b), p50 / p99. (Latency measured at saturation is only queueing time.)
 * Lanes: SQLite by default; MariaDB with BENCH_DB=mysql (MYSQL_URL, default …/warden_bench).
 * Knobs: BENCH_EVENTS (2000), BENCH_CONCURRENCY (16), BENCH_ROUNDS (3), BENCH_RECEIVER_MS (0,10),
 * BENCH_RATE (200), BENCH_LATENCY_EVENTS (1000). Everything runs on 127.0.0.1.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Pool } from 'undici';
import { type Container, createContainer } from '../src/container.ts';
import { createDb } from '../src/db/database.ts';
import { migrateLatest } from '../src/db/migrator.ts';
import type { EventPayload } from '../src/events/event-schemas.ts';
import { createDeliveryWorker, type DeliveryWorker } from '../src/webhooks/delivery-worker.ts';
import { testConfig, testPolicies } from '../test/support/test-app.ts';
import { ensureMysqlDatabase, truncateAll } from '../test/support/test-db.ts';
import { noDnsResolver } from '../test/support/webhook-harness.ts';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 2000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const RATE = Number(process.env.BENCH_RATE ?? 200);
const LATENCY_EVENTS = Math.min(EVENTS, Number(process.env.BENCH_LATENCY_EVENTS ?? 1000));
/** Receiver processing time per request; 0 measures pure overhead, 10 is a quick real receiver. */
const RECEIVER_MS = (process.env.BENCH_RECEIVER_MS ?? '0,10').split(',').map((v) => Number(v.trim()));
const LANE = process.env.BENCH_DB === 'mysql' ? 'mysql' : 'sqlite';
const MYSQL_URL = process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/warden_bench';
const WAIT_LIMIT_MS = 60_000;

interface Receiver {
  url: string;
  arrivals: Map<number, number>;
  waitFor: (count: number) => Promise<void>;
  close: () => Promise<void>;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Records when each numbered event first arrives (payload.n); answers 200 at once. */
async function startReceiver(delayMs = 0): Promise<Receiver> {
  const arrivals = new Map<number, number>();
  let wake: (() => void) | null = null;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = performance.now();
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { payload?: { n?: number } };
      const n = body.payload?.n;
      if (typeof n === 'number' && !arrivals.has(n)) arrivals.set(n, at);
      wake?.();
      const answer = () => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('ok');
      };
      if (delayMs > 0) setTimeout(answer, delayMs);
      else answer();
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    arrivals,
    waitFor: async (count) => {
      const deadline = Date.now() + WAIT_LIMIT_MS;
      while (arrivals.size < count) {
        if (Date.now() > deadline) throw new Error(`only ${arrivals.size} of ${count} events arrived in time`);
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, 50);
          wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
      }
    },
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** A message payload carrying the bench's sequence number `n` (not in the schema: the worker never reads payloads). */
function payloadFor(n: number): EventPayload<'message.received'> {
  return {
    n,
    direction: 'inbound',
    from: '+6281234567890',
    chat: '6281234567890@s.whatsapp.net',
    message_id: `3EB0${n.toString(16).padStart(18, '0').toUpperCase()}`,
    message_type: 'text',
    text: 'Hello, I would like to know whether my order #A-1029 has shipped yet.',
    is_group: false,
  } as object as EventPayload<'message.received'>;
}

function bareBody(n: number): string {
  return JSON.stringify({
    event: 'message.received',
    request_id: crypto.randomUUID(),
    timestamp: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    account_id: 'acc_bench',
    instance_id: null,
    instance_name: null,
    payload: payloadFor(n),
  });
}

function latencies(sent: Map<number, number>, arrivals: Map<number, number>): { p50: number; p99: number } {
  const values: number[] = [];
  for (const [n, at] of arrivals) {
    const from = sent.get(n);
    if (from !== undefined) values.push(at - from);
  }
  values.sort((a, b) => a - b);
  return { p50: percentile(values, 50), p99: percentile(values, 99) };
}

async function databaseUrl(): Promise<string> {
  if (LANE === 'mysql') {
    await ensureMysqlDatabase(MYSQL_URL);
    const db = createDb(MYSQL_URL);
    await migrateLatest(db);
    await truncateAll(db);
    await db.destroy();
    return MYSQL_URL;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'warden-bench-'));
  const url = `sqlite:${path.join(dir, 'bench.sqlite')}`;
  const db = createDb(url);
  await migrateLatest(db);
  await db.destroy();
  return url;
}

interface Pipeline {
  c: Container;
  accountId: string;
  newWorker: () => DeliveryWorker;
}

async function pipeline(url: string): Promise<Pipeline> {
  const c = await createContainer(
    testConfig(url, { WEBHOOK_RETRY_SCHEDULE: '1s', WEBHOOK_TIMEOUT: '10s', LOG_LEVEL: 'error' }),
    testPolicies(),
  );
  const account = await c.accounts.create({ name: 'Bench', plan: 'starter' });
  return {
    c,
    accountId: account.id,
    newWorker: () =>
      createDeliveryWorker(c, {
        concurrency: CONCURRENCY,
        // One receiver here, so let it use every slot, exactly like the bare loop.
        perEndpointConcurrency: CONCURRENCY,
        resolver: noDnsResolver,
        jitter: 0,
      }),
  };
}

/** Points the (only) subscription at this round's receiver. */
async function subscribeTo(p: Pipeline, receiver: Receiver): Promise<void> {
  await p.c.db('webhook_endpoints').update({ deleted_at: Date.now() });
  await p.c.webhooks.create(p.accountId, { destination_url: receiver.url, events: ['*'] });
}

const emitEvent = (p: Pipeline, n: number) =>
  p.c.outbox.emitNow({
    type: 'message.received',
    accountId: p.accountId,
    instanceId: null,
    instanceName: null,
    payload: payloadFor(n),
  });

interface Throughput {
  eventsPerSecond: number;
  /** Process CPU (user + system) per event during the measurement: steadier than wall time on a busy box. */
  cpuMicrosPerEvent: number;
}

function measure(started: number, cpu: NodeJS.CpuUsage, arrivals: Map<number, number>): Throughput {
  const used = process.cpuUsage(cpu);
  return {
    eventsPerSecond: EVENTS / ((Math.max(...arrivals.values()) - started) / 1000),
    cpuMicrosPerEvent: (used.user + used.system) / EVENTS,
  };
}

/** (a) throughput: N committed events, drained by a fresh worker. */
async function outboxThroughput(p: Pipeline, delayMs: number): Promise<Throughput> {
  const receiver = await startReceiver(delayMs);
  await subscribeTo(p, receiver);
  // Not measured: commit the backlog 100 events per transaction.
  for (let first = 0; first < EVENTS; first += 100) {
    await p.c.db.transaction(async (trx) => {
      for (let n = first; n < Math.min(EVENTS, first + 100); n++) {
        await p.c.outbox.emit(trx, {
          type: 'message.received',
          accountId: p.accountId,
          instanceId: null,
          instanceName: null,
          payload: payloadFor(n),
        });
      }
    });
  }
  const worker = p.newWorker();
  try {
    const cpu = process.cpuUsage();
    const started = performance.now();
    worker.start();
    await receiver.waitFor(EVENTS);
    // Everything recorded: the CPU of the finalizes counts too.
    await worker.whenIdle();
    return measure(started, cpu, receiver.arrivals);
  } finally {
    await worker.stop();
    await receiver.close();
  }
}

/** (b) throughput: N POSTs, CONCURRENCY at a time. */
async function bareThroughput(delayMs: number): Promise<Throughput> {
  const receiver = await startReceiver(delayMs);
  const pool = new Pool(new URL(receiver.url).origin, {
    connections: CONCURRENCY,
    pipelining: 1,
  });
  let next = 0;
  try {
    const cpu = process.cpuUsage();
    const started = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < EVENTS) {
          const n = next++;
          const res = await pool.request({
            method: 'POST',
            path: '/hook',
            headers: { 'content-type': 'application/json' },
            body: bareBody(n),
          });
          await res.body.dump();
        }
      }),
    );
    await receiver.waitFor(EVENTS);
    return measure(started, cpu, receiver.arrivals);
  } finally {
    await pool.close();
    await receiver.close();
  }
}

/** Calls `fn(n)` for n = 0…count-1 at RATE per second, without waiting for earlier calls. */
async function paced(count: number, fn: (n: number) => Promise<void>): Promise<void> {
  const interval = 1000 / RATE;
  const start = performance.now();
  const pending: Promise<void>[] = [];
  for (let n = 0; n < count; n++) {
    const wait = start + n * interval - performance.now();
    if (wait > 1) await sleep(wait);
    pending.push(fn(n));
  }
  await Promise.all(pending);
}

/** (a) latency: events committed at a steady rate while the worker runs; commit → receiver. */
async function outboxLatency(p: Pipeline): Promise<{ p50: number; p99: number }> {
  const receiver = await startReceiver();
  await subscribeTo(p, receiver);
  const worker = p.newWorker();
  worker.start();
  const committed = new Map<number, number>();
  try {
    await paced(LATENCY_EVENTS, async (n) => {
      await emitEvent(p, n);
      committed.set(n, performance.now());
    });
    await receiver.waitFor(LATENCY_EVENTS);
    await worker.whenIdle();
    return latencies(committed, receiver.arrivals);
  } finally {
    await worker.stop();
    await receiver.close();
  }
}

/** (b) latency: POSTs sent at the same steady rate; send → receiver. */
async function bareLatency(): Promise<{ p50: number; p99: number }> {
  const receiver = await startReceiver();
  const pool = new Pool(new URL(receiver.url).origin, { connections: CONCURRENCY, pipelining: 1 });
  const sent = new Map<number, number>();
  try {
    await paced(LATENCY_EVENTS, async (n) => {
      const body = bareBody(n);
      sent.set(n, performance.now());
      const res = await pool.request({ method: 'POST', path: '/hook', headers: { 'content-type': 'application/json' }, body });
      await res.body.dump();
    });
    await receiver.waitFor(LATENCY_EVENTS);
    return latencies(sent, receiver.arrivals);
  } finally {
    await pool.close();
    await receiver.close();
  }
}

async function main(): Promise<void> {
  process.env.WARDEN_TEST = '1';
  const url = await databaseUrl();
  const p = await pipeline(url);
  console.log(
    `webhook delivery benchmark — ${LANE}, ${EVENTS} events × ${ROUNDS} rounds, concurrency ${CONCURRENCY}, ` +
      `receiver answering after ${RECEIVER_MS.join(' / ')} ms, latency at ${RATE} events/s × ${LATENCY_EVENTS}, ` +
      `Node ${process.version}, ${os.cpus().length} CPUs`,
  );
  try {
    const summary: string[] = [];
    for (const delayMs of RECEIVER_MS) {
      const a: Throughput[] = [];
      const b: Throughput[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        b.push(await bareThroughput(delayMs));
        a.push(await outboxThroughput(p, delayMs));
        const ra = a.at(-1) as Throughput;
        const rb = b.at(-1) as Throughput;
        console.log(
          `  receiver ${delayMs} ms, round ${round + 1}: (a) ${ra.eventsPerSecond.toFixed(0)} events/s ` +
            `(${ra.cpuMicrosPerEvent.toFixed(0)} µs CPU/event)   (b) ${rb.eventsPerSecond.toFixed(0)} events/s ` +
            `(${rb.cpuMicrosPerEvent.toFixed(0)} µs CPU/event)`,
        );
      }
      const bestA = Math.max(...a.map((t) => t.eventsPerSecond));
      const bestB = Math.max(...b.map((t) => t.eventsPerSecond));
      const cpuA = Math.min(...a.map((t) => t.cpuMicrosPerEvent));
      const cpuB = Math.min(...b.map((t) => t.cpuMicrosPerEvent));
      const ratio = bestA / bestB;
      summary.push(
        `receiver ${String(delayMs).padStart(3)} ms: (a) ${bestA.toFixed(0).padStart(6)} events/s   ` +
          `(b) ${bestB.toFixed(0).padStart(6)} events/s   ratio a/b ${ratio.toFixed(2)} ` +
          `${ratio >= 0.5 ? 'OK (target ≥ 0.50)' : 'BELOW the 0.50 target'}   CPU/event (a) ${cpuA.toFixed(0)} µs (b) ${cpuB.toFixed(0)} µs`,
      );
    }
    const aLat = await outboxLatency(p);
    const bLat = await bareLatency();
    console.log('throughput (best round of each):');
    for (const line of summary) console.log(`  ${line}`);
    console.log(`latency at ${RATE} events/s (receiver 0 ms):`);
    console.log(
      `  (a) outbox, commit → receiver   p50 ${aLat.p50.toFixed(1)} ms   p99 ${aLat.p99.toFixed(1)} ms`,
    );
    console.log(
      `  (b) bare POST, send → receiver  p50 ${bLat.p50.toFixed(1)} ms   p99 ${bLat.p99.toFixed(1)} ms`,
    );
  } finally {
    await p.c.close();
  }
}

const guard = setTimeout(() => {
  process.stderr.write('webhook benchmark: time limit exceeded\n');
  process.exit(1);
}, 300_000);
guard.unref();

main().then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
