/**
 * Crash safety of webhook delivery with the real gateway process: 1,000 events are queued in the
 * outbox, the gateway (`node --import tsx src/server.ts`) starts delivering them to a slow
 * loopback receiver, is SIGKILLed mid-delivery, and restarted. Every request id must arrive
 * (duplicates allowed, each correctly signed). Runs on SQLite, or on MariaDB with TEST_DB=mysql.
 *
 * SQLite: one process per file, so the restarted gateway takes its predecessor's leases back at
 * start. MariaDB (no NODE_ID): the leases simply expire (WEBHOOK_LEASE=3s) and are reclaimed.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ADMIN_TOKEN, createTestContext, type TestContext } from '../support/test-app.ts';
import { createTestDatabase, currentLane, type TestDatabase } from '../support/test-db.ts';
import { sleep, subscribe } from '../support/webhook-harness.ts';
import { verifiesWith, WebhookReceiver } from '../support/webhook-receiver.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TOTAL = 1000;

interface Gateway {
  child: ChildProcess;
  output: string[];
  exited: Promise<number | null>;
}

function startGateway(databaseUrl: string): Gateway {
  const output: string[] = [];
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? os.tmpdir(),
      NODE_ENV: 'production',
      DATABASE_URL: databaseUrl,
      TRANSPORT: 'sandbox',
      PORT: '0',
      ADMIN_TOKEN,
      WEBHOOK_ALLOWED_CIDRS: '127.0.0.0/8',
      WEBHOOK_RETRY_SCHEDULE: '100ms,200ms,400ms',
      WEBHOOK_TIMEOUT: '1s',
      WEBHOOK_LEASE: '3s',
      WEBHOOK_CONCURRENCY: '16',
      MEDIA_DIR: path.join(os.tmpdir(), 'warden-crash-media'),
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d: Buffer) => output.push(d.toString()));
  child.stderr?.on('data', (d: Buffer) => output.push(d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output, exited };
}

async function kill(gateway: Gateway | null, signal: NodeJS.Signals): Promise<void> {
  if (!gateway || gateway.child.exitCode !== null || gateway.child.signalCode !== null) return;
  gateway.child.kill(signal);
  await gateway.exited;
}

describe(`webhook delivery survives a SIGKILL of the gateway (${currentLane()})`, function () {
  this.timeout(90_000);
  let database: TestDatabase;
  let ctx: TestContext;
  let receiver: WebhookReceiver;
  let gateways: Gateway[] = [];

  beforeEach(async () => {
    database = await createTestDatabase();
    ctx = await createTestContext({ database });
    receiver = await WebhookReceiver.start();
    gateways = [];
  });
  afterEach(async function () {
    for (const g of gateways) await kill(g, 'SIGKILL');
    if (this.currentTest?.state === 'failed') {
      for (const g of gateways) process.stderr.write(`--- gateway output ---\n${g.output.join('').slice(-4000)}\n`);
    }
    await receiver.close();
    await ctx.close();
    await database.destroy();
  });

  it('delivers all 1,000 queued events after a crash mid-delivery', async () => {
    const { id: accountId, key } = await ctx.createAccount();
    const { secret, id: webhookId } = await subscribe(ctx, key, { destination_url: receiver.url(), events: ['*'] });
    const { outbox, db } = ctx.container;
    await db.transaction(async (trx) => {
      for (let i = 0; i < TOTAL; i++) {
        await outbox.emit(trx, {
          type: 'message.received',
          accountId,
          instanceId: null,
          instanceName: null,
          payload: { n: i, text: `event ${i}` } as never, // a stand-in: the worker never reads payloads
        });
      }
    });
    const ids = new Set(
      ((await db('webhook_deliveries').where({ endpoint_id: webhookId }).select('id')) as { id: string }[]).map((r) => r.id),
    );
    assert.equal(ids.size, TOTAL);

    // Slow enough that the kill lands with many deliveries in flight and most still queued.
    receiver.respondWith({ status: 200, delayMs: 40 });
    const first = startGateway(database.url);
    gateways.push(first);
    await receiver.waitForDistinct(250, 30_000);
    await kill(first, 'SIGKILL');
    const beforeRestart = receiver.byRequestId().size;
    assert.ok(beforeRestart < TOTAL, `the kill landed mid-delivery (${beforeRestart} of ${TOTAL} delivered)`);
    const stranded = (await db('webhook_deliveries').whereNotNull('lease_owner').count({ n: '*' }).first()) as {
      n: number | string;
    };
    assert.ok(Number(stranded.n) > 0, 'the dead gateway left leased rows behind');

    receiver.respondWith({ status: 200, delayMs: 2 });
    const second = startGateway(database.url);
    gateways.push(second);
    await receiver.waitFor(
      (reqs) => {
        const seen = new Set(reqs.map((r) => r.requestId));
        return [...ids].every((id) => seen.has(id));
      },
      45_000,
      `all ${TOTAL} request ids`,
    );
    // Let the last finalizes land, then stop the gateway gracefully.
    const deadline = Date.now() + 10_000;
    for (;;) {
      const open = (await db('webhook_deliveries').whereNot({ status: 'succeeded' }).count({ n: '*' }).first()) as {
        n: number | string;
      };
      if (Number(open.n) === 0) break;
      if (Date.now() > deadline) assert.fail(`${open.n} deliveries not succeeded`);
      await sleep(100);
    }
    await kill(second, 'SIGTERM');

    const byId = receiver.byRequestId();
    assert.deepEqual(
      [...ids].filter((id) => !byId.has(id)),
      [],
      'no request id lost',
    );
    assert.deepEqual(
      [...byId.keys()].filter((id) => !ids.has(id)),
      [],
      'nothing unexpected',
    );
    const bad = receiver.requests.filter((r) => !verifiesWith(r, secret) || r.json?.request_id !== r.requestId);
    assert.equal(bad.length, 0, 'every request (duplicates included) is correctly signed');
    const duplicates = receiver.requests.length - byId.size;
    // At-least-once: only what was in flight at the kill may repeat (16 slots; generous bound).
    assert.ok(duplicates <= 64, `duplicates bounded by the in-flight set (${duplicates})`);
  });
});
