import type { Knex } from 'knex';

const TABLE = 'instance_strikes';

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

export type NewStrike = Omit<StrikeRecord, 'id'> & { accountId: string };

function fromRow(row: Record<string, unknown>): StrikeRecord {
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

/** The strike ladder's record (`instance_strikes`): one row per trigger that fired. */
export interface StrikeStore {
  insert(strike: NewStrike, trx?: Knex): Promise<void>;
  /** When `triggerId` last struck the instance, or null. */
  lastAt(instanceId: string, triggerId: string): Promise<number | null>;
  countSince(instanceId: string, since: number): Promise<number>;
  /** The instance's strikes since `since`, oldest first. */
  listSince(instanceId: string, since: number, limit: number): Promise<StrikeRecord[]>;
  /** The instance's latest strikes, newest first. */
  latest(instanceId: string, limit: number): Promise<StrikeRecord[]>;
}

export class DbStrikeStore implements StrikeStore {
  constructor(private readonly db: Knex) {}

  async insert(s: NewStrike, trx: Knex = this.db): Promise<void> {
    await trx(TABLE).insert({
      instance_id: s.instanceId,
      account_id: s.accountId,
      trigger_id: s.triggerId,
      signal: s.signal,
      value: s.value,
      threshold: s.threshold,
      strike_number: s.strikeNumber,
      ladder_step: s.ladderStep,
      action: s.action,
      throttle_multiplier: s.throttleMultiplier,
      expires_at: s.expiresAt,
      explanation: s.explanation,
      created_at: s.createdAt,
    });
  }

  async lastAt(instanceId: string, triggerId: string): Promise<number | null> {
    const row = await this.db(TABLE)
      .where({ instance_id: instanceId, trigger_id: triggerId })
      .max({ at: 'created_at' })
      .first();
    return row?.at == null ? null : Number(row.at);
  }

  async countSince(instanceId: string, since: number): Promise<number> {
    const row = await this.db(TABLE)
      .count({ n: '*' })
      .where({ instance_id: instanceId })
      .andWhere('created_at', '>=', since)
      .first();
    return Number(row?.n ?? 0);
  }

  async listSince(instanceId: string, since: number, limit: number): Promise<StrikeRecord[]> {
    const rows = await this.db(TABLE)
      .where({ instance_id: instanceId })
      .andWhere('created_at', '>=', since)
      .orderBy('id', 'asc')
      .limit(limit);
    return rows.map(fromRow);
  }

  async latest(instanceId: string, limit: number): Promise<StrikeRecord[]> {
    const rows = await this.db(TABLE).where({ instance_id: instanceId }).orderBy('id', 'desc').limit(limit);
    return rows.map(fromRow);
  }
}
