import type { Knex } from 'knex';
import { affected, dialectOf, retryOnLockConflict, toBool } from '../db/database.ts';

/**
 * Persistence for the outbox's delivery side: the lease-based claim the worker runs, the fenced
 * finalize, the attempt log, and the listing / replay queries of the API.
 *
 * Delivery states: `pending` (due at `next_attempt_at`; while leased, `next_attempt_at` is pushed
 * to the lease expiry so the claim's index range skips it and a crashed node's rows come due again
 * on their own), `succeeded`, `failed` (kept and replayable), `cancelled` (its endpoint was
 * deleted). A pending delivery whose endpoint is disabled is "held": it is never claimed until the
 * endpoint is re-enabled.
 */
export type DeliveryStatus = 'pending' | 'succeeded' | 'failed' | 'cancelled';
export const DELIVERY_STATUSES: readonly DeliveryStatus[] = ['pending', 'succeeded', 'failed', 'cancelled'];

export type AttemptTrigger = 'scheduled' | 'manual';

/** A claimed delivery with everything needed to send it, read in one query. */
export interface ClaimedDelivery {
  id: string;
  eventId: string;
  endpointId: string;
  accountId: string;
  eventType: string;
  instanceId: string | null;
  messageId: string | null;
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

export interface AttemptRecord {
  url: string;
  statusCode: number | null;
  latencyMs: number;
  responseBody: string;
  /** Reached at an address only WEBHOOK_ALLOWED_CIDRS allows: the body is for the admin only. */
  privateDestination?: boolean;
  error: string | null;
  trigger: AttemptTrigger;
  at: number;
}

export interface FinalizeItem {
  delivery: ClaimedDelivery;
  owner: string;
  state: FinalState;
  attempt: AttemptRecord;
  /**
   * A success here must reset the endpoint's failure streak. The worker leaves it false when the
   * streak was 0 at claim time and it recorded no failure for the endpoint since, which spares a
   * write (and an fsync on MySQL) per batch in the common, healthy case.
   */
  resetStreak?: boolean;
}

function truncateError(error: string | null): string | null {
  return error === null ? null : error.slice(0, 2000);
}

export type FinalState =
  | { status: 'succeeded' }
  | { status: 'pending'; nextAttemptAt: number }
  | { status: 'failed' };

export interface Delivery {
  id: string;
  eventId: string;
  endpointId: string;
  accountId: string;
  eventType: string;
  instanceId: string | null;
  messageId: string | null;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: number;
  leaseExpiresAt: number | null;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: number;
  updatedAt: number;
  completedAt: number | null;
}

export interface Attempt {
  id: number;
  deliveryId: string;
  url: string;
  method: string;
  requestId: string;
  eventType: string;
  instanceId: string | null;
  messageId: string | null;
  attemptNumber: number;
  statusCode: number | null;
  latencyMs: number;
  responseBody: string | null;
  privateDestination: boolean;
  error: string | null;
  trigger: string;
  createdAt: number;
}

const DELIVERIES = 'webhook_deliveries';
const ATTEMPTS = 'webhook_attempts';

function num(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value);
}

export function deliveryFromRow(row: Record<string, unknown>): Delivery {
  return {
    id: String(row.id),
    eventId: String(row.event_id),
    endpointId: String(row.endpoint_id),
    accountId: String(row.account_id),
    eventType: String(row.event_type),
    instanceId: (row.instance_id as string | null) ?? null,
    messageId: (row.message_id as string | null) ?? null,
    status: String(row.status) as DeliveryStatus,
    attempts: Number(row.attempts ?? 0),
    nextAttemptAt: Number(row.next_attempt_at),
    leaseExpiresAt: num(row.lease_expires_at),
    lastStatusCode: num(row.last_status_code),
    lastError: (row.last_error as string | null) ?? null,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    completedAt: num(row.completed_at),
  };
}

export function attemptFromRow(row: Record<string, unknown>): Attempt {
  return {
    id: Number(row.id),
    deliveryId: String(row.delivery_id),
    url: String(row.url),
    method: String(row.method),
    requestId: String(row.request_id),
    eventType: String(row.event_type),
    instanceId: (row.instance_id as string | null) ?? null,
    messageId: (row.message_id as string | null) ?? null,
    attemptNumber: Number(row.attempt_number),
    statusCode: num(row.status_code),
    latencyMs: Number(row.latency_ms),
    responseBody: (row.response_body as string | null) ?? null,
    privateDestination: row.private_destination === true || Number(row.private_destination) === 1,
    error: (row.error as string | null) ?? null,
    trigger: String(row.trigger ?? 'scheduled'),
    createdAt: Number(row.created_at),
  };
}

/** Live, enabled endpoints: deliveries of any other endpoint are held (or cancelled). */
function activeEndpointIds(db: Knex): Knex.QueryBuilder {
  return db('webhook_endpoints').select('id').where({ enabled: true }).whereNull('deleted_at');
}

export class WebhookDeliveryStore {
  private readonly dialect: 'sqlite' | 'mysql';
  /**
   * Claims / finalizes worth running at once: SQLite has one connection (more would only queue),
   * a MySQL pool serves several.
   */
  readonly parallelism: number;

  constructor(private readonly db: Knex) {
    this.dialect = dialectOf(db);
    this.parallelism = this.dialect === 'sqlite' ? 1 : 2;
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
  async claim(opts: {
    owner: string;
    now: number;
    leaseMs: number;
    limit: number;
    /** Endpoints this worker will not take more of right now (their slots are full). */
    excludeEndpoints?: readonly string[];
  }): Promise<ClaimedDelivery[]> {
    const { owner, now, leaseMs, limit } = opts;
    const exclude = opts.excludeEndpoints ?? [];
    if (limit <= 0) return [];
    const leaseUntil = now + leaseMs;
    const sqlite = this.dialect === 'sqlite';
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
    if (this.dialect === 'sqlite') {
      // Candidates first, then the conditional UPDATE on that literal id list (as one statement
      // with a subquery SQLite scans the whole due backlog). The UPDATE's condition decides who
      // wins a row when several processes claim at once.
      const rows = (await candidates(this.db)) as { id: string }[];
      if (rows.length === 0) return [];
      claimed = affected(
        await stamp(
          this.db,
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
        this.db.transaction(
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
    return this.readClaimed(owner);
  }

  private async readClaimed(owner: string): Promise<ClaimedDelivery[]> {
    const rows = (await this.db(`${DELIVERIES} as d`)
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
      id: String(row.id),
      eventId: String(row.event_id),
      endpointId: String(row.endpoint_id),
      accountId: String(row.account_id),
      eventType: String(row.event_type),
      instanceId: (row.instance_id as string | null) ?? null,
      messageId: (row.message_id as string | null) ?? null,
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

  /**
   * `finalize` for many attempts in one transaction (group commit): one fenced UPDATE per
   * delivery and one multi-row INSERT for the attempt log. Returns the fence result per item.
   */
  async finalizeMany(items: readonly FinalizeItem[]): Promise<boolean[]> {
    if (items.length === 0) return [];
    return retryOnLockConflict(() =>
      this.db.transaction(async (trx) => {
        // Who holds each lease now (row-locked on MySQL until commit). Successes, the bulk of any
        // batch, are then written with one UPDATE per status code instead of one per delivery.
        const ids = items.map((item) => item.delivery.id);
        const current = trx(DELIVERIES).select('id', 'lease_owner').whereIn('id', ids);
        if (this.dialect === 'mysql') current.forUpdate();
        const owners = new Map(
          ((await current) as { id: string; lease_owner: string | null }[]).map((r) => [r.id, r.lease_owner]),
        );
        const fenced = items.map((item) => owners.get(item.delivery.id) === item.owner);
        const successGroups = new Map<number | null, FinalizeItem[]>();
        items.forEach((item, i) => {
          if (!fenced[i] || item.state.status !== 'succeeded') return;
          const group = successGroups.get(item.attempt.statusCode) ?? [];
          group.push(item);
          successGroups.set(item.attempt.statusCode, group);
        });
        for (const [statusCode, group] of successGroups) {
          const at = Math.max(...group.map((item) => item.attempt.at));
          const n = affected(
            await trx(DELIVERIES)
              .whereIn(
                'id',
                group.map((item) => item.delivery.id),
              )
              // Still fenced: on SQLite another process may have written since the read above.
              .whereIn(
                'lease_owner',
                group.map((item) => item.owner),
              )
              .update({
                status: 'succeeded',
                lease_owner: null,
                lease_expires_at: null,
                last_status_code: statusCode,
                last_error: null,
                next_attempt_at: at,
                completed_at: at,
                updated_at: at,
              }),
          );
          if (n !== group.length) {
            // A lease changed hands between the read and the write; we cannot tell which one.
            for (const item of group) fenced[items.indexOf(item)] = false;
          }
        }
        for (const [i, { delivery, owner, state, attempt }] of items.entries()) {
          if (!fenced[i] || state.status === 'succeeded') continue;
          const common = {
            lease_owner: null,
            lease_expires_at: null,
            last_status_code: attempt.statusCode,
            last_error: truncateError(attempt.error),
            updated_at: attempt.at,
          };
          const patch =
            state.status === 'pending'
              ? { ...common, status: 'pending', next_attempt_at: state.nextAttemptAt }
              : { ...common, status: state.status, next_attempt_at: attempt.at, completed_at: attempt.at };
          fenced[i] =
            affected(await trx(DELIVERIES).where({ id: delivery.id, lease_owner: owner }).update(patch)) === 1;
        }
        const rows = items.map(({ delivery, attempt }) => ({
          delivery_id: delivery.id,
          endpoint_id: delivery.endpointId,
          url: attempt.url,
          method: 'POST',
          request_id: delivery.id,
          event_type: delivery.eventType,
          instance_id: delivery.instanceId,
          message_id: delivery.messageId,
          attempt_number: delivery.attemptNumber,
          status_code: attempt.statusCode,
          latency_ms: attempt.latencyMs,
          response_body: attempt.responseBody === '' ? null : attempt.responseBody,
          private_destination: attempt.privateDestination ?? false,
          error: truncateError(attempt.error),
          trigger: attempt.trigger,
          created_at: attempt.at,
        }));
        for (let i = 0; i < rows.length; i += 100) await trx(ATTEMPTS).insert(rows.slice(i, i + 100));
        return fenced;
      }),
    ).then(async (fenced) => {
      // A success ends the endpoint's failure streak. After the commit, one conditional statement
      // per batch, so the endpoint row is not held locked by the delivery transaction.
      const succeeded = new Set(
        items
          .filter((item, i) => fenced[i] && item.state.status === 'succeeded' && item.resetStreak !== false)
          .map((item) => item.delivery.endpointId),
      );
      if (succeeded.size > 0) {
        await this.db('webhook_endpoints')
          .whereIn('id', [...succeeded])
          .where('consecutive_failures', '<>', 0)
          .update({ consecutive_failures: 0 });
      }
      return fenced;
    });
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
