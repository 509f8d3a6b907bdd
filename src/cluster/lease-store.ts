import type { Knex } from 'knex';
import { dialectOf } from '../db/database.ts';
import { randomToken } from '../lib/ids.ts';

/**
 * The database side of instance ownership (SPEC §12). Every expiry is computed by the database
 * from its own clock (`dbNow`), never from a node's clock, so nodes with skewed clocks agree on
 * who owns what. Every claim, renewal and release is one conditional UPDATE; its affected-row
 * count says whether it happened.
 */
export interface Lease {
  instanceId: string;
  ownerNode: string | null;
  generation: number;
  expiresAt: number;
}

export interface NodeRow {
  id: string;
  url: string;
  startedAt: number;
  heartbeatAt: number;
  draining: boolean;
  alive: boolean;
  instances: number;
}

export interface LiveOwner {
  nodeId: string;
  url: string;
  generation: number;
}

/** Thrown inside a write transaction whose instance lease is no longer this node's. */
export class LeaseLostError extends Error {
  constructor(readonly instanceId: string) {
    super(`lease of ${instanceId} is no longer held by this node`);
    this.name = 'LeaseLostError';
  }
}

export class LeaseStore {
  /** Epoch milliseconds on the database clock, as an SQL expression. */
  readonly nowSql: string;

  constructor(private readonly db: Knex) {
    this.nowSql =
      dialectOf(db) === 'mysql'
        ? 'CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS SIGNED)'
        : "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)";
  }

  private now(): Knex.Raw {
    return this.db.raw(this.nowSql);
  }

  async dbNow(): Promise<number> {
    const row = (await this.db.select(this.db.raw(`${this.nowSql} as now`)).first()) as { now: unknown };
    return Number(row.now);
  }

  async heartbeat(node: { id: string; url: string; draining: boolean }): Promise<void> {
    const updated = await this.db('cluster_nodes')
      .where({ id: node.id })
      .update({ url: node.url, heartbeat_at: this.now(), draining: node.draining });
    if (updated === 0)
      await this.db('cluster_nodes')
        .insert({ id: node.id, url: node.url, started_at: this.now(), heartbeat_at: this.now(), draining: node.draining })
        .onConflict('id')
        .merge(['url', 'heartbeat_at', 'draining']);
  }

  /** Live, not draining nodes (heartbeat younger than `ttlMs` on the database clock). */
  async countLiveNodes(ttlMs: number): Promise<number> {
    const row = (await this.db('cluster_nodes')
      .where('draining', false)
      .andWhere('heartbeat_at', '>', this.db.raw(`${this.nowSql} - ?`, [ttlMs]))
      .count({ n: '*' })
      .first()) as { n: unknown };
    return Number(row.n);
  }

  async listNodes(ttlMs: number): Promise<NodeRow[]> {
    const now = await this.dbNow();
    const nodes = await this.db('cluster_nodes').orderBy('id');
    const held = (await this.db('instance_leases as l')
      .join('instances as i', 'i.id', 'l.instance_id')
      .whereNull('i.destroyed_at')
      .whereNotNull('l.owner_node')
      .andWhere('l.expires_at', '>', now)
      .select('l.owner_node')
      .count({ n: '*' })
      .groupBy('l.owner_node')) as { owner_node: string; n: unknown }[];
    const counts = new Map(held.map((r) => [r.owner_node, Number(r.n)]));
    return nodes.map((r) => {
      const heartbeatAt = Number(r.heartbeat_at);
      const draining = Boolean(Number(r.draining));
      return {
        id: String(r.id),
        url: String(r.url),
        startedAt: Number(r.started_at),
        heartbeatAt,
        draining,
        alive: !draining && heartbeatAt > now - ttlMs,
        instances: counts.get(String(r.id)) ?? 0,
      };
    });
  }

  /** Instances that are not destroyed (each needs an owner). */
  async countInstances(): Promise<number> {
    const row = (await this.db('instances').whereNull('destroyed_at').count({ n: '*' }).first()) as { n: unknown };
    return Number(row.n);
  }

  /** Give every live instance a lease row (unowned) so claims are always conditional UPDATEs. */
  async ensureLeaseRows(): Promise<void> {
    const missing = (await this.db('instances as i')
      .leftJoin('instance_leases as l', 'l.instance_id', 'i.id')
      .whereNull('i.destroyed_at')
      .whereNull('l.instance_id')
      .select('i.id')
      .limit(500)) as { id: string }[];
    if (missing.length === 0) return;
    await this.db('instance_leases')
      .insert(missing.map((m) => ({ instance_id: m.id, owner_node: null, generation: 0, expires_at: 0 })))
      .onConflict('instance_id')
      .ignore();
  }

  /** Free instances: no owner, or the owner's lease ran out. */
  async claimable(limit: number): Promise<string[]> {
    const rows = (await this.db('instance_leases as l')
      .join('instances as i', 'i.id', 'l.instance_id')
      .whereNull('i.destroyed_at')
      .andWhere((q) => q.whereNull('l.owner_node').orWhere('l.expires_at', '<=', this.now()))
      .select('l.instance_id')
      .limit(limit)) as { instance_id: string }[];
    return rows.map((r) => r.instance_id);
  }

  /** Take a free instance; the generation grows. Returns the new generation, or null if lost the race. */
  async claim(instanceId: string, nodeId: string, leaseMs: number): Promise<number | null> {
    const n = await this.db('instance_leases')
      .where({ instance_id: instanceId })
      .andWhere((q) => q.whereNull('owner_node').orWhere('expires_at', '<=', this.now()))
      .update({
        owner_node: nodeId,
        generation: this.db.raw('generation + 1'),
        expires_at: this.db.raw(`${this.nowSql} + ?`, [leaseMs]),
      });
    if (n !== 1) return null;
    const row = await this.db('instance_leases').where({ instance_id: instanceId, owner_node: nodeId }).first();
    return row ? Number(row.generation) : null;
  }

  /** A new instance created on this node: its lease row, owned by this node from the start. */
  async claimNew(instanceId: string, nodeId: string, leaseMs: number): Promise<number | null> {
    await this.db('instance_leases')
      .insert({ instance_id: instanceId, owner_node: null, generation: 0, expires_at: 0 })
      .onConflict('instance_id')
      .ignore();
    return this.claim(instanceId, nodeId, leaseMs);
  }

  /** Extend every unexpired lease of this node; returns the leases it still holds. */
  async renew(nodeId: string, leaseMs: number): Promise<Map<string, number>> {
    await this.db('instance_leases')
      .where({ owner_node: nodeId })
      .andWhere('expires_at', '>', this.now())
      .update({ expires_at: this.db.raw(`${this.nowSql} + ?`, [leaseMs]) });
    const rows = (await this.db('instance_leases')
      .where({ owner_node: nodeId })
      .andWhere('expires_at', '>', this.now())
      .select('instance_id', 'generation')) as { instance_id: string; generation: unknown }[];
    return new Map(rows.map((r) => [r.instance_id, Number(r.generation)]));
  }

  /** Hand an instance back (graceful): only if this node still holds that generation. */
  async release(instanceId: string, nodeId: string, generation: number): Promise<boolean> {
    const n = await this.db('instance_leases')
      .where({ instance_id: instanceId, owner_node: nodeId, generation })
      .update({ owner_node: null, expires_at: 0 });
    return n === 1;
  }

  /** The current live owner of an instance, if any. */
  async liveOwner(instanceId: string): Promise<LiveOwner | null> {
    const row = await this.db('instance_leases as l')
      .join('cluster_nodes as n', 'n.id', 'l.owner_node')
      .where('l.instance_id', instanceId)
      .andWhere('l.expires_at', '>', this.now())
      .select('l.owner_node', 'l.generation', 'n.url')
      .first();
    return row ? { nodeId: String(row.owner_node), url: String(row.url), generation: Number(row.generation) } : null;
  }

  async ownerOf(instanceId: string): Promise<string | null> {
    const row = await this.db('instance_leases')
      .where('instance_id', instanceId)
      .andWhere('expires_at', '>', this.now())
      .select('owner_node')
      .first();
    return row?.owner_node ? String(row.owner_node) : null;
  }

  /**
   * The fence: inside `trx`, lock the lease row and check that this node still holds this
   * generation and that it has not expired. A takeover (which must UPDATE the same row) waits
   * for `trx` to finish, so a write that passed the fence happened while the lease was held.
   */
  async assertHeld(trx: Knex, instanceId: string, nodeId: string, generation: number): Promise<void> {
    const q = trx('instance_leases')
      .where({ instance_id: instanceId, owner_node: nodeId, generation })
      .andWhere('expires_at', '>', this.now())
      .select('instance_id')
      .first();
    const row = dialectOf(this.db) === 'mysql' ? await q.forUpdate() : await q;
    if (!row) throw new LeaseLostError(instanceId);
  }

  /** The cluster secret: CLUSTER_SECRET, or one generated once and stored with the settings. */
  async clusterSecret(configured: string | null, now: number): Promise<string> {
    if (configured) return configured;
    const existing = await this.db('settings').where({ key: 'cluster_secret' }).first();
    if (existing) return String(existing.value);
    await this.db('settings')
      .insert({ key: 'cluster_secret', value: `wdn_cluster_${randomToken(32)}`, updated_at: now })
      .onConflict('key')
      .ignore();
    const row = await this.db('settings').where({ key: 'cluster_secret' }).first();
    return String(row.value);
  }
}
