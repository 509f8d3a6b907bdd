/**
 * End to end through the gateway's HTTP API with the REAL Baileys socket: the transport is built
 * by the gateway's own factory (`createBaileysTransport`, as `container.ts` does) and pointed at
 * the loopback WhatsApp Web simulator; webhooks go to a real HTTP receiver on 127.0.0.1 and every
 * request's signatures are verified. Nothing here connects outside 127.0.0.0/8.
 *
 * Runs on the lane chosen by TEST_DB (sqlite default; mysql with MYSQL_URL).
 */
import assert from 'node:assert/strict';
import type { Instance } from '../../src/instances/instance-store.ts';
import { systemClock } from '../../src/lib/clock.ts';
import { createBaileysTransport } from '../../src/transport/baileys/baileys-factory.ts';
import type { BaileysTransport } from '../../src/transport/baileys/baileys-transport.ts';
import { createDeliveryWorker, type DeliveryWorker } from '../../src/webhooks/delivery-worker.ts';
import { createTestContext, generousThrottles, type TestContext, testConfig } from '../support/test-app.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-db.ts';
import { noDnsResolver, sleep, subscribe } from '../support/webhook-harness.ts';
import { type ReceivedRequest, verifiesWith, WebhookReceiver } from '../support/webhook-receiver.ts';
import { type SimContact, startWaSimulator, TEST_WA_VERSION, type WaSimulator } from '../support/wa-sim/index.ts';

/** A small but well-formed PDF. */
const PDF = Buffer.from(
  '%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n' +
    '2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n' +
    '3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n' +
    'trailer<</Root 1 0 R>>\n%%EOF\n',
  'latin1',
);

async function eventually<T>(
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  what: string,
  timeoutMs = 10_000,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > until) assert.fail(`not observed within ${timeoutMs} ms: ${what}`);
    await sleep(20);
  }
}

describe('Baileys through the gateway HTTP API (e2e, real socket ↔ loopback WhatsApp simulator)', function () {
  this.timeout(60_000);

  let sim: WaSimulator;
  let receiver: WebhookReceiver;
  let database: TestDatabase;
  let ctx: TestContext | undefined;
  let worker: DeliveryWorker | undefined;
  let transport: BaileysTransport;
  let key = '';
  let secret = '';
  let auth: { Authorization: string };

  const env = () => ({
    TRANSPORT: 'baileys',
    WA_WEBSOCKET_URL: sim.url,
    WEBHOOK_RETRY_SCHEDULE: '50ms,100ms',
    WEBHOOK_TIMEOUT: '2s',
  });

  /** A gateway (container + HTTP app + webhook worker) on `database`, as server.ts builds it. */
  async function bootGateway(): Promise<TestContext> {
    const config = testConfig(database.url, env());
    // The gateway's factory, plus only what a simulator needs: its media CA and short timeouts.
    transport = createBaileysTransport(config, database.db, {
      version: TEST_WA_VERSION,
      ...(sim.media ? { mediaTlsCa: sim.media.ca } : {}),
      connectTimeoutMs: 5_000,
      defaultQueryTimeoutMs: 5_000,
      sendTimeoutMs: 10_000,
      // 440 backs off 2–4 × base: long enough to observe the replaced state over HTTP
      reconnect: { baseMs: 300, maxMs: 2_000 },
    });
    assert.equal(transport.kind, 'baileys');
    const next = await createTestContext({
      database,
      clock: systemClock,
      transport,
      policies: generousThrottles,
      env: env(),
    });
    worker = createDeliveryWorker(next.container, { resolver: noDnsResolver, jitter: 0, pollIntervalMs: 50 });
    worker.start();
    ctx = next;
    return next;
  }

  async function stopGateway(): Promise<void> {
    await worker?.stop();
    worker = undefined;
    await ctx?.close();
    ctx = undefined;
  }

  const api = () => {
    if (!ctx) throw new Error('gateway not running');
    return ctx.http;
  };

  const getInstance = async (id: string) => {
    const res = await api().get(`/api/instances/${id}`).set(auth);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.instance as Record<string, unknown>;
  };

  const row = async (id: string): Promise<Instance> => (await ctx!.container.instanceStore.get(id)) as Instance;

  const send = (instanceId: string, body: Record<string, unknown>) =>
    api()
      .post('/api/send-message')
      .set(auth)
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ instance_id: instanceId, message_purpose: 'transactional', ...body }));

  const sendText = async (instanceId: string, to: SimContact, message: string): Promise<string> => {
    const res = await send(instanceId, { phone: to.e164, message });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.status, 'sent');
    return res.body.message_id as string;
  };

  const hooks = (event: string, match: (payload: Record<string, unknown>) => boolean = () => true) =>
    receiver.requests.filter(
      (r) => r.json?.event === event && match((r.json.payload ?? {}) as Record<string, unknown>),
    );

  /** The (first) webhook of `event` whose payload matches; its signatures must verify. */
  async function webhook(
    event: string,
    match: (payload: Record<string, unknown>) => boolean = () => true,
    timeoutMs = 10_000,
  ): Promise<{ req: ReceivedRequest; payload: Record<string, unknown> }> {
    await receiver.waitFor((reqs) => reqs.some((r) => r.json?.event === event && match((r.json.payload ?? {}) as Record<string, unknown>)), timeoutMs, event);
    const req = hooks(event, match)[0] as ReceivedRequest;
    assert.ok(verifiesWith(req, secret), `${event}: X-WA-Signature and Standard Webhooks signature verify`);
    assert.equal(req.headers['x-wa-event'], event);
    return { req, payload: (req.json?.payload ?? {}) as Record<string, unknown> };
  }

  before(async () => {
    sim = await startWaSimulator({ contacts: ['alice', 'bob'] });
    receiver = await WebhookReceiver.start();
    database = await createTestDatabase();
    await bootGateway();
    const account = await ctx!.createAccount({ plan: 'starter' });
    key = account.key;
    auth = { Authorization: `Bearer ${key}` };
    ({ secret } = await subscribe(ctx!, key, { destination_url: receiver.url(), events: ['*'] }));
  });

  after(async () => {
    await stopGateway().catch(() => undefined);
    await receiver?.close();
    await sim?.close();
    await database?.destroy();
  });

  it('QR → scan → connected → send → receipts → inbound → STOP → restart restores → media → 515 → 440 → 463 → unlink', async () => {
    const alice = sim.world.contact('alice');
    const bob = sim.world.contact('bob');
    const ownPhone = `+${sim.world.defaultAccount.pn}`;

    // --- create: a QR, raw and as a PNG data URL
    const created = await api()
      .post('/api/instances')
      .set(auth)
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ name: 'Support Line' }));
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const inst = created.body.instance as Record<string, unknown> & { qr: Record<string, string> };
    const id = inst.id as string;
    assert.equal(inst.state, 'qr_generated');
    assert.match(inst.qr.raw as string, /^https:\/\/wa\.me\/settings\/linked_devices#/);
    assert.match(inst.qr.png_data_url as string, /^data:image\/png;base64,[A-Za-z0-9+/]+=*$/);
    assert.ok(Date.parse(inst.qr.expires_at as string) > Date.now());
    await webhook('instance.qr_updated');

    // --- the phone scans it: pair-success, the 515 restart, login → connected
    const companion = await sim.scanQr(inst.qr.raw as string);
    const connected = await eventually(async () => {
      const i = await getInstance(id);
      return i.state === 'connected' ? i : undefined;
    }, 'state connected after the scan');
    assert.equal(connected.phone, ownPhone);
    assert.equal(connected.qr, null);
    assert.equal((await row(id)).hasSession, true);
    const { payload: conn } = await webhook('instance.connected');
    assert.equal(conn.phone, ownPhone);
    assert.equal(hooks('instance.disconnected').length, 0, 'the 515 after pairing is not surfaced');

    // --- send: alice decrypts exactly that text
    const text = 'Your order #A-1029 has shipped. Track it at https://example.com/t/A-1029';
    const messageId = await sendText(id, alice, text);
    const out = await sim.expectOutgoing(alice);
    assert.equal(out.id, messageId);
    assert.equal(out.text, text);
    assert.equal(out.from, companion.jid);
    await webhook('message.sent', (p) => p.message_id === messageId);

    // --- delivered, then read
    sim.sendReceipt(alice, messageId, 'delivery');
    const { payload: delivered } = await webhook('message.delivered', (p) => p.message_id === messageId);
    assert.equal(delivered.status, 'delivered');
    assert.equal(delivered.to, alice.e164);
    sim.sendReceipt(alice, messageId, 'read');
    const { payload: read } = await webhook('message.read', (p) => p.message_id === messageId);
    assert.equal(read.status, 'read');
    assert.equal(read.previous_status, 'delivered');

    // --- inbound text
    const inboundId = await sim.sendInboundText(alice, 'Hi, where is my parcel?');
    const { payload: received } = await webhook('message.received', (p) => p.message_id === inboundId);
    assert.equal(received.text, 'Hi, where is my parcel?');
    assert.equal(received.from, alice.e164);
    assert.equal(received.from_lid, alice.lidJid);
    assert.equal(received.message_type, 'text');
    assert.equal(received.direction, 'inbound');

    // --- STOP: opted out, and the next send to alice is refused before WhatsApp
    const stopId = await sim.sendInboundText(alice, 'STOP');
    const { payload: optedOut } = await webhook('recipient.opted_out', (p) => p.message_id === stopId);
    assert.equal(optedOut.from, alice.e164);
    assert.equal(optedOut.reason, 'recipient_requested_stop');
    const refused = await send(id, { phone: alice.e164, message: 'One more offer' });
    assert.equal(refused.status, 403, JSON.stringify(refused.body));
    assert.equal(refused.body.error, 'recipient_suppressed');
    const aliceSends = sim.allOutgoing().filter((m) => m.text === 'One more offer');
    assert.equal(aliceSends.length, 0, 'nothing reached WhatsApp');

    // --- gateway restart: a new container on the same database and simulator
    await stopGateway();
    await eventually(() => sim.liveConnections().length === 0, 'the old socket is gone');
    const qrHooksBefore = hooks('instance.qr_updated').length;
    const restarted = await bootGateway();
    assert.equal(await restarted.container.instances.restoreSessions(), 1);
    await eventually(() => transport.isConnected(id), 'session restored');
    assert.equal(sim.liveConnections().length, 1);
    const afterRestart = await getInstance(id);
    assert.equal(afterRestart.state, 'connected');
    assert.equal(afterRestart.qr, null);
    assert.equal(afterRestart.phone, ownPhone);
    assert.equal((await row(id)).hasSession, true);
    // the restored Signal sessions work: a send after the restart is decrypted
    const afterId = await sendText(id, bob, 'Sent after a gateway restart');
    assert.equal((await sim.expectOutgoing(bob)).id, afterId);
    assert.equal(hooks('instance.qr_updated').length, qrHooksBefore, 'no QR after the restart');

    // --- media: a PDF document (base64 over HTTP) reaches bob byte for byte
    const doc = await send(id, {
      phone: bob.e164,
      message: 'Your invoice',
      media_type: 'document',
      mime_type: 'application/pdf',
      file_name: 'invoice-1029.pdf',
      media: PDF.toString('base64'),
    });
    assert.equal(doc.status, 200, JSON.stringify(doc.body));
    const docOut = await sim.expectOutgoing(bob);
    assert.equal(docOut.id, doc.body.message_id);
    assert.ok(docOut.media?.equals(PDF), 'bob decrypts exactly the PDF bytes');
    const docMsg =
      docOut.message.documentMessage ?? docOut.message.documentWithCaptionMessage?.message?.documentMessage;
    assert.equal(docMsg?.fileName, 'invoice-1029.pdf');
    assert.equal(docMsg?.mimetype, 'application/pdf');
    assert.equal(docOut.text, 'Your invoice');

    // --- 515: restart required; the instance never leaves `connected` in the database
    const disconnectsBefore = hooks('instance.disconnected').length;
    const connectsBefore = hooks('instance.connected').length;
    const [oldConn] = sim.liveConnections();
    const states = new Set<string>();
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const r = await row(id);
        states.add(`${r.state}/${r.hasSession}`);
        await sleep(5);
      }
    })();
    assert.equal(sim.streamError(515), 1);
    await eventually(
      () => transport.isConnected(id) && sim.liveConnections().some((c) => c !== oldConn),
      'reconnected after 515',
    );
    await sleep(200);
    sampling = false;
    await sampler;
    assert.deepEqual([...states], ['connected/true'], 'no flap to disconnected');
    assert.equal((await getInstance(id)).state, 'connected');
    const after515 = await sendText(id, bob, 'Sent after a 515 restart');
    assert.equal((await sim.expectOutgoing(bob)).id, after515);
    assert.equal(hooks('instance.disconnected').length, disconnectsBefore);
    assert.equal(hooks('instance.connected').length, connectsBefore, 'no duplicate instance.connected');

    // --- 440: connection replaced — surfaced, then reconnected with backoff
    assert.equal(sim.streamError(440), 1);
    const replaced = await eventually(async () => {
      const i = await getInstance(id);
      return i.state === 'disconnected' ? i : undefined;
    }, 'state disconnected after 440', 5_000);
    assert.equal(replaced.state_reason, 'connection_replaced');
    assert.equal((await row(id)).hasSession, true, 'a replaced connection keeps its session');
    const { payload: gone440 } = await webhook('instance.disconnected', (p) => p.reason === 'connection_replaced');
    assert.equal(gone440.logged_out, false);
    const back = await eventually(async () => {
      const i = await getInstance(id);
      return i.state === 'connected' ? i : undefined;
    }, 'connected again after 440');
    assert.equal(back.state_reason, null);
    await eventually(() => hooks('instance.connected').length > connectsBefore, 'instance.connected after 440');

    // --- 463 error ack: message.failed, and a restriction signal stored for review
    const doomed = await sendText(id, bob, 'This one will be refused');
    assert.equal((await sim.expectOutgoing(bob)).id, doomed);
    sim.sendErrorAck(doomed, 463);
    const { payload: failed } = await webhook('message.failed', (p) => p.message_id === doomed);
    assert.equal(failed.error_code, 463);
    assert.equal(failed.reason, 'whatsapp_error_463');
    assert.equal(failed.to, bob.e164);
    const signals = await eventually(async () => {
      const rows = await ctx!.container.db('instance_restriction_signals').where({ instance_id: id });
      return rows.length > 0 ? rows : undefined;
    }, 'restriction signal stored');
    assert.equal(signals[0].signal, 'ack_463');

    // --- the user unlinks the device on the phone → disconnected, session gone
    sim.unlinkFromPhone();
    const unlinked = await eventually(async () => {
      const i = await getInstance(id);
      return i.state === 'disconnected' && i.state_reason === 'logged_out' ? i : undefined;
    }, 'disconnected after unlink');
    assert.equal(unlinked.qr, null);
    assert.equal((await row(id)).hasSession, false);
    const { payload: loggedOut } = await webhook('instance.disconnected', (p) => p.logged_out === true);
    assert.equal(loggedOut.reason, 'logged_out');
    assert.equal(transport.isConnected(id), false);
    const [authCount] = await ctx!.container.db('baileys_auth').where({ instance_id: id }).count<{ n: number }[]>('* as n');
    assert.equal(Number(authCount?.n), 0, 'credentials cleared');

    // every webhook request was signed with the subscription's secret, on both schemes
    await sleep(100);
    for (const req of receiver.requests) assert.ok(verifiesWith(req, secret), `${req.json?.event} verifies`);
  });
});
