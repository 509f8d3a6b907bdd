import type { Knex } from 'knex';
import { dialectOf } from '../db/database.ts';

/**
 * Sends and refusals over time, from the message log (which is also the decision log) and the
 * inbound log (opt-outs). One grouped query per table: the database does the counting.
 */

export type TrendRange = '24h' | '7d' | '30d';

export const TREND_RANGES: Record<TrendRange, { bucketMs: number; buckets: number; label: string }> = {
  '24h': { bucketMs: 3_600_000, buckets: 24, label: 'last 24 hours (hourly)' },
  '7d': { bucketMs: 6 * 3_600_000, buckets: 28, label: 'last 7 days (6-hour buckets)' },
  '30d': { bucketMs: 86_400_000, buckets: 30, label: 'last 30 days (daily)' },
};

export function parseTrendRange(value: unknown): TrendRange {
  return value === '7d' || value === '30d' ? value : '24h';
}

const SENT = new Set(['sent', 'delivered', 'read', 'played']);

export interface TrendFilter {
  accountId?: string;
  instanceId?: string;
}

export interface Trends {
  range: TrendRange;
  bucketMs: number;
  since: number;
  buckets: { start: number }[];
  /** Per bucket: accepted by WhatsApp, failed in transport, refused by a check. */
  sent: number[];
  failed: number[];
  refused: number[];
  /** Refusal counts per error code, per bucket. */
  refusalsByCode: Map<string, number[]>;
  /** Transport failures (excluded reasons left out) / attempted sends, per bucket; null without sends. */
  failureRate: (number | null)[];
  /** Distinct opt-out senders / distinct recipients sent to, per bucket; null without recipients. */
  optOutRate: (number | null)[];
  totals: { sent: number; failed: number; refused: number; optOuts: number };
}

export class SendTrends {
  constructor(private readonly db: Knex) {}

  private bucketExpr(column: string): string {
    // Bucket index as an integer (bound numbers may arrive as REAL in SQLite; MariaDB's / is exact).
    return dialectOf(this.db) === 'mysql'
      ? `FLOOR((${column} - ?) / ?)`
      : `CAST((${column} - ?) / ? AS INTEGER)`;
  }

  async series(
    filter: TrendFilter,
    range: TrendRange,
    now: number,
    options: { excludeFailureReasons?: readonly string[] } = {},
  ): Promise<Trends> {
    const { bucketMs, buckets: n } = TREND_RANGES[range];
    const since = Math.floor(now / bucketMs) * bucketMs - (n - 1) * bucketMs;
    const buckets = Array.from({ length: n }, (_, i) => ({ start: since + i * bucketMs }));
    const zero = () => new Array<number>(n).fill(0);
    const scope = (q: Knex.QueryBuilder) => {
      if (filter.accountId) q.where('account_id', filter.accountId);
      if (filter.instanceId) q.where('instance_id', filter.instanceId);
      return q.andWhere('created_at', '>=', since);
    };
    const bucket = this.db.raw(`${this.bucketExpr('created_at')} as b`, [since, bucketMs]);
    const rows = await scope(
      this.db('messages')
        .select(bucket, 'outcome', 'status', 'error_code', 'failure_reason')
        .count({ n: '*' })
        .groupBy('b', 'outcome', 'status', 'error_code', 'failure_reason'),
    );
    const recipientRows = await scope(
      this.db('messages')
        .select(this.db.raw(`${this.bucketExpr('created_at')} as b`, [since, bucketMs]))
        .countDistinct({ n: 'recipient' })
        .where('outcome', 'allowed')
        .whereIn('status', [...SENT])
        .whereNotNull('recipient')
        .groupBy('b'),
    );
    const optOutQuery = this.db('inbound_messages')
      .select(this.db.raw(`${this.bucketExpr('received_at')} as b`, [since, bucketMs]))
      .countDistinct({ n: 'from_phone' })
      .where('classification', 'opt_out')
      .andWhere('received_at', '>=', since)
      .groupBy('b');
    if (filter.accountId) optOutQuery.where('account_id', filter.accountId);
    if (filter.instanceId) optOutQuery.where('instance_id', filter.instanceId);
    const optOutRows = await optOutQuery;

    const sent = zero();
    const failed = zero();
    const refused = zero();
    const countableFailed = zero();
    const refusalsByCode = new Map<string, number[]>();
    const excluded = new Set(options.excludeFailureReasons ?? []);
    const at = (row: Record<string, unknown>) => {
      const i = Number(row.b);
      return Number.isInteger(i) && i >= 0 && i < n ? i : -1;
    };
    for (const row of rows as Record<string, unknown>[]) {
      const i = at(row);
      if (i < 0) continue;
      const count = Number(row.n);
      if (row.outcome === 'blocked') {
        refused[i] = (refused[i] ?? 0) + count;
        const code = String(row.error_code ?? 'unknown');
        const list = refusalsByCode.get(code) ?? zero();
        list[i] = (list[i] ?? 0) + count;
        refusalsByCode.set(code, list);
      } else if (row.status === 'failed') {
        failed[i] = (failed[i] ?? 0) + count;
        if (!excluded.has(String(row.failure_reason ?? ''))) countableFailed[i] = (countableFailed[i] ?? 0) + count;
      } else if (SENT.has(String(row.status))) {
        sent[i] = (sent[i] ?? 0) + count;
      }
    }
    const recipients = zero();
    for (const row of recipientRows as Record<string, unknown>[]) {
      const i = at(row);
      if (i >= 0) recipients[i] = Number(row.n);
    }
    const optOuts = zero();
    for (const row of optOutRows as Record<string, unknown>[]) {
      const i = at(row);
      if (i >= 0) optOuts[i] = Number(row.n);
    }
    const sum = (a: number[]) => a.reduce((x, y) => x + y, 0);
    return {
      range,
      bucketMs,
      since,
      buckets,
      sent,
      failed,
      refused,
      refusalsByCode,
      failureRate: sent.map((s, i) => {
        const attempts = s + (countableFailed[i] ?? 0);
        return attempts > 0 ? (countableFailed[i] ?? 0) / attempts : null;
      }),
      optOutRate: recipients.map((r, i) => (r > 0 ? Math.min(1, (optOuts[i] ?? 0) / r) : null)),
      totals: { sent: sum(sent), failed: sum(failed), refused: sum(refused), optOuts: sum(optOuts) },
    };
  }
}
