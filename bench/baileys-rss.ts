/**
 * Memory per WhatsApp instance: 20 instances connected at once through the real BaileysTransport
 * (real Baileys sockets, Noise, Signal) against the loopback WhatsApp simulator.
 *
 * The simulator runs in a child process so its own memory is not counted. Everything stays on
 * 127.0.0.1. Run: node --expose-gc --import tsx bench/baileys-rss.ts [instances]
 * Target: ≤ 25 MB RSS per instance.
 */
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import knex from 'knex';

const here = fileURLToPath(import.meta.url);
const MB = 1024 * 1024;

interface ChildReady {
  url: string;
  contact: string;
}

async function child(dbFile: string, count: number): Promise<void> {
  const { startWaSimulator, writePairedAuthFixture } = await import('../test/support/wa-sim/index.ts');
  const { up } = await import('../db/migrations/20261121000200_baileys_auth.ts');
  const db = knex({ client: 'better-sqlite3', connection: { filename: dbFile }, useNullAsDefault: true });
  await up(db);
  const sim = await startWaSimulator({ contacts: ['alice'], media: false, installTrustAnchor: false });
  for (let i = 0; i < count; i++) {
    await writePairedAuthFixture(db, `bench-${i}`, sim, { preKeys: 10 });
  }
  await db.destroy();
  const alice = sim.world.contact('alice');
  process.send?.({ url: sim.url, contact: alice.e164 } satisfies ChildReady);
  process.on('message', (m) => {
    if (m === 'stop') {
      void sim.close().then(() => process.exit(0));
    }
  });
}

function rss(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().rss;
}

async function parent(count: number): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'warden-rss-'));
  const dbFile = path.join(dir, 'bench.sqlite');
  const sim = fork(here, ['--sim-child', dbFile, String(count)], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ready = await new Promise<ChildReady>((resolve, reject) => {
    sim.once('message', (m) => resolve(m as ChildReady));
    sim.once('exit', (code) => reject(new Error(`simulator exited with ${code}`)));
  });

  // load everything the gateway needs before the baseline
  const { BaileysTransport } = await import('../src/transport/baileys/baileys-transport.ts');
  const { installTrustAnchor, simulatorRoot } = await import('../test/support/wa-sim/cert.ts');
  installTrustAnchor(simulatorRoot().public);
  const db = knex({ client: 'better-sqlite3', connection: { filename: dbFile }, useNullAsDefault: true });
  await db('baileys_auth').count('* as n');
  const transport = new BaileysTransport({
    db,
    waWebSocketUrl: ready.url,
    mediaDir: dir,
    version: [2, 3000, 1043857760],
    loopbackOnly: true,
  });
  transport.init();
  const connected = new Set<string>();
  let allConnected!: () => void;
  const done = new Promise<void>((r) => (allConnected = r));
  transport.onEvent((e) => {
    if (e.type === 'connected') {
      connected.add(e.instanceId);
      if (connected.size === count) {
        allConnected();
      }
    }
  });
  await new Promise((r) => setTimeout(r, 300));
  const before = rss();
  const heapBefore = process.memoryUsage().heapUsed;
  const t0 = Date.now();
  await Promise.all(
    Array.from({ length: count }, (_, i) => transport.start({ instanceId: `bench-${i}`, restore: true })),
  );
  await done;
  const connectMs = Date.now() - t0;
  // one outbound message per instance (usync, key fetch, Signal session, encryption)
  await Promise.all(
    Array.from({ length: count }, (_, i) =>
      transport.send({ instanceId: `bench-${i}`, to: ready.contact, text: `benchmark message ${i}` }),
    ),
  );
  await new Promise((r) => setTimeout(r, 1500));
  const after = rss();
  const heapAfter = process.memoryUsage().heapUsed;
  const per = (after - before) / count / MB;
  console.log(`instances:            ${count} (all connected in ${connectMs} ms, one message sent each)`);
  console.log(`RSS before:           ${(before / MB).toFixed(1)} MB`);
  console.log(`RSS after:            ${(after / MB).toFixed(1)} MB`);
  console.log(`heap used before/after: ${(heapBefore / MB).toFixed(1)} / ${(heapAfter / MB).toFixed(1)} MB`);
  console.log(
    `RSS per instance:     ${per.toFixed(2)} MB (target ≤ 25 MB) ${per <= 25 ? 'OK' : 'OVER TARGET'}`,
  );
  await transport.close();
  await db.destroy();
  sim.send('stop');
  await new Promise((r) => sim.once('exit', r));
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}

const args = process.argv.slice(2);
if (args[0] === '--sim-child') {
  await child(args[1]!, Number(args[2] ?? 20));
} else {
  await parent(Number(args[0] ?? 20));
}
