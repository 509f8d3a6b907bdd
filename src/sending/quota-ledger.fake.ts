import type { InMemoryParticipant } from '../db/transactions.ts';
import type { QuotaRefusal, QuotaReservations, QuotaWindow } from './quota-ledger.ts';

type Period = 'day' | 'month';
type Keys = { dayKey: string; monthKey: string };

/**
 * `QuotaLedger` in memory, with its semantics: a window counts only once `prepare` created its
 * row, a bump never passes the limit, a release never goes below zero, a recount always counts.
 */
export class FakeQuotaLedger implements QuotaReservations, InMemoryParticipant {
  counters = new Map<string, number>();

  snapshot(): () => void {
    const counters = new Map(this.counters);
    return () => {
      this.counters = counters;
    };
  }

  private key(accountId: string, period: Period, window: string): string {
    return `${accountId}|${period}|${window}`;
  }

  /** Adds `n` to the window when its row exists and `used + n <= limit`. */
  private bump(accountId: string, period: Period, window: string, limit: number, n = 1): boolean {
    const key = this.key(accountId, period, window);
    const used = this.counters.get(key);
    if (used === undefined || used + n > limit) return false;
    this.counters.set(key, used + n);
    return true;
  }

  private add(accountId: string, period: Period, window: string, delta: number): void {
    const key = this.key(accountId, period, window);
    const used = this.counters.get(key);
    if (used !== undefined) this.counters.set(key, Math.max(0, used + delta));
  }

  async prepare(accountId: string, w: QuotaWindow): Promise<void> {
    for (const [period, window] of [['day', w.dayKey], ['month', w.monthKey]] as const) {
      const key = this.key(accountId, period, window);
      if (!this.counters.has(key)) this.counters.set(key, 0);
    }
  }

  async reserveBoth(_trx: unknown, accountId: string, w: QuotaWindow, n = 1): Promise<boolean> {
    const day = this.counters.get(this.key(accountId, 'day', w.dayKey));
    const month = this.counters.get(this.key(accountId, 'month', w.monthKey));
    if (day === undefined || month === undefined || day + n > w.dailyLimit || month + n > w.monthlyLimit) return false;
    this.bump(accountId, 'day', w.dayKey, w.dailyLimit, n);
    this.bump(accountId, 'month', w.monthKey, w.monthlyLimit, n);
    return true;
  }

  async reserve(_trx: unknown, accountId: string, w: QuotaWindow): Promise<QuotaRefusal | null> {
    if (!this.bump(accountId, 'day', w.dayKey, w.dailyLimit)) return 'daily';
    if (!this.bump(accountId, 'month', w.monthKey, w.monthlyLimit)) {
      this.add(accountId, 'day', w.dayKey, -1);
      return 'monthly';
    }
    return null;
  }

  async release(_trx: unknown, accountId: string, keys: Keys): Promise<void> {
    this.add(accountId, 'day', keys.dayKey, -1);
    this.add(accountId, 'month', keys.monthKey, -1);
  }

  async recount(_trx: unknown, accountId: string, keys: Keys): Promise<void> {
    this.add(accountId, 'day', keys.dayKey, 1);
    this.add(accountId, 'month', keys.monthKey, 1);
  }

  async used(accountId: string, keys: Keys): Promise<{ daily: number; monthly: number }> {
    return {
      daily: this.counters.get(this.key(accountId, 'day', keys.dayKey)) ?? 0,
      monthly: this.counters.get(this.key(accountId, 'month', keys.monthKey)) ?? 0,
    };
  }
}
