import type { Transact } from '../db/transactions.ts';
import type { Instance, InstanceStore, ReviewColumns } from '../instances/instance-store.ts';
import type { Clock } from '../lib/clock.ts';
import { moduleLogger } from '../lib/logger.ts';
import type { SendDecision } from '../sending/send-context.ts';
import type { AuditLog } from './audit-log.ts';
import type { PauseEvidenceReader } from './pause-evidence.ts';
import {
  evaluateTrigger,
  ladderPosition,
  type PausePolicy,
  type PauseSignal,
  type PauseTrigger,
  type TriggerEvaluation,
} from './pause-policy.ts';
import type { ReviewService } from './review-service.ts';
import type { StrikeRecord, StrikeStore } from './strike-store.ts';

export { presentStrike } from './pause-evidence.ts';
export type { StrikeRecord } from './strike-store.ts';

const log = moduleLogger('auto-pause');

/** Who the audit log and `paused_by` name for automatic actions. */
export const POLICY_ENGINE = 'policy_engine';

/** Signals the periodic sweep judges (the others are judged as decisions are recorded). */
export const SWEPT_SIGNALS: PauseSignal[] = ['opt_out_rate', 'failure_rate', 'restriction_signals'];

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
  clock: Clock;
  policy: PausePolicy;
  transact: Transact;
  instances: Pick<InstanceStore, 'get' | 'update' | 'reviewColumns' | 'listThrottled'>;
  strikes: StrikeStore;
  evidence: PauseEvidenceReader;
  review: Pick<ReviewService, 'pause'>;
  audit: Pick<AuditLog, 'record' | 'countSince'>;
}

/**
 * Automatic pause-for-review (SPEC §4 `pause.json`, §9): the decision. Decisions that could
 * matter (refused as a policy violation, flagged, failed in transport) are evaluated as they are
 * recorded; rates and WhatsApp restriction signals are swept periodically. A firing trigger is a
 * strike (`strike-store.ts`): the ladder slows the instance down (the send pipeline's throttle
 * multiplier) and finally pauses it through the ReviewService, with an evidence snapshot
 * (`pause-evidence.ts`) for the compliance admin.
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
    const columns =
      instance.reviewThrottleMultiplier !== undefined && instance.reviewThrottleUntil !== undefined
        ? { throttleMultiplier: instance.reviewThrottleMultiplier, throttleUntil: instance.reviewThrottleUntil }
        : await this.deps.instances.reviewColumns(instance.id);
    return activeThrottle(columns, this.now())?.multiplier ?? 1;
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
    const ids = await this.deps.evidence.activeInstanceIds(since);
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
    const meta = await this.deps.instances.reviewColumns(instanceId);
    const triggers = this.deps.policy.triggers.filter((t) => signals === null || signals.includes(t.signal));
    for (const trigger of triggers) {
      const lastStrike = await this.deps.strikes.lastAt(instanceId, trigger.id);
      const since = Math.max(
        now - trigger.window_seconds * 1000,
        lastStrike === null ? 0 : lastStrike + 1,
        meta.lastResumedAt === null ? 0 : meta.lastResumedAt + 1,
      );
      const facts = await this.deps.evidence.facts(instanceId, trigger, since);
      const result = evaluateTrigger(trigger, facts);
      if (!result.fired) continue;
      const paused = await this.strike(instance, trigger, result, meta.lastResumedAt);
      if (paused) break;
    }
    return true;
  }

  // ------------------------------------------------------------------ the ladder

  /** Record a strike and apply its ladder step. Returns true when the instance got paused. */
  private async strike(
    instance: Instance,
    trigger: PauseTrigger,
    result: TriggerEvaluation,
    lastResumedAt: number | null,
  ): Promise<boolean> {
    const { policy } = this.deps;
    const now = this.now();
    const ladderSince = Math.max(
      now - policy.strike_ladder.window_seconds * 1000,
      lastResumedAt === null ? 0 : lastResumedAt + 1,
    );
    const priorStrikes = await this.deps.strikes.countSince(instance.id, ladderSince);
    const recentPauses = await this.deps.audit.countSince(
      { type: 'instance', id: instance.id },
      ['instance.paused', 'instance.auto_paused'],
      now - policy.repeat_pauses.lookback_seconds * 1000,
    );
    const position = ladderPosition(policy, {
      priorStrikes,
      recentPauses,
      triggerAction: trigger.action,
    });
    const step = position.step;
    const strike = {
      instanceId: instance.id,
      accountId: instance.accountId,
      triggerId: trigger.id,
      signal: trigger.signal,
      value: result.value,
      threshold: result.threshold,
      strikeNumber: position.strikeNumber,
      ladderStep: position.stepIndex,
      action: step.action,
      throttleMultiplier: step.action === 'slow' ? step.throttle_multiplier : null,
      expiresAt: step.action === 'slow' ? now + step.duration_seconds * 1000 : null,
      explanation: result.explanation.slice(0, 1000),
      createdAt: now,
    };
    if (step.action === 'slow') {
      await this.deps.transact(async (trx) => {
        await this.deps.strikes.insert(strike, trx);
        await this.deps.instances.update(
          instance.id,
          {
            review_throttle_multiplier: step.throttle_multiplier,
            review_throttle_until: now + step.duration_seconds * 1000,
            updated_at: now,
          },
          trx,
        );
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
    await this.deps.strikes.insert(strike);
    const evidence = await this.deps.evidence.evidence(instance, trigger, result, position, recentPauses, ladderSince);
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

  // ------------------------------------------------------------------ standing (admin)

  async standing(instanceId: string): Promise<ReviewStanding> {
    const meta = await this.deps.instances.reviewColumns(instanceId);
    const now = this.now();
    const strikes = await this.deps.strikes.latest(instanceId, 20);
    const triggers: TriggerEvaluation[] = [];
    for (const trigger of this.deps.policy.triggers) {
      triggers.push(
        evaluateTrigger(
          trigger,
          await this.deps.evidence.facts(instanceId, trigger, now - trigger.window_seconds * 1000),
        ),
      );
    }
    return {
      pauseCount: meta.pauseCount,
      lastResumedAt: meta.lastResumedAt,
      throttle: activeThrottle(meta, now),
      strikes,
      triggers,
    };
  }

  /** Instances currently slowed by the ladder (for the console's dashboard). */
  async slowedInstanceIds(): Promise<Map<string, ReviewThrottle>> {
    const now = this.now();
    const rows = await this.deps.instances.listThrottled(now);
    const out = new Map<string, ReviewThrottle>();
    for (const row of rows) {
      const t = activeThrottle(row, now);
      if (t) out.set(row.id, t);
    }
    return out;
  }
}

function activeThrottle(columns: Pick<ReviewColumns, 'throttleMultiplier' | 'throttleUntil'>, now: number): ReviewThrottle | null {
  const { throttleMultiplier: multiplier, throttleUntil: until } = columns;
  if (multiplier === null || until === null) return null;
  if (until <= now || !(multiplier > 0 && multiplier < 1)) return null;
  return { multiplier, until };
}
