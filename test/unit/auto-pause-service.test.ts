import assert from 'node:assert/strict';
import { loadPolicies } from '../../src/config/policies.ts';
import { inMemoryTransact } from '../../src/db/transactions.ts';
import { FakeEventOutbox } from '../../src/events/event-outbox.fake.ts';
import { FakeInstanceStore, makeInstance } from '../../src/instances/instance-store.fake.ts';
import { ManualClock } from '../../src/lib/clock.ts';
import { FakeAuditLog } from '../../src/review/audit-log.fake.ts';
import { AutoPauseService, POLICY_ENGINE } from '../../src/review/auto-pause-service.ts';
import { FakePauseEvidence } from '../../src/review/pause-evidence.fake.ts';
import { ReviewService } from '../../src/review/review-service.ts';
import { FakeStrikeStore } from '../../src/review/strike-store.fake.ts';
import type { SendDecision } from '../../src/sending/send-context.ts';

const policy = loadPolicies('./policies').pause;
const HOUR = 3600_000;

/** The decision and the review service on in-memory stores: no database anywhere. */
function setup() {
  const clock = new ManualClock('2026-05-08T10:00:00Z');
  const instances = new FakeInstanceStore();
  const strikes = new FakeStrikeStore();
  const evidence = new FakePauseEvidence();
  const audit = new FakeAuditLog(clock);
  const outbox = new FakeEventOutbox();
  const review = new ReviewService(inMemoryTransact, instances, outbox, audit, clock);
  const autoPause = new AutoPauseService({
    clock,
    policy,
    transact: inMemoryTransact,
    instances,
    strikes,
    evidence,
    review,
    audit,
  });
  instances.add(makeInstance({ id: 'ins_1', accountId: 'acc_1' }));
  return { clock, instances, strikes, evidence, audit, outbox, review, autoPause };
}

const refused = { instanceId: 'ins_1', errorCode: 'policy_violation', flagged: false } as unknown as SendDecision;
const allowed = { instanceId: 'ins_1', errorCode: null, flagged: false } as unknown as SendDecision;

describe('auto-pause decision (unit, on in-memory stores)', () => {
  it('an allowed send costs nothing: no facts read, no strike', async () => {
    const t = setup();
    await t.autoPause.onDecision(allowed);
    assert.equal(t.evidence.reads, 0);
    assert.equal(t.strikes.rows.length, 0);
  });

  it('a trigger below its threshold does not strike', async () => {
    const t = setup();
    t.evidence.set('ins_1', 'policy_violations', { events: 2 });
    await t.autoPause.onDecision(refused);
    assert.ok(t.evidence.reads > 0);
    assert.equal(t.strikes.rows.length, 0);
    assert.equal(await t.autoPause.throttleMultiplierFor({ id: 'ins_1' }), 1);
  });

  it('climbs the ladder: slow ×0.5, slow ×0.25, then pause through the review service with evidence', async () => {
    const t = setup();
    t.evidence.set('ins_1', 'policy_violations', { events: 3 });

    await t.autoPause.onDecision(refused);
    assert.deepEqual(
      t.strikes.rows.map((s) => [s.triggerId, s.strikeNumber, s.action, s.throttleMultiplier]),
      [['policy_violations', 1, 'slow', 0.5]],
    );
    assert.equal(await t.autoPause.throttleMultiplierFor({ id: 'ins_1' }), 0.5);
    assert.deepEqual([...(await t.autoPause.slowedInstanceIds()).keys()], ['ins_1']);
    assert.equal(t.audit.entries.at(-1)?.action, 'instance.slowed');
    assert.equal(t.audit.entries.at(-1)?.actor, POLICY_ENGINE);

    t.clock.advance(60_000);
    await t.autoPause.onDecision(refused);
    assert.equal(await t.autoPause.throttleMultiplierFor({ id: 'ins_1' }), 0.25);

    t.clock.advance(60_000);
    await t.autoPause.onDecision(refused);
    const paused = await t.instances.get('ins_1');
    assert.equal(paused?.paused, true);
    assert.equal(paused?.pausedBy, POLICY_ENGINE);
    assert.equal(paused?.pauseReason, policy.triggers.find((x) => x.id === 'policy_violations')?.public_reason);
    assert.deepEqual(paused?.pauseEvidence, { trigger: { id: 'policy_violations' } });
    assert.deepEqual(
      t.strikes.rows.map((s) => s.action),
      ['slow', 'slow', 'pause'],
    );
    assert.equal((await t.instances.reviewColumns('ins_1')).pauseCount, 1);
    assert.deepEqual(
      t.outbox.events.map((e) => [e.type, (e.payload as Record<string, unknown>).paused_by]),
      [['instance.paused', 'policy_engine']],
    );
    assert.equal(t.audit.entries.at(-1)?.action, 'instance.auto_paused');

    // A paused instance is not judged again.
    assert.equal(await t.autoPause.evaluate('ins_1', null), false);
    assert.equal(t.strikes.rows.length, 3);
  });

  it('a slowdown ends with its duration', async () => {
    const t = setup();
    t.evidence.set('ins_1', 'policy_violations', { events: 3 });
    await t.autoPause.onDecision(refused);
    t.clock.advance(3 * HOUR + 1);
    assert.equal(await t.autoPause.throttleMultiplierFor({ id: 'ins_1' }), 1);
    assert.equal((await t.autoPause.slowedInstanceIds()).size, 0);
  });

  it('after a resume the ladder restarts, a recent pause skipping a step', async () => {
    const t = setup();
    t.evidence.set('ins_1', 'policy_violations', { events: 3 });
    for (let i = 0; i < 3; i++) {
      await t.autoPause.onDecision(refused);
      t.clock.advance(60_000);
    }
    await t.review.resume('ins_1', { note: 'looked fine', by: 'admin' });
    const columns = await t.instances.reviewColumns('ins_1');
    assert.equal(columns.lastResumedAt, t.clock.now().getTime());
    assert.equal(columns.throttleMultiplier, null);

    t.clock.advance(60_000);
    await t.autoPause.onDecision(refused);
    const last = t.strikes.rows.at(-1);
    assert.equal(last?.strikeNumber, 1, 'strikes before the resume no longer count');
    assert.equal(last?.throttleMultiplier, 0.25, 'one recent pause skips the first step');
  });

  it('the sweep judges only the swept signals, of the instances that were active', async () => {
    const t = setup();
    t.instances.add(makeInstance({ id: 'ins_2', accountId: 'acc_1' }));
    t.evidence.set('ins_1', 'policy_violations', { events: 50 });
    t.evidence.set('ins_2', 'failure_rate', { events: 40, sample: 50 });
    const evaluated = await t.autoPause.sweep();
    assert.equal(evaluated, 2);
    assert.deepEqual(
      t.strikes.rows.map((s) => [s.instanceId, s.triggerId]),
      [['ins_2', 'transport_failure_rate']],
    );
  });

  it('standing: pause count, throttle, latest strikes first and every trigger evaluated now', async () => {
    const t = setup();
    t.evidence.set('ins_1', 'policy_violations', { events: 3 });
    await t.autoPause.onDecision(refused);
    t.clock.advance(60_000);
    await t.autoPause.onDecision(refused);
    const standing = await t.autoPause.standing('ins_1');
    assert.equal(standing.pauseCount, 0);
    assert.equal(standing.throttle?.multiplier, 0.25);
    assert.deepEqual(
      standing.strikes.map((s) => s.strikeNumber),
      [2, 1],
    );
    assert.equal(standing.triggers.length, policy.triggers.length);
  });
});
