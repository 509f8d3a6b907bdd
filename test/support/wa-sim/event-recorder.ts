/** Collects transport events and lets a test await the next one matching a predicate. */
import type { TransportEvent } from '../../../src/transport/transport.ts';

type Waiter = { match: (e: TransportEvent) => boolean; resolve: (e: TransportEvent) => void };

export class EventRecorder {
  /** every event, in order */
  readonly all: TransportEvent[] = [];
  private readonly unconsumed: TransportEvent[] = [];
  private readonly waiters: Waiter[] = [];

  readonly listener = (event: TransportEvent): void => {
    this.all.push(event);
    const w = this.waiters.find((x) => x.match(event));
    if (w) {
      this.waiters.splice(this.waiters.indexOf(w), 1);
      w.resolve(event);
      return;
    }
    this.unconsumed.push(event);
  };

  /** The next (not yet consumed) event of a type that matches `match`. */
  next<T extends TransportEvent['type']>(
    type: T,
    match: (e: Extract<TransportEvent, { type: T }>) => boolean = () => true,
    timeoutMs = 8000,
  ): Promise<Extract<TransportEvent, { type: T }>> {
    const pred = (e: TransportEvent): boolean => e.type === type && match(e as Extract<TransportEvent, { type: T }>);
    const found = this.unconsumed.find(pred);
    if (found) {
      this.unconsumed.splice(this.unconsumed.indexOf(found), 1);
      return Promise.resolve(found as Extract<TransportEvent, { type: T }>);
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        match: pred,
        resolve: (e) => {
          clearTimeout(timer);
          resolve(e as Extract<TransportEvent, { type: T }>);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        const seen = this.all.map((e) => e.type).join(', ');
        reject(new Error(`timed out after ${timeoutMs} ms waiting for a '${type}' event (seen: ${seen})`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  count(type: TransportEvent['type']): number {
    return this.all.filter((e) => e.type === type).length;
  }

  of<T extends TransportEvent['type']>(type: T): Array<Extract<TransportEvent, { type: T }>> {
    return this.all.filter((e) => e.type === type) as Array<Extract<TransportEvent, { type: T }>>;
  }
}
