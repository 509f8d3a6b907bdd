/**
 * `policies/pause.json` as types, and the pure half of automatic pause-for-review: given the
 * counts and rates an instance produced, which trigger fires, on what value, against which
 * threshold, and what the strike ladder does about it. No database, no clock: the
 * AutoPauseService gathers the facts and acts on the result.
 */

export type PauseSignal =
  | 'rule_hits'
  | 'policy_violations'
  | 'flagged_sends'
  | 'opt_out_rate'
  | 'failure_rate'
  | 'restriction_signals';

export const RATE_SIGNALS: readonly PauseSignal[] = ['opt_out_rate', 'failure_rate'];

export interface IgnoreCondition {
  signal: string;
  field: string;
  values: (string | number | boolean | null)[];
}

export interface PauseTrigger {
  id: string;
  signal: PauseSignal;
  description: string;
  /** Shown to the customer; evidence is not. */
  public_reason: string;
  window_seconds: number;
  /** A count (≥) for count signals, a share 0–1 (≥) for rate signals. */
  threshold: number;
  action: 'strike' | 'pause';
  /** Rates: smallest denominator (recipients, attempted sends) that may fire. */
  min_sample?: number;
  /** Rates: smallest numerator (opt-outs, failures) that may fire. */
  min_events?: number;
  /** rule_hits: the risk rule ids that count. */
  rules?: string[];
  /** restriction_signals: the signal names that count. */
  signals?: string[];
  /** restriction_signals: rows that are not restrictions (a lifted time lock, capping "NONE"). */
  ignore?: IgnoreCondition[];
  /** flagged_sends: a flag raised only by these (behaviour) rules does not count. */
  behaviour_rules?: string[];
  /** failure_rate: failure reasons that say nothing about the sender (not connected, crash). */
  exclude_failure_reasons?: string[];
}

export type LadderStep =
  | { action: 'slow'; throttle_multiplier: number; duration_seconds: number }
  | { action: 'pause' };

export interface PausePolicy {
  version: string;
  notes?: string[];
  evaluation: { sweep_interval_seconds: number; sample_messages: number; sample_text_chars: number };
  triggers: PauseTrigger[];
  strike_ladder: { window_seconds: number; steps: LadderStep[] };
  repeat_pauses: { lookback_seconds: number; steps_skipped_per_recent_pause: number };
}

/** What was counted for one trigger. Counts: `events` only; rates: `events` of `sample`. */
export interface TriggerFacts {
  events: number;
  sample?: number;
}

export interface TriggerEvaluation {
  triggerId: string;
  signal: PauseSignal;
  fired: boolean;
  /** The compared value: a count, or a share rounded to 4 decimals. */
  value: number;
  threshold: number;
  unit: 'count' | 'rate';
  events: number;
  sample: number | null;
  windowSeconds: number;
  /** Why a rate did not fire although it was high: too few data points. */
  insufficient: 'sample' | 'events' | null;
  explanation: string;
}

const UNIT_WORDS: Record<PauseSignal, [string, string]> = {
  rule_hits: ['send matching a severe-harm rule', 'sends matching a severe-harm rule'],
  policy_violations: ['send refused as a policy violation', 'sends refused as policy violations'],
  flagged_sends: ['flagged send', 'flagged sends'],
  opt_out_rate: ['opt-out', 'opt-outs'],
  failure_rate: ['failed send', 'failed sends'],
  restriction_signals: ['WhatsApp restriction signal', 'WhatsApp restriction signals'],
};

export function isRateSignal(signal: PauseSignal): boolean {
  return RATE_SIGNALS.includes(signal);
}

export function formatWindow(seconds: number): string {
  if (seconds % 86400 === 0) return seconds === 86400 ? '24 h' : `${seconds / 86400} days`;
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

export function formatPercent(share: number): string {
  const pct = share * 100;
  return `${pct >= 10 || Number.isInteger(pct) ? pct.toFixed(0) : pct.toFixed(1)}%`;
}

/** Evaluate one trigger against the facts gathered for it. Pure and explainable. */
export function evaluateTrigger(trigger: PauseTrigger, facts: TriggerFacts): TriggerEvaluation {
  const [one, many] = UNIT_WORDS[trigger.signal];
  const window = formatWindow(trigger.window_seconds);
  if (isRateSignal(trigger.signal)) {
    const sample = Math.max(0, facts.sample ?? 0);
    const events = Math.max(0, facts.events);
    const rate = sample > 0 ? Math.min(1, events / sample) : 0;
    const value = Math.round(rate * 10_000) / 10_000;
    const minSample = trigger.min_sample ?? 1;
    const minEvents = trigger.min_events ?? 1;
    const insufficient = sample < minSample ? 'sample' : events < minEvents ? 'events' : null;
    const fired = insufficient === null && rate >= trigger.threshold;
    const denominator = trigger.signal === 'opt_out_rate' ? 'recipients' : 'attempted sends';
    let explanation = `${events} ${events === 1 ? one : many} among ${sample} ${denominator}`;
    explanation += ` in the last ${window} = ${formatPercent(rate)} (threshold ${formatPercent(trigger.threshold)}`;
    explanation += `, minimum ${minSample} ${denominator} and ${minEvents} ${minEvents === 1 ? one : many})`;
    if (insufficient === 'sample') explanation += ': too few to judge';
    else if (insufficient === 'events') explanation += `: too few ${many} to judge`;
    return {
      triggerId: trigger.id,
      signal: trigger.signal,
      fired,
      value,
      threshold: trigger.threshold,
      unit: 'rate',
      events,
      sample,
      windowSeconds: trigger.window_seconds,
      insufficient,
      explanation,
    };
  }
  const events = Math.max(0, facts.events);
  return {
    triggerId: trigger.id,
    signal: trigger.signal,
    fired: events >= trigger.threshold,
    value: events,
    threshold: trigger.threshold,
    unit: 'count',
    events,
    sample: null,
    windowSeconds: trigger.window_seconds,
    insufficient: null,
    explanation: `${events} ${events === 1 ? one : many} in the last ${window} (threshold ${trigger.threshold})`,
  };
}

/**
 * Does a flagged send count for a flagged_sends trigger? Only when a rule outside the trigger's
 * behaviour_rules (with a positive weight) contributed: a template fanned out to new recipients
 * is a velocity matter for the throttle, not a reason to pause.
 */
export function flagCounts(trigger: PauseTrigger, rules: { id: string; weight?: number }[]): boolean {
  const behaviour = new Set(trigger.behaviour_rules ?? []);
  return rules.some((r) => !behaviour.has(r.id) && (r.weight ?? 1) > 0);
}

/** Should this restriction-signal row count for the trigger? */
export function countsAsRestriction(
  trigger: PauseTrigger,
  row: { signal: string; detail: Record<string, unknown> | null },
): boolean {
  if (!(trigger.signals ?? []).includes(row.signal)) return false;
  for (const cond of trigger.ignore ?? []) {
    if (cond.signal !== row.signal) continue;
    const value = row.detail?.[cond.field];
    if (cond.values.some((v) => v === value)) return false;
  }
  return true;
}

export interface LadderPosition {
  /** 1-based: this strike's number within the ladder window (since the last resume). */
  strikeNumber: number;
  /** 0-based index into `strike_ladder.steps` after repeat-pause escalation. */
  stepIndex: number;
  /** Steps skipped because the instance was paused recently. */
  skipped: number;
  step: LadderStep;
}

/**
 * Where a new strike lands: the n-th strike in the window takes step n, moved up by the
 * repeat-pause escalation, capped at the last step (which is normally the pause).
 */
export function ladderPosition(
  policy: Pick<PausePolicy, 'strike_ladder' | 'repeat_pauses'>,
  input: { priorStrikes: number; recentPauses: number; triggerAction: 'strike' | 'pause' },
): LadderPosition {
  const steps = policy.strike_ladder.steps;
  const strikeNumber = input.priorStrikes + 1;
  if (input.triggerAction === 'pause')
    return { strikeNumber, stepIndex: steps.length - 1, skipped: 0, step: { action: 'pause' } };
  const skipped = input.recentPauses * policy.repeat_pauses.steps_skipped_per_recent_pause;
  const stepIndex = Math.min(steps.length - 1, input.priorStrikes + skipped);
  return { strikeNumber, stepIndex, skipped, step: steps[stepIndex] as LadderStep };
}

/** Phone-like digit runs in free text are masked; the text is cut to `max` characters. */
export function maskText(text: string | null, max: number): string | null {
  if (text === null) return null;
  const masked = text.replace(/\+?\d[\d\s().-]{4,}\d/g, (run) => {
    const digits = run.replace(/\D/g, '');
    if (digits.length < 6) return run;
    const hidden = '•'.repeat(Math.max(3, digits.length - 4));
    return `${run.startsWith('+') ? '+' : ''}${digits.slice(0, 2)}${hidden}${digits.slice(-2)}`;
  });
  const chars = [...masked];
  return chars.length > max ? `${chars.slice(0, max).join('')}…` : masked;
}

/** What the schema cannot say: unique trigger ids, rule ids that exist, a ladder that ends. */
export function checkPausePolicy(policy: PausePolicy, riskRuleIds: ReadonlySet<string> | null): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  policy.triggers.forEach((t, i) => {
    if (seen.has(t.id)) problems.push(`pause.json: /triggers/${i}/id: duplicate trigger id "${t.id}"`);
    seen.add(t.id);
    if (riskRuleIds)
      for (const key of ['rules', 'behaviour_rules'] as const) {
        for (const rule of t[key] ?? []) {
          if (!riskRuleIds.has(rule))
            problems.push(`pause.json: /triggers/${i}/${key}: "${rule}" is not a rule in risk-rules.json`);
        }
      }
  });
  const steps = policy.strike_ladder.steps;
  if (steps.at(-1)?.action !== 'pause')
    problems.push(`pause.json: /strike_ladder/steps: the last step must be a pause`);
  return problems;
}
