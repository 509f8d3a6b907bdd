import assert from 'node:assert/strict';
import { ManualClock } from '../../src/lib/clock.ts';
import { createTestContext, generousThrottles, type TestContext } from '../support/test-app.ts';

describe('daily limit resets at the account-local midnight (injected clock)', () => {
  let ctx: TestContext;
  const clock = new ManualClock('2026-05-08T16:50:00Z'); // 23:50 in Jakarta

  beforeEach(async () => {
    clock.set('2026-05-08T16:50:00Z');
    ctx = await createTestContext({ clock, policies: generousThrottles });
  });
  afterEach(() => ctx.close());

  it('Asia/Jakarta: full at 23:50 local, open again at 00:05 local while still the 8th in UTC', async () => {
    const { id, key } = await ctx.createAccount({ timezone: 'Asia/Jakarta' });
    await ctx.admin('patch', `/admin/api/accounts/${id}`, {
      daily_limit_override: 1,
      override_reason: 'tz test',
      override_approved_by: 'qa',
    });
    const instance = await ctx.createConnectedInstance(key);
    const send = () =>
      ctx.http.post('/api/send-message').set('Authorization', `Bearer ${key}`).send({
        instance_id: instance,
        phone: '+6281234567890',
        message: 'Your appointment is confirmed for tomorrow 10:00.',
        message_purpose: 'operational',
      });
    assert.equal((await send()).status, 200);
    const full = await send();
    assert.equal(full.body.error, 'daily_message_limit_exceeded');
    assert.equal(full.headers['retry-after'], String(10 * 60));
    const quota = await ctx.http.get('/api/quota').set('Authorization', `Bearer ${key}`);
    assert.equal(quota.body.daily.resets_at, '2026-05-08T17:00:00.000Z');
    clock.set('2026-05-08T17:05:00Z'); // 00:05 on the 9th in Jakarta, still the 8th in UTC
    assert.equal((await send()).status, 200);
    const after = await ctx.http.get('/api/quota').set('Authorization', `Bearer ${key}`);
    assert.equal(after.body.daily.used, 1);
    assert.equal(after.body.monthly.used, 2);
  });
});
