import type { Knex } from 'knex';
import { isUniqueViolation } from '../db/database.ts';
import { ConflictError, IdempotencyKeyReusedError } from '../errors/errors.ts';
import type { Clock } from '../lib/clock.ts';

const TABLE = 'idempotency_keys';
const TTL_MS = 24 * 3600 * 1000;

export type IdempotencyBegin = { kind: 'new' } | { kind: 'replay'; status: number; body: unknown };

/**
 * `Idempotency-Key` per account, kept 24 h. A key is claimed (state `in_flight`) before the send
 * so two concurrent retries cannot both send; a success stores the response; a refusal deletes
 * the claim so a retry is evaluated afresh.
 */
export class IdempotencyStore {
  constructor(
    private readonly db: Knex,
    private readonly clock: Clock,
  ) {}

  async begin(accountId: string, key: string, requestHash: string): Promise<IdempotencyBegin> {
    const now = this.clock.now().getTime();
    await this.db(TABLE)
      .where({ account_id: accountId, idem_key: key })
      .andWhere('expires_at', '<=', now)
      .delete();
    try {
      await this.db(TABLE).insert({
        account_id: accountId,
        idem_key: key,
        request_hash: requestHash,
        state: 'in_flight',
        created_at: now,
        expires_at: now + TTL_MS,
      });
      return { kind: 'new' };
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
    }
    const row = await this.db(TABLE).where({ account_id: accountId, idem_key: key }).first();
    if (!row) return this.begin(accountId, key, requestHash);
    if (row.request_hash !== requestHash) throw new IdempotencyKeyReusedError();
    if (row.state !== 'done') {
      throw new ConflictError(
        { reason: 'idempotent_request_in_progress' },
        'A request with this Idempotency-Key is still being processed.',
      );
    }
    return { kind: 'replay', status: Number(row.status_code), body: JSON.parse(String(row.response)) };
  }

  async complete(accountId: string, key: string, status: number, body: unknown): Promise<void> {
    await this.db(TABLE)
      .where({ account_id: accountId, idem_key: key })
      .update({ state: 'done', status_code: status, response: JSON.stringify(body) });
  }

  async abandon(accountId: string, key: string): Promise<void> {
    await this.db(TABLE).where({ account_id: accountId, idem_key: key, state: 'in_flight' }).delete();
  }

  async purgeExpired(): Promise<number> {
    return this.db(TABLE).where('expires_at', '<=', this.clock.now().getTime()).delete();
  }
}
