import assert from 'node:assert/strict';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { withFormats } from '../../src/lib/ajv-formats.ts';
import { EVENT_TYPES } from '../../src/events/event-types.ts';
import { assertAllEventsValid, events, receive, send, transportEmit, waitFor } from '../support/inbound.ts';
import { createTestContext, generousThrottles, type TestContext } from '../support/test-app.ts';


describe('event schemas: published and honoured by every emitter', () => {
  let ctx: TestContext;

  beforeEach(async () => {
    ctx = await createTestContext({ policies: generousThrottles });
  });
  afterEach(() => ctx.close());

  it('GET /api/event-schemas is public and publishes the envelope and one schema per event', async () => {
    const res = await ctx.http.get('/api/event-schemas');
    assert.equal(res.status, 200);
    assert.match(String(res.headers['content-type']), /application\/json/);
    assert.equal(res.body.success, true);
    assert.equal(res.body.dialect, 'https://json-schema.org/draft/2020-12/schema');
    assert.deepEqual(Object.keys(res.body.events).sort(), [...EVENT_TYPES].sort());
    // What a receiver downloads is enough to validate what it receives.
    const ajv = withFormats(new Ajv2020({ strict: true }));
    const envelope = ajv.compile(res.body.envelope);
    for (const type of EVENT_TYPES) {
      const schema = res.body.events[type];
      const validate = ajv.compile(schema);
      assert.ok(validate(schema.examples[0]), `${type}: ${JSON.stringify(validate.errors)}`);
      assert.ok(envelope(schema.examples[0]));
    }
    const one = await ctx.http.get('/api/event-schemas/recipient.opted_out');
    assert.equal(one.status, 200);
    assert.match(String(one.headers['content-type']), /application\/schema\+json/);
    assert.equal(JSON.parse(one.text).title, 'recipient.opted_out');
    const missing = await ctx.http.get('/api/event-schemas/recipient.unknown');
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error, 'not_found');
  });

  it('a whole lifecycle emits only schema-valid events', async () => {
    const { id: accountId, key } = await ctx.createAccount({ plan: 'starter' });
    const instanceId = await ctx.createConnectedInstance(key, 'Lifecycle Line');
    const auth = { Authorization: `Bearer ${key}` };
    const phone = '+6281234567890';

    // Outbound text and media (message.sent, message.delivered, message.read).
    const sent = await send(ctx, key, {
      instance_id: instanceId,
      phone,
      message: 'Your order #A-1029 has shipped.',
      message_purpose: 'transactional',
      reference: 'A-1029',
    });
    assert.equal(sent.status, 200, JSON.stringify(sent.body));
    const pdf = Buffer.from('%PDF-1.4\n%%EOF\n').toString('base64');
    const withMedia = await send(ctx, key, {
      instance_id: instanceId,
      phone,
      message: 'Invoice #1042 attached.',
      message_purpose: 'transactional',
      media_type: 'document',
      mime_type: 'application/pdf',
      file_name: 'invoice-1042.pdf',
      media: pdf,
    });
    assert.equal(withMedia.status, 200, JSON.stringify(withMedia.body));
    await waitFor('read receipts', async () => (await events(ctx, { type: 'message.read' })).length === 2);
    const mediaSent = (await events(ctx, { type: 'message.sent' })).find(
      (e) => e.payload.message_id === withMedia.body.message_id,
    );
    assert.equal(mediaSent?.payload.media_mime_type, 'application/pdf');
    assert.equal(mediaSent?.payload.media_filename, 'invoice-1042.pdf');
    assert.equal(mediaSent?.payload.message_type, 'document');

    // Transport failure (message.failed from the pipeline).
    await ctx.http
      .post(`/api/instances/${instanceId}/sandbox/fail-next`)
      .set(auth)
      .set('Content-Type', 'application/json')
      .send('{"count":1}');
    const failed = await send(ctx, key, {
      instance_id: instanceId,
      phone,
      message: 'Your order #A-1030 has shipped.',
      message_purpose: 'transactional',
    });
    assert.equal(failed.status, 502);

    // Inbound, opt-out, opt-in, group, media.
    await receive(ctx, key, instanceId, { from: phone, text: 'Thanks!' });
    await receive(ctx, key, instanceId, { from: phone, text: 'STOP' });
    await receive(ctx, key, instanceId, { from: phone, text: 'START' });
    await receive(ctx, key, instanceId, {
      from: phone,
      group: '120363426240756992@g.us',
      text: '@Rina hi',
      mentions: [{ jid: '6281298765432@s.whatsapp.net', display: '@Rina' }],
    });
    await receive(ctx, key, instanceId, {
      from: phone,
      text: 'photo',
      media: {
        type: 'image',
        mime_type: 'image/jpeg',
        data: Buffer.from([0xff, 0xd8, 0xff, 0xd9]).toString('base64'),
      },
    });

    // Calls, revokes, group changes, a receipt beyond read.
    const at = ctx.clock.now();
    await transportEmit(ctx, {
      type: 'call',
      instanceId,
      callId: 'C1',
      from: phone,
      status: 'offer',
      isVideo: false,
      at,
    });
    await transportEmit(ctx, {
      type: 'call',
      instanceId,
      callId: 'C1',
      from: phone,
      status: 'reject',
      isVideo: false,
      at,
    });
    await transportEmit(ctx, {
      type: 'revoked',
      instanceId,
      messageId: sent.body.message_id,
      chat: phone,
      by: null,
      at,
    });
    await transportEmit(ctx, {
      type: 'group_update',
      instanceId,
      groupJid: '120363426240756992@g.us',
      subject: null,
      change: { announce: true },
    });
    await transportEmit(ctx, {
      type: 'receipt',
      instanceId,
      messageId: withMedia.body.message_id,
      status: 'played',
      recipient: phone,
      at,
    });

    // Review: pause and resume.
    assert.equal(
      (
        await ctx.admin('post', `/admin/api/instances/${instanceId}/pause`, {
          reason: 'Manual review of a complaint',
        })
      ).status,
      200,
    );
    assert.equal(
      (await ctx.admin('post', `/admin/api/instances/${instanceId}/resume`, { note: 'Complaint resolved' }))
        .status,
      200,
    );

    // Connection lifecycle: drop, rescan, log out, new QR.
    await ctx.http.post(`/api/instances/${instanceId}/sandbox/disconnect`).set(auth);
    await ctx.http.post(`/api/instances/${instanceId}/sandbox/scan`).set(auth);
    await ctx.http.post(`/api/instances/${instanceId}/disconnect`).set(auth);
    const qr = await ctx.http.post(`/api/instances/${instanceId}/qr`).set(auth);
    assert.equal(qr.status, 200, JSON.stringify(qr.body));
    await ctx.container.inbound.drain();

    const count = await assertAllEventsValid(ctx);
    const seen = new Set((await events(ctx, { accountId })).map((e) => e.event));
    const expected = EVENT_TYPES.filter((t) => t !== 'webhook.test');
    assert.deepEqual(
      expected.filter((t) => !seen.has(t)),
      [],
      'every event type but webhook.test was emitted and validated',
    );
    assert.ok(count > expected.length);
  });
});
