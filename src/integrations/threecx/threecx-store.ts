import type { Knex } from 'knex';
import { affected, isUniqueViolation, parseJson, toBool } from '../../db/database.ts';
import type { TemplateEvent } from './threecx-templates.ts';

/** One 3CX integration (a row of `threecx_integrations`). */
export interface ThreeCxIntegration {
  id: string;
  accountId: string;
  instanceId: string;
  businessName: string | null;
  enabled: boolean;
  /** AES-256-GCM ciphertext of the shared secret (see SecretBox); never leaves the gateway. */
  secretCiphertext: string;
  /** The first characters of the secret, to tell secrets apart in lists. */
  secretHint: string;
  requireHmac: boolean;
  ipAllowlist: string[];
  trustedProxies: string[];
  outboundEnabled: boolean;
  callEventsEnabled: boolean;
  enabledCallEvents: TemplateEvent[];
  /** Per-event overrides of `templates/3cx/<event>.hbs` (validated when saved). */
  templates: Partial<Record<TemplateEvent, string>>;
  strictWindow: boolean;
  windowHours: number;
  destinationUrl: string | null;
  /** The `webhook_endpoints` row forwarding inbound messages to `destinationUrl`. */
  forwardWebhookId: string | null;
  createdAt: number;
  updatedAt: number;
}

export interface IntegrationRow {
  id: string;
  account_id: string;
  instance_id: string;
  business_name: string | null;
  enabled: boolean;
  secret_ciphertext: string;
  secret_hint: string;
  require_hmac: boolean;
  ip_allowlist: string[];
  trusted_proxies: string[];
  outbound_enabled: boolean;
  call_events_enabled: boolean;
  enabled_call_events: TemplateEvent[];
  templates: Partial<Record<TemplateEvent, string>>;
  strict_window: boolean;
  window_hours: number;
  destination_url: string | null;
  forward_webhook_id: string | null;
  created_at: number;
  updated_at: number;
}

export type IntegrationPatch = Partial<Omit<IntegrationRow, 'id' | 'account_id' | 'created_at'>> & {
  updated_at: number;
};

export interface ThreeCxEventRecord {
  integration_id: string;
  account_id: string;
  event_type: string | null;
  outcome: 'sent' | 'skipped' | 'accepted' | 'refused';
  error_code: string | null;
  reason: string | null;
  phone: string | null;
  log_id: number | null;
  request_id: string | null;
  created_at: number;
}

const TABLE = 'threecx_integrations';
const JSON_COLUMNS = ['ip_allowlist', 'trusted_proxies', 'enabled_call_events', 'templates'] as const;

function fromRow(row: Record<string, unknown>): ThreeCxIntegration {
  return {
    id: String(row.id),
    accountId: String(row.account_id),
    instanceId: String(row.instance_id),
    businessName: (row.business_name as string | null) ?? null,
    enabled: toBool(row.enabled),
    secretCiphertext: String(row.secret_ciphertext),
    secretHint: String(row.secret_hint),
    requireHmac: toBool(row.require_hmac),
    ipAllowlist: parseJson<string[]>(row.ip_allowlist, []),
    trustedProxies: parseJson<string[]>(row.trusted_proxies, []),
    outboundEnabled: toBool(row.outbound_enabled),
    callEventsEnabled: toBool(row.call_events_enabled),
    enabledCallEvents: parseJson<TemplateEvent[]>(row.enabled_call_events, []),
    templates: parseJson<Partial<Record<TemplateEvent, string>>>(row.templates, {}),
    strictWindow: toBool(row.strict_window),
    windowHours: Number(row.window_hours),
    destinationUrl: (row.destination_url as string | null) ?? null,
    forwardWebhookId: (row.forward_webhook_id as string | null) ?? null,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

function toDb(row: Record<string, unknown>): Record<string, unknown> {
  const out = { ...row };
  for (const column of JSON_COLUMNS) if (out[column] !== undefined) out[column] = JSON.stringify(out[column]);
  return out;
}

/** Thin, portable persistence for the 3CX middleware; reads for customers are scoped by account. */
export class ThreeCxStore {
  constructor(private readonly db: Knex) {}

  async insert(row: IntegrationRow, trx: Knex = this.db): Promise<void> {
    await trx(TABLE).insert(toDb(row as unknown as Record<string, unknown>));
  }

  /** Any integration by id (the webhook endpoint: the id in the URL is all it has). */
  async get(id: string): Promise<ThreeCxIntegration | null> {
    const row = await this.db(TABLE).where({ id }).first();
    return row ? fromRow(row) : null;
  }

  async getForAccount(accountId: string, id: string): Promise<ThreeCxIntegration | null> {
    const row = await this.db(TABLE).where({ id, account_id: accountId }).first();
    return row ? fromRow(row) : null;
  }

  async listForAccount(
    accountId: string,
    page: { limit: number; offset: number },
  ): Promise<ThreeCxIntegration[]> {
    const rows = await this.db(TABLE)
      .where({ account_id: accountId })
      .orderBy([
        { column: 'created_at', order: 'asc' },
        { column: 'id', order: 'asc' },
      ])
      .limit(page.limit)
      .offset(page.offset);
    return rows.map(fromRow);
  }

  async update(id: string, patch: IntegrationPatch, trx: Knex = this.db): Promise<number> {
    return affected(await trx(TABLE).where({ id }).update(toDb(patch)));
  }

  async remove(id: string, trx: Knex = this.db): Promise<void> {
    await trx(TABLE).where({ id }).delete();
    await trx('threecx_cooldowns').where({ integration_id: id }).delete();
    await trx('threecx_replays').where({ integration_id: id }).delete();
    await trx('threecx_events').where({ integration_id: id }).delete();
  }

  /**
   * Records a signature as used until `expiresAt`. False when it was already used and has not
   * expired: a replay. The primary key decides, so two nodes cannot both accept one request.
   */
  async claimSignature(
    integrationId: string,
    signatureHash: string,
    now: number,
    expiresAt: number,
  ): Promise<boolean> {
    await this.db('threecx_replays')
      .where({ integration_id: integrationId })
      .andWhere('expires_at', '<=', now)
      .delete();
    try {
      await this.db('threecx_replays').insert({
        integration_id: integrationId,
        signature_hash: signatureHash,
        expires_at: expiresAt,
      });
      return true;
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }

  /**
   * Claims the cooldown of (integration, event, phone) until `until`. Either the first insert
   * or a conditional update of an expired row wins; anything else means "still cooling down"
   * and returns when that ends.
   */
  async claimCooldown(
    key: { integrationId: string; eventType: string; phone: string },
    now: number,
    until: number,
  ): Promise<{ ok: true } | { ok: false; expiresAt: number }> {
    const where = {
      integration_id: key.integrationId,
      event_type: key.eventType,
      phone: key.phone,
    };
    try {
      await this.db('threecx_cooldowns').insert({
        ...where,
        expires_at: until,
      });
      return { ok: true };
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
    }
    const updated = affected(
      await this.db('threecx_cooldowns')
        .where(where)
        .andWhere('expires_at', '<=', now)
        .update({ expires_at: until }),
    );
    if (updated > 0) return { ok: true };
    const row = (await this.db('threecx_cooldowns').where(where).first('expires_at')) as
      | { expires_at: number | string }
      | undefined;
    return { ok: false, expiresAt: Number(row?.expires_at ?? until) };
  }

  /** Gives a claim back (the send was refused), only if it is still ours. */
  async releaseCooldown(
    key: { integrationId: string; eventType: string; phone: string },
    until: number,
  ): Promise<void> {
    await this.db('threecx_cooldowns')
      .where({
        integration_id: key.integrationId,
        event_type: key.eventType,
        phone: key.phone,
        expires_at: until,
      })
      .delete();
  }

  /** The contact's last inbound WhatsApp message on the instance (the conversation window), or null. */
  async lastInboundAt(instanceId: string, contact: string): Promise<number | null> {
    const row = (await this.db('conversation_windows')
      .where({ instance_id: instanceId, contact })
      .first('last_inbound_at')) as { last_inbound_at: number | string } | undefined;
    return row ? Number(row.last_inbound_at) : null;
  }

  async recordEvent(record: ThreeCxEventRecord): Promise<void> {
    await this.db('threecx_events').insert(record);
  }

  async listEvents(
    integrationId: string,
    page: { limit: number; beforeId?: number | undefined },
  ): Promise<Record<string, unknown>[]> {
    const q = this.db('threecx_events')
      .where({ integration_id: integrationId })
      .orderBy('id', 'desc')
      .limit(page.limit);
    if (page.beforeId !== undefined) q.andWhere('id', '<', page.beforeId);
    return q;
  }
}
