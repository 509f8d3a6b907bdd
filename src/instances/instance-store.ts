import type { Knex } from 'knex';
import { parseJson, toBool } from '../db/database.ts';
import type { InstanceState } from '../transport/transport.ts';
import { prepare, type Prepared, selectRows } from '../db/prepared.ts';

export interface Instance {
  id: string;
  accountId: string;
  name: string;
  state: InstanceState;
  stateReason: string | null;
  phone: string | null;
  lid: string | null;
  defaultCountry: string | null;
  qrRaw: string | null;
  qrExpiresAt: number | null;
  hasSession: boolean;
  paused: boolean;
  pauseReason: string | null;
  pauseEvidence: Record<string, unknown> | null;
  pausedBy: string | null;
  pausedAt: number | null;
  /** The review ladder's slowdown (both null when none was ever set); judged by the auto-pause service. */
  reviewThrottleMultiplier: number | null;
  reviewThrottleUntil: number | null;
  createdAt: number;
  updatedAt: number;
  destroyedAt: number | null;
}

const TABLE = 'instances';

export function instanceFromRow(row: Record<string, unknown>): Instance {
  return {
    id: String(row.id),
    accountId: String(row.account_id),
    name: String(row.name),
    state: String(row.state) as InstanceState,
    stateReason: (row.state_reason as string | null) ?? null,
    phone: (row.phone as string | null) ?? null,
    lid: (row.lid as string | null) ?? null,
    defaultCountry: (row.default_country as string | null) ?? null,
    qrRaw: (row.qr_raw as string | null) ?? null,
    qrExpiresAt: row.qr_expires_at == null ? null : Number(row.qr_expires_at),
    hasSession: toBool(row.has_session),
    paused: toBool(row.paused),
    pauseReason: (row.pause_reason as string | null) ?? null,
    pauseEvidence: parseJson<Record<string, unknown> | null>(row.pause_evidence, null),
    pausedBy: (row.paused_by as string | null) ?? null,
    pausedAt: row.paused_at == null ? null : Number(row.paused_at),
    reviewThrottleMultiplier: row.review_throttle_multiplier == null ? null : Number(row.review_throttle_multiplier),
    reviewThrottleUntil: row.review_throttle_until == null ? null : Number(row.review_throttle_until),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    destroyedAt: row.destroyed_at == null ? null : Number(row.destroyed_at),
  };
}

export interface InstancePatch {
  state?: InstanceState;
  state_reason?: string | null;
  phone?: string | null;
  lid?: string | null;
  qr_raw?: string | null;
  qr_expires_at?: number | null;
  has_session?: boolean;
  live_name?: string | null;
  destroyed_at?: number | null;
  paused?: boolean;
  pause_reason?: string | null;
  pause_evidence?: string | null;
  paused_by?: string | null;
  paused_at?: number | null;
  default_country?: string | null;
  /** The strike ladder's slowdown (null when none) and the last time a person resumed the instance. */
  review_throttle_multiplier?: number | null;
  review_throttle_until?: number | null;
  last_resumed_at?: number | null;
  updated_at: number;
}

/** What pause-for-review keeps on an instance beyond the pause flag. */
export interface ReviewColumns {
  pauseCount: number;
  lastResumedAt: number | null;
  throttleMultiplier: number | null;
  throttleUntil: number | null;
}

function reviewColumnsFromRow(row: Record<string, unknown> | undefined): ReviewColumns {
  return {
    pauseCount: Number(row?.pause_count ?? 0),
    lastResumedAt: row?.last_resumed_at == null ? null : Number(row.last_resumed_at),
    throttleMultiplier: row?.review_throttle_multiplier == null ? null : Number(row.review_throttle_multiplier),
    throttleUntil: row?.review_throttle_until == null ? null : Number(row.review_throttle_until),
  };
}

const REVIEW_COLUMNS = ['pause_count', 'last_resumed_at', 'review_throttle_multiplier', 'review_throttle_until'];

export class InstanceStore {
  /** The send path's instance read, compiled once (see `prepare`). */
  private readonly ownedLive: Prepared<'id' | 'accountId'>;

  constructor(private readonly db: Knex) {
    this.ownedLive = prepare(db, ['id', 'accountId'], (p) =>
      db(TABLE).where({ id: p.id, account_id: p.accountId }).whereNull('destroyed_at').first(),
    );
  }

  async insert(row: Record<string, unknown>): Promise<void> {
    await this.db(TABLE).insert(row);
  }

  /** Scoped by account: another account's instance is indistinguishable from a missing one. */
  async getForAccount(accountId: string, id: string): Promise<Instance | null> {
    const [row] = await selectRows(this.db, this.ownedLive.sql, this.ownedLive.bindings({ id, accountId }));
    return row ? instanceFromRow(row) : null;
  }

  async get(id: string, trx: Knex = this.db): Promise<Instance | null> {
    const row = await trx(TABLE).where({ id }).first();
    return row ? instanceFromRow(row) : null;
  }

  async listForAccount(accountId: string): Promise<Instance[]> {
    const rows = await this.db(TABLE)
      .where({ account_id: accountId })
      .whereNull('destroyed_at')
      .orderBy('created_at');
    return rows.map(instanceFromRow);
  }

  async list(filter: { paused?: boolean; accountId?: string } = {}): Promise<Instance[]> {
    const q = this.db(TABLE).whereNull('destroyed_at');
    if (filter.paused !== undefined) q.andWhere({ paused: filter.paused });
    if (filter.accountId) q.andWhere({ account_id: filter.accountId });
    const rows = await q.orderBy([
      { column: 'paused', order: 'desc' },
      { column: 'paused_at', order: 'desc' },
      'created_at',
    ]);
    return rows.map(instanceFromRow);
  }

  /** Instances whose sessions should come back after a restart. */
  async listRestorable(): Promise<Instance[]> {
    const rows = await this.db(TABLE).whereNull('destroyed_at').andWhere({ has_session: true });
    return rows.map(instanceFromRow);
  }

  async update(id: string, patch: InstancePatch, trx: Knex = this.db): Promise<void> {
    await trx(TABLE).where({ id }).update(patch);
  }

  async delete(id: string): Promise<void> {
    await this.db(TABLE).where({ id }).delete();
  }

  /** Repeat pauses escalate the strike ladder (pause.json `repeat_pauses`). */
  async incrementPauseCount(id: string, trx: Knex = this.db): Promise<void> {
    await trx(TABLE).where({ id }).increment('pause_count', 1);
  }

  /** The review columns of one instance (zeros and nulls for an unknown id). */
  async reviewColumns(id: string): Promise<ReviewColumns> {
    return reviewColumnsFromRow(await this.db(TABLE).where({ id }).first(...REVIEW_COLUMNS));
  }

  /** Live instances with a ladder slowdown that has not ended by `now`. */
  async listThrottled(now: number): Promise<(ReviewColumns & { id: string })[]> {
    const rows = await this.db(TABLE)
      .select('id', ...REVIEW_COLUMNS)
      .whereNull('destroyed_at')
      .andWhere('review_throttle_until', '>', now);
    return rows.map((row) => ({ id: String(row.id), ...reviewColumnsFromRow(row) }));
  }

  async countByState(): Promise<Record<string, number>> {
    const rows = (await this.db(TABLE).select('state').count({ n: '*' }).groupBy('state')) as Record<
      string,
      unknown
    >[];
    return Object.fromEntries(rows.map((r) => [String(r.state), Number(r.n)]));
  }
}
