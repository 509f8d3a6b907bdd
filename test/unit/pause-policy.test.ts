import assert from 'node:assert/strict';
import fs from 'node:fs';
import { loadPolicies } from '../../src/config/policies.ts';
import {
  checkPausePolicy,
  countsAsRestriction,
  evaluateTrigger,
  flagCounts,
  ladderPosition,
  maskText,
  type PausePolicy,
  type PauseTrigger,
} from '../../src/review/pause-policy.ts';

const shipped = loadPolicies('./policies').pause;
const riskRuleIds = new Set(loadPolicies('./policies').risk.rules.map((r) => r.id));
const trigger = (id: string): PauseTrigger => {
  const t = shipped.triggers.find((x) => x.id === id);
  if (!t) throw new Error(`no trigger ${id}`);
  return t;
};

describe('pause policy (pure evaluation)', () => {
  it('the shipped pause.json loads, every trigger kind is present, the ladder ends in a pause', () => {
    assert.deepEqual(
      [...new Set(shipped.triggers.map((t) => t.signal))].sort(),
      ['failure_rate', 'flagged_sends', 'opt_out_rate', 'policy_violations', 'restriction_signals', 'rule_hits'],
    );
    assert.deepEqual(
      shipped.strike_ladder.steps.map((s) => s.action),
      ['slow', 'slow', 'pause'],
    );
    assert.deepEqual(checkPausePolicy(shipped, riskRuleIds), []);
  });

  it('a count trigger fires at its threshold and says which value met which threshold', () => {
    const below = evaluateTrigger(trigger('policy_violations'), { events: 2 });
    assert.equal(below.fired, false);
    const at = evaluateTrigger(trigger('policy_violations'), { events: 3 });
    assert.equal(at.fired, true);
    assert.equal(at.value, 3);
    assert.equal(at.threshold, 3);
    assert.equal(at.unit, 'count');
    assert.equal(at.explanation, '3 sends refused as policy violations in the last 24 h (threshold 3)');
  });

  it('a rate trigger needs its minimum sample and events before it may fire', () => {
    const t = trigger('opt_out_rate');
    const small = evaluateTrigger(t, { events: 3, sample: 10 });
    assert.equal(small.fired, false);
    assert.equal(small.insufficient, 'sample');
    assert.equal(small.value, 0.3);
    assert.match(small.explanation, /too few to judge$/);
    const fewEvents = evaluateTrigger(t, { events: 2, sample: 50 });
    assert.equal(fewEvents.fired, false);
    assert.equal(fewEvents.insufficient, 'events');
    const fires = evaluateTrigger(t, { events: 3, sample: 50 });
    assert.equal(fires.fired, true);
    assert.equal(fires.value, 0.06);
    assert.equal(
      fires.explanation,
      '3 opt-outs among 50 recipients in the last 7 days = 6% (threshold 3%, minimum 50 recipients and 3 opt-outs)',
    );
    const below = evaluateTrigger(t, { events: 3, sample: 200 });
    assert.equal(below.fired, false);
    assert.equal(below.insufficient, null);
  });

  it('a flag raised only by behaviour rules (template fan-out) does not count towards a pause', () => {
    const t = trigger('flagged_sends');
    const fanout = [
      { id: 'same_skeleton_fanout', weight: 10 },
      { id: 'same_skeleton_to_new_recipient', weight: 25 },
      { id: 'new_recipient_burst', weight: 15 },
    ];
    assert.equal(flagCounts(t, fanout), false);
    assert.equal(flagCounts(t, [...fanout, { id: 'trust_otp_shape', weight: -20 }]), false);
    assert.equal(flagCounts(t, [{ id: 'marketing_terms', weight: 24 }, { id: 'purpose_mismatch_marketing', weight: 30 }]), true);
  });

  it('restriction rows that lift a restriction do not count', () => {
    const t = trigger('whatsapp_capping');
    assert.equal(countsAsRestriction(t, { signal: 'reachout_timelock', detail: { isActive: true } }), true);
    assert.equal(countsAsRestriction(t, { signal: 'reachout_timelock', detail: { isActive: false } }), false);
    assert.equal(countsAsRestriction(t, { signal: 'message_capping', detail: { status: 'NONE' } }), false);
    assert.equal(countsAsRestriction(t, { signal: 'message_capping', detail: { status: 'FIRST_WARNING' } }), true);
    assert.equal(countsAsRestriction(t, { signal: 'ack_463', detail: {} }), false);
    assert.equal(countsAsRestriction(trigger('whatsapp_463'), { signal: 'ack_463', detail: null }), true);
  });

  it('the strike ladder slows twice, then pauses; recent pauses skip steps; severe triggers pause at once', () => {
    const at = (priorStrikes: number, recentPauses = 0, triggerAction: 'strike' | 'pause' = 'strike') =>
      ladderPosition(shipped, { priorStrikes, recentPauses, triggerAction });
    assert.deepEqual(at(0).step, { action: 'slow', throttle_multiplier: 0.5, duration_seconds: 10800 });
    assert.deepEqual(at(1).step, { action: 'slow', throttle_multiplier: 0.25, duration_seconds: 21600 });
    assert.deepEqual(at(2).step, { action: 'pause' });
    assert.deepEqual(at(7).step, { action: 'pause' });
    assert.equal(at(0).strikeNumber, 1);
    // One pause in the last 30 days: the first strike already slows to ×0.25; two: it pauses.
    assert.equal(at(0, 1).stepIndex, 1);
    assert.equal(at(0, 1).skipped, 1);
    assert.deepEqual(at(0, 2).step, { action: 'pause' });
    assert.deepEqual(at(0, 0, 'pause').step, { action: 'pause' });
  });

  it('masks phone-like numbers and cuts long texts', () => {
    assert.equal(maskText('Call +62 812-3456-7890 now', 100), 'Call +62•••••••••90 now');
    assert.equal(maskText('Your code is 482913', 100), 'Your code is 48•••13');
    assert.equal(maskText('Order #12 ok', 100), 'Order #12 ok');
    assert.equal(maskText('x'.repeat(100), 10), `${'x'.repeat(10)}…`);
    assert.equal(maskText(null, 10), null);
  });

  it('policy problems a schema cannot catch are named with their pointer', () => {
    const broken = structuredClone(shipped) as PausePolicy;
    broken.triggers.push({ ...(broken.triggers[0] as PauseTrigger) });
    (broken.triggers[0] as PauseTrigger).rules = ['no_such_rule'];
    broken.strike_ladder.steps = [{ action: 'slow', throttle_multiplier: 0.5, duration_seconds: 60 }];
    assert.deepEqual(checkPausePolicy(broken, riskRuleIds), [
      'pause.json: /triggers/0/rules: "no_such_rule" is not a rule in risk-rules.json',
      `pause.json: /triggers/${broken.triggers.length - 1}/id: duplicate trigger id "severe_content"`,
      'pause.json: /strike_ladder/steps: the last step must be a pause',
    ]);
  });

  it('pause.json is required and validated at start-up', () => {
    const dir = fs.mkdtempSync('/tmp/warden-pause-policy-');
    try {
      fs.cpSync('policies', dir, { recursive: true });
      const bad = JSON.parse(fs.readFileSync(`${dir}/pause.json`, 'utf8'));
      bad.triggers[3].threshold = 3; // a rate above 1
      delete bad.triggers[4].min_sample;
      fs.writeFileSync(`${dir}/pause.json`, JSON.stringify(bad));
      assert.throws(
        () => loadPolicies(dir),
        (e: Error) =>
          /pause\.json: \/triggers\/3\/threshold: must be <= 1/.test(e.message) &&
          /pause\.json: \/triggers\/4: must have required property 'min_sample'/.test(e.message),
      );
      fs.rmSync(`${dir}/pause.json`);
      assert.throws(() => loadPolicies(dir), /pause\.json: file not found/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
