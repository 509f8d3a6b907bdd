import type { Knex } from 'knex';
import { isUniqueViolation } from '../db/database.ts';
import { prepare, type Prepared, selectRows } from '../db/prepared.ts';
import { SuppressionLockedError } from '../errors/errors.ts';
import type { Clock } from '../lib/clock.ts';
import type { MessageLog } from '../sending/message-log.ts';
import { newId } from '../lib/ids.ts';
import type { SuppressionResponse } from './suppression-response.schema.ts';

export type SuppressionReason = 'recipient_requested_stop' | 'customer_blocked' | 'admin_blocked';

export interface Suppression {
  id: string;
  scope: string;
  phone: string;
  reason: SuppressionReason;
  note: string | null;
  createdBy: string | null;
  createdAt: number;
}

export const GLOBAL_SCOPE = '*';

/** Whose contact history a suppression read brings along: the sending instance and the hashed recipient. */
export interface RecipientContact {
  instanceId: string;
  recipientHash: string;
}
const TABLE = 'suppressions';

function fromRow(row: Record<string, unknown>): Suppression {
  return {
    id: String(row.id),
    scope: String(row.scope),
    phone: String(row.phone),
    reason: String(row.reason) as SuppressionReason,
    note: (row.note as string | null) ?? null,
    createdBy: (row.created_by as string | null) ?? null,
    createdAt: Number(row.created_at),
  };
}

/** Of the entries found for a recipient, the one that applies: a gateway-wide block first. */
function applying(list: Suppression[]): Suppression | null {
  return list.find((s) => s.scope === GLOBAL_SCOPE) ?? list[0] ?? null;
}

/**
 * The suppression list. Numbers are stored in normalized E.164 so any form the caller used
 * matches. Scope is an account id, or `*` for a gateway-wide block by an admin.
 */
/** What the send pipeline reads of the suppression list; `FakeSuppressions` implements it. */
export type SuppressionReads = Pick<SuppressionService, 'findWithHistory'>;

export class SuppressionService {
  /** The statement of `findWithHistory`, history subquery included: compiled once, run with fresh bindings. */
  private readonly withHistory: Prepared<'phone' | 'accountId' | 'instanceId' | 'recipientHash'>;

  constructor(
    private readonly db: Knex,
    private readonly clock: Clock,
    /** Owns what makes a recipient "contacted"; its subquery joins the suppression read. */
    history: Pick<MessageLog, 'contactHistory'>,
  ) {
    this.withHistory = prepare(db, ['phone', 'accountId', 'instanceId', 'recipientHash'], (p) =>
      db
        .from(db.raw('(SELECT 1 AS one) base'))
        .leftJoin(TABLE, (j) =>
          j.onVal(`${TABLE}.phone`, '=', p.phone).andOnIn(`${TABLE}.scope`, [p.accountId, GLOBAL_SCOPE]),
        )
        .select(
          `${TABLE}.*`,
          history.contactHistory(p.instanceId, p.recipientHash).select('id').limit(1).as('history_row'),
        ),
    );
  }

  /** The suppression that applies to this recipient for this account, if any (global first). */
  async find(accountId: string, phone: string): Promise<Suppression | null> {
    const rows = await this.db(TABLE).where({ phone }).whereIn('scope', [accountId, GLOBAL_SCOPE]);
    return applying(rows.map(fromRow));
  }

  /**
   * `find`, and whether the instance sent to this recipient before (the message log's contact
   * history, as a subquery), in one read: the send path asks both about one recipient
   * (suppressed? contacted before?) in a single round trip.
   */
  async findWithHistory(
    accountId: string,
    phone: string,
    contact: RecipientContact,
  ): Promise<{ suppression: Suppression | null; hasHistory: boolean }> {
    const { sql, bindings } = this.withHistory;
    const rows = await selectRows(
      this.db,
      sql,
      bindings({ phone, accountId, instanceId: contact.instanceId, recipientHash: contact.recipientHash }),
    );
    return {
      suppression: applying(rows.filter((r) => r.id != null).map(fromRow)),
      hasHistory: rows[0]?.history_row != null,
    };
  }

  /** The reason of the entry for exactly this scope and number (no global fallback), or null. */
  async reasonIn(trx: Knex | Knex.Transaction, scope: string, phone: string): Promise<SuppressionReason | null> {
    const row = await trx(TABLE).where({ scope, phone }).first('reason');
    return row ? (String(row.reason) as SuppressionReason) : null;
  }

  async list(scope: string | null, options: { limit: number; offset: number }): Promise<Suppression[]> {
    const q = this.db(TABLE).orderBy('created_at', 'desc').limit(options.limit).offset(options.offset);
    if (scope !== null) q.where({ scope });
    return (await q).map(fromRow);
  }

  /**
   * Add (idempotent: an existing entry is returned unchanged, except that a recipient's own STOP
   * upgrades a customer block so the customer can no longer lift it).
   */
  async add(
    trx: Knex | Knex.Transaction,
    input: {
      scope: string;
      phone: string;
      reason: SuppressionReason;
      note?: string | null;
      createdBy?: string | null;
    },
  ): Promise<{ suppression: Suppression; created: boolean }> {
    const row = {
      id: newId('sup'),
      scope: input.scope,
      phone: input.phone,
      reason: input.reason,
      note: input.note ?? null,
      created_by: input.createdBy ?? null,
      created_at: this.clock.now().getTime(),
    };
    try {
      await trx(TABLE).insert(row);
      return { suppression: fromRow(row), created: true };
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      const existing = fromRow(await trx(TABLE).where({ scope: input.scope, phone: input.phone }).first());
      if (input.reason === 'recipient_requested_stop' && existing.reason !== 'recipient_requested_stop') {
        await trx(TABLE).where({ id: existing.id }).update({ reason: input.reason });
        existing.reason = input.reason;
      }
      return { suppression: existing, created: false };
    }
  }

  /**
   * Remove. A recipient's own STOP can only be lifted by the recipient (opt-in) or an admin.
   * Returns the removed entry, or null when there was none.
   */
  async remove(
    trx: Knex | Knex.Transaction,
    input: { scope: string; phone: string; by: 'customer' | 'admin' | 'recipient' },
  ): Promise<Suppression | null> {
    const row = await trx(TABLE).where({ scope: input.scope, phone: input.phone }).first();
    if (!row) return null;
    const existing = fromRow(row);
    if (existing.reason === 'recipient_requested_stop' && input.by === 'customer')
      throw new SuppressionLockedError();
    await trx(TABLE).where({ id: existing.id }).delete();
    return existing;
  }
}

export function presentSuppression(s: Suppression): SuppressionResponse {
  return {
    id: s.id,
    phone: s.phone,
    scope: s.scope === GLOBAL_SCOPE ? 'global' : 'account',
    account_id: s.scope === GLOBAL_SCOPE ? null : s.scope,
    reason: s.reason,
    note: s.note,
    created_by: s.createdBy,
    created_at: new Date(s.createdAt).toISOString(),
  };
}
