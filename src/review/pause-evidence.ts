import type { Knex } from 'knex';
import { parseJson, toBool } from '../db/database.ts';
import type { Instance, InstanceStore } from '../instances/instance-store.ts';
import type { Clock } from '../lib/clock.ts';
import { maskPhone } from '../lib/logger.ts';
import {
  countsAsRestriction,
  evaluateTrigger,
  flagCounts,
  type LadderPosition,
  maskText,
  type PausePolicy,
  type PauseTrigger,
  type TriggerEvaluation,
  type TriggerFacts,
} from './pause-policy.ts';
import type { RestrictionSignalStore } from './restriction-signal-store.ts';
import type { StrikeRecord, StrikeStore } from './strike-store.ts';
import type { StrikeResponse } from './strike-response.schema.ts';

const SENT_STATUSES = ['sent', 'delivered', 'read', 'played'];
const DAY_MS = 86_400_000;

export function presentStrike(s: StrikeRecord): StrikeResponse {
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

/** What auto-pause reads to judge an instance and to show a reviewer why. */
export interface PauseEvidenceReader {
  /** The facts of one trigger for one instance since `since`. */
  facts(instanceId: string, trigger: PauseTrigger, since: number): Promise<TriggerFacts>;
  /** Instances that sent or were signalled since `since` (what a sweep evaluates). */
  activeInstanceIds(since: number): Promise<Set<string>>;
  /** The snapshot a reviewer reads when a trigger pauses an instance. */
  evidence(
    instance: Instance,
    trigger: PauseTrigger,
    result: TriggerEvaluation,
    position: LadderPosition,
    recentPauses: number,
    ladderSince: number,
  ): Promise<Record<string, unknown>>;
}

/**
 * The evidence read model of pause-for-review: counts and samples over the decision log
 * (`messages`), opt-outs (`inbound_messages`), restriction signals and strikes. It only reads.
 */
export class PauseEvidence implements PauseEvidenceReader {
  constructor(
    private readonly db: Knex,
    private readonly policy: PausePolicy,
    private readonly clock: Clock,
    private readonly strikes: StrikeStore,
    private readonly signals: RestrictionSignalStore,
    private readonly instances: Pick<InstanceStore, 'reviewColumns'>,
  ) {}

  async activeInstanceIds(since: number): Promise<Set<string>> {
    const [sent, signalled] = await Promise.all([
      this.db('messages').distinct('instance_id').whereNotNull('instance_id').andWhere('created_at', '>=', since),
      this.signals.instanceIdsSince(since),
    ]);
    return new Set<string>([...sent.map((r) => String(r.instance_id)), ...signalled]);
  }

  async facts(
    instanceId: string,
    trigger: PauseTrigger,
    since: number,
  ): Promise<TriggerFacts> {
    const db = this.db;
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
        const rows = await this.signals.listSince(instanceId, trigger.signals ?? [], since, 1000);
        const events = rows.filter((r) =>
          countsAsRestriction(trigger, {
            signal: r.signal,
            detail: parseJson<Record<string, unknown> | null>(r.detail, null),
          }),
        ).length;
        return { events };
      }
    }
  }

  /** The snapshot a reviewer reads: what fired, the ladder, rates, rules, scores, masked samples. */
  async evidence(
    instance: Instance,
    trigger: PauseTrigger,
    result: TriggerEvaluation,
    position: LadderPosition,
    recentPauses: number,
    ladderSince: number,
  ): Promise<Record<string, unknown>> {
    const { db, policy } = this;
    const now = this.clock.now().getTime();
    const daySince = now - DAY_MS;
    const columns = ['id', 'recipient', 'purpose', 'text', 'risk_score', 'risk_rules', 'error_code'];
    columns.push('status', 'flagged', 'failure_reason', 'created_at');
    const [strikes, rates, risky, sampleRows, signalRows] = await Promise.all([
      this.strikes.listSince(instance.id, ladderSince, 20),
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
        ? this.signals.listSince(instance.id, trigger.signals ?? [], now - trigger.window_seconds * 1000, 10)
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
    const pauseCount = (await this.instances.reviewColumns(instance.id)).pauseCount;
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
      strikes: strikes.map(presentStrike),
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
            restriction_signals: signalRows.map((r) => ({
              signal: r.signal,
              at: new Date(r.createdAt).toISOString(),
              detail: maskText(r.detail ?? '', 160),
            })),
          }
        : {}),
    };
  }

  /** Which decisions illustrate a trigger: the refusals, the failures, or what opt-outs received. */
  private sampleQuery(instanceId: string, trigger: PauseTrigger, since: number): Knex.QueryBuilder {
    const db = this.db;
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
    const now = this.clock.now().getTime();
    const out: Record<string, unknown> = {};
    for (const trigger of this.policy.triggers) {
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
}
