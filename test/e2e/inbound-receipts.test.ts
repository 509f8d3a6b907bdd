import assert from 'node:assert/strict';
import { SandboxTransport } from '../../src/transport/sandbox/sandbox-transport.ts';
import type { TransportEvent } from '../../src/transport/transport.ts';
import { assertAllEventsValid, events, receive, send, transportEmit, waitFor } from '../support/inbound.ts';
import { createTestContext, generousThrottles, type TestContext } from '../support/test-app.ts';

describe('receipts, revokes, calls, group updates, restrictions, phone-typed messages', () => {
  let ctx: TestContext;
  let key: string;
  let accountId: string;
  let instanceId: string;

  const sendOne = async (reference: string | null = 'order-1029') => {
    const res = await send(ctx, key, {
      instance_id: instanceId,
      phone: '+6281234567890',
      message: 'Your order #A-1029 has shipped and will arrive Tuesday.',
      message_purpose: 'transactional',
      ...(reference ? { reference } : {}),
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body as { message_id: string; log_id: number };
  };
  const statusOf = async (logId: number) =>
    (await ctx.container.db('messages').where({ id: logId }).first()).status as string;
  const receipt = (
    messageId: string,
    status: 'delivered' | 'read' | 'played' | 'failed',
    errorCode?: number,
  ) =>
    transportEmit(ctx, {
      type: 'receipt',
      instanceId,
      messageId,
      status,
      recipient: '+6281234567890',
      errorCode,
      at: ctx.clock.now(),
    });

  beforeEach(async () => {
    // The simulated receipts come after the send's row is final even on a busy database: a
    // `read` that lands while the `delivered` before it waits for the row would skip `delivered`.
    ctx = await createTestContext({
      policies: generousThrottles,
      transport: new SandboxTransport({ receiptDelayMs: 250 }),
    });
    ({ id: accountId, key } = await ctx.createAccount({ plan: 'starter' }));
    instanceId = await ctx.createConnectedInstance(key, 'Support Line');
  });
  afterEach(async () => {
    await ctx.container.inbound.drain();
    await assertAllEventsValid(ctx);
    await ctx.close();
  });

  it('sandbox delivered then read: the row moves forward and message.delivered / message.read are emitted', async () => {
    const sent = await sendOne();
    await waitFor('read', async () => (await statusOf(sent.log_id)) === 'read');
    const delivered = await events(ctx, { type: 'message.delivered' });
    const read = await events(ctx, { type: 'message.read' });
    assert.equal(delivered.length, 1);
    assert.equal(read.length, 1);
    assert.deepEqual(delivered[0]?.payload, {
      message_id: sent.message_id,
      log_id: sent.log_id,
      status: 'delivered',
      previous_status: 'sent',
      to: '+6281234567890',
      chat: '+6281234567890',
      reference: 'order-1029',
      at: delivered[0]?.payload.at,
    });
    assert.equal(read[0]?.payload.previous_status, 'delivered');
    assert.equal(read[0]?.account_id, accountId);
    // The customer's message log shows it too.
    const log = await ctx.http.get(`/api/messages/${sent.log_id}`).set('Authorization', `Bearer ${key}`);
    assert.equal(log.body.message.status, 'read');
  });

  it('receipts that arrive before the send has logged its WhatsApp id wait for it, in their order', async () => {
    const sent = await sendOne();
    await waitFor('read', async () => (await statusOf(sent.log_id)) === 'read');
    // The phone is faster than the log: both receipts of message EARLY-1 come before its row.
    const sandbox = ctx.sandbox as unknown as { emit(e: TransportEvent): Promise<void> };
    for (const status of ['delivered', 'read'] as const) {
      await sandbox.emit({ type: 'receipt', instanceId, messageId: 'EARLY-1', status, recipient: '+6281234567890', at: ctx.clock.now() });
    }
    await ctx.container.db('messages').where({ id: sent.log_id }).update({ wa_message_id: 'EARLY-1', status: 'sent' });
    await ctx.container.inbound.drain();
    const early = async (type: string) =>
      (await events(ctx, { type })).filter((e) => e.payload.message_id === 'EARLY-1');
    const [delivered, read] = [await early('message.delivered'), await early('message.read')];
    assert.deepEqual(delivered.map((e) => e.payload.previous_status), ['sent']);
    assert.deepEqual(read.map((e) => e.payload.previous_status), ['delivered']);
    assert.equal(await statusOf(sent.log_id), 'read');
  });

  it('status never goes backwards; duplicates emit nothing; played → message.status_updated', async () => {
    const sent = await sendOne();
    await waitFor('read', async () => (await statusOf(sent.log_id)) === 'read');
    await receipt(sent.message_id, 'delivered');
    await receipt(sent.message_id, 'read');
    assert.equal(await statusOf(sent.log_id), 'read');
    assert.equal((await events(ctx, { type: 'message.delivered' })).length, 1);
    assert.equal((await events(ctx, { type: 'message.read' })).length, 1);
    await receipt(sent.message_id, 'played');
    assert.equal(await statusOf(sent.log_id), 'played');
    const [played] = await events(ctx, { type: 'message.status_updated' });
    assert.equal(played?.payload.status, 'played');
    assert.equal(played?.payload.previous_status, 'read');
    // A failure after delivery is ignored.
    await receipt(sent.message_id, 'failed', 463);
    assert.equal(await statusOf(sent.log_id), 'played');
    assert.equal((await events(ctx, { type: 'message.failed' })).length, 0);
  });

  it('a failed acknowledgement (463) fails the row, keeps the error and emits message.failed', async () => {
    await ctx.close();
    // Slow receipts so the failure arrives first.
    ctx = await createTestContext({
      policies: generousThrottles,
      transport: new SandboxTransport({ receiptDelayMs: 60_000 }),
    });
    ({ id: accountId, key } = await ctx.createAccount({ plan: 'starter' }));
    instanceId = await ctx.createConnectedInstance(key, 'Support Line');
    const sent = await sendOne(null);
    const quotaBefore = (await ctx.http.get('/api/quota').set('Authorization', `Bearer ${key}`)).body.daily
      .used;
    await receipt(sent.message_id, 'failed', 463);
    const row = await ctx.container.db('messages').where({ id: sent.log_id }).first();
    assert.equal(row.status, 'failed');
    assert.equal(row.failure_reason, 'whatsapp_error_463');
    const [failed] = await events(ctx, { type: 'message.failed' });
    assert.ok(failed);
    assert.equal(failed.payload.message_id, sent.message_id);
    assert.equal(failed.payload.log_id, sent.log_id);
    assert.equal(failed.payload.error, 'whatsapp_error');
    assert.equal(failed.payload.reason, 'whatsapp_error_463');
    assert.equal(failed.payload.error_code, 463);
    // A later delivered/read receipt does not resurrect it.
    await receipt(sent.message_id, 'delivered');
    assert.equal(await statusOf(sent.log_id), 'failed');
    const log = await ctx.http.get(`/api/messages/${sent.log_id}`).set('Authorization', `Bearer ${key}`);
    assert.equal(log.body.message.status, 'failed');
    assert.equal(log.body.message.failure_reason, 'whatsapp_error_463');
    // The message was accepted by WhatsApp's server before it failed: quota stays counted.
    assert.equal(
      (await ctx.http.get('/api/quota').set('Authorization', `Bearer ${key}`)).body.daily.used,
      quotaBefore,
    );
  });

  it('receipts for unknown messages (typed on the phone) and for another instance are ignored', async () => {
    const sent = await sendOne();
    await waitFor('read', async () => (await statusOf(sent.log_id)) === 'read');
    const otherInstance = await ctx.createConnectedInstance(key, 'Other Line');
    const before = (await events(ctx)).length;
    await transportEmit(ctx, {
      type: 'receipt',
      instanceId,
      messageId: '3EB0NOTOURS0000000',
      status: 'read',
      recipient: null,
      at: ctx.clock.now(),
    });
    await transportEmit(ctx, {
      type: 'receipt',
      instanceId: otherInstance,
      messageId: sent.message_id,
      status: 'played',
      recipient: null,
      at: ctx.clock.now(),
    });
    assert.equal(await statusOf(sent.log_id), 'read');
    assert.equal((await events(ctx)).length, before);
  });

  it('revoked → message.revoked (inbound and outbound)', async () => {
    const inboundId = await receive(ctx, key, instanceId, {
      from: '+6281234567890',
      text: 'oops wrong chat',
    });
    await transportEmit(ctx, {
      type: 'revoked',
      instanceId,
      messageId: inboundId,
      chat: '+6281234567890',
      by: '+6281234567890',
      at: ctx.clock.now(),
    });
    const sent = await sendOne();
    await transportEmit(ctx, {
      type: 'revoked',
      instanceId,
      messageId: sent.message_id,
      chat: '+6281234567890',
      by: null,
      at: ctx.clock.now(),
    });
    // Every device reports it: once only.
    await transportEmit(ctx, {
      type: 'revoked',
      instanceId,
      messageId: sent.message_id,
      chat: '+6281234567890',
      by: null,
      at: ctx.clock.now(),
    });
    const revoked = await events(ctx, { type: 'message.revoked' });
    assert.equal(revoked.length, 2);
    const inbound = revoked.find((e) => e.payload.message_id === inboundId)?.payload;
    assert.equal(inbound?.direction, 'inbound');
    assert.equal(typeof inbound?.inbound_log_id, 'number');
    assert.equal(inbound?.log_id, null);
    assert.equal(inbound?.by, '+6281234567890');
    const outbound = revoked.find((e) => e.payload.message_id === sent.message_id)?.payload;
    assert.equal(outbound?.direction, 'outbound');
    assert.equal(outbound?.log_id, sent.log_id);
  });

  it('calls → call.received (offer) and call.missed, once per call', async () => {
    const call = {
      type: 'call' as const,
      instanceId,
      callId: 'CALL0001',
      from: '+6281234567890',
      isVideo: false,
      at: ctx.clock.now(),
    };
    await transportEmit(ctx, { ...call, status: 'offer' });
    await transportEmit(ctx, { ...call, status: 'offer' });
    await transportEmit(ctx, { ...call, status: 'accept' });
    await transportEmit(ctx, { ...call, status: 'timeout' });
    await transportEmit(ctx, { ...call, callId: 'CALL0002', isVideo: true, status: 'missed' });
    const received = await events(ctx, { type: 'call.received' });
    const missed = await events(ctx, { type: 'call.missed' });
    assert.equal(received.length, 1);
    assert.deepEqual(received[0]?.payload, {
      call_id: 'CALL0001',
      from: '+6281234567890',
      status: 'offer',
      is_video: false,
      at: received[0]?.payload.at,
    });
    assert.deepEqual(missed.map((e) => [e.payload.call_id, e.payload.status, e.payload.is_video]).sort(), [
      ['CALL0001', 'timeout', false],
      ['CALL0002', 'missed', true],
    ]);
  });

  it('group_update → group.updated', async () => {
    await transportEmit(ctx, {
      type: 'group_update',
      instanceId,
      groupJid: '120363426240756992@g.us',
      subject: 'Warehouse team',
      change: { subject: 'Warehouse team', when: new Date(0) },
    });
    const [updated] = await events(ctx, { type: 'group.updated' });
    assert.deepEqual(updated?.payload, {
      group: '120363426240756992@g.us',
      subject: 'Warehouse team',
      change: { subject: 'Warehouse team', when: '1970-01-01T00:00:00.000Z' },
    });
  });

  it('restriction signals are stored per instance for the compliance review (no customer event)', async () => {
    const before = (await events(ctx)).length;
    await transportEmit(ctx, {
      type: 'restriction',
      instanceId,
      signal: 'ack_error_463',
      detail: { message_id: '3EB0X', code: 463 },
      at: ctx.clock.now(),
    });
    const rows = await ctx.container.db('instance_restriction_signals').where({ instance_id: instanceId });
    assert.equal(rows.length, 1);
    assert.equal(rows[0].signal, 'ack_error_463');
    assert.equal(rows[0].account_id, accountId);
    assert.deepEqual(JSON.parse(rows[0].detail), { message_id: '3EB0X', code: 463 });
    assert.equal((await events(ctx)).length, before);
  });

  it('a message typed on the linked phone → message.sent with source "phone"; echoes of Warden sends are not repeated', async () => {
    const sent = await sendOne();
    const own = (messageId: string, text: string) =>
      transportEmit(ctx, {
        type: 'message',
        instanceId,
        message: {
          messageId,
          fromMe: true,
          from: null,
          chat: '+6281234567890',
          isGroup: false,
          messageType: 'text',
          text,
          timestamp: ctx.clock.now(),
        },
      });
    await Promise.all([
      own('3EB0FROMPHONE00000001', 'Sure, I will check with the courier.'),
      own(sent.message_id, 'Your order #A-1029 has shipped and will arrive Tuesday.'),
    ]);
    const sentEvents = await events(ctx, { type: 'message.sent' });
    assert.equal(sentEvents.length, 2);
    const phone = sentEvents.find((e) => e.payload.source === 'phone')?.payload;
    assert.ok(phone);
    assert.equal(phone.message_id, '3EB0FROMPHONE00000001');
    assert.equal(phone.direction, 'outbound');
    assert.equal(phone.log_id, null);
    assert.equal(phone.to, '+6281234567890');
    assert.match(String(phone.from), /^\+1555/);
    // Not an inbound message, not a quota use, not an opt-out.
    assert.equal((await ctx.container.db('inbound_messages')).length, 0);
    const api = sentEvents.find((e) => e.payload.source === 'api')?.payload;
    assert.equal(api?.log_id, sent.log_id);
  });
});
