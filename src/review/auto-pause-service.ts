import type { Knex } from 'knex';
import { parseJson, toBool } from '../db/database.ts';
import type { Instance, InstanceStore } from '../instances/instance-store.ts';
import type { Clock } from '../lib/clock.ts';
import { maskPhone, moduleLogger } from '../lib/logger.ts';
import type { SendDecision } from '../sending/send-context.ts';
import type { AuditLog } from './audit-log.ts';
import {
  countsAsRestriction,
  evaluateTrigger,
  flagCounts,
  type LadderPosition,
  ladderPosition,
  maskText,
  type PausePolicy,
  type PauseSignal,
  type PauseTrigger,
  type TriggerEvaluation,
} from './pause-policy.ts';
import type { ReviewService } from './review-service.ts';

const log = moduleLogger('auto-pause');

/** Who the audit log and `paused_by` name for automatic actions. */
export const POLICY_ENGINE = 'policy_engine';

const SENT_STATUSES = ['sent', 'delivered', 'read', 'played'];
/** Signals the periodic sweep judges (the others are judged as decisions are recorded). */
export const SWEPT_SIGNALS: PauseSignal[] = ['opt_out_rate', 'failure_rate', 'restriction_signals'];
const DAY_MS = 86_400_000;

export interface StrikeRecord {
  id: number;
  instanceId: string;
  triggerId: string;
  signal: string;
  value: number;
  threshold: number;
  strikeNumber: number;
  ladderStep: number;
  action: 'slow' | 'pause';
  throttleMultiplier: number | null;
  expiresAt: number | null;
  explanation: string;
  createdAt: number;
}

export interface ReviewThrottle {
  multiplier: number;
  until: number;
}

/** What the admin sees about an instance's standing beyond the pause flag. */
export interface ReviewStanding {
  pauseCount: number;
  lastResumedAt: number | null;
  throttle: ReviewThrottle | null;
  strikes: StrikeRecord[];
  /** Every trigger evaluated now over its full window (not only the evidence since a strike). */
  triggers: TriggerEvaluation[];
}

export interface AutoPauseDeps {
  db: Knex;
  clock: Clock;
  policy: PausePolicy;
  instances: InstanceStore;
  review: ReviewService;
  audit: AuditLog;
}

function strikeFromRow(row: Record<string, unknown>): StrikeRecord {
  return {
    id: Number(row.id),
    instanceId: String(row.instance_id),
    triggerId: String(row.trigger_id),
    signal: String(row.signal),
    value: Number(row.value),
    threshold: Number(row.threshold),
    strikeNumber: Number(row.strike_number),
    ladderStep: Number(row.ladder_step),
    action: String(row.action) as 'slow' | 'pause',
    throttleMultiplier: row.throttle_multiplier == null ? null : Number(row.throttle_multiplier),
    expiresAt: row.expires_at == null ? null : Number(row.expires_at),
    explanation: String(row.explanation),
    createdAt: Number(row.created_at),
  };
}

export function presentStrike(s: StrikeRecord): Record<string, unknown> {
  return {
    id: s.id,
    trigger: s.triggerId,
    signal: s.signal,
    value: s.value,
    threshold: s.threshold,
    strike_number: s.strikeNumber,
    ladder_step: s.ladderStep + 1,
    action: s.action,
    throttle_multiplier: s.throttleMultiplier,
    expires_at: s.expiresAt === null ? null : new Date(s.expiresAt).toISOString(),
    explanation: s.explanation,
    created_at: new Date(s.createdAt).toISOString(),
  };
}

/**
 * Automatic pause-for-review (SPEC §4 `pause.json`, §9). Decisions that could matter (refused as
 * a policy violation, flagged, failed in transport) are evaluated as they are recorded; rates and
 * WhatsApp restriction signals are swept periodically. A firing trigger is a strike: the ladder
 * slows the instance down (the send pipeline's throttle multiplier) and finally pauses it through
 * the ReviewService, with an evidence snapshot for the compliance admin.
 */
export class AutoPauseService {
  /** Evaluations of one instance run one after another, so two refusals never double-strike. */
  private readonly chains = new Map<string, Promise<unknown>>();

  constructor(private readonly deps: AutoPauseDeps) {}

  get policy(): PausePolicy {
    return this.deps.policy;
  }

  private now(): number {
    return this.deps.clock.now().getTime();
  }

  // ------------------------------------------------------------------ hooks

  /** `SendDeps.onDecision`: cheap for ordinary sends (no query at all). Never throws. */
  async onDecision(decision: SendDecision): Promise<void> {
    if (!decision.instanceId) return;
    const signals: PauseSignal[] = [];
    if (decision.errorCode === 'policy_violation') signals.push('rule_hits', 'policy_violations');
    if (decision.flagged) signals.push('rule_hits', 'flagged_sends');
    if (decision.errorCode === 'gateway_send_failed') signals.push('failure_rate');
    if (signals.length === 0) return;
    try {
      await this.evaluate(decision.instanceId, signals);
    } catch (error) {
      log.error('pause trigger evaluation failed', { instance_id: decision.instanceId, error });
    }
  }

  /**
   * `SendDeps.throttleMultiplierFor`: the ladder's slowdown while it lasts, else 1. An instance
   * read whole (the send's own read of its row) carries the columns, and costs no second read.
   */
  async throttleMultiplierFor(
    instance: Pick<Instance, 'id'> & Partial<Pick<Instance, 'reviewThrottleMultiplier' | 'reviewThrottleUntil'>>,
  ): Promise<number> {
    if (instance.reviewThrottleMultiplier !== undefined && instance.reviewThrottleUntil !== undefined) {
      const carried = {
        review_throttle_multiplier: instance.reviewThrottleMultiplier,
        review_throttle_until: instance.reviewThrottleUntil,
      };
      return activeThrottle(carried, this.now())?.multiplier ?? 1;
    }
    const row = await this.deps
      .db('instances')
      .where({ id: instance.id })
      .first('review_throttle_multiplier', 'review_throttle_until');
    return activeThrottle(row, this.now())?.multiplier ?? 1;
  }

  /**
   * Periodic sweep of what can only be judged over time: opt-out and failure rates, and WhatsApp
   * restriction signals (written by the inbound side, not by a send). Refusals and flags are
   * evaluated as they are recorded, on whichever node recorded them. Returns the number of
   * instances evaluated.
   */
  async sweep(signals: PauseSignal[] = SWEPT_SIGNALS): Promise<number> {
    const now = this.now();
    const swept = this.deps.policy.triggers.filter((t) => signals.includes(t.signal));
    if (swept.length === 0) return 0;
    const longest = Math.max(...swept.map((t) => t.window_seconds)) * 1000;
    const since = now - longest;
    const [sent, signalled] = await Promise.all([
      this.deps
        .db('messages')
        .distinct('instance_id')
        .whereNotNull('instance_id')
        .andWhere('created_at', '>=', since),
      this.deps
        .db('instance_restriction_signals')
        .distinct('instance_id')
        .andWhere('created_at', '>=', since),
    ]);
    const ids = new Set<string>([...sent, ...signalled].map((r) => String(r.instance_id)));
    let evaluated = 0;
    for (const id of ids) {
      try {
        if (await this.evaluate(id, signals)) evaluated += 1;
      } catch (error) {
        log.warn('pause sweep failed for an instance', { instance_id: id, error });
      }
    }
    return evaluated;
  }

  /**
   * Evaluate the triggers of the given signals (null = all) for one instance, striking for each
   * that fires until the instance is paused. Returns false when the instance is not eligible.
   */
  evaluate(instanceId: string, signals: PauseSignal[] | null): Promise<boolean> {
    const previous = this.chains.get(instanceId) ?? Promise.resolve();
    const run = previous.catch(() => undefined).then(() => this.evaluateNow(instanceId, signals));
    const tail = run.catch(() => undefined);
    this.chains.set(instanceId, tail);
    void tail.then(() => {
      if (this.chains.get(instanceId) === tail) this.chains.delete(instanceId);
    });
    return run;
  }

  private async evaluateNow(instanceId: string, signals: PauseSignal[] | null): Promise<boolean> {
    const instance = await this.deps.instances.get(instanceId);
    if (!instance || instance.destroyedAt !== null || instance.paused) return false;
    const now = this.now();
    const meta = await this.reviewColumns(instanceId);
    const triggers = this.deps.policy.triggers.filter((t) => signals === null || signals.includes(t.signal));
    for (const trigger of triggers) {
      const lastStrike = await this.deps
        .db('instance_strikes')
        .where({ instance_id: instanceId, trigger_id: trigger.id })
        .max({ at: 'created_at' })
        .first();
      const since = Math.max(
        now - trigger.window_seconds * 1000,
        lastStrike?.at == null ? 0 : Number(lastStrike.at) + 1,
        meta.lastResumedAt === null ? 0 : meta.lastResumedAt + 1,
      );
      const facts = await this.facts(instanceId, trigger, since);
      const result = evaluateTrigger(trigger, facts);
      if (!result.fired) continue;
      const paused = await this.strike(instance, trigger, result, meta.lastResumedAt);
      if (paused) break;
    }
    return true;
  }

  // ------------------------------------------------------------------ facts

  private async facts(
    instanceId: string,
    trigger: PauseTrigger,
    since: number,
  ): Promise<{ events: number; sample?: number }> {
    const db = this.deps.db;
    const count = async (q: Knex.QueryBuilder) => Number(((await q.first()) as { n?: unknown })?.n ?? 0);
    switch (trigger.signal) {
      case 'policy_violations':
        return {
          events: await count(
            db('messages')
              .count({ n: '*' })
              .where({ instance_id: instanceId, error_code: 'policy_violation' })
              .andWhere('created_at', '>=', since),
          ),
        };
      case 'flagged_sends': {
        const rows = await db('messages')
          .select('risk_rules')
          .where({ instance_id: instanceId, flagged: true })
          .andWhere('created_at', '>=', since)
          .limit(1000);
        const hits = (r: { risk_rules: unknown }) => parseJson<{ id: string; weight?: number }[]>(r.risk_rules, []);
        return { events: rows.filter((r) => flagCounts(trigger, hits(r))).length };
      }
      case 'rule_hits': {
        const wanted = new Set(trigger.rules ?? []);
        const rows = await db('messages')
          .select('risk_rules')
          .where({ instance_id: instanceId })
          .andWhere('created_at', '>=', since)
          .andWhere((q) => q.where({ error_code: 'policy_violation' }).orWhere({ flagged: true }))
          .limit(1000);
        const events = rows.filter((r) =>
          parseJson<{ id: string }[]>(r.risk_rules, []).some((hit) => wanted.has(hit.id)),
        ).length;
        return { events };
      }
      case 'opt_out_rate': {
        const recipients = db('messages')
          .distinct('recipient')
          .where({ instance_id: instanceId, outcome: 'allowed' })
          .whereIn('status', SENT_STATUSES)
          .whereNotNull('recipient')
          .andWhere('created_at', '>=', since);
        const sample = await count(
          db('messages')
            .countDistinct({ n: 'recipient' })
            .where({ instance_id: instanceId, outcome: 'allowed' })
            .whereIn('status', SENT_STATUSES)
            .whereNotNull('recipient')
            .andWhere('created_at', '>=', since),
        );
        const events = await count(
          db('inbound_messages')
            .countDistinct({ n: 'from_phone' })
            .where({ instance_id: instanceId, classification: 'opt_out' })
            .andWhere('received_at', '>=', since)
            .whereIn('from_phone', recipients),
        );
        return { events, sample };
      }
      case 'failure_rate': {
        const excluded = trigger.exclude_failure_reasons ?? [];
        const countable = (q: Knex.QueryBuilder) =>
          excluded.length === 0
            ? q
            : q.andWhere((w) => w.whereNull('failure_reason').orWhereNotIn('failure_reason', excluded));
        const events = await count(
          countable(
            db('messages')
              .count({ n: '*' })
              .where({ instance_id: instanceId, status: 'failed', error_code: 'gateway_send_failed' })
              .andWhere('created_at', '>=', since),
          ),
        );
        const sent = await count(
          db('messages')
            .count({ n: '*' })
            .where({ instance_id: instanceId, outcome: 'allowed' })
            .whereIn('status', SENT_STATUSES)
            .andWhere('created_at', '>=', since),
        );
        return { events, sample: sent + events };
      }
      case 'restriction_signals': {
        const rows = await db('instance_restriction_signals')
          .select('signal', 'detail')
          .where({ instance_id: instanceId })
          .whereIn('signal', trigger.signals ?? [])
          .andWhere('created_at', '>=', since)
          .limit(1000);
        const events = rows.filter((r) =>
          countsAsRestriction(trigger, {
            signal: String(r.signal),
            detail: parseJson<Record<string, unknown> | null>(r.detail, null),
          }),
        ).length;
        return { events };
      }
    }
  }

  // ------------------------------------------------------------------ the ladder

  private async reviewColumns(
    instanceId: string,
  ): Promise<{ pauseCount: number; lastResumedAt: number | null; throttle: ReviewThrottle | null }> {
    const row = await this.deps
      .db('instances')
      .where({ id: instanceId })
      .first('pause_count', 'last_resumed_at', 'review_throttle_multiplier', 'review_throttle_until');
    return {
      pauseCount: Number(row?.pause_count ?? 0),
      lastResumedAt: row?.last_resumed_at == null ? null : Number(row.last_resumed_at),
      throttle: activeThrottle(row, this.now()),
    };
  }

  private async recentPauses(instanceId: string, since: number): Promise<number> {
    const row = await this.deps
      .db('audit_log')
      .count({ n: '*' })
      .where({ target_type: 'instance', target_id: instanceId })
      .whereIn('action', ['instance.paused', 'instance.auto_paused'])
      .andWhere('created_at', '>=', since)
      .first();
    return Number(row?.n ?? 0);
  }

  /** Record a strike and apply its ladder step. Returns true when the instance got paused. */
  private async strike(
    instance: Instance,
    trigger: PauseTrigger,
    result: TriggerEvaluation,
    lastResumedAt: number | null,
  ): Promise<boolean> {
    const { db, policy } = this.deps;
    const now = this.now();
    const ladderSince = Math.max(
      now - policy.strike_ladder.window_seconds * 1000,
      lastResumedAt === null ? 0 : lastResumedAt + 1,
    );
    const priorRow = await db('instance_strikes')
      .count({ n: '*' })
      .where({ instance_id: instance.id })
      .andWhere('created_at', '>=', ladderSince)
      .first();
    const recentPauses = await this.recentPauses(instance.id, now - policy.repeat_pauses.lookback_seconds * 1000);
    const position = ladderPosition(policy, {
      priorStrikes: Number(priorRow?.n ?? 0),
      recentPauses,
      triggerAction: trigger.action,
    });
    const step = position.step;
    const row = {
      instance_id: instance.id,
      account_id: instance.accountId,
      trigger_id: trigger.id,
      signal: trigger.signal,
      value: result.value,
      threshold: result.threshold,
      strike_number: position.strikeNumber,
      ladder_step: position.stepIndex,
      action: step.action,
      throttle_multiplier: step.action === 'slow' ? step.throttle_multiplier : null,
      expires_at: step.action === 'slow' ? now + step.duration_seconds * 1000 : null,
      explanation: result.explanation.slice(0, 1000),
      created_at: now,
    };
    if (step.action === 'slow') {
      await db.transaction(async (trx) => {
        await trx('instance_strikes').insert(row);
        await trx('instances').where({ id: instance.id }).update({
          review_throttle_multiplier: step.throttle_multiplier,
          review_throttle_until: now + step.duration_seconds * 1000,
          updated_at: now,
        });
        await this.deps.audit.record(trx, {
          actor: POLICY_ENGINE,
          action: 'instance.slowed',
          targetType: 'instance',
          targetId: instance.id,
          note: trigger.public_reason,
          detail: {
            trigger: trigger.id,
            value: result.value,
            threshold: result.threshold,
            explanation: result.explanation,
            strike_number: position.strikeNumber,
            ladder_step: position.stepIndex + 1,
            throttle_multiplier: step.throttle_multiplier,
            until: new Date(now + step.duration_seconds * 1000).toISOString(),
          },
        });
      });
      log.warn('instance slowed by the strike ladder', {
        instance_id: instance.id,
        trigger: trigger.id,
        multiplier: step.throttle_multiplier,
      });
      return false;
    }
    await db('instance_strikes').insert(row);
    const evidence = await this.evidence(instance, trigger, result, position, recentPauses, ladderSince);
    try {
      await this.deps.review.pause(instance.id, {
        reason: trigger.public_reason,
        by: POLICY_ENGINE,
        automatic: true,
        evidence,
      });
    } catch (error) {
      // Another node (or an admin) paused it first: the strike stays, the pause already holds.
      if ((error as { code?: string }).code !== 'conflict') throw error;
    }
    log.warn('instance paused for review', { instance_id: instance.id, trigger: trigger.id });
    return true;
  }

  // ------------------------------------------------------------------ evidence

  /** The snapshot a reviewer reads: what fired, the ladder, rates, rules, scores, masked samples. */
  async evidence(
    instance: Instance,
    trigger: PauseTrigger,
    result: TriggerEvaluation,
    position: LadderPosition,
    recentPauses: number,
    ladderSince: number,
  ): Promise<Record<string, unknown>> {
    const { db, policy } = this.deps;
    const now = this.now();
    const daySince = now - DAY_MS;
    const columns = ['id', 'recipient', 'purpose', 'text', 'risk_score', 'risk_rules', 'error_code'];
    columns.push('status', 'flagged', 'failure_reason', 'created_at');
    const [strikes, rates, risky, sampleRows, signalRows] = await Promise.all([
      db('instance_strikes')
        .where({ instance_id: instance.id })
        .andWhere('created_at', '>=', ladderSince)
        .orderBy('id', 'asc')
        .limit(20),
      this.rates(instance.id),
      // Rules and scores: every refused or flagged decision of the last 24 h.
      db('messages')
        .select('risk_score', 'risk_rules')
        .where({ instance_id: instance.id })
        .andWhere('created_at', '>=', daySince)
        .andWhere((q) => q.where({ error_code: 'policy_violation' }).orWhere({ flagged: true }))
        .orderBy('id', 'desc')
        .limit(500),
      this.sampleQuery(instance.id, trigger, now - trigger.window_seconds * 1000)
        .select(columns)
        .orderBy('id', 'desc')
        .limit(policy.evaluation.sample_messages),
      trigger.signal === 'restriction_signals'
        ? db('instance_restriction_signals')
            .select('signal', 'detail', 'created_at')
            .where({ instance_id: instance.id })
            .whereIn('signal', trigger.signals ?? [])
            .andWhere('created_at', '>=', now - trigger.window_seconds * 1000)
            .orderBy('id', 'desc')
            .limit(10)
        : Promise.resolve([]),
    ]);
    const ruleCounts = new Map<string, number>();
    const scores: number[] = [];
    for (const d of risky) {
      if (d.risk_score != null) scores.push(Number(d.risk_score));
      for (const hit of parseJson<{ id: string }[]>(d.risk_rules, [])) {
        ruleCounts.set(hit.id, (ruleCounts.get(hit.id) ?? 0) + 1);
      }
    }
    const textChars = policy.evaluation.sample_text_chars;
    const samples = sampleRows.map((d: Record<string, unknown>) => ({
      log_id: Number(d.id),
      at: new Date(Number(d.created_at)).toISOString(),
      recipient: d.recipient ? maskPhone(String(d.recipient)) : null,
      purpose: (d.purpose as string | null) ?? null,
      text: maskText((d.text as string | null) ?? null, textChars),
      status: String(d.status),
      risk_score: d.risk_score == null ? null : Number(d.risk_score),
      rules: parseJson<{ id: string }[]>(d.risk_rules, []).map((r) => r.id),
      error: (d.error_code as string | null) ?? null,
      flagged: toBool(d.flagged),
      failure_reason: (d.failure_reason as string | null) ?? null,
    }));
    const pauseCount = (await this.reviewColumns(instance.id)).pauseCount;
    return {
      policy_version: policy.version,
      evaluated_at: new Date(now).toISOString(),
      trigger: {
        id: trigger.id,
        signal: trigger.signal,
        description: trigger.description,
        action: trigger.action,
        value: result.value,
        threshold: result.threshold,
        unit: result.unit,
        events: result.events,
        sample: result.sample,
        window_seconds: result.windowSeconds,
        explanation: result.explanation,
      },
      ladder: {
        strike_number: position.strikeNumber,
        step: position.stepIndex + 1,
        steps: policy.strike_ladder.steps.length,
        steps_skipped_for_repeat_pauses: position.skipped,
        recent_pauses: recentPauses,
        recent_pauses_lookback_seconds: policy.repeat_pauses.lookback_seconds,
        // This pause included.
        pause_count: pauseCount + 1,
      },
      strikes: strikes.map((s) => presentStrike(strikeFromRow(s))),
      rates,
      rules: [...ruleCounts.entries()]
        .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
        .map(([id, count]) => ({ id, count })),
      scores: {
        decisions: risky.length,
        max: scores.length ? Math.max(...scores) : null,
        average: scores.length ? Math.round(scores.reduce((a, b) => a + b, 0) / scores.length) : null,
      },
      samples,
      ...(signalRows.length > 0
        ? {
            restriction_signals: signalRows.map((r: Record<string, unknown>) => ({
              signal: String(r.signal),
              at: new Date(Number(r.created_at)).toISOString(),
              detail: maskText(String(r.detail ?? ''), 160),
            })),
          }
        : {}),
    };
  }

  /** Which decisions illustrate a trigger: the refusals, the failures, or what opt-outs received. */
  private sampleQuery(instanceId: string, trigger: PauseTrigger, since: number): Knex.QueryBuilder {
    const db = this.deps.db;
    const q = db('messages').where({ instance_id: instanceId }).andWhere('created_at', '>=', since);
    switch (trigger.signal) {
      case 'failure_rate':
        return q.andWhere({ status: 'failed' });
      case 'opt_out_rate':
        return q.andWhere({ outcome: 'allowed' }).whereIn(
          'recipient',
          db('inbound_messages')
            .distinct('from_phone')
            .where({ instance_id: instanceId, classification: 'opt_out' })
            .andWhere('received_at', '>=', since)
            .whereNotNull('from_phone'),
        );
      case 'restriction_signals':
        return q.andWhere({ outcome: 'allowed' });
      default:
        return q.andWhere((w) => w.where({ error_code: 'policy_violation' }).orWhere({ flagged: true }));
    }
  }

  /** Headline rates over each trigger's full window, for evidence and the console. */
  async rates(instanceId: string): Promise<Record<string, unknown>> {
    const now = this.now();
    const out: Record<string, unknown> = {};
    for (const trigger of this.deps.policy.triggers) {
      if (out[trigger.signal] !== undefined && trigger.signal !== 'restriction_signals') continue;
      const facts = await this.facts(instanceId, trigger, now - trigger.window_seconds * 1000);
      const evaluation = evaluateTrigger(trigger, facts);
      const entry = {
        value: evaluation.value,
        events: evaluation.events,
        sample: evaluation.sample,
        threshold: evaluation.threshold,
        window_seconds: evaluation.windowSeconds,
        explanation: evaluation.explanation,
      };
      if (trigger.signal === 'restriction_signals') out[`restriction_signals:${trigger.id}`] = entry;
      else out[trigger.signal] = entry;
    }
    return out;
  }

  // ------------------------------------------------------------------ standing (admin)

  async standing(instanceId: string): Promise<ReviewStanding> {
    const meta = await this.reviewColumns(instanceId);
    const now = this.now();
    const rows = await this.deps
      .db('instance_strikes')
      .where({ instance_id: instanceId })
      .orderBy('id', 'desc')
      .limit(20);
    const triggers: TriggerEvaluation[] = [];
    for (const trigger of this.deps.policy.triggers) {
      triggers.push(
        evaluateTrigger(trigger, await this.facts(instanceId, trigger, now - trigger.window_seconds * 1000)),
      );
    }
    return {
      pauseCount: meta.pauseCount,
      lastResumedAt: meta.lastResumedAt,
      throttle: meta.throttle,
      strikes: rows.map(strikeFromRow),
      triggers,
    };
  }

  /** Instances currently slowed by the ladder (for the console's dashboard). */
  async slowedInstanceIds(): Promise<Map<string, ReviewThrottle>> {
    const now = this.now();
    const rows = await this.deps
      .db('instances')
      .select('id', 'review_throttle_multiplier', 'review_throttle_until')
      .whereNull('destroyed_at')
      .andWhere('review_throttle_until', '>', now);
    const out = new Map<string, ReviewThrottle>();
    for (const row of rows) {
      const t = activeThrottle(row, now);
      if (t) out.set(String(row.id), t);
    }
    return out;
  }
}

function activeThrottle(row: Record<string, unknown> | undefined, now: number): ReviewThrottle | null {
  if (!row || row.review_throttle_multiplier == null || row.review_throttle_until == null) return null;
  const until = Number(row.review_throttle_until);
  const multiplier = Number(row.review_throttle_multiplier);
  if (until <= now || !(multiplier > 0 && multiplier < 1)) return null;
  return { multiplier, until };
}
