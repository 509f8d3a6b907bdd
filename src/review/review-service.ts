import { ConflictError, InvalidInstanceError } from '../errors/errors.ts';
import type { Transact } from '../db/transactions.ts';
import type { EventOutbox } from '../events/event-outbox.ts';
import type { Instance, InstanceStore } from '../instances/instance-store.ts';
import type { Clock } from '../lib/clock.ts';
import type { AuditLog } from './audit-log.ts';

/**
 * Pause-for-review: a persisted flag on the instance, checked before every send (step 10).
 * Pausing and resuming write the flag, the audit entry and the `instance.paused` /
 * `instance.resumed` event in one transaction.
 */
export class ReviewService {
  constructor(
    private readonly transact: Transact,
    private readonly instances: Pick<InstanceStore, 'get' | 'update' | 'incrementPauseCount'>,
    private readonly outbox: Pick<EventOutbox, 'emit' | 'notify'>,
    private readonly audit: Pick<AuditLog, 'record' | 'recordNow'>,
    private readonly clock: Clock,
  ) {}

  private async load(id: string): Promise<Instance> {
    const instance = await this.instances.get(id);
    if (!instance || instance.destroyedAt !== null) throw new InvalidInstanceError();
    return instance;
  }

  async pause(
    id: string,
    input: { reason: string; by: string; evidence?: Record<string, unknown> | null; automatic?: boolean },
  ): Promise<Instance> {
    const instance = await this.load(id);
    if (instance.paused)
      throw new ConflictError({ reason: 'already_paused' }, 'The instance is already paused for review.');
    const now = this.clock.now().getTime();
    await this.transact(async (trx) => {
      await this.instances.update(
        id,
        {
          paused: true,
          // The column holds 500 characters; the audit entry keeps the full reason.
          pause_reason: input.reason.slice(0, 500),
          pause_evidence: input.evidence ? JSON.stringify(input.evidence) : null,
          paused_by: input.by,
          paused_at: now,
          updated_at: now,
        },
        trx,
      );
      // Repeat pauses escalate the strike ladder (pause.json `repeat_pauses`); the count is shown.
      await this.instances.incrementPauseCount(id, trx);
      await this.audit.record(trx, {
        actor: input.by,
        action: input.automatic ? 'instance.auto_paused' : 'instance.paused',
        targetType: 'instance',
        targetId: id,
        note: input.reason,
        detail: input.evidence ?? undefined,
      });
      await this.outbox.emit(trx, {
        type: 'instance.paused',
        accountId: instance.accountId,
        instanceId: id,
        instanceName: instance.name,
        payload: {
          paused: true,
          reason: input.reason,
          paused_by: input.automatic ? 'policy_engine' : 'compliance_admin',
          paused_at: new Date(now).toISOString(),
        },
      });
    });
    this.outbox.notify();
    return this.load(id);
  }

  async resume(id: string, input: { note: string; by: string }): Promise<Instance> {
    const instance = await this.load(id);
    if (!instance.paused) throw new ConflictError({ reason: 'not_paused' }, 'The instance is not paused.');
    const now = this.clock.now().getTime();
    await this.transact(async (trx) => {
      await this.instances.update(
        id,
        {
          paused: false,
          pause_reason: null,
          pause_evidence: null,
          paused_by: null,
          paused_at: null,
          // A person decided: strikes before now are resolved and the ladder's slowdown is lifted.
          last_resumed_at: now,
          review_throttle_multiplier: null,
          review_throttle_until: null,
          updated_at: now,
        },
        trx,
      );
      await this.audit.record(trx, {
        actor: input.by,
        action: 'instance.resumed',
        targetType: 'instance',
        targetId: id,
        note: input.note,
        detail: { previous_reason: instance.pauseReason, paused_at: instance.pausedAt },
      });
      await this.outbox.emit(trx, {
        type: 'instance.resumed',
        accountId: instance.accountId,
        instanceId: id,
        instanceName: instance.name,
        payload: { paused: false, resumed_at: new Date(now).toISOString() },
      });
    });
    this.outbox.notify();
    return this.load(id);
  }

  /** "Keep paused": the reviewer looked and decided; recorded with a note, nothing changes. */
  async keepPaused(id: string, input: { note: string; by: string }): Promise<Instance> {
    const instance = await this.load(id);
    if (!instance.paused) throw new ConflictError({ reason: 'not_paused' }, 'The instance is not paused.');
    await this.audit.recordNow({
      actor: input.by,
      action: 'instance.kept_paused',
      targetType: 'instance',
      targetId: id,
      note: input.note,
    });
    return instance;
  }
}
