import type { Knex } from 'knex';

interface Job {
  work: (trx: Knex.Transaction) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

const MAX_BATCH = 64;

/**
 * The queue both group commits share (`GroupCommit`, `ReservationBatcher`): jobs queue while a
 * batch waits for its event-loop turn (`nextTurn`) and its connection, or runs; one batch at a time
 * is in flight. `commit` is given `take`, which it calls once the connection is its own: the jobs
 * queued by then (at most `MAX_BATCH`) are the batch. `onIdle` runs when the queue is empty again.
 */
export class BatchLane<J> {
  private readonly waiting: J[] = [];
  private running = false;

  constructor(
    private readonly commit: (take: () => J[]) => Promise<void>,
    private readonly onIdle?: () => void,
  ) {}

  push(job: J): void {
    this.waiting.push(job);
    if (!this.running) void this.drain();
  }

  private async drain(): Promise<void> {
    this.running = true;
    const take = () => this.waiting.splice(0, MAX_BATCH);
    while (this.waiting.length > 0) {
      await nextTurn();
      await this.commit(take);
    }
    this.running = false;
    this.onIdle?.();
  }
}

/**
 * A store that writes a batch's rows of its own in one statement: `begin` when a batch's
 * transaction starts, `flush` (its statement) after the batch's last job, before the COMMIT. A
 * failing flush fails the batch like a failing job (each job then runs again alone, unbatched).
 */
export interface BatchParticipant {
  begin(trx: Knex.Transaction): void;
  flush(trx: Knex.Transaction): Promise<void>;
}

/**
 * Let the event loop take one turn (its I/O callbacks run) before a batch takes its connection.
 * A better-sqlite3 transaction runs start to end in microtasks, so without this no other request
 * can ever reach the queue while one is in flight and nothing would batch. Idle, it costs
 * microseconds; busy, the requests that the turn moves forward join the batch.
 */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Group commit of independent transactions. `transaction(work)` means what `db.transaction(work)`
 * means: `work` runs in a transaction and the promise settles after its commit. But the jobs
 * submitted while another batch waits (for its event-loop turn, then its connection) or runs are
 * taken together, once the next batch has its connection, and run one after the other in one transaction with one COMMIT.
 * On SQLite (one connection, every COMMIT writes the WAL) that is where a busy send path spends
 * its time; on MySQL it saves a round trip and a log flush per job.
 *
 * Only for jobs that touch rows of their own (a send's own message row, new event rows): jobs of
 * one batch hold their locks until the shared commit. A job that throws rolls the whole batch
 * back; every job of it is then run again alone, so each one commits or fails exactly as it would
 * have without the batching. When the COMMIT itself fails, whether it landed is unknown: every
 * job of the batch gets that error, as a lone transaction's caller would.
 */
export class GroupCommit {
  private readonly lane = new BatchLane<Job>((take) => this.commit(take));

  constructor(
    private readonly db: Knex,
    private readonly participants: readonly BatchParticipant[] = [],
  ) {}

  transaction<T>(work: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.lane.push({ work, resolve: resolve as (value: unknown) => void, reject });
    });
  }

  private async commit(take: () => Job[]): Promise<void> {
    let batch: Job[] = [];
    let bodyDone = false;
    try {
      const results = await this.db.transaction(async (trx) => {
        // Formed once the connection is ours: what queued while this transaction waited joins it.
        batch = take();
        for (const p of this.participants) p.begin(trx);
        const results: unknown[] = [];
        for (const job of batch) results.push(await job.work(trx));
        for (const p of this.participants) await p.flush(trx);
        bodyDone = true;
        return results;
      });
      batch.forEach((job, i) => job.resolve(results[i]));
    } catch (error) {
      if (bodyDone) {
        for (const job of batch) job.reject(error);
        return;
      }
      // One job alone met the error as it would have unbatched; otherwise each runs again alone.
      if (batch.length === 1) {
        (batch[0] as Job).reject(error);
        return;
      }
      if (batch.length === 0) batch = take();
      for (const job of batch) this.db.transaction(job.work).then(job.resolve, job.reject);
    }
  }
}
