/**
 * Persistence for the outbox's delivery side: the lease-based claim the worker runs
 * (delivery-claim.ts), the fenced finalize (delivery-finalize.ts), giving leases back, and the
 * listing / replay queries of the API. The row shapes and delivery states are in
 * delivery-records.ts.
 */
import type { Knex } from 'knex';
import { affected, dialectOf, toBool } from '../db/database.ts';
import { claimDeliveries, type ClaimOptions, type ClaimedDelivery } from './delivery-claim.ts';
import { finalizeAttempts, type AttemptRecord, type FinalState, type FinalizeItem } from './delivery-finalize.ts';
import {
  ATTEMPTS,
  DELIVERIES,
  attemptFromRow,
  deliveryFromRow,
  type Attempt,
  type Delivery,
  type DeliveryStatus,
} from './delivery-records.ts';

export class WebhookDeliveryStore {
  /**
   * Claims / finalizes worth running at once: SQLite has one connection (more would only queue),
   * a MySQL pool serves several.
   */
  readonly parallelism: number;

  constructor(private readonly db: Knex) {
    this.parallelism = dialectOf(db) === 'sqlite' ? 1 : 2;
  }

  /** Leases up to `opts.limit` due deliveries for `opts.owner` (see claimDeliveries). */
  claim(opts: ClaimOptions): Promise<ClaimedDelivery[]> {
    return claimDeliveries(this.db, opts);
  }

  /**
   * Records the attempt and moves the delivery on, fenced by the lease: if another node reclaimed
   * the row (our lease expired), the attempt is still logged (it happened) but the state change is
   * not applied, and false is returned so the caller does not touch the endpoint's counters.
   */
  async finalize(
    delivery: ClaimedDelivery,
    owner: string,
    state: FinalState,
    attempt: AttemptRecord,
  ): Promise<boolean> {
    const [fenced] = await this.finalizeMany([{ delivery, owner, state, attempt }]);
    return fenced === true;
  }
  /** `finalize` for many attempts in one transaction (see finalizeAttempts). */
  finalizeMany(items: readonly FinalizeItem[]): Promise<boolean[]> {
    return finalizeAttempts(this.db, items);
  }

  /** Gives a claimed row back unsent (its endpoint's slots are full): due again now, attempt uncounted. */
  async release(deliveryId: string, owner: string, now: number): Promise<void> {
    await this.db(DELIVERIES)
      .where({ id: deliveryId, lease_owner: owner })
      .update({
        lease_owner: null,
        lease_expires_at: null,
        next_attempt_at: now,
        attempts: this.db.raw('attempts - 1'),
        updated_at: now,
      });
  }

  /**
   * After a restart, leases this node held in its previous life can be given back at once
   * instead of waiting for them to expire. Only safe when `nodePrefix` is unique to this node
   * (an explicit NODE_ID, or the single-process SQLite deployment).
   */
  async releaseStaleLeases(nodePrefix: string, currentPrefix: string, now: number): Promise<number> {
    return affected(
      await this.db(DELIVERIES)
        .where({ status: 'pending' })
        .whereNotNull('lease_owner')
        .andWhereRaw('substr(lease_owner, 1, ?) = ?', [nodePrefix.length, nodePrefix])
        .andWhereRaw('substr(lease_owner, 1, ?) <> ?', [currentPrefix.length, currentPrefix])
        .update({ lease_owner: null, lease_expires_at: null, next_attempt_at: now, updated_at: now }),
    );
  }

  async getForAccount(accountId: string, id: string): Promise<Delivery | null> {
    const row = await this.db(DELIVERIES).where({ id, account_id: accountId }).first();
    return row ? deliveryFromRow(row) : null;
  }

  async listForEndpoint(
    endpointId: string,
    opts: { status?: DeliveryStatus | undefined; limit: number; offset: number },
  ): Promise<Delivery[]> {
    const query = this.db(DELIVERIES).where({ endpoint_id: endpointId });
    if (opts.status) query.andWhere({ status: opts.status });
    const rows = await query
      .orderBy([
        { column: 'created_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .limit(opts.limit)
      .offset(opts.offset);
    return rows.map(deliveryFromRow);
  }

  async attemptsFor(deliveryIds: string[]): Promise<Map<string, Attempt[]>> {
    const byDelivery = new Map<string, Attempt[]>();
    if (deliveryIds.length === 0) return byDelivery;
    const rows = await this.db(ATTEMPTS).whereIn('delivery_id', deliveryIds).orderBy('id', 'asc');
    for (const row of rows) {
      const attempt = attemptFromRow(row);
      const list = byDelivery.get(attempt.deliveryId) ?? [];
      list.push(attempt);
      byDelivery.set(attempt.deliveryId, list);
    }
    return byDelivery;
  }

  /**
   * Puts finished deliveries back in the queue with the same id (= request id). They get the
   * whole retry schedule again; attempt numbers keep counting so history is never rewritten.
   * Rows that are pending (queued or in flight) are left alone.
   */
  async requeue(ids: string[], now: number, trx: Knex = this.db): Promise<number> {
    let total = 0;
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      total += affected(
        await trx(DELIVERIES)
          .whereIn('id', chunk)
          .whereIn('status', ['succeeded', 'failed'])
          .update({
            status: 'pending',
            next_attempt_at: now,
            schedule_offset: trx.raw('attempts'),
            lease_owner: null,
            lease_expires_at: null,
            completed_at: null,
            updated_at: now,
          }),
      );
    }
    return total;
  }

  /** Failed deliveries of one endpoint created in [since, until), oldest first, at most `max`. */
  async failedIdsSince(endpointId: string, since: number, until: number, max: number): Promise<string[]> {
    const rows = (await this.db(DELIVERIES)
      .select('id')
      .where({ endpoint_id: endpointId, status: 'failed' })
      .andWhere('created_at', '>=', since)
      .andWhere('created_at', '<', until)
      .orderBy('created_at', 'asc')
      .limit(max)) as { id: string }[];
    return rows.map((r) => r.id);
  }

  /** The id of a delivery of `eventId` (the request id of a one-endpoint test event), or null. */
  async firstIdForEvent(eventId: string): Promise<string | null> {
    const row = (await this.db(DELIVERIES).where({ event_id: eventId }).select('id').first()) as { id: string } | undefined;
    return row?.id ?? null;
  }

  /** The endpoint was deleted: its queued deliveries will never be sent. */
  async cancelPending(endpointId: string, now: number, trx: Knex = this.db): Promise<number> {
    return affected(
      await trx(DELIVERIES)
        .where({ endpoint_id: endpointId, status: 'pending' })
        .update({
          status: 'cancelled',
          completed_at: now,
          updated_at: now,
          lease_owner: null,
          lease_expires_at: null,
        }),
    );
  }

  /** Deliveries waiting (due or scheduled), for the metrics feature's outbox-depth gauge. */
  async pendingCount(): Promise<number> {
    const row = (await this.db(DELIVERIES).where({ status: 'pending' }).count({ n: '*' }).first()) as
      | { n: number | string }
      | undefined;
    return Number(row?.n ?? 0);
  }

  async endpointEnabled(endpointId: string): Promise<boolean> {
    const row = await this.db('webhook_endpoints').where({ id: endpointId }).select('enabled').first();
    return row ? toBool(row.enabled) : false;
  }
}
