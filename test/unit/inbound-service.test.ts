import assert from 'node:assert/strict';
import { inMemoryTransact } from '../../src/db/transactions.ts';
import { FakeEventOutbox } from '../../src/events/event-outbox.fake.ts';
import { FakeConversationWindowStore } from '../../src/inbound/conversation-window-store.fake.ts';
import { FakeInboundLog } from '../../src/inbound/inbound-log.fake.ts';
import { type InboundServiceDeps, InboundService } from '../../src/inbound/inbound-service.ts';
import { makeInstance } from '../../src/instances/instance-store.fake.ts';
import { ManualClock } from '../../src/lib/clock.ts';
import { FakeRestrictionSignalStore } from '../../src/review/restriction-signal-store.fake.ts';
import { FakeMessageLog } from '../../src/sending/message-log.fake.ts';
import type { TransportEvent, TransportMessage } from '../../src/transport/transport.ts';

const instance = makeInstance({ id: 'ins_1', accountId: 'acc_1', name: 'Front desk', phone: '+6281111111111' });

/** The inbound service on in-memory stores; what a test does not pass is not used by its events. */
function setup() {
  const clock = new ManualClock('2026-05-08T10:00:00Z');
  const outbox = new FakeEventOutbox();
  const inboundLog = new FakeInboundLog();
  const windows = new FakeConversationWindowStore();
  const restrictionSignals = new FakeRestrictionSignalStore();
  const messages = new FakeMessageLog();
  const unused = new Proxy({}, { get: (_t, p) => (p === 'then' ? undefined : assert.fail(`unexpected use of ${String(p)}`)) });
  const deps = {
    transact: inMemoryTransact,
    clock,
    outbox,
    inboundLog,
    messages,
    suppressions: unused,
    optOut: unused,
    accounts: unused,
    media: unused,
    windows,
    restrictionSignals,
    sender: unused,
    receiptRetryMs: [],
  } as unknown as InboundServiceDeps;
  return { clock, outbox, inboundLog, windows, restrictionSignals, messages, service: new InboundService(deps) };
}

function message(fields: Partial<TransportMessage>): TransportEvent {
  return {
    type: 'message',
    instanceId: instance.id,
    message: {
      messageId: 'wa_1',
      fromMe: false,
      from: '+6282222222222',
      chat: '+6282222222222',
      isGroup: false,
      messageType: 'image',
      text: null,
      timestamp: new Date('2026-05-08T09:59:00Z'),
      ...fields,
    },
  };
}

describe('inbound service (unit, on in-memory stores)', () => {
  it('dispatches each event kind to its handler; lifecycle events are not its business', async () => {
    const t = setup();
    const at = new Date('2026-05-08T09:00:00Z');
    await t.service.handle({ type: 'call', instanceId: 'ins_1', callId: 'c1', from: '+6282222222222', status: 'offer', isVideo: false, at } as TransportEvent, instance);
    // Every linked device reports the same call: one event.
    await t.service.handle({ type: 'call', instanceId: 'ins_1', callId: 'c1', from: '+6282222222222', status: 'offer', isVideo: false, at } as TransportEvent, instance);
    await t.service.handle({ type: 'group_update', instanceId: 'ins_1', groupJid: '1203@g.us', subject: 'Team', change: { subject: 'Team' } } as TransportEvent, instance);
    await t.service.handle({ type: 'revoked', instanceId: 'ins_1', messageId: 'wa_9', chat: '6282222222222@s.whatsapp.net', by: '+6282222222222', at } as TransportEvent, instance);
    await t.service.handle({ type: 'connected', instanceId: 'ins_1', phone: '+6281111111111', lid: null } as TransportEvent, instance);
    assert.deepEqual(
      t.outbox.events.map((e) => e.type),
      ['call.received', 'group.updated', 'message.revoked'],
    );
    assert.deepEqual(t.outbox.events[0]?.payload, {
      call_id: 'c1',
      from: '+6282222222222',
      status: 'offer',
      is_video: false,
      at: '2026-05-08T09:00:00Z',
    });
    assert.equal((t.outbox.events[2]?.payload as Record<string, unknown> | undefined)?.direction, 'inbound');
  });

  it('a restriction signal is recorded for auto-pause, with the event time or now', async () => {
    const t = setup();
    await t.service.handle({ type: 'restriction', instanceId: 'ins_1', signal: 'reachout_timelock', detail: { active: true }, at: new Date('invalid') } as TransportEvent, instance);
    assert.deepEqual(t.restrictionSignals.rows, [
      {
        accountId: 'acc_1',
        instanceId: 'ins_1',
        signal: 'reachout_timelock',
        detail: '{"active":true}',
        createdAt: t.clock.now().getTime(),
      },
    ]);
  });

  it('a contact message: inbound row, message.received, the window opened once, a redelivery ignored', async () => {
    const t = setup();
    await t.service.handle(message({}), instance);
    t.clock.advance(3600_000);
    await t.service.handle(message({ messageId: 'wa_2', timestamp: new Date('2026-05-08T10:59:00Z') }), instance);
    await t.service.handle(message({}), instance);
    assert.deepEqual(
      t.inboundLog.records.map((r) => [r.waMessageId, r.fromPhone, r.classification]),
      [
        ['wa_1', '+6282222222222', null],
        ['wa_2', '+6282222222222', null],
      ],
    );
    assert.deepEqual(
      t.outbox.events.map((e) => [e.type, (e.payload as Record<string, unknown>).window_opened ?? (e.payload as Record<string, unknown>).inbound_log_id]),
      [
        ['message.received', 1],
        ['conversation.updated', true],
        ['message.received', 2],
        ['conversation.updated', false],
      ],
    );
    assert.equal((t.outbox.events[3]?.payload as Record<string, unknown> | undefined)?.window_expires_at, '2026-05-09T10:59:00Z');
    assert.equal(t.outbox.notified, 2);
  });

  it('a group message is logged and announced, but opens no conversation window', async () => {
    const t = setup();
    await t.service.handle(message({ isGroup: true, chat: '1203@g.us', messageType: 'text', text: 'STOP' }), instance);
    assert.deepEqual(
      t.outbox.events.map((e) => e.type),
      ['group.message_received'],
    );
    assert.equal(t.windows.lastInbound.size, 0);
  });

  it('a receipt moves its sent row forward only: delivered, then a late delivered after read changes nothing', async () => {
    const t = setup();
    const id = await t.messages.insert(null, {
      account_id: 'acc_1',
      instance_id: 'ins_1',
      recipient: '+6282222222222',
      purpose: 'transactional',
      text: 'Your order shipped.',
      status: 'sent',
      outcome: 'allowed',
      wa_message_id: 'wa_out_1',
      source: 'api',
      created_at: 1,
      updated_at: 1,
    });
    const receipt = (status: 'delivered' | 'read') =>
      ({ type: 'receipt', instanceId: 'ins_1', messageId: 'wa_out_1', status, recipient: null, at: new Date('2026-05-08T10:00:00Z') }) as TransportEvent;
    await t.service.handle(receipt('delivered'), instance);
    assert.equal((await t.messages.get(id))?.status, 'delivered');
    await t.service.handle(receipt('read'), instance);
    await t.service.handle(receipt('delivered'), instance);
    assert.equal((await t.messages.get(id))?.status, 'read');
    assert.deepEqual(t.outbox.events.map((e) => e.type), ['message.delivered', 'message.read']);
  });

  it('a destroyed instance handles nothing', async () => {
    const t = setup();
    await t.service.handle(message({}), { ...instance, state: 'destroyed' });
    assert.equal(t.outbox.events.length, 0);
    assert.equal(t.inboundLog.records.length, 0);
  });
});
