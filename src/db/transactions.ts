import type { Knex } from 'knex';

/**
 * Runs work in one database transaction. Services that write several stores atomically receive
 * this instead of the raw `db`; the stores take the `trx` it hands out.
 */
export type Transact = <T>(work: (trx: Knex.Transaction) => Promise<T>) => Promise<T>;

export function transactWith(db: Knex): Transact {
  return (work) => db.transaction(work);
}

/**
 * For unit tests on in-memory fakes: the work runs directly; fakes ignore the handle (it is not a
 * connection, and a store given it by mistake fails loudly).
 */
export const inMemoryTransact: Transact = (work) => work(NOT_A_CONNECTION);

/** An in-memory fake that can take part in a rolled-back transaction: `snapshot` returns its undo. */
export interface InMemoryParticipant {
  snapshot(): () => void;
}

/**
 * `inMemoryTransact` with the all-or-nothing contract of a database transaction: work that throws
 * leaves the participating fakes as they were before it. One transaction at a time (unit tests
 * run their sends one after the other; a concurrent one would be undone with it).
 */
export function inMemoryTransactOver(participants: readonly InMemoryParticipant[]): Transact {
  return async (work) => {
    const undo = participants.map((p) => p.snapshot());
    try {
      return await work(NOT_A_CONNECTION);
    } catch (error) {
      for (const restore of undo.reverse()) restore();
      throw error;
    }
  };
}

const NOT_A_CONNECTION = new Proxy(() => undefined, {
  apply: () => {
    throw new Error('an in-memory transaction was handed to a database store');
  },
  get: (_target, prop) => {
    if (prop === 'then') return undefined;
    throw new Error('an in-memory transaction was handed to a database store');
  },
}) as unknown as Knex.Transaction;
