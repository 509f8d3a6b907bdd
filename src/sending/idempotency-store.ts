import type { Knex } from 'knex';
import { affected, isUniqueViolation } from '../db/database.ts';
import { ConflictError, IdempotencyKeyReusedError } from '../errors/errors.ts';
import type { Clock } from '../lib/clock.ts';
import type { MessageLog } from './message-log.ts';
import type { SendMessageResponse } from './message-response.schema.ts';
import type { QuotaLedger } from './quota-ledger.ts';
import { reclaimReservation } from './reservation-recovery.ts';

const TABLE = 'idempotency_keys';
const TTL_MS = 24 * 3600 * 1000;
const SENT = ['sent', 'delivered', 'read'];

export type IdempotencyBegin = { kind: 'new'; claimedAt: number } | { kind: 'replay'; status: number; body: unknown };

/** The answer a successful send gave, rebuilt from its message row (the one fact it rests on). */
export function sentResponse(logId: number, waMessageId: string): SendMessageResponse {
  return { success: true, status: 'sent', message_id: waMessageId, log_id: logId };
}

/**
 * `Idempotency-Key` per account, kept 24 h. A key is claimed (state `in_flight`) before the send
 * so two concurrent retries cannot both send; the claim is linked to its message row in the
 * quota-reservation transaction and completed in the transaction that records the send, so a
 * crash can never separate "sent" from "answer stored". A refusal deletes the claim, so a retry
 * is evaluated afresh.
 *
 * A claim lives only until the send's own deadline (SEND_DEADLINE). A retry after that (the
 * process that held it died) gets the recorded outcome when the linked message was sent, and is
 * otherwise evaluated afresh: the interrupted reservation is given back and the claim taken over.
 */
/** What the send pipeline does with a claimed key (inside its own transactions); `FakeIdempotencyStore` implements it. */
export type IdempotencyLinks = Pick<IdempotencyStore, 'link' | 'completeSent'>;

export class IdempotencyStore {
  constructor(
    private readonly db: Knex,
    private readonly clock: Clock,
    private readonly sendDeadlineMs: number,
    private readonly quota: QuotaLedger,
    private readonly messages: MessageLog,
  ) {}

  async begin(accountId: string, key: string, requestHash: string, attempt = 0): Promise<IdempotencyBegin> {
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
        deadline_at: now + this.sendDeadlineMs,
        log_id: null,
      });
      return { kind: 'new', claimedAt: now };
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
    }
    const row = await this.db(TABLE).where({ account_id: accountId, idem_key: key }).first();
    if (!row) return this.retry(accountId, key, requestHash, attempt);
    if (row.request_hash !== requestHash) throw new IdempotencyKeyReusedError();
    if (row.state === 'done')
      return { kind: 'replay', status: Number(row.status_code), body: JSON.parse(String(row.response)) };
    // Claims written before deadlines existed fall back to their creation time plus the deadline.
    const deadline = Number(row.deadline_at ?? Number(row.created_at) + this.sendDeadlineMs);
    if (deadline > now) {
      const retryAfter = Math.max(1, Math.ceil((deadline - now) / 1000));
      const error = new ConflictError(
        { reason: 'idempotent_request_in_progress', retry_after: retryAfter },
        'A request with this Idempotency-Key is still being processed.',
      );
      error.headers['Retry-After'] = String(retryAfter);
      throw error;
    }
    // The claim outlived its send's deadline: its process died (or gave up) mid-send.
    const recovered = await this.recover(accountId, key, row, now);
    return recovered ?? this.retry(accountId, key, requestHash, attempt);
  }

  private retry(accountId: string, key: string, requestHash: string, attempt: number): Promise<IdempotencyBegin> {
    if (attempt >= 5) {
      throw new ConflictError(
        { reason: 'idempotent_request_in_progress' },
        'A request with this Idempotency-Key is still being processed.',
      );
    }
    return this.begin(accountId, key, requestHash, attempt + 1);
  }

  /** An expired claim: replay a send that happened, or take the claim over for a fresh evaluation. */
  private async recover(
    accountId: string,
    key: string,
    row: Record<string, unknown>,
    now: number,
  ): Promise<IdempotencyBegin | null> {
    const logId = row.log_id === null || row.log_id === undefined ? null : Number(row.log_id);
    const message = logId === null ? null : await this.messages.get(logId, accountId);
    if (message && SENT.includes(message.status) && message.waMessageId) {
      const body = sentResponse(message.id, message.waMessageId);
      await this.db(TABLE)
        .where({ account_id: accountId, idem_key: key, state: 'in_flight' })
        .update({ state: 'done', status_code: 200, response: JSON.stringify(body) });
      return { kind: 'replay', status: 200, body };
    }
    // Its send was interrupted before the transport answered: give the quota back now.
    if (message && message.status === 'reserved')
      await this.db.transaction((trx) =>
        reclaimReservation(trx, { clock: this.clock, quota: this.quota, messages: this.messages }, message),
      );
    // Take the claim over: only one retry wins (conditional on the expired deadline it saw).
    const taken = affected(
      await this.db(TABLE)
        .where({ account_id: accountId, idem_key: key, state: 'in_flight' })
        .andWhere((q) =>
          row.deadline_at === null || row.deadline_at === undefined
            ? q.whereNull('deadline_at')
            : q.where('deadline_at', Number(row.deadline_at)),
        )
        .update({ created_at: now, deadline_at: now + this.sendDeadlineMs, log_id: null }),
    );
    return taken === 1 ? { kind: 'new', claimedAt: now } : null;
  }

  /** Inside the quota-reservation transaction: this claim produced message row `logId`. */
  async link(trx: Knex.Transaction, accountId: string, key: string, logId: number): Promise<void> {
    // The claim's deadline restarts with the message's, so it never expires before its send can.
    const deadline = this.clock.now().getTime() + this.sendDeadlineMs;
    await trx(TABLE)
      .where({ account_id: accountId, idem_key: key, state: 'in_flight' })
      .update({ log_id: logId, deadline_at: deadline });
  }

  /** Inside the transaction that records the send: the answer is stored with it, atomically. */
  async completeSent(trx: Knex.Transaction, accountId: string, key: string, logId: number, waMessageId: string): Promise<void> {
    await trx(TABLE)
      .where({ account_id: accountId, idem_key: key })
      .andWhere({ log_id: logId })
      .update({ state: 'done', status_code: 200, response: JSON.stringify(sentResponse(logId, waMessageId)) });
  }

  /** Drop this request's claim (`claimedAt` from `begin`), not one a later retry took over. */
  async abandon(accountId: string, key: string, claimedAt: number): Promise<void> {
    await this.db(TABLE)
      .where({ account_id: accountId, idem_key: key, state: 'in_flight', created_at: claimedAt })
      .delete();
  }

  async purgeExpired(): Promise<number> {
    return this.db(TABLE).where('expires_at', '<=', this.clock.now().getTime()).delete();
  }
}
