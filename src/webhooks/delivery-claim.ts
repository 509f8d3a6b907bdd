/**
 * The worker's claim: leases due deliveries and reads back everything needed to send them.
 */
import type { Knex } from 'knex';
import { affected, dialectOf, retryOnLockConflict } from '../db/database.ts';
import { DELIVERIES, type DeliveryIdentity, deliveryIdentityFromRow, num } from './delivery-records.ts';

/** A claimed delivery with everything needed to send it (its event, its endpoint), read in one query. */
export interface ClaimedDelivery extends DeliveryIdentity {
  /** Including the attempt about to be made (the claim counts it). */
  attemptNumber: number;
  scheduleOffset: number;
  envelope: string;
  destinationUrl: string;
  secret: string;
  previousSecret: string | null;
  previousSecretExpiresAt: number | null;
  /** The endpoint's failure streak when the row was claimed. */
  endpointFailures: number;
}

/** Live, enabled endpoints: deliveries of any other endpoint are held (or cancelled). */
function activeEndpointIds(db: Knex): Knex.QueryBuilder {
  return db('webhook_endpoints').select('id').where({ enabled: true }).whereNull('deleted_at');
}

export interface ClaimOptions {
  owner: string;
  now: number;
  leaseMs: number;
  limit: number;
  /** Endpoints this worker will not take more of right now (their slots are full). */
  excludeEndpoints?: readonly string[];
}

/**
 * Leases up to `limit` due deliveries for `owner` (a token unique to this claim) and returns
 * them. The UPDATE is conditional on the row still being due and unleased, so two workers
 * racing for the same row cannot both win: on SQLite the single statement runs under the
 * database's write lock; on MySQL/MariaDB the candidates are row-locked with
 * `FOR UPDATE SKIP LOCKED` (so concurrent claimers take disjoint sets instead of queueing) and
 * the UPDATE re-checks the condition on the latest committed row version anyway.
 * The lease also pushes `next_attempt_at` to the lease expiry and counts the attempt.
 */
export async function claimDeliveries(db: Knex, opts: ClaimOptions): Promise<ClaimedDelivery[]> {
  const { owner, now, leaseMs, limit } = opts;
  const exclude = opts.excludeEndpoints ?? [];
  if (limit <= 0) return [];
  const leaseUntil = now + leaseMs;
  const sqlite = dialectOf(db) === 'sqlite';
  const stamp = (trx: Knex, ids: string[]) => {
    const query = trx(DELIVERIES).whereIn('id', ids);
    if (sqlite) {
      // The condition decides races between processes. A unary + keeps SQLite's planner on the
      // primary key for this short id list instead of walking the whole due backlog by index.
      query
        .andWhereRaw('+status = ?', ['pending'])
        .andWhereRaw('+next_attempt_at <= ?', [now])
        .andWhere((q) => q.whereNull('lease_expires_at').orWhere('lease_expires_at', '<=', now));
    }
    // (MySQL: the rows are already locked by our SELECT … FOR UPDATE and known to match.)
    return query.update({
      lease_owner: owner,
      lease_expires_at: leaseUntil,
      next_attempt_at: leaseUntil,
      attempts: trx.raw('attempts + 1'),
      updated_at: now,
    });
  };
  const candidates = (trx: Knex) => {
    const query = trx(DELIVERIES)
      .select('id')
      .where({ status: 'pending' })
      .andWhere('next_attempt_at', '<=', now)
      .whereIn('endpoint_id', activeEndpointIds(trx));
    if (exclude.length > 0) query.whereNotIn('endpoint_id', exclude);
    return query.orderBy('next_attempt_at', 'asc').limit(limit);
  };

  let claimed: number;
  if (sqlite) {
    // Candidates first, then the conditional UPDATE on that literal id list (as one statement
    // with a subquery SQLite scans the whole due backlog). The UPDATE's condition decides who
    // wins a row when several processes claim at once.
    const rows = (await candidates(db)) as { id: string }[];
    if (rows.length === 0) return [];
    claimed = affected(
      await stamp(
        db,
        rows.map((r) => r.id),
      ),
    );
  } else {
    // MySQL/MariaDB: lock the candidates with SELECT … FOR UPDATE SKIP LOCKED, then stamp them,
    // in one READ COMMITTED transaction. The claimer never waits for a lock (rows another claimer
    // or a finalize holds are skipped), so it can never be half of a deadlock; READ COMMITTED
    // takes no gap locks that would block the outbox's inserts. (A single UPDATE … ORDER BY …
    // LIMIT is two round trips shorter but waits on locked rows while holding index locks, and
    // deadlocks with finalizes under load.)
    claimed = await retryOnLockConflict(() =>
      db.transaction(
        async (trx) => {
          const rows = (await candidates(trx).forUpdate().skipLocked()) as {
            id: string;
          }[];
          if (rows.length === 0) return 0;
          return affected(
            await stamp(
              trx,
              rows.map((r) => r.id),
            ),
          );
        },
        { isolationLevel: 'read committed' },
      ),
    );
  }
  if (claimed === 0) return [];
  return readClaimed(db, owner);
}

async function readClaimed(db: Knex, owner: string): Promise<ClaimedDelivery[]> {
  const rows = (await db(`${DELIVERIES} as d`)
    .join('events as ev', 'ev.id', 'd.event_id')
    .join('webhook_endpoints as ep', 'ep.id', 'd.endpoint_id')
    .where('d.lease_owner', owner)
    .select(
      'd.id',
      'd.event_id',
      'd.endpoint_id',
      'd.account_id',
      'd.event_type',
      'd.instance_id',
      'd.message_id',
      'd.attempts',
      'd.schedule_offset',
      'ev.envelope',
      'ep.destination_url',
      'ep.secret',
      'ep.previous_secret',
      'ep.previous_secret_expires_at',
      'ep.consecutive_failures',
    )) as Record<string, unknown>[];
  return rows.map((row) => ({
    ...deliveryIdentityFromRow(row),
    attemptNumber: Number(row.attempts),
    scheduleOffset: Number(row.schedule_offset ?? 0),
    envelope: String(row.envelope),
    destinationUrl: String(row.destination_url),
    secret: String(row.secret),
    previousSecret: (row.previous_secret as string | null) ?? null,
    previousSecretExpiresAt: num(row.previous_secret_expires_at),
    endpointFailures: Number(row.consecutive_failures ?? 0),
  }));
}
