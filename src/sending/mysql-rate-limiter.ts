import type { Knex } from 'knex';
import { type IRateLimiterOptions, RateLimiterMySQL } from 'rate-limiter-flexible';

/** LAST_INSERT_ID takes an unsigned value: the points (a signed INT) travel shifted by this much. */
const OFFSET = 2 ** 31;

/**
 * rate-limiter-flexible's MySQL limiter, with its upsert in one statement instead of four round
 * trips (BEGIN, INSERT … ON DUPLICATE KEY UPDATE, SELECT, COMMIT) that hold the key's row lock
 * across three of them. Every send consumes the instance's key, so on the stock limiter the sends
 * of one instance queue behind each other's transactions.
 *
 * Same table, same arithmetic (the stock statement, verbatim), same answers: the new point count
 * comes back in the OK packet as `LAST_INSERT_ID(expr)` (set by the UPDATE branch; 0 when the row
 * was inserted, whose count is then the points given). Atomic as one autocommitted statement is:
 * the count returned is the one this statement wrote. The row's expiry is read only for a refusal,
 * whose `msBeforeNext` becomes a Retry-After; an admitted consume reports the expiry the window
 * would get if it started now (no caller reads it).
 */
export class OneStatementMySQLLimiter extends RateLimiterMySQL {
  private readonly knex: Knex;
  private readonly table: string;

  constructor(opts: IRateLimiterOptions & { storeClient: Knex; dbName: string; tableName: string }) {
    super({ ...opts, storeType: 'knex', tableCreated: true });
    this.knex = opts.storeClient;
    this.table = this.knex.raw('??.??', [opts.dbName, opts.tableName]).toQuery();
  }

  /** Overrides the stock upsert (called by `consume`, `penalty`, `reward`): answers `[{ points, expire }]`. */
  async _upsert(
    key: string,
    points: number,
    msDuration: number,
    forceExpire = false,
  ): Promise<{ points: number; expire: number | null }[]> {
    const now = Date.now();
    const expire = msDuration > 0 ? now + msDuration : null;
    const result = forceExpire
      ? await this.knex.raw(
          `INSERT INTO ${this.table} VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE ` +
            `points = CAST(LAST_INSERT_ID(? + ${OFFSET}) AS SIGNED) - ${OFFSET}, expire = ?`,
          [key, points, expire, points, expire],
        )
      : await this.knex.raw(
          `INSERT INTO ${this.table} VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE ` +
            `points = CAST(LAST_INSERT_ID(IF(expire <= ?, ?, points + (?)) + ${OFFSET}) AS SIGNED) - ${OFFSET}, ` +
            'expire = IF(expire <= ?, ?, expire)',
          [key, points, expire, now, points, points, now, expire],
        );
    const insertId = Number((result as [{ insertId: number }])[0].insertId);
    const total = insertId === 0 ? points : insertId - OFFSET;
    if (points > 0 && total > this.points) {
      const [rows] = (await this.knex.raw(`SELECT expire FROM ${this.table} WHERE \`key\` = ?`, [key])) as [
        { expire: unknown }[],
      ];
      const stored = rows[0]?.expire;
      return [{ points: total, expire: stored == null ? null : Number(stored) }];
    }
    return [{ points: total, expire }];
  }
}
