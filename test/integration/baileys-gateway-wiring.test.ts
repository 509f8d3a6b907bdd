/**
 * How the gateway builds and starts the Baileys transport: options from the configuration, the
 * terminal QR (QR art on stdout, never a log line with the payload), the signature self-test at
 * start-up (the real server refuses to start when strict verification cannot be installed) and
 * session restore by `src/server.ts` after a restart. Loopback only: the simulator listens on
 * 127.0.0.1, and every WebSocket URL used here is a loopback one.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createContainer } from '../../src/container.ts';
import {
  baileysOptionsFromConfig,
  createBaileysTransport,
  shouldPrintQrInTerminal,
} from '../../src/transport/baileys/baileys-factory.ts';
import { ADMIN_TOKEN, createTestContext, testConfig, testPolicies } from '../support/test-app.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-db.ts';
import {
  EventRecorder,
  sqliteTestDb,
  startWaSimulator,
  TEST_WA_VERSION,
  testLogger,
  type TestDb,
  type WaSimulator,
  writePairedAuthFixture,
} from '../support/wa-sim/index.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** Never dialled: the port is closed and nothing here starts an instance against it. */
const UNUSED_WS = 'ws://127.0.0.1:9/ws/chat';

interface ServerProcess {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
  /** resolves with the port once the server logs `listening` (rejects if it exits first) */
  listening: Promise<number>;
  stop: () => Promise<void>;
}

function startServer(env: Record<string, string>, preloads: string[] = []): ServerProcess {
  const args = ['--import', 'tsx', ...preloads.flatMap((p) => ['--import', p]), 'src/server.ts'];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? os.tmpdir(),
      NODE_ENV: 'test',
      WARDEN_TEST: '1',
      PORT: '0',
      ADMIN_TOKEN,
      LOG_LEVEL: 'info',
      TRANSPORT: 'baileys',
      MEDIA_DIR: path.join(os.tmpdir(), 'warden-test-media'),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const listening = new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${out}`)), 30_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      for (const line of out.split('\n')) {
        if (!line.includes('"listening"')) continue;
        try {
          const port = (JSON.parse(line) as { port?: number }).port;
          if (port) {
            clearTimeout(timer);
            resolve(port);
          }
        } catch {
          // not a JSON line
        }
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${out}`));
    });
  });
  listening.catch(() => undefined);
  return {
    child,
    output: () => out,
    exited,
    listening,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

describe('Baileys transport wiring in the gateway', function () {
  this.timeout(45_000);

  it('derives its options from the configuration; getMessage is the transport’s own sent-message store', () => {
    const config = testConfig('sqlite:/nonexistent/never-opened.sqlite', {
      TRANSPORT: 'baileys',
      WA_WEBSOCKET_URL: UNUSED_WS,
      MEDIA_DIR: '/var/lib/warden/media',
    });
    const options = baileysOptionsFromConfig(config, {} as never, { NODE_ENV: 'production' });
    assert.equal(options.waWebSocketUrl, UNUSED_WS);
    assert.equal(options.mediaDir, '/var/lib/warden/media');
    assert.ok(options.logger, 'the gateway logger is passed on');
    assert.equal(options.getMessage, undefined, 'retries are answered from the exact sent protobufs');
    assert.notEqual(options.retainSentMessagesMs, 0, 'the sent-message store stays enabled');
    assert.equal(options.printQrInTerminal, false);
  });

  it('prints the QR in the terminal in development or with LOG_LEVEL=debug, never under test', () => {
    const info = { logLevel: 'info' };
    const debug = { logLevel: 'debug' };
    assert.equal(shouldPrintQrInTerminal(info, {}), true, 'NODE_ENV unset = development');
    assert.equal(shouldPrintQrInTerminal(info, { NODE_ENV: 'development' }), true);
    assert.equal(shouldPrintQrInTerminal(info, { NODE_ENV: 'production' }), false);
    assert.equal(shouldPrintQrInTerminal(debug, { NODE_ENV: 'production' }), true);
    assert.equal(shouldPrintQrInTerminal(debug, { NODE_ENV: 'test' }), false);
    assert.equal(shouldPrintQrInTerminal(info, { WARDEN_TEST: '1' }), false);
  });

  it('the container builds the Baileys transport for TRANSPORT=baileys (self-test passed)', async () => {
    const database = await createTestDatabase();
    try {
      const config = testConfig(database.url, { TRANSPORT: 'baileys', WA_WEBSOCKET_URL: UNUSED_WS });
      const container = await createContainer(config, testPolicies(), { db: database.db });
      assert.equal(container.transport.kind, 'baileys');
      await container.close();
    } finally {
      await database.destroy();
    }
  });

  describe('terminal QR', () => {
    let sim: WaSimulator;
    let tdb: TestDb;

    beforeEach(async () => {
      sim = await startWaSimulator({ contacts: ['alice'] });
      tdb = await sqliteTestDb();
    });
    afterEach(async () => {
      await sim.close();
      await tdb.cleanup();
    });

    it('is QR art on stdout: no JSON log line, no raw payload, nothing of it in the log', async () => {
      const config = testConfig('sqlite:/nonexistent/never-opened.sqlite', {
        TRANSPORT: 'baileys',
        WA_WEBSOCKET_URL: sim.url,
      });
      const logger = testLogger();
      const transport = createBaileysTransport(config, tdb.db, {
        version: TEST_WA_VERSION,
        logger,
        printQrInTerminal: true,
        baileysLogLevel: 'debug',
      });
      const events = new EventRecorder();
      transport.onEvent(events.listener);
      const captured: string[] = [];
      const write = process.stdout.write;
      let raw = '';
      try {
        process.stdout.write = ((chunk: string | Uint8Array) => {
          captured.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
          return true;
        }) as typeof process.stdout.write;
        await transport.start({ instanceId: 'inst-qr', restore: false });
        raw = (await events.next('qr')).qr.raw;
        const until = Date.now() + 5_000;
        while (!captured.join('').includes('WhatsApp QR for instance inst-qr') && Date.now() < until) {
          await new Promise((r) => setTimeout(r, 20));
        }
      } finally {
        process.stdout.write = write;
        await transport.close();
      }
      const printed = captured.join('');
      assert.match(printed, /WhatsApp QR for instance inst-qr/);
      assert.match(printed, /[▀▄█]/, 'terminal QR art');
      // ref, noise key, identity key, adv secret (then the platform id, not secret)
      const secretParts = raw.slice(raw.indexOf('#') + 1).split(',').slice(0, 4);
      assert.ok(secretParts.every((p) => p.length >= 16), raw);
      for (const part of secretParts) {
        assert.ok(!printed.includes(part), 'the payload is only in the QR art, not in text');
        assert.ok(!logger.lines.some((l) => l.includes(part)), 'the payload never reaches the log');
      }
      for (const line of printed.split('\n').filter((l) => l.trim())) {
        assert.throws(() => JSON.parse(line), SyntaxError, `not a JSON log line: ${line}`);
      }
      assert.ok(!logger.lines.some((l) => /printQRInTerminal/.test(l)), 'Baileys’ deprecated option is not used');
    });
  });

  describe('the real server (src/server.ts)', () => {
    let database: TestDatabase | undefined;
    let sim: WaSimulator | undefined;
    let server: ServerProcess | undefined;

    afterEach(async () => {
      await server?.stop();
      server = undefined;
      await sim?.close();
      sim = undefined;
      await database?.destroy();
      database = undefined;
    });

    it('refuses to start the Baileys transport when strict signature verification cannot be installed', async () => {
      database = await createTestDatabase();
      server = startServer({ DATABASE_URL: database.url, WA_WEBSOCKET_URL: UNUSED_WS }, [
        './test/support/wa-sim/preload-lenient-curve.ts',
      ]);
      const code = await server.exited;
      assert.equal(code, 1, server.output());
      assert.match(server.output(), /Warden failed to start: refusing to start the Baileys transport/);
      assert.match(server.output(), /cannot be verified strictly/);
      assert.doesNotMatch(server.output(), /"listening"/);
    });

    it('installs strict verification at start-up and restores a paired session without a QR', async () => {
      sim = await startWaSimulator({ contacts: ['alice'] });
      database = await createTestDatabase();
      // an account and an instance that had a session, as a previous run left them
      const ctx = await createTestContext({ database });
      const { key } = await ctx.createAccount({ plan: 'starter' });
      const id = await ctx.createConnectedInstance(key, 'Restored Line');
      await ctx.close();
      await database.db('instances').where({ id }).update({
        state: 'disconnected',
        state_reason: 'gateway_stopped',
        phone: null,
        has_session: true,
      });
      const companion = await writePairedAuthFixture(database.db, id, sim);

      server = startServer({ DATABASE_URL: database.url, WA_WEBSOCKET_URL: sim.url }, [
        './test/support/wa-sim/preload-trust-anchor.ts',
      ]);
      const port = await server.listening;
      // One plain line says what was done (no alarm about forged signatures).
      assert.match(
        server.output(),
        /"message":"baileys: WhatsApp server certificates are checked with strict signature verification \(installed at start-up; no action needed\)"/,
      );
      assert.doesNotMatch(server.output(), /forged/);
      await sim.waitForLogin(companion, 20_000);
      const until = Date.now() + 15_000;
      let instance: Record<string, unknown> = {};
      while (Date.now() < until) {
        const res = await fetch(`http://127.0.0.1:${port}/api/instances/${id}`, {
          headers: { Authorization: `Bearer ${key}` },
        });
        instance = ((await res.json()) as { instance: Record<string, unknown> }).instance;
        if (instance.state === 'connected') break;
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal(instance.state, 'connected', server.output());
      assert.equal(instance.phone, `+${sim.world.defaultAccount.pn}`);
      assert.equal(instance.qr, null);
      assert.equal(instance.state_reason, null);
      assert.doesNotMatch(server.output(), /session restore failed/);
    });
  });
});
