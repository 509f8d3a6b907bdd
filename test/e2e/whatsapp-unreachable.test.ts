/**
 * The default (Baileys) transport when WhatsApp cannot be reached: `POST /api/instances` answers
 * promptly with `503 whatsapp_unreachable` naming the cause, `/health` reports the transport as
 * degraded, and nothing is left behind (the same name works on retry). WhatsApp is "unreachable"
 * on loopback only: a port that refuses, or a server that accepts and never answers — never a
 * real DNS lookup. The DNS case is classified from the error Baileys reports (unit test below).
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { systemClock } from '../../src/lib/clock.ts';
import { createBaileysTransport } from '../../src/transport/baileys/baileys-factory.ts';
import type { BaileysTransport } from '../../src/transport/baileys/baileys-transport.ts';
import { describeUnreachable, unreachableCauseOf } from '../../src/transport/transport.ts';
import { BlackholeProxy } from '../support/blackhole.ts';
import { createTestContext, type TestContext, testConfig } from '../support/test-app.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-db.ts';
import { TEST_WA_VERSION } from '../support/wa-sim/index.ts';

async function refusingPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('WhatsApp unreachable (Baileys transport)', function () {
  this.timeout(30_000);
  let ctx: TestContext | null = null;
  let transport: BaileysTransport | null = null;
  let hole: BlackholeProxy | null = null;
  const databases: TestDatabase[] = [];
  afterEach(async () => {
    await ctx?.close();
    ctx = null;
    for (const d of databases.splice(0)) await d.destroy();
    await hole?.close();
    hole = null;
  });

  async function boot(wsUrl: string): Promise<{ key: string }> {
    const database = await createTestDatabase();
    const env = { TRANSPORT: 'baileys', WA_WEBSOCKET_URL: wsUrl };
    transport = createBaileysTransport(testConfig(database.url, env), database.db, {
      version: TEST_WA_VERSION,
      connectTimeoutMs: 1_000,
      reconnect: { baseMs: 60_000, maxMs: 60_000 },
    });
    ctx = await createTestContext({ database, clock: systemClock, transport, env });
    databases.push(database);
    return ctx.createAccount();
  }

  const create = (key: string) =>
    ctx!.http.post('/api/instances').set('Authorization', `Bearer ${key}`).send({ name: 'Customer Service Main' });

  it('connection refused: a prompt 503 naming the cause, /health degraded, nothing left behind', async () => {
    const port = await refusingPort();
    const { key } = await boot(`ws://127.0.0.1:${port}/ws/chat`);
    const before = (await ctx!.http.get('/health')).body;
    assert.equal(before.checks.transport, 'ok');
    const started = performance.now();
    const res = await create(key);
    const ms = Math.round(performance.now() - started);
    assert.equal(res.status, 503, res.text);
    assert.equal(res.body.error, 'whatsapp_unreachable');
    assert.equal(
      res.body.message,
      `Cannot reach WhatsApp: connection refused (connect ECONNREFUSED 127.0.0.1:${port}). Check the gateway's network connection and try again.`,
    );
    assert.equal(res.body.details.cause, 'connection_refused');
    assert.equal(res.headers['retry-after'], '30');
    assert.ok(ms < 3000, `answered in ${ms} ms`);

    const health = await ctx!.http.get('/health');
    assert.equal(health.status, 200, 'the gateway still serves');
    assert.equal(health.body.status, 'degraded');
    assert.equal(health.body.checks.database, 'ok');
    assert.equal(health.body.checks.transport, 'degraded');
    assert.equal(health.body.checks.transport_reason, `Cannot reach WhatsApp: connection refused (connect ECONNREFUSED 127.0.0.1:${port})`);

    assert.deepEqual(await ctx!.container.db('instances').select('id'), [], 'no instance row');
    assert.deepEqual(await ctx!.container.db('baileys_auth').select('instance_id'), [], 'no auth rows');
    const list = await ctx!.http.get('/api/instances').set('Authorization', `Bearer ${key}`);
    assert.deepEqual(list.body.instances, []);
    const again = await create(key);
    assert.equal(again.status, 503, 'the same name is free to try again');
    assert.equal(again.body.error, 'whatsapp_unreachable');
    process.stdout.write(`      connection refused: 503 whatsapp_unreachable in ${ms} ms\n`);
  });

  it('a server that never answers: 503 after the connect timeout, cause timeout', async () => {
    hole = await BlackholeProxy.start();
    const { key } = await boot(`ws://127.0.0.1:${hole.port}/ws/chat`);
    const started = performance.now();
    const res = await create(key);
    const ms = Math.round(performance.now() - started);
    assert.equal(res.status, 503, res.text);
    assert.equal(res.body.error, 'whatsapp_unreachable');
    assert.equal(res.body.details.cause, 'timeout');
    assert.match(res.body.message, /^Cannot reach WhatsApp: connection timed out \(.*\)\. Check the gateway's network connection and try again\.$/);
    assert.ok(ms < 5000, `answered in ${ms} ms (connect timeout 1 s)`);
    assert.equal((await ctx!.http.get('/health')).body.checks.transport, 'degraded');
    assert.deepEqual(await ctx!.container.db('instances').select('id'), []);
  });

  it('classifies what Baileys reports: DNS, refused, timeout, network; a WhatsApp answer is not "unreachable"', () => {
    const boom = (data: object, message = 'WebSocket Error') => ({ message, data });
    assert.deepEqual(
      unreachableCauseOf(boom({ code: 'ENOTFOUND', message: 'getaddrinfo ENOTFOUND web.whatsapp.com' })),
      { cause: 'dns', detail: 'getaddrinfo ENOTFOUND web.whatsapp.com' },
    );
    assert.equal(unreachableCauseOf(boom({ code: 'EAI_AGAIN', message: 'getaddrinfo EAI_AGAIN' }))?.cause, 'dns');
    assert.equal(unreachableCauseOf(boom({ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' }))?.cause, 'connection_refused');
    assert.equal(unreachableCauseOf(boom({ message: 'Opening handshake has timed out' }))?.cause, 'timeout');
    assert.equal(unreachableCauseOf(boom({ code: 'ENETUNREACH', message: 'connect ENETUNREACH' }))?.cause, 'network');
    assert.equal(unreachableCauseOf(boom({ message: 'Unexpected server response: 403' })), null);
    assert.equal(unreachableCauseOf(undefined), null);
    assert.equal(
      describeUnreachable('dns', 'getaddrinfo ENOTFOUND web.whatsapp.com'),
      'Cannot reach WhatsApp: DNS lookup failed (getaddrinfo ENOTFOUND web.whatsapp.com)',
    );
  });
});
