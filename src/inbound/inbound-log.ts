import type { Knex } from 'knex';
import { parseJson, toBool } from '../db/database.ts';
import type { InboundMessageResponse } from './inbound-response.schema.ts';

export type Classification = 'opt_out' | 'opt_in';

export interface InboundRecord {
  id: number;
  accountId: string;
  instanceId: string;
  waMessageId: string;
  fromPhone: string | null;
  fromLid: string | null;
  chat: string;
  isGroup: boolean;
  messageType: string;
  text: string | null;
  payload: Record<string, unknown>;
  mediaPath: string | null;
  classification: Classification | null;
  receivedAt: number;
  createdAt: number;
}

export interface InboundQuery {
  accountId: string;
  instanceId?: string | undefined;
  fromPhone?: string | undefined;
  messageType?: string | undefined;
  /** `none` selects rows without a classification. */
  classification?: Classification | 'none' | undefined;
  since?: number | undefined;
  until?: number | undefined;
  beforeId?: number | undefined;
  limit: number;
}

const TABLE = 'inbound_messages';

export function inboundFromRow(row: Record<string, unknown>): InboundRecord {
  return {
    id: Number(row.id),
    accountId: String(row.account_id),
    instanceId: String(row.instance_id),
    waMessageId: String(row.wa_message_id),
    fromPhone: (row.from_phone as string | null) ?? null,
    fromLid: (row.from_lid as string | null) ?? null,
    chat: String(row.chat),
    isGroup: toBool(row.is_group),
    messageType: String(row.message_type),
    text: (row.text as string | null) ?? null,
    payload: parseJson<Record<string, unknown>>(row.payload, {}),
    mediaPath: (row.media_path as string | null) ?? null,
    classification: (row.classification as Classification | null) ?? null,
    receivedAt: Number(row.received_at),
    createdAt: Number(row.created_at),
  };
}

/** The inbound log (`inbound_messages`): one row per message a contact sent to an instance. */
export class InboundLog {
  constructor(private readonly db: Knex) {}

  async insert(trx: Knex | Knex.Transaction, row: Record<string, unknown>): Promise<number> {
    const [id] = await trx(TABLE).insert(row);
    return Number(id);
  }

  async exists(instanceId: string, waMessageId: string): Promise<boolean> {
    return Boolean(
      await this.db(TABLE).where({ instance_id: instanceId, wa_message_id: waMessageId }).first('id'),
    );
  }

  async findByWaId(instanceId: string, waMessageId: string): Promise<InboundRecord | null> {
    const row = await this.db(TABLE).where({ instance_id: instanceId, wa_message_id: waMessageId }).first();
    return row ? inboundFromRow(row) : null;
  }

  async list(query: InboundQuery): Promise<InboundRecord[]> {
    const q = this.db(TABLE).where({ account_id: query.accountId }).orderBy('id', 'desc').limit(query.limit);
    if (query.instanceId) q.andWhere({ instance_id: query.instanceId });
    if (query.fromPhone) q.andWhere({ from_phone: query.fromPhone });
    if (query.messageType) q.andWhere({ message_type: query.messageType });
    if (query.classification === 'none') q.whereNull('classification');
    else if (query.classification) q.andWhere({ classification: query.classification });
    if (query.since !== undefined) q.andWhere('received_at', '>=', query.since);
    if (query.until !== undefined) q.andWhere('received_at', '<', query.until);
    if (query.beforeId !== undefined) q.andWhere('id', '<', query.beforeId);
    return (await q).map(inboundFromRow);
  }
}

export function presentInbound(r: InboundRecord): InboundMessageResponse {
  return {
    id: r.id,
    instance_id: r.instanceId,
    message_id: r.waMessageId,
    direction: 'inbound',
    from: r.fromPhone ?? (typeof r.payload.from === 'string' ? r.payload.from : null),
    from_lid: r.fromLid,
    chat: r.chat,
    is_group: r.isGroup,
    message_type: r.messageType,
    text: r.text,
    media_path: r.mediaPath,
    media_mime_type: (r.payload.media_mime_type as string | null | undefined) ?? null,
    media_size: (r.payload.media_size as number | null | undefined) ?? null,
    media_filename: (r.payload.media_filename as string | null | undefined) ?? null,
    classification: r.classification,
    received_at: new Date(r.receivedAt).toISOString(),
    payload: { ...r.payload, inbound_log_id: r.id },
  };
}
