import type { InMemoryParticipant } from '../db/transactions.ts';
import {
  fromRow,
  type InboundMessageLog,
  type MessageQuery,
  type MessageRecord,
  type SendMessageLog,
} from './message-log.ts';

type Row = Record<string, unknown>;

/** The statuses that make a recipient "contacted" (as `MessageLog.contactHistory`). */
const CONTACTED = ['sent', 'delivered', 'read', 'played', 'reserved'];

/**
 * `MessageLog` in memory: rows keyed by id, in the table's own column names, read back through
 * the real `fromRow`. Opt-outs the behaviour read counts (inbound messages live elsewhere) are
 * added by the test with `addOptOut`.
 */
export class FakeMessageLog implements SendMessageLog, InboundMessageLog, InMemoryParticipant {
  rows = new Map<number, Row>();
  private nextId = 1;
  private readonly optOuts: { instanceId: string; at: number }[] = [];

  snapshot(): () => void {
    const rows = new Map([...this.rows].map(([id, row]) => [id, { ...row }]));
    const nextId = this.nextId;
    return () => {
      this.rows = rows;
      this.nextId = nextId;
    };
  }

  /** Every row, oldest first, as the log presents them. */
  all(query: Partial<MessageQuery> = {}): MessageRecord[] {
    return [...this.rows.values()]
      .map(fromRow)
      .filter((m) => query.accountId === undefined || m.accountId === query.accountId)
      .filter((m) => query.status === undefined || m.status === query.status);
  }

  addOptOut(instanceId: string, at: number): void {
    this.optOuts.push({ instanceId, at });
  }

  async insertMany(trx: unknown, rows: readonly Row[]): Promise<number[]> {
    const ids: number[] = [];
    for (const row of rows) ids.push(await this.insert(trx, row));
    return ids;
  }

  async insert(_trx: unknown, row: Row): Promise<number> {
    const id = this.nextId++;
    this.rows.set(id, { ...row, id });
    return id;
  }

  async update(_trx: unknown, id: number, patch: Row): Promise<void> {
    const row = this.rows.get(id);
    if (row) Object.assign(row, patch);
  }

  async updateIf(_trx: unknown, id: number, status: string, patch: Row): Promise<number> {
    const row = this.rows.get(id);
    if (!row || row.status !== status) return 0;
    Object.assign(row, patch);
    return 1;
  }

  async markInterrupted(_trx: unknown, id: number, now: number): Promise<boolean> {
    const row = this.rows.get(id);
    if (!row || row.status !== 'reserved' || !row.quota_held) return false;
    Object.assign(row, {
      status: 'failed',
      error_code: 'gateway_send_failed',
      failure_reason: 'interrupted',
      quota_held: false,
      updated_at: now,
    });
    return true;
  }

  async get(id: number, accountId?: string): Promise<MessageRecord | null> {
    const row = this.rows.get(id);
    if (!row || (accountId !== undefined && row.account_id !== accountId)) return null;
    return fromRow(row);
  }

  async findByWaId(instanceId: string, waMessageId: string): Promise<MessageRecord | null> {
    const row = [...this.rows.values()].find((r) => r.instance_id === instanceId && r.wa_message_id === waMessageId);
    return row ? fromRow(row) : null;
  }

  async statusOf(_trx: unknown, id: number): Promise<string | null> {
    const row = this.rows.get(id);
    return row ? String(row.status) : null;
  }

  async lastSentSource(accountId: string, recipient: string): Promise<string | null> {
    const sent = [...this.rows.values()].filter(
      (r) =>
        r.account_id === accountId &&
        r.recipient === recipient &&
        r.outcome === 'allowed' &&
        ['sent', 'delivered', 'read', 'played'].includes(String(r.status)),
    );
    const last = sent.sort((a, b) => Number(b.id) - Number(a.id))[0];
    return last ? String(last.source) : null;
  }

  async hasContacted(instanceId: string, hash: string): Promise<boolean> {
    return [...this.rows.values()].some(
      (r) =>
        r.instance_id === instanceId &&
        r.recipient_hash === hash &&
        r.outcome === 'allowed' &&
        CONTACTED.includes(String(r.status)),
    );
  }

  async behaviour(
    instanceId: string,
    skeletonHash: string,
    since: number,
    newSince: number | null,
  ): Promise<{ skeletonRecipients: Set<string>; optOuts: number; newRecipients: number }> {
    const ofInstance = [...this.rows.values()].filter((r) => r.instance_id === instanceId);
    // A recipient counts when its latest send of the skeleton is recent (as the loose index scan).
    const latest = new Map<string, number>();
    for (const r of ofInstance) {
      if (r.skeleton_hash !== skeletonHash || r.recipient_hash == null) continue;
      const hash = String(r.recipient_hash);
      latest.set(hash, Math.max(latest.get(hash) ?? -Infinity, Number(r.created_at)));
    }
    const skeletonRecipients = new Set([...latest].filter(([, at]) => at >= since).map(([hash]) => hash));
    const optOuts = this.optOuts.filter((o) => o.instanceId === instanceId && o.at >= since).length;
    const newRecipients =
      newSince === null
        ? 0
        : new Set(
            ofInstance
              .filter((r) => r.new_recipient && r.outcome === 'allowed' && Number(r.created_at) >= newSince)
              .map((r) => r.recipient_hash),
          ).size;
    return { skeletonRecipients, optOuts, newRecipients };
  }

  async staleReservations(olderThan: number, limit = 500, accountId?: string): Promise<MessageRecord[]> {
    return [...this.rows.values()]
      .filter((r) => r.status === 'reserved' && r.quota_held && Number(r.updated_at) < olderThan)
      .filter((r) => accountId === undefined || r.account_id === accountId)
      .slice(0, limit)
      .map(fromRow);
  }
}
