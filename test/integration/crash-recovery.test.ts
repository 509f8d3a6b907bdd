import assert from 'node:assert/strict';
import { ManualClock } from '../../src/lib/clock.ts';
import { dayKey, monthKey } from '../../src/lib/time-windows.ts';
import { reclaimStaleReservations } from '../../src/workers.ts';
import { createTestContext, generousThrottles, type TestContext } from '../support/test-app.ts';

/**
 * A process killed between reserving quota and finishing the send leaves a `reserved` row that
 * holds quota. Housekeeping gives it back, so a crash never double-counts.
 */
describe('crash recovery of held quota', () => {
  let ctx: TestContext;
  const clock = new ManualClock('2026-05-08T10:00:00Z');
  beforeEach(async () => {
    ctx = await createTestContext({ clock, policies: generousThrottles });
  });
  afterEach(() => ctx.close());

  it('releases reservations once their send deadline (SEND_DEADLINE, 45 s) has passed, once', async () => {
    const { id, key } = await ctx.createAccount();
    const instance = await ctx.createConnectedInstance(key);
    const ok = await ctx.http
      .post('/api/send-message')
      .set('Authorization', `Bearer ${key}`)
      .send({ instance_id: instance, phone: '+6281234567890', message: 'Your order #1 shipped.', message_purpose: 'transactional' });
    assert.equal(ok.status, 200);
    // Simulate the crash: a reservation committed, the process died before the transport answered.
    const at = clock.now();
    const keys = { dayKey: dayKey(at, 'UTC'), monthKey: monthKey(at, 'UTC') };
    await ctx.container.db.transaction(async (trx) => {
      await ctx.container.quota.reserve(trx, id, { ...keys, dailyLimit: 100, monthlyLimit: 2000 });
      await trx('messages').insert({
        account_id: id,
        instance_id: instance,
        recipient: '+6281234567891',
        status: 'reserved',
        outcome: 'allowed',
        day_key: keys.dayKey,
        month_key: keys.monthKey,
        quota_held: true,
        created_at: at.getTime(),
        updated_at: at.getTime(),
      });
    });
    const quota = () => ctx.http.get('/api/quota').set('Authorization', `Bearer ${key}`);
    assert.equal((await quota()).body.daily.used, 2);
    assert.equal(await reclaimStaleReservations(ctx.container), 0, 'too recent to reclaim');
    clock.advance(44_000);
    assert.equal(await reclaimStaleReservations(ctx.container), 0, 'still inside its deadline');
    clock.advance(2_000);
    assert.equal(await reclaimStaleReservations(ctx.container), 1);
    assert.equal(await reclaimStaleReservations(ctx.container), 0, 'reclaimed once');
    const after = await quota();
    assert.equal(after.body.daily.used, 1, 'used equals messages actually sent');
    assert.equal(after.body.monthly.used, 1);
    const row = await ctx.container.db('messages').where({ recipient: '+6281234567891' }).first();
    assert.equal(row.status, 'failed');
    assert.equal(row.failure_reason, 'interrupted');
  });
});
