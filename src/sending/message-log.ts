import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import { dialectOf, parseJson, toBool } from '../db/database.ts';
import { PreparedShapes, runWrite, selectRows } from '../db/prepared.ts';
import { maskPhone } from '../lib/logger.ts';
import type { MessageType } from '../transport/transport.ts';
import type { MessageLogEntryResponse } from './message-response.schema.ts';
import type { SendSource } from './send-source.ts';

export type MessageStatus = 'reserved' | 'sent' | 'failed' | 'blocked' | 'delivered' | 'read' | 'played';
export type Outcome = 'allowed' | 'blocked';

export interface MessageRecord {
  id: number;
  accountId: string;
  instanceId: string | null;
  recipient: string | null;
  purpose: string | null;
  text: string | null;
  mediaType: MessageType | null;
  status: MessageStatus;
  outcome: Outcome;
  decidingCheck: string | null;
  errorCode: string | null;
  riskScore: number | null;
  riskRules: { id: string; weight: number; evidence?: string }[];
  flagged: boolean;
  waMessageId: string | null;
  reference: string | null;
  source: SendSource;
  integrationId: string | null;
  dayKey: string | null;
  monthKey: string | null;
  quotaHeld: boolean;
  failureReason: string | null;
  createdAt: number;
  updatedAt: number;
}

const TABLE = 'messages';
/** Rows per multi-row INSERT of a reservation batch (bindings stay far below every limit). */
const MULTI_ROW_CHUNK = 200;

// The skeleton's recipients within the window come from `skeleton_recipients` (one row per
// instance, skeleton and recipient with its latest send, kept by `insert`): a range of the
// (instance, skeleton, last_at) index, as many rows as recipients in the window. Scanning
// `messages` instead cost MariaDB 10.11 every earlier recipient's rows per send (a recursive
// `> r.h` step it cannot seek), about 2,400 index rows a send in bench:send.
const BEHAVIOUR_SQL =
  "SELECT 's' AS k, recipient_hash AS v FROM skeleton_recipients" +
  ' WHERE instance_id = ? AND skeleton_hash = ? AND last_at >= ?' +
  " UNION ALL SELECT 'o' AS k, COUNT(*) AS v FROM inbound_messages" +
  " WHERE instance_id = ? AND classification = 'opt_out' AND received_at >= ?";
/** A send's row in `skeleton_recipients`: its time when later than the one kept. */
const SKELETON_RECIPIENT_SQL = {
  sqlite: [
    'INSERT INTO skeleton_recipients (instance_id, skeleton_hash, recipient_hash, last_at)',
    'ON CONFLICT (instance_id, skeleton_hash, recipient_hash) DO UPDATE SET last_at = MAX(last_at, excluded.last_at)',
  ],
  mysql: [
    'INSERT INTO skeleton_recipients (instance_id, skeleton_hash, recipient_hash, last_at)',
    'ON DUPLICATE KEY UPDATE last_at = GREATEST(last_at, VALUES(last_at))',
  ],
} as const;
// A range of `messages_new_recipient_idx` (covering): the instance's new recipients in the window,
// not all its sends in the window. SQLite is told the index: with statistics it may prefer walking
// (instance_id, recipient_hash) for the DISTINCT, every send of the instance.
const NEW_RECIPIENTS_SQL = {
  sqlite: " UNION ALL SELECT 'n' AS k, COUNT(DISTINCT recipient_hash) AS v FROM messages INDEXED BY messages_new_recipient_idx",
  mysql: " UNION ALL SELECT 'n' AS k, COUNT(DISTINCT recipient_hash) AS v FROM messages",
} as const;
const NEW_RECIPIENTS_WHERE = " WHERE instance_id = ? AND new_recipient = 1 AND outcome = 'allowed' AND created_at >= ?";

/** Recipients are hashed (keyed by account) for behaviour queries and for logs leaving the database. */
export function recipientHash(accountId: string, recipient: string): string {
  return createHash('sha256').update(`${accountId}:${recipient}`).digest('hex');
}

export function fromRow(row: Record<string, unknown>): MessageRecord {
  return {
    id: Number(row.id),
    accountId: String(row.account_id),
    instanceId: (row.instance_id as string | null) ?? null,
    recipient: (row.recipient as string | null) ?? null,
    purpose: (row.purpose as string | null) ?? null,
    text: (row.text as string | null) ?? null,
    mediaType: (row.media_type as MessageType | null) ?? null,
    status: String(row.status) as MessageStatus,
    outcome: String(row.outcome) as Outcome,
    decidingCheck: (row.deciding_check as string | null) ?? null,
    errorCode: (row.error_code as string | null) ?? null,
    riskScore: row.risk_score == null ? null : Number(row.risk_score),
    riskRules: parseJson(row.risk_rules, []),
    flagged: toBool(row.flagged),
    waMessageId: (row.wa_message_id as string | null) ?? null,
    reference: (row.reference as string | null) ?? null,
    source: String(row.source) as MessageRecord['source'],
    integrationId: (row.integration_id as string | null) ?? null,
    dayKey: (row.day_key as string | null) ?? null,
    monthKey: (row.month_key as string | null) ?? null,
    quotaHeld: toBool(row.quota_held),
    failureReason: (row.failure_reason as string | null) ?? null,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

export interface MessageQuery {
  accountId?: string;
  instanceId?: string;
  outcome?: Outcome;
  status?: string;
  errorCode?: string;
  /** Decided at or after (epoch ms). */
  createdFrom?: number;
  /** Decided before (epoch ms). */
  createdBefore?: number;
  limit: number;
  beforeId?: number;
}

/** What inbound handling reads and changes of the message log (receipts, echoes, opt-in answers). */
export type InboundMessageLog = Pick<MessageLog, 'findByWaId' | 'statusOf' | 'updateIf' | 'lastSentSource'>;

/** What the send pipeline and its recovery use of the message log; `FakeMessageLog` implements it. */
export type SendMessageLog = Pick<
  MessageLog,
  'insert' | 'insertMany' | 'update' | 'updateIf' | 'markInterrupted' | 'get' | 'hasContacted' | 'behaviour' | 'staleReservations'
>;

export class MessageLog {
  // The send path's writes, compiled once per set of columns (see `PreparedShapes`).
  private readonly inserts: PreparedShapes;
  private readonly updates: PreparedShapes;
  private readonly conditionalUpdates: PreparedShapes;
  private returning: Promise<boolean> | undefined;

  constructor(private readonly db: Knex) {
    this.inserts = new PreparedShapes(db, (row) => db(TABLE).insert(row));
    this.updates = new PreparedShapes(db, (patch, p) => db(TABLE).where({ id: p.id }).update(patch), ['id']);
    this.conditionalUpdates = new PreparedShapes(
      db,
      (patch, p) => db(TABLE).where({ id: p.id, status: p.status }).update(patch),
      ['id', 'status'],
    );
  }

  /** Writes a message row; a send's row (with its skeleton) also updates `skeleton_recipients`. */
  async insert(trx: Knex | Knex.Transaction, row: Record<string, unknown>): Promise<number> {
    return (await this.insertMany(trx, [row]))[0] as number;
  }

  /**
   * `insert` for several rows in one transaction (a reservation batch): the rows in one multi-row
   * INSERT … RETURNING id where the database has it (SQLite, MariaDB 10.5+; MySQL 8 writes them one
   * by one), then their `skeleton_recipients` in one statement.
   */
  async insertMany(trx: Knex | Knex.Transaction, rows: readonly Record<string, unknown>[]): Promise<number[]> {
    const ids: number[] = [];
    if (rows.length > 1 && (await this.insertReturns(trx))) {
      for (let at = 0; at < rows.length; at += MULTI_ROW_CHUNK) {
        const chunk = rows.slice(at, at + MULTI_ROW_CHUNK);
        for (const { sql, bindings, indexes } of this.inserts.multiRow(chunk)) {
          // One statement's auto-increment ids rise in its VALUES order; RETURNING's own order is
          // not promised (SQLite), so the ids are matched to the rows sorted.
          const got = (await selectRows(trx, `${sql} returning id`, bindings)).map((r) => Number(r.id));
          if (got.length !== indexes.length) throw new Error(`insert returned ${got.length} ids for ${indexes.length} rows`);
          got.sort((a, b) => a - b);
          indexes.forEach((index, i) => (ids[at + index] = got[i] as number));
        }
      }
    } else
      for (const row of rows) {
        const { sql, bindings } = this.inserts.bindings(row);
        ids.push((await runWrite(trx, sql, bindings)).insertId);
      }
    const seen: unknown[] = [];
    for (const row of rows) {
      const { instance_id: instanceId, skeleton_hash: skeleton, recipient_hash: recipient, created_at: at } = row;
      if (instanceId != null && skeleton != null && recipient != null && at != null)
        seen.push(instanceId, skeleton, recipient, at);
    }
    if (seen.length > 0) {
      const [head, tail] = SKELETON_RECIPIENT_SQL[dialectOf(trx)];
      const tuples = Array.from({ length: seen.length / 4 }, () => '(?, ?, ?, ?)').join(', ');
      await runWrite(trx, `${head} VALUES ${tuples} ${tail}`, seen);
    }
    return ids;
  }

  /** Whether INSERT … RETURNING works here: SQLite (3.35+) and MariaDB 10.5+, not MySQL. Asked once. */
  private insertReturns(trx: Knex | Knex.Transaction): Promise<boolean> {
    if (dialectOf(trx) === 'sqlite') return Promise.resolve(true);
    this.returning ??= selectRows(trx, 'SELECT VERSION() AS v', []).then(
      (rows) => {
        const m = /^(\d+)\.(\d+).*mariadb/i.exec(String(rows[0]?.v ?? ''));
        return m !== null && Number(m[1]) * 100 + Number(m[2]) >= 1005;
      },
      () => {
        this.returning = undefined;
        return false;
      },
    );
    return this.returning;
  }

  async update(trx: Knex | Knex.Transaction, id: number, patch: Record<string, unknown>): Promise<void> {
    const { sql, bindings } = this.updates.bindings(patch, { id });
    await runWrite(trx, sql, bindings);
  }

  /** Update a row only while it is still `status`; the number of rows changed (0 or 1). */
  async updateIf(
    trx: Knex | Knex.Transaction,
    id: number,
    status: string,
    patch: Record<string, unknown>,
  ): Promise<number> {
    const { sql, bindings } = this.conditionalUpdates.bindings(patch, { id, status });
    return (await runWrite(trx, sql, bindings)).changes;
  }

  /**
   * An interrupted send gives its reservation back: its `reserved` row that still holds quota
   * becomes `failed` / `interrupted`. Conditional, so a second caller (another node, the sweeper)
   * changes nothing: true only for the caller that changed the row.
   */
  async markInterrupted(trx: Knex | Knex.Transaction, id: number, now: number): Promise<boolean> {
    const n = await trx(TABLE).where({ id, status: 'reserved', quota_held: true }).update({
      status: 'failed',
      error_code: 'gateway_send_failed',
      failure_reason: 'interrupted',
      quota_held: false,
      updated_at: now,
    });
    return n === 1;
  }

  /** The status the row has now, read inside `trx` where it is about to be changed (null: no row). */
  async statusOf(trx: Knex | Knex.Transaction, id: number): Promise<string | null> {
    const row = await trx(TABLE).where({ id }).first('status');
    return row ? String(row.status) : null;
  }

  /** The source (a SendSource) of the account's last message that reached this recipient. */
  async lastSentSource(accountId: string, recipient: string): Promise<string | null> {
    const last = await this.db(TABLE)
      .where({ account_id: accountId, recipient, outcome: 'allowed' })
      .whereIn('status', ['sent', 'delivered', 'read', 'played'])
      .orderBy('id', 'desc')
      .first('source');
    return last ? String(last.source) : null;
  }

  async get(id: number, accountId?: string): Promise<MessageRecord | null> {
    const q = this.db(TABLE).where({ id });
    if (accountId) q.andWhere({ account_id: accountId });
    const row = await q.first();
    return row ? fromRow(row) : null;
  }

  async findByWaId(instanceId: string, waMessageId: string): Promise<MessageRecord | null> {
    const row = await this.db(TABLE).where({ instance_id: instanceId, wa_message_id: waMessageId }).first();
    return row ? fromRow(row) : null;
  }

  async list(query: MessageQuery): Promise<MessageRecord[]> {
    const q = this.db(TABLE).orderBy('id', 'desc').limit(query.limit);
    if (query.accountId) q.where({ account_id: query.accountId });
    if (query.instanceId) q.where({ instance_id: query.instanceId });
    if (query.outcome) q.where({ outcome: query.outcome });
    if (query.status) q.where({ status: query.status });
    if (query.errorCode) q.where({ error_code: query.errorCode });
    if (query.createdFrom !== undefined) q.where('created_at', '>=', query.createdFrom);
    if (query.createdBefore !== undefined) q.where('created_at', '<', query.createdBefore);
    if (query.beforeId) q.where('id', '<', query.beforeId);
    return (await q).map(fromRow);
  }

  /** Has this instance ever sent to this recipient (allowed sends only)? */
  async hasContacted(instanceId: string, hash: string): Promise<boolean> {
    return Boolean(await this.contactHistory(instanceId, hash).first('id'));
  }

  /** The rows that make the recipient "contacted" by the instance: its allowed sends, in flight or on. */
  contactHistory(instanceId: string, hash: string): Knex.QueryBuilder {
    return this.db(TABLE)
      .where({ instance_id: instanceId, recipient_hash: hash, outcome: 'allowed' })
      .whereIn('status', ['sent', 'delivered', 'read', 'played', 'reserved']);
  }

  /**
   * The behaviour facts the risk check scores, in one statement: the distinct recipients that got
   * this skeleton from the instance since `since`, the opt-outs the instance received since `since`,
   * and, when `newSince` is given, the distinct new recipients it reached since then.
   */
  async behaviour(
    instanceId: string,
    skeletonHash: string,
    since: number,
    newSince: number | null,
  ): Promise<{ skeletonRecipients: Set<string>; optOuts: number; newRecipients: number }> {
    const bindings: (string | number)[] = [instanceId, skeletonHash, since, instanceId, since];
    let sql = BEHAVIOUR_SQL;
    if (newSince !== null) {
      sql += NEW_RECIPIENTS_SQL[dialectOf(this.db)] + NEW_RECIPIENTS_WHERE;
      bindings.push(instanceId, newSince);
    }
    const rows = (await selectRows(this.db, sql, bindings)) as { k: string; v: unknown }[];
    const facts = { skeletonRecipients: new Set<string>(), optOuts: 0, newRecipients: 0 };
    for (const row of rows) {
      if (row.k === 's') facts.skeletonRecipients.add(String(row.v));
      else if (row.k === 'o') facts.optOuts = Number(row.v);
      else facts.newRecipients = Number(row.v);
    }
    return facts;
  }

  /** Reservations left behind by a crash mid-send: give their quota back. */
  async staleReservations(olderThan: number, limit = 500, accountId?: string): Promise<MessageRecord[]> {
    const query = this.db(TABLE)
      .where({ status: 'reserved', quota_held: true })
      .andWhere('updated_at', '<', olderThan)
      .limit(limit);
    if (accountId) query.andWhere({ account_id: accountId });
    const rows = await query;
    return rows.map(fromRow);
  }
}

export function presentMessage(m: MessageRecord): MessageLogEntryResponse {
  return {
    log_id: m.id,
    instance_id: m.instanceId,
    recipient: m.recipient,
    purpose: m.purpose,
    text: m.text,
    media_type: m.mediaType,
    status: m.status,
    outcome: m.outcome,
    deciding_check: m.decidingCheck,
    error: m.errorCode,
    risk_score: m.riskScore,
    risk_rules: m.riskRules,
    flagged: m.flagged,
    message_id: m.waMessageId,
    reference: m.reference,
    source: m.source,
    failure_reason: m.failureReason,
    created_at: new Date(m.createdAt).toISOString(),
    updated_at: new Date(m.updatedAt).toISOString(),
  };
}

/** For logs leaving the database. */
export function maskedRecipient(m: { recipient: string | null }): string | null {
  return m.recipient ? maskPhone(m.recipient) : null;
}
