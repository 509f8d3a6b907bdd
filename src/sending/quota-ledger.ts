import type { Knex } from 'knex';
import { affected } from '../db/database.ts';
import { prepare, type Prepared, runWrite } from '../db/prepared.ts';

export type QuotaRefusal = 'daily' | 'monthly';

export interface QuotaWindow {
  dayKey: string;
  monthKey: string;
  dailyLimit: number;
  monthlyLimit: number;
}

const TABLE = 'usage_counters';

/**
 * Exact quota under concurrency, on SQLite and MySQL, on one node or several: a counter row per
 * account and window, bumped by a conditional `UPDATE … SET used = used + 1 WHERE used < limit`.
 * The database serializes the row update, so with N left exactly N reservations succeed.
 * Callers run `prepare` first, then `reserve` inside the transaction that writes the message
 * row, so a reservation and the row that holds it commit together.
 */
/** What the send pipeline uses of the ledger; `FakeQuotaLedger` implements it. */
export type QuotaReservations = Pick<QuotaLedger, 'prepare' | 'reserve' | 'reserveBoth' | 'release' | 'recount' | 'used'>;

export class QuotaLedger {
  /** Counter rows known to exist; saves an INSERT per send. */
  private readonly known = new Set<string>();

  /** `reserveBoth`'s UPDATE, compiled once (see `prepare`). */
  private readonly bothWindows: Prepared<'accountId' | 'dayKey' | 'dayMax' | 'monthKey' | 'monthMax' | 'n'>;

  constructor(private readonly db: Knex) {
    this.bothWindows = prepare(db, ['accountId', 'dayKey', 'dayMax', 'monthKey', 'monthMax', 'n'], (p) =>
      db(TABLE)
        .where({ account_id: p.accountId })
        .andWhere((q) =>
          q
            .where((d) => d.where({ period: 'day', window_key: p.dayKey }).andWhere('used', '<=', p.dayMax))
            .orWhere((m) => m.where({ period: 'month', window_key: p.monthKey }).andWhere('used', '<=', p.monthMax)),
        )
        // What `.increment('used', n)` writes, with `n` a parameter.
        .update({ used: db.raw('?? + ?', ['used', p.n]) }),
    );
  }

  /**
   * Create the window rows, outside the reserving transaction: on InnoDB an `INSERT IGNORE`
   * that hits an existing row takes a shared lock, and upgrading it to the UPDATE's exclusive
   * lock under concurrency deadlocks. With the rows in place, reserving is UPDATEs only.
   */
  async prepare(accountId: string, w: QuotaWindow): Promise<void> {
    const cacheKey = `${accountId}|${w.dayKey}|${w.monthKey}`;
    if (this.known.has(cacheKey)) return;
    await this.db(TABLE)
      .insert([
        { account_id: accountId, period: 'day', window_key: w.dayKey, used: 0 },
        { account_id: accountId, period: 'month', window_key: w.monthKey, used: 0 },
      ])
      .onConflict(['account_id', 'period', 'window_key'])
      .ignore();
    if (this.known.size > 10_000) this.known.clear();
    this.known.add(cacheKey);
  }

  private async bump(
    trx: Knex.Transaction,
    accountId: string,
    period: 'day' | 'month',
    key: string,
    limit: number,
  ): Promise<boolean> {
    const n = await trx(TABLE)
      .where({ account_id: accountId, period, window_key: key })
      .andWhere('used', '<', limit)
      .increment('used', 1);
    return affected(n) === 1;
  }

  /**
   * Reserve `n` messages in both windows with one conditional UPDATE (`used + n <= limit` on both
   * rows): the group commit of `ReservationBatcher`. True when both rows were bumped. False when
   * they do not both fit; then one row may have been bumped in `trx`, so the caller must roll the
   * transaction back (and reserve one by one with `reserve`, which tells which window refused).
   */
  async reserveBoth(trx: Knex.Transaction, accountId: string, w: QuotaWindow, n = 1): Promise<boolean> {
    const q = this.bothWindows;
    const result = await runWrite(
      trx,
      q.sql,
      q.bindings({
        accountId,
        dayKey: w.dayKey,
        dayMax: w.dailyLimit - n,
        monthKey: w.monthKey,
        monthMax: w.monthlyLimit - n,
        n,
      }),
    );
    return result.changes === 2;
  }

  /** Reserve one message in both windows, or report which window is full (nothing reserved then). */
  async reserve(trx: Knex.Transaction, accountId: string, w: QuotaWindow): Promise<QuotaRefusal | null> {
    if (!(await this.bump(trx, accountId, 'day', w.dayKey, w.dailyLimit))) return 'daily';
    if (!(await this.bump(trx, accountId, 'month', w.monthKey, w.monthlyLimit))) {
      await this.decrement(trx, accountId, 'day', w.dayKey);
      return 'monthly';
    }
    return null;
  }

  private async decrement(
    trx: Knex | Knex.Transaction,
    accountId: string,
    period: 'day' | 'month',
    key: string,
  ): Promise<void> {
    await trx(TABLE)
      .where({ account_id: accountId, period, window_key: key })
      .andWhere('used', '>', 0)
      .decrement('used', 1);
  }

  /** Give a reservation back (a later check refused, or the transport failed). */
  async release(
    trx: Knex | Knex.Transaction,
    accountId: string,
    keys: { dayKey: string; monthKey: string },
  ): Promise<void> {
    await this.decrement(trx, accountId, 'day', keys.dayKey);
    await this.decrement(trx, accountId, 'month', keys.monthKey);
  }

  /**
   * Count a send again whose reservation had already been given back (it outlived its deadline
   * and then WhatsApp accepted it): unconditional, because `used` must equal messages sent.
   */
  async recount(
    trx: Knex.Transaction,
    accountId: string,
    keys: { dayKey: string; monthKey: string },
  ): Promise<void> {
    await trx(TABLE).where({ account_id: accountId, period: 'day', window_key: keys.dayKey }).increment('used', 1);
    await trx(TABLE).where({ account_id: accountId, period: 'month', window_key: keys.monthKey }).increment('used', 1);
  }

  async used(
    accountId: string,
    keys: { dayKey: string; monthKey: string },
  ): Promise<{ daily: number; monthly: number }> {
    const rows = await this.db(TABLE)
      .where({ account_id: accountId })
      .andWhere((q) =>
        q
          .where({ period: 'day', window_key: keys.dayKey })
          .orWhere({ period: 'month', window_key: keys.monthKey }),
      );
    let daily = 0;
    let monthly = 0;
    for (const row of rows) {
      if (row.period === 'day') daily = Number(row.used);
      else monthly = Number(row.used);
    }
    return { daily, monthly };
  }
}
