import type { Knex } from 'knex';
import { parseJson } from '../db/database.ts';
import type { Clock } from '../lib/clock.ts';
import type { AuditEntryResponse } from './audit-response.schema.ts';

export interface AuditEntry {
  id: number;
  actor: string;
  action: string;
  targetType: string | null;
  targetId: string | null;
  note: string | null;
  detail: Record<string, unknown> | null;
  createdAt: number;
}

export interface AuditInput {
  actor: string;
  action: string;
  targetType?: string;
  targetId?: string;
  note?: string | null;
  detail?: Record<string, unknown>;
}

/** Append-only record of every admin action: who, what, target, note, when. */
export class AuditLog {
  constructor(
    private readonly db: Knex,
    private readonly clock: Clock,
  ) {}

  async record(
    trx: Knex | Knex.Transaction,
    entry: AuditInput,
  ): Promise<void> {
    await trx('audit_log').insert({
      actor: entry.actor,
      action: entry.action,
      target_type: entry.targetType ?? null,
      target_id: entry.targetId ?? null,
      note: entry.note ?? null,
      detail: entry.detail ? JSON.stringify(entry.detail) : null,
      created_at: this.clock.now().getTime(),
    });
  }

  /** `record` on its own, outside any transaction. */
  recordNow(entry: AuditInput): Promise<void> {
    return this.record(this.db, entry);
  }

  /** How many entries with one of `actions` name the target since `since`. */
  async countSince(target: { type: string; id: string }, actions: string[], since: number): Promise<number> {
    const row = await this.db('audit_log')
      .count({ n: '*' })
      .where({ target_type: target.type, target_id: target.id })
      .whereIn('action', actions)
      .andWhere('created_at', '>=', since)
      .first();
    return Number(row?.n ?? 0);
  }

  async list(filter: {
    limit: number;
    beforeId?: number;
    targetId?: string;
    action?: string;
  }): Promise<AuditEntry[]> {
    const q = this.db('audit_log').orderBy('id', 'desc').limit(filter.limit);
    if (filter.beforeId) q.where('id', '<', filter.beforeId);
    if (filter.targetId) q.where({ target_id: filter.targetId });
    if (filter.action) q.where({ action: filter.action });
    return (await q).map((row) => ({
      id: Number(row.id),
      actor: String(row.actor),
      action: String(row.action),
      targetType: row.target_type ?? null,
      targetId: row.target_id ?? null,
      note: row.note ?? null,
      detail: parseJson(row.detail, null),
      createdAt: Number(row.created_at),
    }));
  }
}

export function presentAudit(e: AuditEntry): AuditEntryResponse {
  return {
    id: e.id,
    actor: e.actor,
    action: e.action,
    target_type: e.targetType,
    target_id: e.targetId,
    note: e.note,
    detail: e.detail,
    created_at: new Date(e.createdAt).toISOString(),
  };
}
