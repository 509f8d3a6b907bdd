/**
 * The finalize of a claimed delivery: its attempt joins the attempt log and, if this node still
 * holds the lease, the delivery moves on (succeeded, pending again later, failed).
 */
import type { Knex } from 'knex';
import { affected, dialectOf, retryOnLockConflict } from '../db/database.ts';
import type { ClaimedDelivery } from './delivery-claim.ts';
import { ATTEMPTS, DELIVERIES, type AttemptTrigger } from './delivery-records.ts';

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

/**
 * Records attempts and moves their deliveries on, fenced by the lease, many in one transaction (group commit): one fenced UPDATE per
 * delivery and one multi-row INSERT for the attempt log. Returns the fence result per item.
 */
export async function finalizeAttempts(db: Knex, items: readonly FinalizeItem[]): Promise<boolean[]> {
  if (items.length === 0) return [];
  return retryOnLockConflict(() =>
    db.transaction(async (trx) => {
      // Who holds each lease now (row-locked on MySQL until commit). Successes, the bulk of any
      // batch, are then written with one UPDATE per status code instead of one per delivery.
      const ids = items.map((item) => item.delivery.id);
      const current = trx(DELIVERIES).select('id', 'lease_owner').whereIn('id', ids);
      if (dialectOf(db) === 'mysql') current.forUpdate();
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
      await db('webhook_endpoints')
        .whereIn('id', [...succeeded])
        .where('consecutive_failures', '<>', 0)
        .update({ consecutive_failures: 0 });
    }
    return fenced;
  });
}
