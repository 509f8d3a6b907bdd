import assert from 'node:assert/strict';
import type { Policies } from '../../src/config/policies.ts';
import { ManualClock } from '../../src/lib/clock.ts';
import { createTestContext, generousThrottles, type TestContext } from '../support/test-app.ts';

/**
 * Automatic pause-for-review (policies/pause.json): every trigger driven with an injected clock,
 * the strike ladder, the evidence snapshot, the 423, the instance.paused / instance.resumed
 * events, and what the customer sees.
 */

const PAUSED_MESSAGE = 'This instance has been paused for responsible messaging review';
const VIOLATION = 'FLASH SALE!!! 70% OFF today only, buy now at bit.ly/xyz — limited offer, click here!';
const FLAGGED = 'Your order has shipped. Promo: cashback on your next order.';
const PHISHING = 'Akun anda diblokir, verifikasi akun di http://bank-secure-login.xyz/login';
const FINE = 'Your invoice INV-2041 is ready. Thank you for your order.';

/** The first strike already pauses: isolates one trigger from the ladder. */
function pauseOnFirstStrike(p: Policies): Policies {
  generousThrottles(p);
  p.pause.strike_ladder.steps = [{ action: 'pause' }];
  return p;
}

describe('automatic pause-for-review', () => {
  let ctx: TestContext;
  let clock: ManualClock;
  let key: string;
  let accountId: string;
  let instanceId: string;
  let n = 0;

  const phone = () => `+62812000${String(10000 + (n++ % 89999)).padStart(5, '0')}`;
  const send = (message: string, to = phone(), purpose = 'transactional') => {
    clock.advance(1000);
    return ctx.http
      .post('/api/send-message')
      .set('Authorization', `Bearer ${key}`)
      .send({ instance_id: instanceId, phone: to, message, message_purpose: purpose });
  };
  const instanceRow = () => ctx.container.db('instances').where({ id: instanceId }).first();
  const events = async (type: string) =>
    (await ctx.container.db('events').where({ type, instance_id: instanceId }).orderBy('created_at'))
      .map((r) => JSON.parse(String(r.envelope)) as { payload: Record<string, unknown> });
  const setup = async (policies?: (p: Policies) => Policies, plan = 'scale') => {
    clock = new ManualClock('2026-05-08T08:00:00Z');
    ctx = await createTestContext({ clock, policies: policies ?? generousThrottles });
    ({ key, id: accountId } = await ctx.createAccount({ plan }));
    instanceId = await ctx.createConnectedInstance(key);
  };
  const expectPaused = async () => {
    const res = await send(FINE);
    assert.equal(res.status, 423, JSON.stringify(res.body));
    assert.deepEqual(
      { error: res.body.error, message: res.body.message, success: res.body.success, action: res.body.details.action },
      { error: 'instance_paused_for_review', message: PAUSED_MESSAGE, success: false, action: 'review' },
    );
    return res;
  };

  afterEach(() => ctx?.close());

  it('policy violations climb the strike ladder: slowed ×0.5, then ×0.25, then paused with evidence', async () => {
    await setup();
    for (let i = 0; i < 2; i += 1) assert.equal((await send(VIOLATION)).status, 403);
    assert.equal(await ctx.container.autoPause.throttleMultiplierFor({ id: instanceId }), 1);
    assert.equal((await send(VIOLATION)).status, 403);
    // Strike 1: slowed, not paused; ordinary sends still go out.
    assert.equal(await ctx.container.autoPause.throttleMultiplierFor({ id: instanceId }), 0.5);
    assert.equal((await instanceRow()).paused ? 1 : 0, 0);
    assert.equal((await send(FINE)).status, 200);
    const slowed = await ctx.admin('get', `/admin/api/audit?target_id=${instanceId}&action=instance.slowed`);
    assert.equal(slowed.body.entries.length, 1);
    assert.equal(slowed.body.entries[0].actor, 'policy_engine');
    assert.equal(slowed.body.entries[0].detail.value, 3);
    assert.equal(slowed.body.entries[0].detail.threshold, 3);
    assert.equal(slowed.body.entries[0].detail.throttle_multiplier, 0.5);

    // The evidence of strike 1 is used up: two more violations are not a new strike.
    for (let i = 0; i < 2; i += 1) await send(VIOLATION);
    assert.equal(await ctx.container.autoPause.throttleMultiplierFor({ id: instanceId }), 0.5);
    await send(VIOLATION);
    assert.equal(await ctx.container.autoPause.throttleMultiplierFor({ id: instanceId }), 0.25);

    for (let i = 0; i < 3; i += 1) assert.equal((await send(VIOLATION)).status, 403);
    const row = await instanceRow();
    assert.ok(row.paused);
    assert.equal(row.pause_reason, 'Repeated policy violations within 24 hours');
    assert.equal(row.paused_by, 'policy_engine');
    assert.equal(Number(row.pause_count), 1);
    await expectPaused();

    const evidence = JSON.parse(String(row.pause_evidence));
    assert.equal(evidence.trigger.id, 'policy_violations');
    assert.equal(evidence.trigger.value, 3);
    assert.equal(evidence.trigger.threshold, 3);
    assert.equal(evidence.trigger.explanation, '3 sends refused as policy violations in the last 24 h (threshold 3)');
    assert.deepEqual(
      { strike: evidence.ladder.strike_number, step: evidence.ladder.step, pauses: evidence.ladder.pause_count },
      { strike: 3, step: 3, pauses: 1 },
    );
    assert.deepEqual(
      evidence.strikes.map((s: { action: string }) => s.action),
      ['slow', 'slow', 'pause'],
    );
    assert.equal(evidence.rates.policy_violations.value, 9);
    assert.ok(evidence.rules.some((r: { id: string; count: number }) => r.id === 'marketing_terms' && r.count === 9));
    assert.equal(evidence.scores.max, 100);
    assert.equal(evidence.samples.length, 5);
    for (const s of evidence.samples) {
      assert.match(s.recipient, /^\+628\*{4}\d{3}$/);
      assert.ok(s.text.length <= 81 && s.text.endsWith('…'));
      assert.equal(s.error, 'policy_violation');
    }
    assert.ok(!JSON.stringify(evidence).includes('+62812000'), 'no full recipient number in the evidence');

    const [paused] = await events('instance.paused');
    assert.deepEqual(Object.keys(paused?.payload ?? {}).sort(), ['paused', 'paused_at', 'paused_by', 'reason']);
    assert.equal(paused?.payload.paused_by, 'policy_engine');
    assert.equal(paused?.payload.reason, 'Repeated policy violations within 24 hours');
    const audit = await ctx.admin('get', `/admin/api/audit?target_id=${instanceId}&action=instance.auto_paused`);
    assert.equal(audit.body.entries[0].actor, 'policy_engine');
    assert.equal(audit.body.entries[0].detail.trigger.id, 'policy_violations');
  });

  it('resume lifts the pause and the slowdown and emits instance.resumed; repeat pauses escalate', async () => {
    await setup();
    for (let i = 0; i < 9; i += 1) await send(VIOLATION);
    assert.ok((await instanceRow()).paused);
    const resumed = await ctx.admin('post', `/admin/api/instances/${instanceId}/resume`, {
      note: 'Customer removed the promo template',
    });
    assert.equal(resumed.status, 200);
    assert.equal(resumed.body.instance.paused, false);
    assert.equal((await send(FINE)).status, 200);
    assert.equal(await ctx.container.autoPause.throttleMultiplierFor({ id: instanceId }), 1);
    const [ev] = await events('instance.resumed');
    assert.equal(ev?.payload.paused, false);

    // The ladder restarts after a person's decision, but a recent pause skips a step: ×0.25 first.
    for (let i = 0; i < 3; i += 1) await send(VIOLATION);
    assert.equal(await ctx.container.autoPause.throttleMultiplierFor({ id: instanceId }), 0.25);
    for (let i = 0; i < 3; i += 1) await send(VIOLATION);
    const row = await instanceRow();
    assert.ok(row.paused);
    assert.equal(Number(row.pause_count), 2);
    const evidence = JSON.parse(String(row.pause_evidence));
    assert.deepEqual(
      {
        strike: evidence.ladder.strike_number,
        skipped: evidence.ladder.steps_skipped_for_repeat_pauses,
        recent: evidence.ladder.recent_pauses,
        count: evidence.ladder.pause_count,
      },
      { strike: 2, skipped: 1, recent: 1, count: 2 },
    );
    await expectPaused();
  });

  it('a slowed instance really sends slower: the throttle multiplier applies before any pause', async () => {
    await setup((p) => {
      generousThrottles(p);
      p.throttle.per_instance = { points: 4, duration_seconds: 60 };
      return p;
    }, 'starter');
    for (let i = 0; i < 3; i += 1) await send(VIOLATION);
    assert.equal(await ctx.container.autoPause.throttleMultiplierFor({ id: instanceId }), 0.5);
    assert.equal((await send(FINE)).status, 200);
    assert.equal((await send(FINE)).status, 200);
    const third = await send(FINE);
    assert.equal(third.status, 429);
    assert.equal(third.body.error, 'sending_throttled');
    assert.equal(third.body.details.limit, 'instance');
    assert.equal((await instanceRow()).paused ? 1 : 0, 0);
    // The slowdown lapses after its duration (3 h).
    clock.advance(3 * 3600_000 + 1000);
    assert.equal(await ctx.container.autoPause.throttleMultiplierFor({ id: instanceId }), 1);
  });

  it('a severe-harm rule (phishing with a link) pauses at once', async () => {
    await setup();
    const res = await send(PHISHING);
    assert.equal(res.status, 403);
    assert.equal(res.body.error, 'policy_violation');
    const row = await instanceRow();
    assert.ok(row.paused);
    assert.equal(row.pause_reason, 'A message matched a severe-harm rule (phishing, gambling or illegal lending with a link).');
    const evidence = JSON.parse(String(row.pause_evidence));
    assert.equal(evidence.trigger.id, 'severe_content');
    assert.equal(evidence.trigger.action, 'pause');
    assert.equal(evidence.ladder.strike_number, 1);
    assert.ok(evidence.rules.some((r: { id: string }) => r.id === 'phishing_with_link'));
    assert.deepEqual(evidence.samples[0].rules.includes('phishing_with_link'), true);
    assert.equal(evidence.samples[0].text, 'Akun anda diblokir, verifikasi akun di http://bank-secure-login.xyz/login');
    await expectPaused();
    assert.equal((await events('instance.paused')).length, 1);
  });

  it('flagged sends (review threshold) are a trigger', async () => {
    await setup(pauseOnFirstStrike);
    for (let i = 0; i < 4; i += 1) {
      const res = await send(FLAGGED);
      assert.equal(res.status, 200, JSON.stringify(res.body));
    }
    assert.equal((await instanceRow()).paused ? 1 : 0, 0);
    assert.equal((await send(FLAGGED)).status, 200);
    const row = await instanceRow();
    assert.ok(row.paused);
    const evidence = JSON.parse(String(row.pause_evidence));
    assert.equal(evidence.trigger.id, 'flagged_sends');
    assert.equal(evidence.trigger.value, 5);
    assert.ok(evidence.samples.every((s: { flagged: boolean }) => s.flagged));
    assert.ok(evidence.scores.max >= 40 && evidence.scores.max < 60);
    await expectPaused();
  });

  it('opt-out rate among recent recipients, with a minimum sample, judged by the periodic sweep', async () => {
    await setup(pauseOnFirstStrike);
    const recipients: string[] = [];
    for (let i = 0; i < 50; i += 1) {
      const to = phone();
      recipients.push(to);
      assert.equal((await send(FINE, to)).status, 200);
    }
    // One invoice template to 50 first-time recipients is flagged for behaviour (and throttled by
    // throttle.json), but a behaviour-only flag is not a pause trigger.
    const flagged = await ctx.container.db('messages').where({ instance_id: instanceId, flagged: true });
    assert.ok(flagged.length >= 5, `expected behaviour flags, got ${flagged.length}`);
    assert.equal((await instanceRow()).paused ? 1 : 0, 0);
    const inbound = async (from: string, text: string) => {
      clock.advance(1000);
      const res = await ctx.http
        .post(`/api/instances/${instanceId}/sandbox/inbound`)
        .set('Authorization', `Bearer ${key}`)
        .send({ from, text });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      await ctx.container.inbound.drain();
    };
    await inbound(recipients[0] as string, 'STOP');
    await inbound(recipients[1] as string, 'berhenti');
    // An opt-out from someone this instance never wrote to is not "among recent recipients".
    await inbound('+966500000001', 'STOP');
    await ctx.container.autoPause.sweep();
    assert.equal((await instanceRow()).paused ? 1 : 0, 0, '2 of 50 is below the minimum of 3 opt-outs');
    await inbound(recipients[2] as string, 'UNSUBSCRIBE');
    assert.equal((await instanceRow()).paused ? 1 : 0, 0, 'opt-outs are judged by the sweep, not on arrival');
    await ctx.container.autoPause.sweep();
    const row = await instanceRow();
    assert.ok(row.paused);
    assert.equal(row.pause_reason, 'High opt-out rate among recent recipients');
    const evidence = JSON.parse(String(row.pause_evidence));
    assert.deepEqual(
      { id: evidence.trigger.id, value: evidence.trigger.value, events: evidence.trigger.events, sample: evidence.trigger.sample },
      { id: 'opt_out_rate', value: 0.06, events: 3, sample: 50 },
    );
    assert.equal(
      evidence.trigger.explanation,
      '3 opt-outs among 50 recipients in the last 7 days = 6% (threshold 3%, minimum 50 recipients and 3 opt-outs)',
    );
    // The samples are what the opted-out recipients had received, masked.
    assert.equal(evidence.samples.length, 3);
    assert.ok(evidence.samples.every((s: { recipient: string }) => /^\+628\*{4}\d{3}$/.test(s.recipient)));
    await expectPaused();
  });

  it('transport failure rate over a minimum sample; a disconnected instance is not a failure signal', async () => {
    await setup(pauseOnFirstStrike);
    for (let i = 0; i < 15; i += 1) assert.equal((await send(FINE)).status, 200);
    ctx.sandbox?.failNext(instanceId, 4);
    for (let i = 0; i < 4; i += 1) assert.equal((await send(FINE)).status, 502);
    assert.equal((await instanceRow()).paused ? 1 : 0, 0, '4 of 19 is below the minimum sample of 20 and 5 failures');
    ctx.sandbox?.failNext(instanceId, 1);
    const fifth = await send(FINE);
    assert.equal(fifth.status, 502);
    assert.equal(fifth.body.error, 'gateway_send_failed');
    const row = await instanceRow();
    assert.ok(row.paused);
    const evidence = JSON.parse(String(row.pause_evidence));
    assert.deepEqual(
      { id: evidence.trigger.id, value: evidence.trigger.value, events: evidence.trigger.events, sample: evidence.trigger.sample },
      { id: 'transport_failure_rate', value: 0.25, events: 5, sample: 20 },
    );
    assert.ok(evidence.samples.every((s: { failure_reason: string }) => s.failure_reason === 'sandbox_injected_failure'));
    await expectPaused();
  });

  it('not-connected failures do not count towards the failure rate', async () => {
    await setup(pauseOnFirstStrike);
    await ctx.http.post(`/api/instances/${instanceId}/sandbox/disconnect`).set('Authorization', `Bearer ${key}`);
    for (let i = 0; i < 25; i += 1) {
      const res = await send(FINE);
      assert.equal(res.status, 502);
      assert.equal(res.body.details.reason, 'instance_not_connected');
    }
    assert.equal((await instanceRow()).paused ? 1 : 0, 0);
  });

  it('WhatsApp restriction signals (463 acks, capping) from the transport, judged by the sweep', async () => {
    await setup(pauseOnFirstStrike);
    const instance = await ctx.container.instanceStore.get(instanceId);
    assert.ok(instance);
    const signal = async (name: string, detail: Record<string, unknown>) => {
      clock.advance(1000);
      await ctx.container.inbound.handle(
        { type: 'restriction', instanceId, signal: name, detail, at: clock.now() },
        instance,
      );
      await ctx.container.inbound.drain();
    };
    await signal('reachout_timelock', { isActive: false });
    await signal('message_capping', { status: 'NONE' });
    await signal('ack_463', { id: 'A1' });
    await signal('ack_463', { id: 'A2' });
    await ctx.container.autoPause.sweep();
    assert.equal((await instanceRow()).paused ? 1 : 0, 0, 'lifted locks, capping NONE and two 463s do not fire');
    await signal('ack_463', { id: 'A3' });
    await ctx.container.autoPause.sweep();
    const row = await instanceRow();
    assert.ok(row.paused);
    assert.equal(row.pause_reason, 'WhatsApp reported restrictions on this number');
    const evidence = JSON.parse(String(row.pause_evidence));
    assert.equal(evidence.trigger.id, 'whatsapp_463');
    assert.equal(evidence.trigger.value, 3);
    assert.equal(evidence.restriction_signals.length, 3);
    await expectPaused();
  });

  it('an active reach-out time lock is a strike on the default ladder (slowed, not paused)', async () => {
    await setup();
    const instance = await ctx.container.instanceStore.get(instanceId);
    assert.ok(instance);
    await ctx.container.inbound.handle(
      { type: 'restriction', instanceId, signal: 'reachout_timelock', detail: { isActive: true }, at: clock.now() },
      instance,
    );
    await ctx.container.inbound.drain();
    await ctx.container.autoPause.sweep();
    assert.equal(await ctx.container.autoPause.throttleMultiplierFor({ id: instanceId }), 0.5);
    // A second sweep finds no new evidence: no second strike.
    clock.advance(60_000);
    await ctx.container.autoPause.sweep();
    assert.equal(await ctx.container.autoPause.throttleMultiplierFor({ id: instanceId }), 0.5);
    const strikes = await ctx.container.db('instance_strikes').where({ instance_id: instanceId });
    assert.equal(strikes.length, 1);
    assert.equal(strikes[0].trigger_id, 'whatsapp_capping');
  });

  it('violations older than 24 hours no longer count', async () => {
    await setup(pauseOnFirstStrike);
    await send(VIOLATION);
    await send(VIOLATION);
    clock.advance(24 * 3600_000);
    await send(VIOLATION);
    assert.equal((await instanceRow()).paused ? 1 : 0, 0);
  });

  it('the customer sees the pause and its public reason, and queries its own decision log', async () => {
    await setup();
    await send(PHISHING);
    const res = await ctx.http.get(`/api/instances/${instanceId}`).set('Authorization', `Bearer ${key}`);
    assert.equal(res.status, 200);
    assert.equal(res.body.instance.paused, true);
    assert.equal(
      res.body.instance.pause.reason,
      'A message matched a severe-harm rule (phishing, gambling or illegal lending with a link).',
    );
    assert.ok(!('pause_evidence' in res.body.instance), 'evidence stays with the compliance admin');
    await expectPaused();

    const decisions = await ctx.http
      .get(`/api/decisions?instance_id=${instanceId}&outcome=blocked`)
      .set('Authorization', `Bearer ${key}`);
    assert.equal(decisions.status, 200);
    assert.deepEqual(
      decisions.body.decisions.map((d: { error: string; deciding_check: string }) => [d.error, d.deciding_check]),
      [
        ['instance_paused_for_review', 'not_paused'],
        ['policy_violation', 'risk'],
      ],
    );
    assert.ok(decisions.body.decisions[1].risk_rules.some((r: { id: string }) => r.id === 'phishing_with_link'));

    // Another account's instance id matches nothing; the decision log is tenant-scoped.
    const other = await ctx.createAccount({ name: 'Other' });
    const theirs = await ctx.http
      .get(`/api/decisions?instance_id=${instanceId}`)
      .set('Authorization', `Bearer ${other.key}`);
    assert.equal(theirs.status, 200);
    assert.deepEqual(theirs.body.decisions, []);
    const anonymous = await ctx.http.get('/api/decisions');
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.body.error, 'invalid_api_key');
    void accountId;
  });

  it('the admin API shows evidence, strikes and every trigger now; customer keys are refused', async () => {
    await setup();
    for (let i = 0; i < 3; i += 1) await send(VIOLATION);
    const res = await ctx.admin('get', `/admin/api/instances/${instanceId}`);
    assert.equal(res.status, 200);
    assert.equal(res.body.review.throttle.multiplier, 0.5);
    assert.equal(res.body.review.strikes.length, 1);
    assert.equal(res.body.review.strikes[0].trigger, 'policy_violations');
    const pv = res.body.review.triggers.find((t: { id: string }) => t.id === 'policy_violations');
    assert.deepEqual(
      { value: pv.value, threshold: pv.threshold, over: pv.over_threshold },
      { value: 3, threshold: 3, over: true },
    );
    for (const path of [`/admin/api/instances/${instanceId}`, '/admin/api/webhook-endpoints']) {
      const customer = await ctx.http.get(path).set('Authorization', `Bearer ${key}`);
      assert.equal(customer.status, 401);
      assert.equal(customer.body.error, 'invalid_admin_token');
      const anonymous = await ctx.http.get(path);
      assert.equal(anonymous.status, 401);
      assert.equal(anonymous.body.error, 'invalid_admin_token');
    }
    const missing = await ctx.admin('get', '/admin/api/instances/inst_nope');
    assert.equal(missing.status, 404);
  });
});
