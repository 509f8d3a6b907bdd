/**
 * Real Baileys socket ↔ loopback WhatsApp simulator (127.0.0.1 only): pairing, sending,
 * receipts, inbound, restart/restore, unlink, and the disconnect policy.
 */
import assert from 'node:assert/strict';
import type { Knex } from 'knex';
import { AUTH_TABLE } from '../../src/transport/baileys/db-auth-state.ts';
import { TransportSendError } from '../../src/transport/transport.ts';
import {
  type Companion,
  mysqlTestDb,
  simTransport,
  sqliteTestDb,
  type TestDb,
  type WaSimulator,
  startWaSimulator,
  writePairedAuthFixture,
} from '../support/wa-sim/index.ts';

async function eventually(check: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) {
      assert.fail(`not observed within ${timeoutMs} ms: ${what}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function authRows(db: Knex, instanceId: string): Promise<number> {
  const [row] = await db(AUTH_TABLE).where({ instance_id: instanceId }).count<Array<{ n: number }>>('* as n');
  return Number(row?.n ?? 0);
}

const lanes: Array<{ name: string; open: () => Promise<TestDb> }> = [{ name: 'sqlite', open: sqliteTestDb }];
if (process.env.MYSQL_URL) {
  lanes.push({ name: 'mysql', open: async () => (await mysqlTestDb())! });
}

for (const lane of lanes) {
  describe(`BaileysTransport against the WhatsApp simulator (${lane.name})`, function () {
    this.timeout(30_000);
    let sim: WaSimulator;
    let tdb: TestDb;
    const cleanups: Array<() => Promise<void>> = [];

    before(() => {
      process.env.WARDEN_TEST = '1';
    });

    beforeEach(async () => {
      sim = await startWaSimulator({ contacts: ['alice', 'bob'] });
      tdb = await lane.open();
    });

    afterEach(async () => {
      for (const fn of cleanups.splice(0).reverse()) {
        await fn().catch(() => undefined);
      }
      await sim.close();
      await tdb.cleanup();
    });

    function transport(overrides = {}) {
      const t = simTransport(sim, tdb.db, overrides);
      cleanups.push(() => t.transport.close());
      return t;
    }

    async function paired(
      instanceId = 'inst-1',
    ): Promise<{ companion: Companion } & ReturnType<typeof transport>> {
      const companion = await writePairedAuthFixture(tdb.db, instanceId, sim);
      const t = transport();
      await t.transport.start({ instanceId, restore: true });
      await t.events.next('connected');
      return { companion, ...t };
    }

    it('pairs by QR, sends, receives receipts and inbound messages, restores after restart, and logs out on unlink', async () => {
      const alice = sim.world.contact('alice');
      const first = transport();
      await first.transport.start({ instanceId: 'inst-1', restore: false });

      // QR → the phone scans → 515 restart → login → connected
      const qr = await first.events.next('qr');
      assert.match(qr.qr.raw, /^https:\/\/wa\.me\/settings\/linked_devices#/);
      assert.ok(qr.qr.expiresAt.getTime() > Date.now());
      const companion = await sim.scanQr(qr.qr.raw);
      const connected = await first.events.next('connected');
      assert.equal(connected.phone, `+${sim.world.defaultAccount.pn}`);
      assert.equal(connected.lid, `${sim.world.defaultAccount.lid}@lid`);
      assert.equal(first.transport.isConnected('inst-1'), true);
      assert.equal(first.events.count('disconnected'), 0, 'the 515 restart after pairing is not surfaced');
      assert.ok((await authRows(tdb.db, 'inst-1')) > 1, 'creds and keys are stored');

      // send a text: the contact decrypts exactly that text; the phone gets its DeviceSentMessage copy
      const text = 'Your order #1042 has shipped. Track it at https://example.com/t/1042';
      const sent = await first.transport.send({ instanceId: 'inst-1', to: alice.e164, text });
      assert.match(sent.messageId, /^[0-9A-F]{16,}$/);
      assert.equal(sent.recipientLid, alice.lidJid);
      const out = await sim.expectOutgoing(alice);
      assert.equal(out.id, sent.messageId);
      assert.equal(out.text, text);
      assert.equal(out.message.extendedTextMessage?.text, text);
      assert.ok(!out.message.extendedTextMessage?.matchedText, 'no link preview was generated');
      assert.equal(out.from, companion.jid);
      assert.equal(out.phoneCopy?.deviceSentMessage?.message?.extendedTextMessage?.text, text);

      // delivery, then read
      sim.sendReceipt(alice, sent.messageId, 'delivery');
      const delivered = await first.events.next('receipt', (e) => e.messageId === sent.messageId);
      assert.equal(delivered.status, 'delivered');
      assert.equal(delivered.recipient, alice.e164);
      sim.sendReceipt(alice, sent.messageId, 'read');
      const read = await first.events.next('receipt', (e) => e.messageId === sent.messageId);
      assert.equal(read.status, 'read');

      // inbound text, then an opt-out keyword: both are plain message events
      const inboundId = await sim.sendInboundText(alice, 'Hi, where is my parcel?');
      const inbound = await first.events.next('message');
      assert.equal(inbound.message.messageId, inboundId);
      assert.equal(inbound.message.text, 'Hi, where is my parcel?');
      assert.equal(inbound.message.messageType, 'text');
      assert.equal(inbound.message.from, alice.e164);
      assert.equal(inbound.message.fromLid, alice.lidJid);
      assert.equal(inbound.message.chat, alice.e164);
      assert.equal(inbound.message.fromMe, false);
      assert.equal(inbound.message.isGroup, false);
      assert.equal(inbound.message.pushName, 'alice');
      await sim.sendInboundText(alice, 'STOP');
      const stop = await first.events.next('message');
      assert.equal(stop.message.text, 'STOP');
      assert.equal(stop.message.from, alice.e164);

      // restart: a new transport on the same database restores the session without a QR
      await first.transport.close();
      const second = transport();
      await second.transport.start({ instanceId: 'inst-1', restore: true });
      const again = await second.events.next('connected');
      assert.equal(again.phone, `+${sim.world.defaultAccount.pn}`);
      assert.equal(second.events.count('qr'), 0);
      // the restored Signal session still works in both directions
      const sent2 = await second.transport.send({
        instanceId: 'inst-1',
        to: alice.e164,
        text: 'after restart',
      });
      assert.equal((await sim.expectOutgoing(alice)).text, 'after restart');
      assert.ok(sent2.messageId);
      await sim.sendInboundText(alice, 'still here');
      assert.equal((await second.events.next('message')).message.text, 'still here');

      // the user unlinks the device on the phone
      sim.unlinkFromPhone();
      const gone = await second.events.next('disconnected');
      assert.equal(gone.loggedOut, true);
      assert.equal(gone.willReconnect, false);
      assert.equal(gone.reason, 'logged_out');
      assert.equal(second.transport.isConnected('inst-1'), false);
      assert.equal(await authRows(tdb.db, 'inst-1'), 0, 'credentials are cleared');
      await assert.rejects(
        second.transport.send({ instanceId: 'inst-1', to: alice.e164, text: 'x' }),
        (err: unknown) => err instanceof TransportSendError && err.reason === 'not_connected',
      );
    });

    it('restarts immediately on 515 and stays connected', async () => {
      const alice = sim.world.contact('alice');
      const { transport: t, events, companion } = await paired();
      assert.equal(sim.streamError(515, { companion }), 1);
      await events.next('connected');
      assert.equal(events.count('disconnected'), 0);
      assert.equal(t.isConnected('inst-1'), true);
      const sent = await t.send({ instanceId: 'inst-1', to: alice.e164, text: 'after 515' });
      assert.equal((await sim.expectOutgoing(alice)).id, sent.messageId);
    });

    it('surfaces 440 (connection replaced) and reconnects with backoff', async () => {
      const { transport: t, events, companion } = await paired();
      const t0 = Date.now();
      sim.streamError(440, { companion });
      const d = await events.next('disconnected');
      assert.equal(d.reason, 'connection_replaced');
      assert.equal(d.loggedOut, false);
      assert.equal(d.willReconnect, true);
      await events.next('connected');
      // first replacement backs off at least base*2^2/2 = 100 ms (attempt raised by the streak)
      assert.ok(Date.now() - t0 >= 100, `reconnected after ${Date.now() - t0} ms`);
      assert.equal(t.isConnected('inst-1'), true);
    });

    it('gives up after repeated 440s', async () => {
      await writePairedAuthFixture(tdb.db, 'inst-1', sim);
      const { transport: t, events } = transport({
        reconnect: { baseMs: 20, maxMs: 80, maxReplacedAttempts: 1 },
      });
      await t.start({ instanceId: 'inst-1', restore: true });
      await events.next('connected');
      sim.streamError(440);
      assert.equal((await events.next('disconnected')).willReconnect, true);
      await events.next('connected');
      sim.streamError(440);
      const last = await events.next('disconnected');
      assert.equal(last.reason, 'connection_replaced');
      assert.equal(last.willReconnect, false);
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(events.count('connected'), 2, 'no reconnect after giving up');
      assert.equal(t.isConnected('inst-1'), false);
    });

    it('reconnects with backoff after a dropped connection (no stream error)', async () => {
      const { transport: t, events, companion } = await paired();
      sim.dropConnections({ companion });
      const d = await events.next('disconnected');
      assert.equal(d.loggedOut, false);
      assert.equal(d.willReconnect, true);
      assert.equal(d.reason, 'connection_closed');
      await events.next('connected');
      assert.equal(t.isConnected('inst-1'), true);
    });

    it('answers a retry receipt after a restart from its own copy of the sent message', async () => {
      const alice = sim.world.contact('alice');
      const { transport: first } = await paired();
      const sent = await first.send({ instanceId: 'inst-1', to: alice.e164, text: 'Your OTP is 482913' });
      await sim.expectOutgoing(alice);
      await first.close();
      const second = transport();
      await second.transport.start({ instanceId: 'inst-1', restore: true });
      await second.events.next('connected');
      sim.sendRetryReceipt(alice, sent.messageId);
      const again = await sim.expectOutgoing(alice);
      assert.equal(again.id, sent.messageId);
      assert.equal(again.text, 'Your OTP is 482913');
    });

    it('uses the getMessage hook for retry receipts, and sends nothing when it returns undefined', async () => {
      const alice = sim.world.contact('alice');
      const asked: string[] = [];
      const known = new Map<string, string>();
      await writePairedAuthFixture(tdb.db, 'inst-1', sim);
      const make = () =>
        transport({
          retainSentMessagesMs: 0,
          getMessage: async (instanceId: string, key: { id?: string | null }) => {
            asked.push(`${instanceId}/${key.id}`);
            const text = key.id ? known.get(key.id) : undefined;
            return text ? { conversation: text } : undefined;
          },
        });
      const a = make();
      await a.transport.start({ instanceId: 'inst-1', restore: true });
      await a.events.next('connected');
      const kept = await a.transport.send({ instanceId: 'inst-1', to: alice.e164, text: 'kept in the log' });
      const lost = await a.transport.send({ instanceId: 'inst-1', to: alice.e164, text: 'not in the log' });
      known.set(kept.messageId, 'kept in the log');
      await sim.expectOutgoing(alice);
      await sim.expectOutgoing(alice);
      await a.transport.close();
      const b = make();
      await b.transport.start({ instanceId: 'inst-1', restore: true });
      await b.events.next('connected');
      sim.sendRetryReceipt(alice, kept.messageId);
      const again = await sim.expectOutgoing(alice);
      assert.equal(again.id, kept.messageId);
      assert.equal(again.text, 'kept in the log');
      sim.sendRetryReceipt(alice, lost.messageId);
      await eventually(() => asked.includes(`inst-1/${lost.messageId}`), 'getMessage was asked');
      await assert.rejects(sim.expectOutgoing(alice, { timeoutMs: 400 }), /timed out/);
    });

    it('turns a 463 error ack into a failed receipt and a restriction event', async () => {
      const alice = sim.world.contact('alice');
      const { transport: t, events } = await paired();
      const sent = await t.send({ instanceId: 'inst-1', to: alice.e164, text: 'hello' });
      await sim.expectOutgoing(alice);
      sim.sendErrorAck(sent.messageId, 463);
      const failed = await events.next('receipt', (e) => e.status === 'failed');
      assert.equal(failed.messageId, sent.messageId);
      assert.equal(failed.errorCode, 463);
      assert.equal(failed.recipient, alice.e164);
      const restriction = await events.next('restriction');
      assert.equal(restriction.signal, 'ack_463');
      assert.equal(restriction.detail.messageId, sent.messageId);
      assert.equal(restriction.detail.errorCode, 463);
    });

    it('expires when the QR is not scanned in time', async () => {
      await sim.close();
      sim = await startWaSimulator({ qrRefs: 2 });
      const { transport: t, events } = transport({ qrTimeoutMs: 150 });
      await t.start({ instanceId: 'inst-q', restore: false });
      const qr1 = await events.next('qr');
      assert.ok(qr1.qr.expiresAt.getTime() - Date.now() <= 150);
      await events.next('qr');
      await events.next('expired');
      assert.equal(t.isConnected('inst-q'), false);
      // a new QR can be requested afterwards
      await t.regenerateQr('inst-q');
      const fresh = await events.next('qr');
      const companion = await sim.scanQr(fresh.qr.raw);
      assert.ok(companion);
      await events.next('connected');
    });

    it('requests a pairing code for phone-number linking', async () => {
      const { transport: t, events } = transport();
      const code = await t.requestPairingCode('inst-p', `+${sim.world.defaultAccount.pn}`);
      assert.match(code, /^[0-9A-Z]{8}$/);
      const ev = await events.next('pairing_code');
      assert.equal(ev.code, code);
      await eventually(
        () =>
          sim.received.some(
            (r) => r.node.tag === 'iq' && JSON.stringify(r.node).includes('link_code_companion_reg'),
          ),
        'the link_code_companion_reg stanza reached the server',
      );
    });

    it('refuses sends it cannot make: unknown number, not connected, invalid recipient, timeout', async () => {
      const { transport: t } = await paired();
      await assert.rejects(
        t.send({ instanceId: 'inst-1', to: '+628199999999', text: 'hi' }),
        (err: unknown) => err instanceof TransportSendError && err.reason === 'not_on_whatsapp',
      );
      await assert.rejects(
        t.send({ instanceId: 'other', to: '+628199999999', text: 'hi' }),
        (err: unknown) => err instanceof TransportSendError && err.reason === 'not_connected',
      );
      await assert.rejects(
        t.send({ instanceId: 'inst-1', to: 'not-a-number', text: 'hi' }),
        (err: unknown) => err instanceof TransportSendError && err.reason === 'invalid_recipient',
      );
      const bob = sim.world.contact('bob');
      const slow = simTransport(sim, tdb.db, { sendTimeoutMs: 300 });
      cleanups.push(() => slow.transport.close());
      await t.close();
      await slow.transport.start({ instanceId: 'inst-1', restore: true });
      await slow.events.next('connected');
      sim.stallIqs('usync');
      await assert.rejects(
        slow.transport.send({ instanceId: 'inst-1', to: bob.e164, text: 'hi' }),
        (err: unknown) => err instanceof TransportSendError && err.reason === 'timeout',
      );
      sim.resumeIqs();
    });

    it('logout unlinks the device, clears credentials and emits disconnected(loggedOut)', async () => {
      const { transport: t, events, companion } = await paired();
      await t.logout('inst-1');
      const d = await events.next('disconnected');
      assert.equal(d.loggedOut, true);
      assert.equal(d.willReconnect, false);
      assert.equal(await authRows(tdb.db, 'inst-1'), 0);
      await eventually(() => companion.removed, 'the server saw remove-companion-device');
    });

    it('destroy deletes the auth rows; close keeps them', async () => {
      const { transport: t } = await paired('inst-a');
      await writePairedAuthFixture(tdb.db, 'inst-b', sim);
      await t.start({ instanceId: 'inst-b', restore: true });
      await new Promise((r) => setTimeout(r, 50));
      await t.destroy('inst-a');
      assert.equal(await authRows(tdb.db, 'inst-a'), 0);
      await t.close();
      assert.ok((await authRows(tdb.db, 'inst-b')) > 0);
    });

    it('refuses a non-loopback WhatsApp URL in loopback-only mode without connecting', async () => {
      const { transport: t } = transport({ waWebSocketUrl: 'wss://192.0.2.10/ws/chat' });
      await assert.rejects(t.start({ instanceId: 'x', restore: false }), /loopback-only/);
    });
  });
}
