import type { Knex } from 'knex';
import { parseJson } from '../db/database.ts';
import type { BatchParticipant } from '../db/group-commit.ts';
import { multiRowInsert, prepare, type Prepared, runWrite, selectRows } from '../db/prepared.ts';
import { type Clock, isoSeconds } from '../lib/clock.ts';
import { newId, newUuid } from '../lib/ids.ts';
import type { EventPayload } from './event-schemas.ts';
import type { EventEnvelope, EventType } from './event-types.ts';

/** An event type with its payload, one member per type (for lists of events built before emitting). */
export type TypedEvent = { [T in EventType]: { type: T; payload: EventPayload<T> } }[EventType];

/** An event to emit; its payload has the type its published schema describes. */
export interface NewEvent<T extends EventType = EventType> {
  type: T;
  accountId: string;
  instanceId: string | null;
  instanceName: string | null;
  payload: EventPayload<T>;
  /** WhatsApp message id the event is about, for the attempt log. */
  messageId?: string | null;
  /** Only deliver to this endpoint (test events). */
  onlyEndpointId?: string;
}

/** Fired after a commit that wrote deliveries, so the worker can wake instead of polling. */
export type OutboxListener = () => void;

/**
 * The outbox writer. `emit` must be called with the transaction that carries the state change:
 * the event row and one delivery row per subscribed endpoint commit (or roll back) with it.
 * Deliveries for disabled endpoints are written too and wait until the endpoint is re-enabled.
 */
type EventRow = Record<'id' | 'accountId' | 'instanceId' | 'type' | 'envelope' | 'createdAt', unknown>;

export class EventOutbox implements BatchParticipant {
  private listeners: OutboxListener[] = [];
  // Every state change's two statements, compiled once (see `prepare`).
  private readonly insertEvent: Prepared<'id' | 'accountId' | 'instanceId' | 'type' | 'envelope' | 'createdAt'>;
  private readonly accountEndpoints: Prepared<'accountId'>;
  private readonly endpointsByTransaction = new WeakMap<object, Map<string, Promise<Record<string, unknown>[]>>>();
  /** Event rows of a group-commit batch (see `begin`), written together by `flush`. */
  private readonly pendingByTransaction = new WeakMap<object, EventRow[]>();

  constructor(
    private readonly db: Knex,
    private readonly clock: Clock,
  ) {
    this.insertEvent = prepare(db, ['id', 'accountId', 'instanceId', 'type', 'envelope', 'createdAt'], (p) =>
      db('events').insert({
        id: p.id,
        account_id: p.accountId,
        instance_id: p.instanceId,
        type: p.type,
        envelope: p.envelope,
        created_at: p.createdAt,
      }),
    );
    this.accountEndpoints = prepare(db, ['accountId'], (p) =>
      db('webhook_endpoints').where({ account_id: p.accountId }).whereNull('deleted_at').select('id', 'instance_id', 'events'),
    );
  }

  onCommitted(listener: OutboxListener): void {
    this.listeners.push(listener);
  }

  /** Tell the worker new rows may be due (call after the transaction commits). */
  notify(): void {
    for (const listener of this.listeners) listener();
  }

  async emit<T extends EventType>(
    trx: Knex | Knex.Transaction,
    event: NewEvent<T>,
  ): Promise<{ eventId: string; deliveries: number }> {
    const now = this.clock.now();
    const eventId = newId('evt');
    const envelope: Omit<EventEnvelope<unknown>, 'request_id'> = {
      event: event.type,
      timestamp: isoSeconds(now),
      account_id: event.accountId,
      instance_id: event.instanceId,
      instance_name: event.instanceName,
      payload: event.payload,
    };
    const row: EventRow = {
      id: eventId,
      accountId: event.accountId,
      instanceId: event.instanceId,
      type: event.type,
      envelope: JSON.stringify(envelope),
      createdAt: now.getTime(),
    };
    const endpoints = event.onlyEndpointId
      ? await trx('webhook_endpoints')
          .where({ account_id: event.accountId })
          .whereNull('deleted_at')
          .andWhere({ id: event.onlyEndpointId })
          .select('id', 'instance_id', 'events')
      : await this.endpointsOf(trx, event.accountId);
    const rows = endpoints
      .filter((e) => event.onlyEndpointId || e.instance_id === null || e.instance_id === event.instanceId)
      .filter((e) => {
        if (event.onlyEndpointId) return true;
        const subscribed = parseJson<string[]>(e.events, []);
        return subscribed.includes('*') || subscribed.includes(event.type);
      })
      .map((e) => ({
        id: newUuid(),
        event_id: eventId,
        endpoint_id: String(e.id),
        account_id: event.accountId,
        event_type: event.type,
        instance_id: event.instanceId,
        message_id: event.messageId ?? null,
        status: 'pending',
        attempts: 0,
        next_attempt_at: now.getTime(),
        created_at: now.getTime(),
        updated_at: now.getTime(),
      }));
    const pending = this.pendingByTransaction.get(trx);
    if (pending) {
      pending.push(row);
      // Deliveries reference their event: the batch's events so far, this one last, are written first.
      if (rows.length > 0) await this.flush(trx as Knex.Transaction);
    } else await runWrite(trx, this.insertEvent.sql, this.insertEvent.bindings(row));
    if (rows.length > 0) await trx('webhook_deliveries').insert(rows);
    return { eventId, deliveries: rows.length };
  }

  /** A group-commit batch starts in `trx`: its events are held and written in one statement by `flush`. */
  begin(trx: Knex.Transaction): void {
    this.pendingByTransaction.set(trx, []);
  }

  /** Writes the held events of `trx`'s batch (one multi-row INSERT), in the order they were emitted. */
  async flush(trx: Knex.Transaction): Promise<void> {
    const pending = this.pendingByTransaction.get(trx);
    if (!pending || pending.length === 0) return;
    this.pendingByTransaction.set(trx, []);
    const { sql, bindings } = multiRowInsert(this.insertEvent, pending);
    await runWrite(trx, sql, bindings);
  }

  /**
   * The account's live endpoints, read once per transaction: a batch of sends finalized in one
   * transaction (see `GroupCommit`) emits many events of one account. Within a transaction that
   * does not change `webhook_endpoints` itself (none that emits does), a second read answers
   * what the first did: SQLite's writer holds the database, InnoDB's repeatable read keeps the
   * snapshot of the first read.
   */
  private async endpointsOf(trx: Knex | Knex.Transaction, accountId: string): Promise<Record<string, unknown>[]> {
    const read = () => selectRows(trx, this.accountEndpoints.sql, this.accountEndpoints.bindings({ accountId }));
    if (!trx.isTransaction) return read();
    let byAccount = this.endpointsByTransaction.get(trx);
    if (!byAccount) {
      byAccount = new Map();
      this.endpointsByTransaction.set(trx, byAccount);
    }
    let endpoints = byAccount.get(accountId);
    if (!endpoints) {
      endpoints = read();
      byAccount.set(accountId, endpoints);
    }
    return endpoints;
  }

  /** Emit outside any caller transaction (its own transaction), then wake the worker. */
  async emitNow<T extends EventType>(event: NewEvent<T>): Promise<{ eventId: string; deliveries: number }> {
    const result = await this.db.transaction((trx) => this.emit(trx, event));
    if (result.deliveries > 0) this.notify();
    return result;
  }
}
