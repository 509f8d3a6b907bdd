import type { Knex } from 'knex';
import type { Transact } from '../db/transactions.ts';
import type { Clock } from '../lib/clock.ts';
import type { SendMessageLog } from './message-log.ts';
import type { QuotaReservations } from './quota-ledger.ts';

export interface RecoveryDeps {
  transact: Transact;
  clock: Clock;
  messages: Pick<SendMessageLog, 'markInterrupted' | 'staleReservations'>;
  quota: Pick<QuotaReservations, 'release'>;
  sendDeadlineMs: number;
}

/**
 * Give back the quota of one interrupted send (its process died, or it outlived its deadline):
 * the `reserved` row becomes `failed` / `interrupted` and its windows are decremented, once —
 * the conditional UPDATE makes a second caller (another node, the sweeper) a no-op.
 */
export async function reclaimReservation(
  trx: Knex | Knex.Transaction,
  deps: Pick<RecoveryDeps, 'clock' | 'quota' | 'messages'>,
  m: { id: number; accountId: string; dayKey: string | null; monthKey: string | null },
): Promise<boolean> {
  if (!(await deps.messages.markInterrupted(trx, m.id, deps.clock.now().getTime()))) return false;
  if (m.dayKey && m.monthKey) await deps.quota.release(trx, m.accountId, { dayKey: m.dayKey, monthKey: m.monthKey });
  return true;
}

/**
 * Reservations whose send deadline has passed (SEND_DEADLINE after the row was last touched):
 * the send was interrupted, so the quota goes back. Optionally for one account only (a quota
 * refusal checks its own account first, so a burst after a restart is not refused early).
 */
export async function reclaimStaleReservations(deps: RecoveryDeps, accountId?: string): Promise<number> {
  const olderThan = deps.clock.now().getTime() - deps.sendDeadlineMs;
  const stale = await deps.messages.staleReservations(olderThan, 500, accountId);
  let reclaimed = 0;
  for (const m of stale) {
    if (await deps.transact((trx) => reclaimReservation(trx, deps, m))) reclaimed += 1;
  }
  return reclaimed;
}
