import { BatchLane } from '../db/group-commit.ts';
import type { Transact } from '../db/transactions.ts';
import type { IdempotencyLinks } from './idempotency-store.ts';
import type { SendMessageLog } from './message-log.ts';
import type { QuotaReservations, QuotaWindow } from './quota-ledger.ts';

/** One send's reservation: its `reserved` message row, and its claimed Idempotency-Key if any. */
export interface ReservationRequest {
  accountId: string;
  window: QuotaWindow;
  row: Record<string, unknown>;
  idempotencyKey?: string | undefined;
}

interface Waiting {
  request: ReservationRequest;
  resolve: (logId: number | null) => void;
  reject: (error: unknown) => void;
}

/** Thrown inside a batch to roll it back: not every send of it fits in what is left. */
class BatchDoesNotFit extends Error {}

/**
 * Group commit of quota reservations. Concurrent sends of one account and window that arrive
 * while a reservation transaction waits (for its event-loop turn, see `nextTurn`, then its
 * connection) or is in flight reserve together in the next one to get a connection: their message rows and Idempotency-Key links are written, and both counter rows bumped by
 * the batch size with one conditional UPDATE (`used + n <= limit`), in one transaction. The
 * counter rows are locked for that UPDATE and the commit only, once per batch instead of once
 * per send; a send that finds nothing queued or in flight goes at once, alone.
 *
 * Exact as the one-by-one reservation is: the UPDATE is conditional in the database, so several
 * processes can batch on the same rows. A batch that does not fit in what is left (or that fails
 * before its commit) is rolled back whole, and each of its sends answers `null`: the caller then
 * reserves one by one, which admits exactly what is left and names the window that refused.
 */
export class ReservationBatcher {
  private readonly lanes = new Map<string, BatchLane<Waiting>>();

  constructor(
    private readonly deps: {
      transact: Transact;
      messages: Pick<SendMessageLog, 'insertMany'>;
      quota: Pick<QuotaReservations, 'reserveBoth'>;
      idempotency?: IdempotencyLinks | undefined;
    },
  ) {}

  /** The new row's id when reserved with a batch; `null` when the caller must reserve alone. */
  reserve(request: ReservationRequest): Promise<number | null> {
    const w = request.window;
    const key = `${request.accountId}|${w.dayKey}|${w.monthKey}|${w.dailyLimit}|${w.monthlyLimit}`;
    let lane = this.lanes.get(key);
    if (!lane) {
      lane = new BatchLane<Waiting>((take) => this.commit(take), () => this.lanes.delete(key));
      this.lanes.set(key, lane);
    }
    const queued = lane;
    return new Promise<number | null>((resolve, reject) => queued.push({ request, resolve, reject }));
  }

  private async commit(take: () => Waiting[]): Promise<void> {
    let batch: Waiting[] = [];
    let bodyDone = false;
    try {
      const ids = await this.deps.transact(async (trx) => {
        // The batch is formed once the connection is ours, not when the first send arrived: the
        // sends that reached this step meanwhile (during the event-loop turn, or while waiting for
        // the connection, on SQLite behind the other sends' reads) join it.
        batch = take();
        const { accountId, window } = (batch[0] as Waiting).request;
        const ids = await this.deps.messages.insertMany(
          trx,
          batch.map((w) => w.request.row),
        );
        for (const [i, { request }] of batch.entries())
          if (request.idempotencyKey)
            await this.deps.idempotency?.link(trx, request.accountId, request.idempotencyKey, ids[i] as number);
        // The contended counter rows last: their locks are held for this UPDATE and the commit.
        if (!(await this.deps.quota.reserveBoth(trx, accountId, window, batch.length))) throw new BatchDoesNotFit();
        bodyDone = true;
        return ids;
      });
      batch.forEach((w, i) => w.resolve(ids[i] as number));
    } catch (error) {
      // No transaction at all (no connection, BEGIN failed): these sends reserve alone, and meet
      // the error themselves.
      if (batch.length === 0) batch = take();
      // Failed at the commit itself: whether it landed is unknown, so nobody reserves again (an
      // unfinished reservation is returned at its deadline, as after a crash).
      if (bodyDone) for (const w of batch) w.reject(error);
      else for (const w of batch) w.resolve(null);
    }
  }
}
