/**
 * Media (upload to / download from the simulator's HTTPS media host on 127.0.0.1), calls,
 * revokes, LID-addressed and offline inbound messages, through a real Baileys socket.
 */
import assert from 'node:assert/strict';
import { proto } from '@whiskeysockets/baileys';
import {
  type EventRecorder,
  simTransport,
  sqliteTestDb,
  type TestDb,
  type WaSimulator,
  startWaSimulator,
  writePairedAuthFixture,
} from '../support/wa-sim/index.ts';
import type { BaileysTransport } from '../../src/transport/baileys/baileys-transport.ts';

// a valid 1×1 PNG, so Baileys' thumbnail generation has something real to chew on
const PNG = Buffer.from(
  '89504e470d0a1a0a0000000d4948445200000001000000010806000000' +
    '1f15c4890000000d49444154789c6360f8cfc0f01f0005000201e2' +
    '21bc330000000049454e44ae426082',
  'hex',
);

describe('BaileysTransport media, calls and addressing', function () {
  this.timeout(30_000);
  let sim: WaSimulator;
  let tdb: TestDb;
  let transport: BaileysTransport;
  let events: EventRecorder;

  before(() => {
    process.env.WARDEN_TEST = '1';
  });

  beforeEach(async () => {
    sim = await startWaSimulator({ contacts: ['alice', 'bob'] });
    tdb = await sqliteTestDb();
    await writePairedAuthFixture(tdb.db, 'inst-m', sim);
    ({ transport, events } = simTransport(sim, tdb.db));
    await transport.start({ instanceId: 'inst-m', restore: true });
    await events.next('connected');
  });

  afterEach(async () => {
    await transport.close();
    await sim.close();
    await tdb.cleanup();
  });

  it('sends an image with a caption and a document; the contact decrypts message and bytes', async () => {
    const alice = sim.world.contact('alice');
    await transport.send({
      instanceId: 'inst-m',
      to: alice.e164,
      text: 'Your receipt',
      media: { type: 'image', mimeType: 'image/png', data: PNG },
    });
    const img = await sim.expectOutgoing(alice);
    assert.equal(img.message.imageMessage?.caption, 'Your receipt');
    assert.equal(img.message.imageMessage?.mimetype, 'image/png');
    assert.ok(img.media?.equals(PNG), 'the uploaded image decrypts to the original bytes');

    const pdf = Buffer.from('%PDF-1.4\n% test invoice\n');
    await transport.send({
      instanceId: 'inst-m',
      to: alice.e164,
      text: 'Invoice 7',
      media: { type: 'document', mimeType: 'application/pdf', fileName: 'invoice-7.pdf', data: pdf },
    });
    const doc = await sim.expectOutgoing(alice);
    const docMsg = doc.message.documentMessage ?? doc.message.documentWithCaptionMessage?.message?.documentMessage;
    assert.equal(docMsg?.fileName, 'invoice-7.pdf');
    assert.equal(docMsg?.mimetype, 'application/pdf');
    assert.equal(doc.text, 'Invoice 7');
    assert.ok(doc.media?.equals(pdf));
    assert.ok(sim.media && sim.media.uploads.size >= 2);
  });

  it('downloads inbound media into the event', async () => {
    const bob = sim.world.contact('bob');
    const bytes = Buffer.from('a picture of a parcel');
    const up = await sim.uploadMedia(bytes, 'image');
    await sim.sendInboundMessage(bob, {
      imageMessage: {
        url: up.url,
        directPath: up.directPath,
        mediaKey: up.mediaKey,
        fileSha256: up.fileSha256,
        fileEncSha256: up.fileEncSha256,
        fileLength: up.fileLength,
        mimetype: 'image/jpeg',
        caption: 'damaged box',
      },
    });
    const ev = await events.next('message');
    assert.equal(ev.message.messageType, 'image');
    assert.equal(ev.message.text, 'damaged box');
    assert.equal(ev.message.media?.mimeType, 'image/jpeg');
    assert.ok(ev.message.media?.data.equals(bytes));

    const doc = await sim.uploadMedia(Buffer.from('col1,col2\n1,2\n'), 'document');
    await sim.sendInboundMessage(bob, {
      documentMessage: {
        url: doc.url,
        directPath: doc.directPath,
        mediaKey: doc.mediaKey,
        fileSha256: doc.fileSha256,
        fileEncSha256: doc.fileEncSha256,
        fileLength: doc.fileLength,
        mimetype: 'text/csv',
        fileName: 'orders.csv',
      },
    });
    const ev2 = await events.next('message');
    assert.equal(ev2.message.messageType, 'document');
    assert.equal(ev2.message.media?.fileName, 'orders.csv');
    assert.equal(ev2.message.media?.data.toString(), 'col1,col2\n1,2\n');
  });

  it('maps calls: offer → offer, timeout without accept → missed', async () => {
    const alice = sim.world.contact('alice');
    const callId = sim.sendCall(alice, 'offer', { video: true });
    const offer = await events.next('call');
    assert.equal(offer.status, 'offer');
    assert.equal(offer.callId, callId);
    assert.equal(offer.from, alice.e164);
    assert.equal(offer.isVideo, true);
    sim.sendCall(alice, 'timeout', { callId });
    const missed = await events.next('call');
    assert.equal(missed.status, 'missed');
    assert.equal(missed.callId, callId);
  });

  it('maps a revoke (protocolMessage REVOKE) to a revoked event', async () => {
    const alice = sim.world.contact('alice');
    const original = await sim.sendInboundText(alice, 'oops, wrong chat');
    await events.next('message');
    await sim.sendInboundMessage(alice, {
      protocolMessage: {
        type: proto.Message.ProtocolMessage.Type.REVOKE,
        key: { remoteJid: alice.jid, fromMe: false, id: original },
      },
    });
    const revoked = await events.next('revoked');
    assert.equal(revoked.messageId, original);
    assert.equal(revoked.chat, alice.e164);
    assert.equal(revoked.by, alice.e164);
  });

  it('resolves the phone number of LID-addressed inbound messages', async () => {
    const bob = sim.world.contact('bob');
    await sim.sendInboundText(bob, 'from my LID', { addressing: 'lid' });
    const ev = await events.next('message');
    assert.equal(ev.message.from, bob.e164);
    assert.equal(ev.message.fromLid, bob.lidJid);
    assert.equal(ev.message.chat, bob.e164);
  });

  it('delivers messages queued while offline (upsert type append)', async () => {
    const alice = sim.world.contact('alice');
    await sim.sendInboundText(alice, 'sent while you were away', { offline: true });
    const ev = await events.next('message');
    assert.equal(ev.message.text, 'sent while you were away');
  });

  it('maps a group subject change to group_update', async () => {
    const alice = sim.world.contact('alice');
    const group = '120363025246125486@g.us';
    // the gateway learns alice's LID↔phone mapping from her first message
    await sim.sendInboundText(alice, 'hello');
    await events.next('message');
    sim.sendGroupSubjectChange(group, 'Night shift', alice);
    const ev = await events.next('group_update');
    assert.equal(ev.groupJid, group);
    assert.equal(ev.subject, 'Night shift');
    assert.equal(ev.change.subject, 'Night shift');
    assert.equal(ev.change.by, alice.e164);
  });

  it('surfaces message capping and the reach-out time lock as restriction events', async () => {
    sim.sendMessageCapping({ capping_status: 'FIRST_WARNING', total_quota: 50, used_quota: 40 });
    const capping = await events.next('restriction', (e) => e.signal === 'message_capping');
    assert.equal(capping.detail.capping_status, 'FIRST_WARNING');
    assert.equal(capping.detail.used_quota, 40);
    const endsAt = new Date(Math.floor(Date.now() / 1000) * 1000 + 3_600_000);
    sim.sendReachoutTimelock({ isActive: true, endsAt, enforcementType: 'BIZ_QUALITY' });
    const lock = await events.next('restriction', (e) => e.signal === 'reachout_timelock');
    assert.deepEqual(lock.detail, {
      isActive: true,
      timeEnforcementEnds: endsAt.toISOString(),
      enforcementType: 'BIZ_QUALITY',
    });
  });

  it('reports delivered before read even when Baileys merges the two receipts', async () => {
    const alice = sim.world.contact('alice');
    const sent = await transport.send({ instanceId: 'inst-m', to: alice.e164, text: 'quick reader' });
    await sim.expectOutgoing(alice);
    sim.sendReceipt(alice, sent.messageId, 'delivery');
    sim.sendReceipt(alice, sent.messageId, 'read');
    const a = await events.next('receipt', (e) => e.messageId === sent.messageId);
    const b = await events.next('receipt', (e) => e.messageId === sent.messageId);
    assert.deepEqual([a.status, b.status], ['delivered', 'read']);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(events.of('receipt').filter((e) => e.messageId === sent.messageId).length, 2, 'no duplicates');
  });
});
