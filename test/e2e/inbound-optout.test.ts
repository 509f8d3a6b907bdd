import assert from 'node:assert/strict';
import { describePublicErrors } from '../../src/errors/errors.ts';
import { assertAllEventsValid, events, receive, send, waitFor } from '../support/inbound.ts';
import { createTestContext, generousThrottles, type TestContext } from '../support/test-app.ts';

const SUPPRESSED = describePublicErrors().find((e) => e.code === 'recipient_suppressed');

describe('inbound opt-out and opt-in (STOP / START)', () => {
  let ctx: TestContext;
  let key: string;
  let accountId: string;
  let instanceId: string;

  const sendTo = (phone: string, message = 'Your order #A-1029 has shipped and will arrive Tuesday.') =>
    send(ctx, key, { instance_id: instanceId, phone, message, message_purpose: 'transactional' });
  const suppression = (phone: string) =>
    ctx.container.db('suppressions').where({ scope: accountId, phone }).first();
  const quota = async () => (await ctx.http.get('/api/quota').set('Authorization', `Bearer ${key}`)).body;

  beforeEach(async () => {
    ctx = await createTestContext({ policies: generousThrottles });
    ({ id: accountId, key } = await ctx.createAccount({ plan: 'starter' }));
    instanceId = await ctx.createConnectedInstance(key, 'Support Line');
  });
  afterEach(async () => {
    await ctx.container.inbound.drain();
    await assertAllEventsValid(ctx);
    await ctx.close();
  });

  const cases = [
    { lang: 'EN', phone: '+6281234567890', stop: 'STOP', start: 'START', language: 'en' },
    { lang: 'ID', phone: '+6281298765432', stop: 'berhenti', start: 'mulai', language: 'id' },
    { lang: 'AR', phone: '+966501234567', stop: 'إيقاف', start: 'ابدأ', language: 'ar' },
  ];

  for (const c of cases) {
    it(`${c.lang}: "${c.stop}" suppresses (403 recipient_suppressed), "${c.start}" lifts it`, async () => {
      // Sendable before.
      const before = await sendTo(c.phone);
      assert.equal(before.status, 200, JSON.stringify(before.body));

      const stopId = await receive(ctx, key, instanceId, { from: c.phone, text: c.stop });
      const row = await suppression(c.phone);
      assert.ok(row, 'suppression row');
      assert.equal(row.reason, 'recipient_requested_stop');
      assert.equal(row.created_by, 'recipient');
      const inbound = await ctx.container.db('inbound_messages').where({ wa_message_id: stopId }).first();
      assert.equal(inbound.classification, 'opt_out');

      const [optedOut] = await events(ctx, { type: 'recipient.opted_out' });
      assert.ok(optedOut);
      assert.equal(optedOut.account_id, accountId);
      assert.equal(optedOut.instance_id, instanceId);
      assert.equal(optedOut.payload.from, c.phone);
      assert.equal(optedOut.payload.reason, 'recipient_requested_stop');
      assert.equal(optedOut.payload.message_text, c.stop);
      assert.equal(optedOut.payload.language, c.language);
      assert.equal(optedOut.payload.message_id, stopId);
      assert.equal(optedOut.payload.already_suppressed, false);
      const [received] = await events(ctx, { type: 'message.received' });
      assert.equal(received?.payload.classification, 'opt_out');

      const blocked = await sendTo(c.phone);
      assert.equal(blocked.status, 403);
      assert.deepEqual(
        { success: blocked.body.success, error: blocked.body.error, message: blocked.body.message },
        {
          success: false,
          error: 'recipient_suppressed',
          message: 'This recipient has opted out or has been blocked from non-essential messages.',
        },
      );
      assert.equal(blocked.body.message, SUPPRESSED?.message);
      // Any phone form of the number is the same recipient.
      const local = c.phone.replace(/^\+/, '');
      assert.equal((await sendTo(local)).status, 403);

      const startId = await receive(ctx, key, instanceId, { from: c.phone, text: c.start });
      assert.equal(await suppression(c.phone), undefined);
      const [optedIn] = await events(ctx, { type: 'recipient.opted_in' });
      assert.ok(optedIn);
      assert.equal(optedIn.payload.from, c.phone);
      assert.equal(optedIn.payload.message_text, c.start);
      assert.equal(optedIn.payload.message_id, startId);
      assert.equal(optedIn.payload.suppression_removed, true);
      assert.equal(
        (await ctx.container.db('inbound_messages').where({ wa_message_id: startId }).first()).classification,
        'opt_in',
      );

      const after = await sendTo(c.phone);
      assert.equal(after.status, 200, JSON.stringify(after.body));
    });
  }

  it('case, punctuation and filler words do not matter ("Stop please!!", "ＳＴＯＰ")', async () => {
    await receive(ctx, key, instanceId, { from: '+6281234567890', text: '  Stop please!! ' });
    await receive(ctx, key, instanceId, { from: '+6281298765432', text: 'ＳＴＯＰ' });
    assert.ok(await suppression('+6281234567890'));
    assert.ok(await suppression('+6281298765432'));
  });

  it('"stop by the store" and "cancel my order" do not suppress', async () => {
    for (const text of [
      'stop by the store',
      'cancel my order',
      'We have got to STOP this terrible bill from passing!!',
      'tidak',
    ]) {
      await receive(ctx, key, instanceId, { from: '+6281234567890', text });
    }
    assert.equal(await suppression('+6281234567890'), undefined);
    assert.equal((await events(ctx, { type: 'recipient.opted_out' })).length, 0);
    const rows = await ctx.container.db('inbound_messages').whereNotNull('classification');
    assert.equal(rows.length, 0);
    assert.equal((await sendTo('+6281234567890')).status, 200);
  });

  it('a second STOP is reported again but changes nothing', async () => {
    await receive(ctx, key, instanceId, { from: '+6281234567890', text: 'STOP' });
    await receive(ctx, key, instanceId, { from: '+6281234567890', text: 'unsubscribe' });
    const outs = (await events(ctx, { type: 'recipient.opted_out' }))
      .map((e) => e.payload.already_suppressed)
      .sort();
    assert.deepEqual(outs, [false, true]);
    assert.equal((await ctx.container.db('suppressions').where({ scope: accountId })).length, 1);
  });

  it('the customer cannot lift a recipient STOP (403 suppression_locked); the recipient can', async () => {
    await receive(ctx, key, instanceId, { from: '+6281234567890', text: 'STOP' });
    const del = await ctx.http
      .delete('/api/suppressed-recipients/%2B6281234567890')
      .set('Authorization', `Bearer ${key}`);
    assert.equal(del.status, 403);
    assert.equal(del.body.success, false);
    assert.equal(del.body.error, 'suppression_locked');
    assert.ok(await suppression('+6281234567890'));
    await receive(ctx, key, instanceId, { from: '+6281234567890', text: 'START' });
    assert.equal(await suppression('+6281234567890'), undefined);
  });

  it("START never lifts a customer's own block; STOP upgrades it to a recipient stop", async () => {
    const add = await ctx.http
      .post('/api/suppressed-recipients')
      .set('Authorization', `Bearer ${key}`)
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ phone: '+6281234567890', note: 'asked us by phone' }));
    assert.equal(add.status, 201, JSON.stringify(add.body));
    await receive(ctx, key, instanceId, { from: '+6281234567890', text: 'START' });
    assert.equal((await suppression('+6281234567890'))?.reason, 'customer_blocked');
    const [optedIn] = await events(ctx, { type: 'recipient.opted_in' });
    assert.equal(optedIn?.payload.suppression_removed, false);

    await receive(ctx, key, instanceId, { from: '+6281234567890', text: 'STOP' });
    assert.equal((await suppression('+6281234567890'))?.reason, 'recipient_requested_stop');
  });

  it('a STOP to one account does not suppress the number for another account', async () => {
    const other = await ctx.createAccount({ name: 'Other' });
    const otherInstance = await ctx.createConnectedInstance(other.key, 'Other Line');
    await receive(ctx, key, instanceId, { from: '+6281234567890', text: 'STOP' });
    const res = await send(ctx, other.key, {
      instance_id: otherInstance,
      phone: '+6281234567890',
      message: 'Your appointment is confirmed for Tuesday 10:00.',
      message_purpose: 'transactional',
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
  });

  it('no confirmation is sent unless the account enables it', async () => {
    await receive(ctx, key, instanceId, { from: '+6281234567890', text: 'STOP' });
    await ctx.container.inbound.drain();
    assert.equal((await ctx.container.db('messages').where({ source: 'confirmation' })).length, 0);
  });

  describe('with optout_confirmation enabled', () => {
    beforeEach(async () => {
      const res = await ctx.admin('patch', `/admin/api/accounts/${accountId}`, { optout_confirmation: true });
      assert.equal(res.status, 200, JSON.stringify(res.body));
    });

    it('replies once to STOP and to START in the contact language, quota-exempt, through the sender', async () => {
      const used = await quota();
      await receive(ctx, key, instanceId, { from: '+966501234567', text: 'إيقاف' });
      const confirmation = await waitFor('opt-out confirmation', async () =>
        ctx.container.db('messages').where({ source: 'confirmation' }).whereNotNull('wa_message_id').first(),
      );
      assert.equal(confirmation.recipient, '+966501234567');
      assert.equal(confirmation.purpose, 'support');
      assert.equal(confirmation.outcome, 'allowed');
      assert.equal(confirmation.text, ctx.container.optOut.confirmation('opt_out', 'ar'));
      assert.ok(confirmation.quota_held === 0 || confirmation.quota_held === false);
      const sent = (await events(ctx, { type: 'message.sent' })).find(
        (e) => e.payload.log_id === confirmation.id,
      );
      assert.equal(sent?.payload.source, 'confirmation');

      // A repeated STOP gets no second confirmation.
      await receive(ctx, key, instanceId, { from: '+966501234567', text: 'STOP' });
      assert.equal((await ctx.container.db('messages').where({ source: 'confirmation' })).length, 1);

      await receive(ctx, key, instanceId, { from: '+966501234567', text: 'ابدأ' });
      await waitFor(
        'opt-in confirmation',
        async () =>
          (await ctx.container.db('messages').where({ source: 'confirmation' }).whereNotNull('wa_message_id'))
            .length === 2,
      );
      const texts = (await ctx.container.db('messages').where({ source: 'confirmation' }).orderBy('id')).map(
        (m) => m.text,
      );
      assert.deepEqual(texts, [
        ctx.container.optOut.confirmation('opt_out', 'ar'),
        ctx.container.optOut.confirmation('opt_in', 'ar'),
      ]);

      // Quota did not move.
      const after = await quota();
      assert.deepEqual([after.daily.used, after.monthly.used], [used.daily.used, used.monthly.used]);
      assert.equal(after.daily.used, 0);
    });

    it('YES opts back in only as the answer to the opt-out confirmation', async () => {
      await receive(ctx, key, instanceId, { from: '+6281234567890', text: 'STOP' });
      await waitFor('confirmation', async () =>
        ctx.container.db('messages').where({ source: 'confirmation' }).whereNotNull('wa_message_id').first(),
      );
      await receive(ctx, key, instanceId, { from: '+6281234567890', text: 'yes' });
      assert.equal(await suppression('+6281234567890'), undefined);
      // Elsewhere "yes" is just an answer.
      await receive(ctx, key, instanceId, { from: '+6281211112222', text: 'yes' });
      assert.equal(
        (await ctx.container.db('inbound_messages').where({ from_phone: '+6281211112222' }).first())
          .classification,
        null,
      );
    });

    it('a failed confirmation is logged, never thrown: the opt-out still stands', async () => {
      await ctx.http
        .post(`/api/instances/${instanceId}/sandbox/fail-next`)
        .set('Authorization', `Bearer ${key}`)
        .set('Content-Type', 'application/json')
        .send('{"count":1}');
      await receive(ctx, key, instanceId, { from: '+6281234567890', text: 'STOP' });
      await ctx.container.inbound.drain();
      assert.ok(await suppression('+6281234567890'));
      const row = await ctx.container.db('messages').where({ source: 'confirmation' }).first();
      assert.equal(row.status, 'failed');
      assert.equal((await quota()).daily.used, 0);
    });
  });
});
