import type { Knex } from 'knex';
import {
  RateLimiterMemory,
  RateLimiterMySQL,
  RateLimiterRes,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';
import { dialectOf } from '../../db/database.ts';
import type { Clock } from '../../lib/clock.ts';

/** Authenticated 3CX webhook requests per integration per minute (reference/003). */
export const THREECX_REQUESTS_PER_MINUTE = 60;
const WINDOW_MS = 60_000;

/**
 * 60 requests per clock minute per integration, counted with rate-limiter-flexible.
 *
 * The window is part of the key (`<integration>:<minute of the injected clock>`), so the limit is
 * a fixed window aligned to our clock: tests move a ManualClock instead of sleeping, and every
 * node agrees on where a minute starts. Storage is in memory on SQLite (one process) and the
 * migrated `rate_limits` table on MySQL/MariaDB, so several nodes share one count. Each key
 * lives two windows, long enough to cover clock skew between nodes, then expires.
 *
 * Only authenticated requests are counted: a stranger who knows an integration id cannot use
 * up its allowance.
 */
export class ThreeCxRateLimiter {
  private readonly limiter: RateLimiterAbstract;

  constructor(
    private readonly clock: Clock,
    db: Knex | null,
    private readonly points = THREECX_REQUESTS_PER_MINUTE,
  ) {
    const opts = {
      keyPrefix: '3cx_webhook',
      points,
      duration: (2 * WINDOW_MS) / 1000,
    };
    if (db && dialectOf(db) === 'mysql') {
      const dbName = String((db.client.config.connection as { database: string }).database);
      this.limiter = new RateLimiterMySQL({
        ...opts,
        storeClient: db,
        storeType: 'knex',
        dbName,
        tableName: 'rate_limits',
        tableCreated: true,
      });
    } else {
      this.limiter = new RateLimiterMemory(opts);
    }
  }

  async consume(
    integrationId: string,
  ): Promise<{ ok: true; remaining: number } | { ok: false; retryAfterSeconds: number }> {
    const now = this.clock.now().getTime();
    const window = Math.floor(now / WINDOW_MS);
    const retryAfterSeconds = Math.max(1, Math.ceil(((window + 1) * WINDOW_MS - now) / 1000));
    try {
      const res = await this.limiter.consume(`${integrationId}:${window}`);
      return { ok: true, remaining: res.remainingPoints };
    } catch (error) {
      if (error instanceof RateLimiterRes) return { ok: false, retryAfterSeconds };
      throw error;
    }
  }

  get limit(): number {
    return this.points;
  }
}
