/**
 * Group commit of finished webhook attempts: attempts that finish while a finalize transaction
 * is running (or in the same event-loop turn) are written together in the next one. Under load
 * this turns hundreds of small transactions into a few larger ones; when idle it adds no delay
 * beyond one tick.
 */
import type { FinalizeItem } from './delivery-finalize.ts';
import type { WebhookDeliveryStore } from './webhook-delivery-store.ts';

/** Attempts recorded per finalize transaction at most. */
const MAX_FINALIZE_BATCH = 64;
/** Longest wait for more finished attempts before a finalize transaction starts. */
const FINALIZE_GATHER_MS = 2;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface FinalizeBatcherOptions {
  deliveries: Pick<WebhookDeliveryStore, 'finalizeMany'>;
  /** Finalize transactions that may run at once (the store's connection parallelism). */
  parallelism: number;
  /** A batch this size is worth a second flusher, and worth no gathering wait. */
  fullBatch: number;
  /** True while attempts are still in their HTTP exchange (more results are about to land). */
  attemptsInProgress: () => boolean;
}

export class FinalizeBatcher {
  private readonly queue: {
    item: FinalizeItem;
    resolve: (fenced: boolean) => void;
    reject: (error: unknown) => void;
  }[] = [];
  private flushers = 0;

  constructor(private readonly options: FinalizeBatcherOptions) {}

  /** Records one attempt; resolves false when the lease was lost (the write was fenced off). */
  finalize(item: FinalizeItem): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.maybeFlush();
    });
  }

  /** One flusher at a time, or a second one (MySQL) when a full batch is already waiting. */
  private maybeFlush(): void {
    if (this.queue.length === 0) return;
    if (
      this.flushers > 0 &&
      (this.flushers >= this.options.parallelism || this.queue.length < this.options.fullBatch)
    )
      return;
    this.flushers += 1;
    void this.flush().finally(() => {
      this.flushers -= 1;
      this.maybeFlush();
    });
  }

  private async flush(): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    // While attempts are still landing, wait a moment for more of them: a finalize transaction
    // costs about the same for 2 rows as for 16. Recording is off the delivery path, so this
    // delays no receiver; it only keeps the lease a millisecond or two longer.
    if (this.queue.length < this.options.fullBatch && this.options.attemptsInProgress())
      await sleep(FINALIZE_GATHER_MS);
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, MAX_FINALIZE_BATCH);
      try {
        const fenced = await this.options.deliveries.finalizeMany(batch.map((b) => b.item));
        for (const [i, b] of batch.entries()) b.resolve(fenced[i] === true);
      } catch (error) {
        for (const b of batch) b.reject(error);
      }
    }
  }
}
