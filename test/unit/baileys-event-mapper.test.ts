/** The pure Baileys → TransportEvent mapping, fed with real Baileys `proto` objects. */
import assert from 'node:assert/strict';
import { proto, type WAMessage, type WAMessageKey } from '@whiskeysockets/baileys';
import {
  CallTracker,
  identityOf,
  jidToE164,
  lidsToResolve,
  mapCall,
  mapGroupUpdates,
  mapMessageCapping,
  mapMessageUpdates,
  mapReachoutTimelock,
  mapReceiptUpdates,
  type MapperContext,
  mapUpsertMessage,
  recipientToJid,
} from '../../src/transport/baileys/baileys-event-mapper.ts';
import type { TransportMessage } from '../../src/transport/transport.ts';

const ALICE_PN = '628130000100@s.whatsapp.net';
const ALICE_LID = '290000000000100@lid';
const BOB_PN = '628130000101@s.whatsapp.net';
const BOB_LID = '290000000000101@lid';
const GROUP = '120363025246125486@g.us';
const ME = '6281200000001:2@s.whatsapp.net';
const ME_LID = '190000000000001:2@lid';

const ctx: MapperContext = {
  instanceId: 'inst-1',
  meId: ME,
  meLid: ME_LID,
  pnForLid: new Map([[BOB_LID, BOB_PN]]),
  now: () => new Date('2026-11-21T10:00:00Z'),
};

/** A WebMessageInfo built with fromObject, plus Baileys 7's extra key fields (not in the proto). */
function wmi(obj: Record<string, unknown>, keyExtras: Partial<WAMessageKey> = {}): WAMessage {
  const msg = proto.WebMessageInfo.fromObject({ messageTimestamp: 1_763_719_200, ...obj }) as WAMessage;
  Object.assign(msg.key, keyExtras);
  return msg;
}

function asMessage(m: ReturnType<typeof mapUpsertMessage>): TransportMessage {
  assert.equal(m.kind, 'message', JSON.stringify(m));
  return (m as { message: TransportMessage }).message;
}

describe('baileys-event-mapper: messages.upsert', () => {
  it('maps a 1:1 text with phone and LID from the key alt', () => {
    const msg = wmi(
      { key: { remoteJid: ALICE_PN, fromMe: false, id: 'A1' }, message: { conversation: 'hello' }, pushName: 'Alice' },
      { remoteJidAlt: ALICE_LID, addressingMode: 'pn' },
    );
    const m = asMessage(mapUpsertMessage(msg, ctx));
    assert.deepEqual(
      { ...m, timestamp: m.timestamp.toISOString() },
      {
        messageId: 'A1',
        fromMe: false,
        from: '+628130000100',
        fromLid: ALICE_LID,
        chat: '+628130000100',
        isGroup: false,
        pushName: 'Alice',
        messageType: 'text',
        text: 'hello',
        timestamp: new Date(1_763_719_200 * 1000).toISOString(),
      },
    );
  });

  it('resolves a LID-addressed sender through the known mapping', () => {
    const msg = wmi({ key: { remoteJid: BOB_LID, fromMe: false, id: 'B1' }, message: { conversation: 'hey' } });
    const m = asMessage(mapUpsertMessage(msg, ctx));
    assert.equal(m.from, '+628130000101');
    assert.equal(m.fromLid, BOB_LID);
    assert.equal(m.chat, '+628130000101');
    // unknown LID: phone stays null, LID is the chat
    const unknown = asMessage(
      mapUpsertMessage(wmi({ key: { remoteJid: '299999@lid', id: 'U1' }, message: { conversation: 'x' } }), ctx),
    );
    assert.equal(unknown.from, null);
    assert.equal(unknown.fromLid, '299999@lid');
    assert.equal(unknown.chat, '299999@lid');
  });

  it('maps extended text with mentions (offsets from the text) and forwarding metadata', () => {
    const text = 'Hi @628130000100 and @290000000000101, see above';
    const msg = wmi(
      {
        key: { remoteJid: GROUP, fromMe: false, id: 'G1', participant: ALICE_LID },
        message: {
          extendedTextMessage: {
            text,
            contextInfo: { mentionedJid: [ALICE_PN, BOB_LID], isForwarded: true, forwardingScore: 5 },
          },
        },
      },
      { participantAlt: ALICE_PN },
    );
    const m = asMessage(mapUpsertMessage(msg, ctx));
    assert.equal(m.isGroup, true);
    assert.equal(m.chat, GROUP);
    assert.equal(m.from, '+628130000100');
    assert.equal(m.fromLid, ALICE_LID);
    assert.equal(m.text, text);
    assert.deepEqual(m.mentions, [
      { jid: '+628130000100', lid: null, display: '@628130000100', start: 3, end: 16 },
      { jid: '+628130000101', lid: BOB_LID, display: '@290000000000101', start: 21, end: 37 },
    ]);
    assert.equal(text.slice(3, 16), '@628130000100');
    assert.deepEqual(m.forwarded, { isForwarded: true, score: 5, frequentlyForwarded: true });

    const once = asMessage(
      mapUpsertMessage(
        wmi({
          key: { remoteJid: ALICE_PN, id: 'F2' },
          message: { extendedTextMessage: { text: 'fwd', contextInfo: { isForwarded: true, forwardingScore: 2 } } },
        }),
        ctx,
      ),
    );
    assert.deepEqual(once.forwarded, { isForwarded: true, score: 2, frequentlyForwarded: false });
    const plain = asMessage(mapUpsertMessage(wmi({ key: { remoteJid: ALICE_PN, id: 'P' }, message: { conversation: 'x' } }), ctx));
    assert.equal(plain.forwarded, undefined);
    assert.equal(plain.mentions, undefined);
  });

  it('leaves mention offsets null when the mention is not in the text', () => {
    const m = asMessage(
      mapUpsertMessage(
        wmi({
          key: { remoteJid: GROUP, id: 'G2', participant: ALICE_PN },
          message: { extendedTextMessage: { text: 'hello all', contextInfo: { mentionedJid: [BOB_PN] } } },
        }),
        ctx,
      ),
    );
    assert.deepEqual(m.mentions, [{ jid: '+628130000101', lid: null, display: null, start: null, end: null }]);
  });

  it('maps an image with caption to a media descriptor', () => {
    const r = mapUpsertMessage(
      wmi({
        key: { remoteJid: ALICE_PN, id: 'I1' },
        message: {
          imageMessage: { caption: 'the parcel', mimetype: 'image/jpeg', fileLength: 5120, url: 'https://mmg/x', mediaKey: Buffer.alloc(32) },
        },
      }),
      ctx,
    );
    assert.equal(r.kind, 'message');
    if (r.kind !== 'message') return;
    assert.equal(r.message.messageType, 'image');
    assert.equal(r.message.text, 'the parcel');
    assert.deepEqual(r.media, { kind: 'image', mimeType: 'image/jpeg', fileName: null, fileLength: 5120 });
  });

  it('maps documents, also inside documentWithCaptionMessage', () => {
    const direct = mapUpsertMessage(
      wmi({
        key: { remoteJid: ALICE_PN, id: 'D1' },
        message: { documentMessage: { fileName: 'invoice.pdf', mimetype: 'application/pdf', fileLength: 999 } },
      }),
      ctx,
    );
    assert.ok(direct.kind === 'message');
    assert.equal(direct.message.messageType, 'document');
    assert.equal(direct.message.text, null);
    assert.deepEqual(direct.media, { kind: 'document', mimeType: 'application/pdf', fileName: 'invoice.pdf', fileLength: 999 });

    const wrapped = mapUpsertMessage(
      wmi({
        key: { remoteJid: ALICE_PN, id: 'D2' },
        message: {
          documentWithCaptionMessage: {
            message: { documentMessage: { fileName: 'a.csv', mimetype: 'text/csv', caption: 'orders' } },
          },
        },
      }),
      ctx,
    );
    assert.ok(wrapped.kind === 'message');
    assert.equal(wrapped.message.text, 'orders');
    assert.equal(wrapped.media?.fileName, 'a.csv');
  });

  it('maps video, audio and sticker', () => {
    const types = [
      [{ videoMessage: { mimetype: 'video/mp4', caption: 'clip' } }, 'video', 'clip'],
      [{ audioMessage: { mimetype: 'audio/ogg; codecs=opus', ptt: true } }, 'audio', null],
      [{ stickerMessage: { mimetype: 'image/webp' } }, 'sticker', null],
    ] as const;
    for (const [message, type, text] of types) {
      const r = mapUpsertMessage(wmi({ key: { remoteJid: ALICE_PN, id: `M-${type}` }, message }), ctx);
      assert.ok(r.kind === 'message');
      assert.equal(r.message.messageType, type);
      assert.equal(r.message.text, text);
      assert.equal(r.media?.kind, type);
    }
  });

  it('flags view-once v1, v2 and the unavailable placeholder', () => {
    const v1 = mapUpsertMessage(
      wmi({ key: { remoteJid: ALICE_PN, id: 'V1' }, message: { viewOnceMessage: { message: { imageMessage: { mimetype: 'image/jpeg', viewOnce: true } } } } }),
      ctx,
    );
    assert.ok(v1.kind === 'message');
    assert.equal(v1.message.isViewOnce, true);
    assert.equal(v1.message.messageType, 'image');
    const v2 = mapUpsertMessage(
      wmi({ key: { remoteJid: ALICE_PN, id: 'V2' }, message: { viewOnceMessageV2: { message: { videoMessage: { mimetype: 'video/mp4' } } } } }),
      ctx,
    );
    assert.ok(v2.kind === 'message');
    assert.equal(v2.message.isViewOnce, true);
    assert.equal(v2.message.messageType, 'video');
    const unavailable = asMessage(
      mapUpsertMessage(wmi({ key: { remoteJid: ALICE_PN, id: 'V3' } }, { isViewOnce: true }), ctx),
    );
    assert.equal(unavailable.isViewOnce, true);
    assert.equal(unavailable.messageType, 'unknown');
    const normal = asMessage(mapUpsertMessage(wmi({ key: { remoteJid: ALICE_PN, id: 'V4' }, message: { conversation: 'x' } }), ctx));
    assert.equal(normal.isViewOnce, undefined);
  });

  it('maps location and live location', () => {
    const m = asMessage(
      mapUpsertMessage(
        wmi({
          key: { remoteJid: ALICE_PN, id: 'L1' },
          message: { locationMessage: { degreesLatitude: -6.2, degreesLongitude: 106.8, name: 'Warehouse', address: 'Jl. Example 1' } },
        }),
        ctx,
      ),
    );
    assert.equal(m.messageType, 'location');
    assert.deepEqual(m.location, { latitude: -6.2, longitude: 106.8, name: 'Warehouse', address: 'Jl. Example 1' });
    const live = asMessage(
      mapUpsertMessage(
        wmi({ key: { remoteJid: ALICE_PN, id: 'L2' }, message: { liveLocationMessage: { degreesLatitude: 1.5, degreesLongitude: 2.5 } } }),
        ctx,
      ),
    );
    assert.equal(live.messageType, 'location');
    assert.equal(live.location?.latitude, 1.5);
  });

  it('maps contact cards (single and array)', () => {
    const vcard = 'BEGIN:VCARD\nVERSION:3.0\nFN:Budi\nTEL;waid=628111:+62 811 1\nEND:VCARD';
    const single = asMessage(
      mapUpsertMessage(wmi({ key: { remoteJid: ALICE_PN, id: 'C1' }, message: { contactMessage: { displayName: 'Budi', vcard } } }), ctx),
    );
    assert.equal(single.messageType, 'contact');
    assert.deepEqual(single.contact, { displayName: 'Budi', vcard });
    const many = asMessage(
      mapUpsertMessage(
        wmi({
          key: { remoteJid: ALICE_PN, id: 'C2' },
          message: { contactsArrayMessage: { displayName: '2 contacts', contacts: [{ displayName: 'Budi', vcard }] } },
        }),
        ctx,
      ),
    );
    assert.equal(many.contact?.displayName, '2 contacts');
    assert.equal(many.contact?.vcard, vcard);
  });

  it('maps a group message with a PN participant', () => {
    const m = asMessage(
      mapUpsertMessage(
        wmi({ key: { remoteJid: GROUP, id: 'G3', participant: BOB_PN }, message: { conversation: 'in the group' }, pushName: 'Bob' }),
        ctx,
      ),
    );
    assert.equal(m.isGroup, true);
    assert.equal(m.chat, GROUP);
    assert.equal(m.from, '+628130000101');
    assert.equal(m.fromLid, null);
    assert.equal(m.pushName, 'Bob');
  });

  it('maps messages sent from the own phone as fromMe with our number', () => {
    const m = asMessage(
      mapUpsertMessage(wmi({ key: { remoteJid: ALICE_PN, id: 'S1', fromMe: true }, message: { conversation: 'typed on the phone' } }), ctx),
    );
    assert.equal(m.fromMe, true);
    assert.equal(m.from, '+6281200000001');
    assert.equal(m.fromLid, '190000000000001@lid');
    assert.equal(m.chat, '+628130000100');
  });

  it('unwraps ephemeral messages', () => {
    const m = asMessage(
      mapUpsertMessage(
        wmi({ key: { remoteJid: ALICE_PN, id: 'E1' }, message: { ephemeralMessage: { message: { extendedTextMessage: { text: 'disappearing' } } } } }),
        ctx,
      ),
    );
    assert.equal(m.text, 'disappearing');
  });

  it('maps a REVOKE protocol message to a revoked event', () => {
    const r = mapUpsertMessage(
      wmi({
        key: { remoteJid: ALICE_PN, id: 'R1' },
        message: {
          protocolMessage: { type: proto.Message.ProtocolMessage.Type.REVOKE, key: { remoteJid: ALICE_PN, id: 'ORIGINAL', fromMe: false } },
        },
      }),
      ctx,
    );
    assert.equal(r.kind, 'revoke');
    if (r.kind !== 'revoke') return;
    assert.deepEqual(r.event, {
      type: 'revoked',
      instanceId: 'inst-1',
      messageId: 'ORIGINAL',
      chat: '+628130000100',
      by: '+628130000100',
      at: new Date(1_763_719_200 * 1000),
    });
  });

  it('ignores reactions, other protocol messages, undecryptable stubs and broadcasts', () => {
    const cases: WAMessage[] = [
      wmi({ key: { remoteJid: ALICE_PN, id: 'X1' }, message: { reactionMessage: { text: '👍', key: { id: 'A1' } } } }),
      wmi({
        key: { remoteJid: ALICE_PN, id: 'X2' },
        message: { protocolMessage: { type: proto.Message.ProtocolMessage.Type.EPHEMERAL_SETTING } },
      }),
      wmi({ key: { remoteJid: ALICE_PN, id: 'X3' }, messageStubType: proto.WebMessageInfo.StubType.CIPHERTEXT }),
      wmi({ key: { remoteJid: 'status@broadcast', id: 'X4', participant: ALICE_PN }, message: { conversation: 'status' } }),
      wmi({ key: { remoteJid: ALICE_PN, id: 'X5' } }),
    ];
    for (const msg of cases) {
      assert.equal(mapUpsertMessage(msg, ctx).kind, 'ignore', msg.key.id ?? '');
    }
  });

  it('lists the LIDs to resolve (sender, alt, participant, mentions)', () => {
    const msg = wmi(
      {
        key: { remoteJid: GROUP, id: 'G4', participant: '290000000000999:3@lid' },
        message: { extendedTextMessage: { text: '@1', contextInfo: { mentionedJid: [BOB_LID, ALICE_PN] } } },
      },
      { participantAlt: ALICE_PN },
    );
    assert.deepEqual(lidsToResolve(msg).sort(), ['290000000000999@lid', BOB_LID].sort());
  });
});

describe('baileys-event-mapper: receipts and restrictions', () => {
  const key = (id: string, remoteJid = ALICE_PN) => ({ remoteJid, id, fromMe: true });

  it('maps delivery, read and played statuses of our messages', () => {
    const S = proto.WebMessageInfo.Status;
    const events = mapMessageUpdates(
      [
        { key: key('m1'), update: { status: S.DELIVERY_ACK, messageTimestamp: 1_763_719_300 } },
        { key: key('m1'), update: { status: S.READ } },
        { key: key('m2'), update: { status: S.PLAYED } },
        { key: key('m3'), update: { status: S.SERVER_ACK } },
        { key: { ...key('m4'), fromMe: false }, update: { status: S.READ } },
      ],
      ctx,
    );
    assert.deepEqual(
      events.map((e) => (e.type === 'receipt' ? [e.messageId, e.status, e.recipient] : e.type)),
      [
        ['m1', 'delivered', '+628130000100'],
        ['m1', 'read', '+628130000100'],
        ['m2', 'played', '+628130000100'],
      ],
    );
    assert.equal(events[0]?.type === 'receipt' && events[0].at.getTime(), 1_763_719_300_000);
  });

  it('maps a 463 error ack to a failed receipt plus a restriction; other errors to a failed receipt only', () => {
    const events = mapMessageUpdates(
      [
        { key: key('m5', BOB_LID), update: { status: proto.WebMessageInfo.Status.ERROR, messageStubParameters: ['463', 'Your account has been restricted'] } },
        { key: key('m6'), update: { status: proto.WebMessageInfo.Status.ERROR, messageStubParameters: ['479'] } },
      ],
      ctx,
    );
    assert.equal(events.length, 3);
    const [failed, restriction, other] = events;
    assert.ok(failed?.type === 'receipt');
    assert.equal(failed.status, 'failed');
    assert.equal(failed.errorCode, 463);
    assert.equal(failed.recipient, '+628130000101', 'LID recipient resolved to the phone');
    assert.ok(restriction?.type === 'restriction');
    assert.equal(restriction.signal, 'ack_463');
    assert.deepEqual(restriction.detail, {
      messageId: 'm5',
      recipient: '+628130000101',
      errorCode: 463,
      text: 'Your account has been restricted',
    });
    assert.ok(other?.type === 'receipt');
    assert.equal(other.errorCode, 479);
  });

  it('skips revoke updates (the revoke is mapped from the upsert)', () => {
    const events = mapMessageUpdates(
      [{ key: key('m7'), update: { message: null, messageStubType: proto.WebMessageInfo.StubType.REVOKE } }],
      ctx,
    );
    assert.deepEqual(events, []);
  });

  it('maps per-participant group receipts', () => {
    const events = mapReceiptUpdates(
      [
        { key: key('g1', GROUP), receipt: { userJid: BOB_LID, receiptTimestamp: 1_763_719_400 } },
        { key: key('g1', GROUP), receipt: { userJid: ALICE_PN, readTimestamp: 1_763_719_500 } },
      ],
      ctx,
    );
    assert.deepEqual(
      events.map((e) => (e.type === 'receipt' ? [e.status, e.recipient, e.at.getTime()] : null)),
      [
        ['delivered', '+628130000101', 1_763_719_400_000],
        ['read', '+628130000100', 1_763_719_500_000],
      ],
    );
  });

  it('maps message capping and reach-out time lock to restriction events', () => {
    const capping = mapMessageCapping({ capping_status: 'SECOND_WARNING', total_quota: 100, used_quota: 95 }, ctx);
    assert.deepEqual(capping, {
      type: 'restriction',
      instanceId: 'inst-1',
      signal: 'message_capping',
      detail: { capping_status: 'SECOND_WARNING', total_quota: 100, used_quota: 95 },
      at: new Date('2026-11-21T10:00:00Z'),
    });
    const lock = mapReachoutTimelock(
      { isActive: true, timeEnforcementEnds: new Date('2026-11-22T00:00:00Z'), enforcementType: 'BIZ_QUALITY' },
      ctx,
    );
    assert.ok(lock?.type === 'restriction');
    assert.equal(lock.signal, 'reachout_timelock');
    assert.deepEqual(lock.detail, { isActive: true, timeEnforcementEnds: '2026-11-22T00:00:00.000Z', enforcementType: 'BIZ_QUALITY' });
  });
});

describe('baileys-event-mapper: calls, groups and addresses', () => {
  const call = (id: string, status: Parameters<typeof mapCall>[0]['status'], extra = {}) => ({
    chatId: ALICE_PN,
    from: ALICE_PN,
    id,
    date: new Date('2026-11-21T09:00:00Z'),
    offline: false,
    status,
    ...extra,
  });

  it('maps offer → offer and timeout/reject/terminate without accept → one missed call', () => {
    const t = new CallTracker();
    assert.deepEqual(mapCall(call('c1', 'offer', { isVideo: true }), t, ctx), {
      type: 'call',
      instanceId: 'inst-1',
      callId: 'c1',
      from: '+628130000100',
      status: 'offer',
      isVideo: true,
      at: new Date('2026-11-21T09:00:00Z'),
    });
    assert.equal(mapCall(call('c1', 'ringing'), t, ctx), null);
    assert.equal(mapCall(call('c1', 'timeout'), t, ctx)?.status, 'missed');
    assert.equal(mapCall(call('c1', 'terminate'), t, ctx), null, 'missed only once');

    mapCall(call('c2', 'offer'), t, ctx);
    assert.equal(mapCall(call('c2', 'reject'), t, ctx)?.status, 'missed');

    mapCall(call('c3', 'offer'), t, ctx);
    assert.equal(mapCall(call('c3', 'accept'), t, ctx)?.status, 'accept');
    assert.equal(mapCall(call('c3', 'terminate'), t, ctx), null, 'an answered call is not missed');
  });

  it('uses the caller PN of a LID-addressed call', () => {
    const ev = mapCall(call('c4', 'offer', { from: '290000000000555@lid', callerPn: '628130000555@s.whatsapp.net' }), new CallTracker(), ctx);
    assert.equal(ev?.from, '+628130000555');
  });

  it('maps group updates', () => {
    const [ev] = mapGroupUpdates([{ id: GROUP, subject: 'Support team', announce: true }], ctx);
    assert.deepEqual(ev, {
      type: 'group_update',
      instanceId: 'inst-1',
      groupJid: GROUP,
      subject: 'Support team',
      change: { announce: true, subject: 'Support team' },
    });
  });

  it('converts recipients and JIDs', () => {
    assert.equal(recipientToJid('+6281234567890'), '6281234567890@s.whatsapp.net');
    assert.equal(recipientToJid('6281234567890'), '6281234567890@s.whatsapp.net');
    assert.equal(recipientToJid(GROUP), GROUP);
    assert.equal(recipientToJid(BOB_LID), BOB_LID);
    assert.throws(() => recipientToJid('+0123'), /E\.164/);
    assert.throws(() => recipientToJid('hello'), /E\.164/);
    assert.equal(jidToE164('6281234567890:12@s.whatsapp.net'), '+6281234567890');
    assert.equal(jidToE164(BOB_LID), null);
    assert.equal(jidToE164(GROUP), null);
    assert.deepEqual(identityOf(BOB_LID, undefined, ctx), { phone: '+628130000101', lid: BOB_LID });
    assert.deepEqual(identityOf('290000000000100:5@lid', ALICE_PN, ctx), { phone: '+628130000100', lid: ALICE_LID });
  });
});
