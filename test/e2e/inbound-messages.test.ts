import assert from 'node:assert/strict';
import { ManualClock } from '../../src/lib/clock.ts';
import {
  assertAllEventsValid,
  events,
  instanceRow,
  receive,
  sandboxInbound,
  transportEmit,
} from '../support/inbound.ts';
import { createTestContext, generousThrottles, type TestContext } from '../support/test-app.ts';

describe('inbound messages: log, window, events', () => {
  let ctx: TestContext;
  let key: string;
  let accountId: string;
  let instanceId: string;
  const clock = () => ctx.clock as ManualClock;
  const logs = (query = '', k = key) =>
    ctx.http.get(`/api/inbound-logs${query}`).set('Authorization', `Bearer ${k}`);

  beforeEach(async () => {
    ctx = await createTestContext({
      policies: generousThrottles,
      clock: new ManualClock('2026-05-08T10:00:00Z'),
    });
    ({ id: accountId, key } = await ctx.createAccount({ plan: 'starter' }));
    instanceId = await ctx.createConnectedInstance(key, 'Support Line');
  });
  afterEach(async () => {
    await assertAllEventsValid(ctx);
    await ctx.close();
  });

  it('a 1:1 message becomes an inbound log row, a window and message.received + conversation.updated', async () => {
    const messageId = await receive(ctx, key, instanceId, {
      from: '+62 812-3456-7890',
      text: 'Hi, where is my order #1042?',
      push_name: 'Budi',
    });

    const row = await ctx.container.db('inbound_messages').where({ wa_message_id: messageId }).first();
    assert.ok(row);
    assert.equal(row.account_id, accountId);
    assert.equal(row.instance_id, instanceId);
    assert.equal(row.from_phone, '+6281234567890');
    assert.equal(row.chat, '+6281234567890');
    assert.equal(row.message_type, 'text');
    assert.equal(row.text, 'Hi, where is my order #1042?');
    assert.equal(row.classification, null);

    const window = await ctx.container
      .db('conversation_windows')
      .where({ instance_id: instanceId, contact: '+6281234567890' })
      .first();
    assert.equal(Number(window.last_inbound_at), Date.parse('2026-05-08T10:00:00Z'));
    assert.equal(window.account_id, accountId);

    const [received] = await events(ctx, { type: 'message.received' });
    assert.ok(received);
    assert.equal(received.account_id, accountId);
    assert.equal(received.instance_id, instanceId);
    assert.equal(received.instance_name, 'Support Line');
    assert.deepEqual(received.payload, {
      direction: 'inbound',
      message_id: messageId,
      from: '+6281234567890',
      chat: '+6281234567890',
      is_group: false,
      push_name: 'Budi',
      message_type: 'text',
      text: 'Hi, where is my order #1042?',
      is_view_once: false,
      wa_timestamp: '2026-05-08T10:00:00Z',
      classification: null,
      inbound_log_id: Number(row.id),
    });

    const [conversation] = await events(ctx, { type: 'conversation.updated' });
    assert.deepEqual(conversation?.payload, {
      contact: '+6281234567890',
      chat: '+6281234567890',
      last_inbound_at: '2026-05-08T10:00:00Z',
      window_expires_at: '2026-05-09T10:00:00Z',
      window_hours: 24,
      window_opened: true,
      message_id: messageId,
    });
  });

  it('the window is extended by later messages and reopened after 24 h', async () => {
    await receive(ctx, key, instanceId, { from: '+6281234567890', text: 'one' });
    clock().advance(3 * 3600_000);
    await receive(ctx, key, instanceId, { from: '+6281234567890', text: 'two' });
    clock().advance(25 * 3600_000);
    await receive(ctx, key, instanceId, { from: '+6281234567890', text: 'three' });
    const windows = await ctx.container.db('conversation_windows').where({ instance_id: instanceId });
    assert.equal(windows.length, 1);
    assert.equal(Number(windows[0].last_inbound_at), Date.parse('2026-05-09T14:00:00Z'));
    const updates = (await events(ctx, { type: 'conversation.updated' })).map((e) => e.payload);
    assert.deepEqual(updates.map((p) => [p.last_inbound_at, p.window_opened]).sort(), [
      ['2026-05-08T10:00:00Z', true],
      ['2026-05-08T13:00:00Z', false],
      ['2026-05-09T14:00:00Z', true],
    ]);
  });

  it('a redelivered message (same WhatsApp id) is stored and emitted once', async () => {
    const instance = await instanceRow(ctx, instanceId);
    const message = {
      messageId: '3EB0DUPLICATE000000001',
      fromMe: false,
      from: '+966501234567',
      chat: '+966501234567',
      isGroup: false,
      messageType: 'text' as const,
      text: 'hello',
      timestamp: ctx.clock.now(),
    };
    await transportEmit(ctx, { type: 'message', instanceId: instance.id, message });
    await transportEmit(ctx, { type: 'message', instanceId: instance.id, message });
    await Promise.all([
      ctx.container.inbound.handle({ type: 'message', instanceId, message }, instance),
      ctx.container.inbound.handle({ type: 'message', instanceId, message }, instance),
    ]);
    assert.equal(
      (await ctx.container.db('inbound_messages').where({ wa_message_id: message.messageId })).length,
      1,
    );
    assert.equal((await events(ctx, { type: 'message.received' })).length, 1);
    assert.equal((await events(ctx, { type: 'conversation.updated' })).length, 1);
  });

  it('group message with mentions → group.message_received with offsets; no window, no opt-out', async () => {
    const text = '@Rina @Agus STOP';
    const messageId = await receive(ctx, key, instanceId, {
      from: '+6281234567890',
      group: '120363426240756992@g.us',
      text,
      mentions: [
        { jid: '6281298765432@s.whatsapp.net', display: '@Rina' },
        { jid: '6281211112222@s.whatsapp.net', display: '@Agus' },
      ],
    });
    assert.equal((await events(ctx, { type: 'message.received' })).length, 0);
    const [group] = await events(ctx, { type: 'group.message_received' });
    assert.ok(group);
    const p = group.payload;
    assert.equal(p.message_id, messageId);
    assert.equal(p.is_group, true);
    assert.equal(p.chat, '120363426240756992@g.us');
    assert.equal(p.from, '+6281234567890');
    assert.deepEqual(p.mentions, [
      { jid: '6281298765432@s.whatsapp.net', lid: null, display: '@Rina', start: 0, end: 5 },
      { jid: '6281211112222@s.whatsapp.net', lid: null, display: '@Agus', start: 6, end: 11 },
    ]);
    const mentions = p.mentions as { start: number; end: number; display: string }[];
    for (const m of mentions) assert.equal(text.slice(m.start, m.end), m.display);
    // Group chats never open a conversation window nor count as opt-outs.
    assert.equal((await ctx.container.db('conversation_windows')).length, 0);
    assert.equal((await ctx.container.db('suppressions')).length, 0);
    assert.equal((await events(ctx, { type: 'recipient.opted_out' })).length, 0);
    const row = await ctx.container.db('inbound_messages').where({ wa_message_id: messageId }).first();
    assert.ok(row.is_group === 1 || row.is_group === true);
  });

  it('forwarded, contact, location and view-once metadata reach the payload', async () => {
    const instance = await instanceRow(ctx, instanceId);
    await transportEmit(ctx, {
      type: 'message',
      instanceId,
      message: {
        messageId: '3EB0FORWARDED123',
        fromMe: false,
        from: '+6281234567890',
        fromLid: '150873745412279@lid',
        chat: '+6281234567890',
        isGroup: false,
        messageType: 'location',
        text: null,
        forwarded: { isForwarded: true, score: 5, frequentlyForwarded: true },
        isViewOnce: true,
        location: { latitude: -6.1754, longitude: 106.8272, name: 'Monas', address: 'Jakarta Pusat' },
        timestamp: ctx.clock.now(),
      },
    });
    await transportEmit(ctx, {
      type: 'message',
      instanceId,
      message: {
        messageId: '3EB0CONTACT0001',
        fromMe: false,
        from: '+6281234567890',
        chat: '+6281234567890',
        isGroup: false,
        messageType: 'contact',
        text: null,
        contact: { displayName: 'Rina', vcard: 'BEGIN:VCARD\nVERSION:3.0\nFN:Rina\nEND:VCARD' },
        timestamp: ctx.clock.now(),
      },
    });
    void instance;
    const received = await events(ctx, { type: 'message.received' });
    const location = received.find((e) => e.payload.message_id === '3EB0FORWARDED123')?.payload;
    assert.ok(location);
    assert.equal(location.wa_forwarded, true);
    assert.equal(location.wa_forwarding_score, 5);
    assert.equal(location.wa_frequently_forwarded, true);
    assert.equal(location.is_view_once, true);
    assert.equal(location.from_lid, '150873745412279@lid');
    assert.equal(location.latitude, -6.1754);
    assert.equal(location.location_name, 'Monas');
    const contact = received.find((e) => e.payload.message_id === '3EB0CONTACT0001')?.payload;
    assert.equal(contact?.contact_name, 'Rina');
    assert.match(String(contact?.contact_vcard), /FN:Rina/);
    assert.equal('wa_forwarded' in (contact ?? {}), false, 'wa_forwarded only when forwarded');
  });

  it('a sender known only by LID is logged; no opt-out is possible without a phone number', async () => {
    await transportEmit(ctx, {
      type: 'message',
      instanceId,
      message: {
        messageId: '3EB0LIDONLY0001',
        fromMe: false,
        from: null,
        fromLid: '150873745412279@lid',
        chat: '150873745412279@lid',
        isGroup: false,
        messageType: 'text',
        text: 'STOP',
        timestamp: ctx.clock.now(),
      },
    });
    const row = await ctx.container
      .db('inbound_messages')
      .where({ wa_message_id: '3EB0LIDONLY0001' })
      .first();
    assert.equal(row.from_phone, null);
    assert.equal(row.from_lid, '150873745412279@lid');
    assert.equal(row.classification, null);
    const [received] = await events(ctx, { type: 'message.received' });
    assert.equal(received?.payload.from, '150873745412279@lid');
    const window = await ctx.container.db('conversation_windows').first();
    assert.equal(window.contact, '150873745412279@lid');
  });

  describe('GET /api/inbound-logs', () => {
    it('lists newest first with filters and cursor pagination, scoped to the account', async () => {
      const other = await ctx.createConnectedInstance(key, 'Second Line');
      await receive(ctx, key, instanceId, { from: '+6281234567890', text: 'first' });
      clock().advance(60_000);
      await receive(ctx, key, instanceId, { from: '+966501234567', text: 'STOP' });
      clock().advance(60_000);
      await receive(ctx, key, other, { from: '+6281234567890', text: 'third' });
      clock().advance(60_000);
      await receive(ctx, key, instanceId, {
        from: '+6281234567890',
        text: 'invoice',
        media: {
          type: 'document',
          mime_type: 'application/pdf',
          file_name: 'invoice.pdf',
          data: Buffer.from('%PDF-1.4 test').toString('base64'),
        },
      });

      const all = await logs();
      assert.equal(all.status, 200, JSON.stringify(all.body));
      assert.equal(all.body.success, true);
      assert.deepEqual(
        all.body.inbound_messages.map((m: { text: string }) => m.text),
        ['invoice', 'third', 'STOP', 'first'],
      );
      const first = all.body.inbound_messages[3];
      assert.equal(first.direction, 'inbound');
      assert.equal(first.from, '+6281234567890');
      assert.equal(first.instance_id, instanceId);
      assert.equal(first.received_at, '2026-05-08T10:00:00.000Z');
      assert.equal(first.payload.inbound_log_id, first.id);
      assert.equal(all.body.inbound_messages[0].media_mime_type, 'application/pdf');
      assert.match(all.body.inbound_messages[0].media_path, /^[0-9a-f]{16}\/2026\/05\//);

      const byInstance = await logs(`?instance_id=${other}`);
      assert.deepEqual(
        byInstance.body.inbound_messages.map((m: { text: string }) => m.text),
        ['third'],
      );
      // Any phone form.
      for (const form of ['%2B6281234567890', '6281234567890', '0062%20812%203456%207890']) {
        const byFrom = await logs(`?from=${form}`);
        assert.equal(byFrom.status, 200, JSON.stringify(byFrom.body));
        assert.deepEqual(
          byFrom.body.inbound_messages.map((m: { text: string }) => m.text),
          ['invoice', 'third', 'first'],
          form,
        );
      }
      const optOuts = await logs('?classification=opt_out');
      assert.deepEqual(
        optOuts.body.inbound_messages.map((m: { text: string }) => m.text),
        ['STOP'],
      );
      const unclassified = await logs('?classification=none');
      assert.equal(unclassified.body.inbound_messages.length, 3);
      const docs = await logs('?message_type=document');
      assert.deepEqual(
        docs.body.inbound_messages.map((m: { text: string }) => m.text),
        ['invoice'],
      );
      const window = await logs('?since=2026-05-08T10:01:00Z&until=2026-05-08T12:02:30%2B02:00');
      assert.deepEqual(
        window.body.inbound_messages.map((m: { text: string }) => m.text),
        ['third', 'STOP'],
      );

      const page1 = await logs('?limit=2');
      assert.equal(page1.body.inbound_messages.length, 2);
      assert.equal(page1.body.next_before, page1.body.inbound_messages[1].id);
      const page2 = await logs(`?limit=2&before=${page1.body.next_before}`);
      assert.deepEqual(
        page2.body.inbound_messages.map((m: { text: string }) => m.text),
        ['STOP', 'first'],
      );
      const page3 = await logs(`?limit=2&before=${page2.body.inbound_messages[1].id}`);
      assert.deepEqual(page3.body.inbound_messages, []);
      assert.equal(page3.body.next_before, null);

      // Another account sees nothing, even when filtering by this account's instance.
      const stranger = await ctx.createAccount({ name: 'Stranger' });
      const theirs = await logs(`?instance_id=${instanceId}`, stranger.key);
      assert.equal(theirs.status, 200);
      assert.deepEqual(theirs.body.inbound_messages, []);
    });

    it('validates its query and needs an API key', async () => {
      assert.equal((await ctx.http.get('/api/inbound-logs')).status, 401);
      for (const q of [
        '?since=yesterday',
        '?until=2026-05-08',
        '?from=abc',
        '?from=%2B1',
        '?classification=maybe',
        '?message_type=carousel',
        '?limit=0',
        '?limit=500',
        '?before=x',
        '?instance_id=../../x',
      ]) {
        const res = await logs(q);
        assert.equal(res.status, 422, `${q}: ${JSON.stringify(res.body)}`);
        assert.equal(res.body.error, 'validation_error');
        assert.ok(Array.isArray(res.body.details.errors));
      }
    });
  });

  it('sandbox inbound is validated and owned', async () => {
    const bad = await sandboxInbound(ctx, key, instanceId, { from: 'nobody', text: 'x' });
    assert.equal(bad.status, 422);
    const stranger = await ctx.createAccount({ name: 'Stranger' });
    const notTheirs = await sandboxInbound(ctx, stranger.key, instanceId, {
      from: '+6281234567890',
      text: 'x',
    });
    assert.equal(notTheirs.status, 404);
    assert.equal(notTheirs.body.error, 'invalid_instance');
  });
});
