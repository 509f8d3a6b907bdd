import type { Clock } from '../lib/clock.ts';
import type { AuditInput, AuditLog } from './audit-log.ts';

/** `AuditLog` in memory (the writing part and the counts), for unit tests. */
export class FakeAuditLog implements Pick<AuditLog, 'record' | 'recordNow' | 'countSince'> {
  readonly entries: (AuditInput & { createdAt: number })[] = [];

  constructor(private readonly clock: Clock) {}

  async record(_trx: unknown, entry: AuditInput): Promise<void> {
    this.entries.push({ ...entry, createdAt: this.clock.now().getTime() });
  }

  recordNow(entry: AuditInput): Promise<void> {
    return this.record(null, entry);
  }

  async countSince(target: { type: string; id: string }, actions: string[], since: number): Promise<number> {
    return this.entries.filter(
      (e) =>
        e.targetType === target.type && e.targetId === target.id && actions.includes(e.action) && e.createdAt >= since,
    ).length;
  }
}
