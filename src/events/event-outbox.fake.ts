import type { InMemoryParticipant } from '../db/transactions.ts';
import type { EventOutbox, NewEvent } from './event-outbox.ts';

/** `EventOutbox` in memory: the events a service emitted, in order, and how often it woke the worker. */
export class FakeEventOutbox implements Pick<EventOutbox, 'emit' | 'emitNow' | 'notify'>, InMemoryParticipant {
  readonly events: NewEvent[] = [];
  notified = 0;

  /** Events emitted in a transaction that is rolled back are gone with it. */
  snapshot(): () => void {
    const length = this.events.length;
    return () => {
      this.events.length = length;
    };
  }

  async emit(_trx: unknown, event: NewEvent): Promise<{ eventId: string; deliveries: number }> {
    this.events.push(event);
    return { eventId: `evt_${this.events.length}`, deliveries: 1 };
  }

  async emitNow(event: NewEvent): Promise<{ eventId: string; deliveries: number }> {
    const result = await this.emit(null, event);
    this.notify();
    return result;
  }

  notify(): void {
    this.notified += 1;
  }
}
