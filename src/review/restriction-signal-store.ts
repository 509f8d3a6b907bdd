import type { Knex } from 'knex';

const TABLE = 'instance_restriction_signals';

/** A restriction WhatsApp reported for an instance (463 acks, capping, reach-out time locks). */
export interface RestrictionSignal {
  signal: string;
  /** The signal's detail as stored (JSON text), or null. */
  detail: string | null;
  createdAt: number;
}

export interface NewRestrictionSignal {
  accountId: string;
  instanceId: string;
  signal: string;
  detail: Record<string, unknown>;
  at: number;
}

/** `instance_restriction_signals`: written by the inbound side, judged by auto-pause. */
export interface RestrictionSignalStore {
  record(input: NewRestrictionSignal): Promise<void>;
  /** Instances with a signal since `since`. */
  instanceIdsSince(since: number): Promise<string[]>;
  /** The instance's signals of the given kinds since `since`, newest first. */
  listSince(instanceId: string, signals: string[], since: number, limit: number): Promise<RestrictionSignal[]>;
}

export class DbRestrictionSignalStore implements RestrictionSignalStore {
  constructor(private readonly db: Knex) {}

  async record(input: NewRestrictionSignal): Promise<void> {
    await this.db(TABLE).insert({
      account_id: input.accountId,
      instance_id: input.instanceId,
      signal: input.signal.slice(0, 60),
      detail: JSON.stringify(input.detail),
      created_at: input.at,
    });
  }

  async instanceIdsSince(since: number): Promise<string[]> {
    const rows = await this.db(TABLE).distinct('instance_id').andWhere('created_at', '>=', since);
    return rows.map((r) => String(r.instance_id));
  }

  async listSince(instanceId: string, signals: string[], since: number, limit: number): Promise<RestrictionSignal[]> {
    const rows = await this.db(TABLE)
      .select('signal', 'detail', 'created_at')
      .where({ instance_id: instanceId })
      .whereIn('signal', signals)
      .andWhere('created_at', '>=', since)
      .orderBy('id', 'desc')
      .limit(limit);
    return rows.map((r) => ({
      signal: String(r.signal),
      detail: r.detail == null ? null : String(r.detail),
      createdAt: Number(r.created_at),
    }));
  }
}
