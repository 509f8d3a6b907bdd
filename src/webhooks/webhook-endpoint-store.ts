import type { Knex } from 'knex';
import { affected, parseJson, toBool } from '../db/database.ts';

/** A customer's webhook subscription (one row of `webhook_endpoints`). */
export interface WebhookEndpoint {
  id: string;
  accountId: string;
  instanceId: string | null;
  destinationUrl: string;
  events: string[];
  /** The current signing secret (`whsec_…`). Never leaves the gateway after creation/rotation. */
  secret: string;
  /** The secret before the last rotation; still signs until `previousSecretExpiresAt`. */
  previousSecret: string | null;
  previousSecretExpiresAt: number | null;
  description: string | null;
  enabled: boolean;
  disabledReason: string | null;
  disabledAt: number | null;
  consecutiveFailures: number;
  createdAt: number;
  updatedAt: number;
  deletedAt: number | null;
}

export type DisabledReason = 'gone' | 'consecutive_failures' | 'manual';

/** Deliveries in a row are failed before the endpoint is switched off (SPEC §7.4). */
export const AUTO_DISABLE_AFTER_FAILURES = 10;

const TABLE = 'webhook_endpoints';

function num(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value);
}

export function endpointFromRow(row: Record<string, unknown>): WebhookEndpoint {
  return {
    id: String(row.id),
    accountId: String(row.account_id),
    instanceId: (row.instance_id as string | null) ?? null,
    destinationUrl: String(row.destination_url),
    events: parseJson<string[]>(row.events, []),
    secret: String(row.secret),
    previousSecret: (row.previous_secret as string | null) ?? null,
    previousSecretExpiresAt: num(row.previous_secret_expires_at),
    description: (row.description as string | null) ?? null,
    enabled: toBool(row.enabled),
    disabledReason: (row.disabled_reason as string | null) ?? null,
    disabledAt: num(row.disabled_at),
    consecutiveFailures: Number(row.consecutive_failures ?? 0),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    deletedAt: num(row.deleted_at),
  };
}

/**
 * The secrets that sign a delivery made at `now`: the current one, plus the previous one while
 * its rotation grace period lasts (newest first, as signWebhook expects).
 */
export function signingSecrets(
  endpoint: Pick<WebhookEndpoint, 'secret' | 'previousSecret' | 'previousSecretExpiresAt'>,
  now: number,
): string[] {
  const secrets = [endpoint.secret];
  if (endpoint.previousSecret && (endpoint.previousSecretExpiresAt ?? 0) > now) {
    secrets.push(endpoint.previousSecret);
  }
  return secrets;
}

export interface NewEndpointRow {
  id: string;
  account_id: string;
  instance_id: string | null;
  destination_url: string;
  events: string[];
  secret: string;
  description: string | null;
  created_at: number;
}

export interface EndpointPatch {
  instance_id?: string | null;
  destination_url?: string;
  events?: string[];
  description?: string | null;
  enabled?: boolean;
  disabled_reason?: string | null;
  disabled_at?: number | null;
  consecutive_failures?: number;
  secret?: string;
  previous_secret?: string | null;
  previous_secret_expires_at?: number | null;
  deleted_at?: number | null;
  updated_at: number;
}

/** Thin, portable persistence for webhook endpoints; every read is scoped by account. */
export class WebhookEndpointStore {
  constructor(private readonly db: Knex) {}

  async insert(row: NewEndpointRow, trx: Knex = this.db): Promise<void> {
    await trx(TABLE).insert({
      ...row,
      events: JSON.stringify(row.events),
      enabled: true,
      consecutive_failures: 0,
      updated_at: row.created_at,
    });
  }

  async getForAccount(accountId: string, id: string, trx: Knex = this.db): Promise<WebhookEndpoint | null> {
    const row = await trx(TABLE).where({ id, account_id: accountId }).whereNull('deleted_at').first();
    return row ? endpointFromRow(row) : null;
  }

  /** Any live endpoint by id, whoever owns it (the worker and the admin console). */
  async get(id: string, trx: Knex = this.db): Promise<WebhookEndpoint | null> {
    const row = await trx(TABLE).where({ id }).whereNull('deleted_at').first();
    return row ? endpointFromRow(row) : null;
  }

  async listForAccount(
    accountId: string,
    page: { limit: number; offset: number },
  ): Promise<WebhookEndpoint[]> {
    const rows = await this.db(TABLE)
      .where({ account_id: accountId })
      .whereNull('deleted_at')
      .orderBy([
        { column: 'created_at', order: 'asc' },
        { column: 'id', order: 'asc' },
      ])
      .limit(page.limit)
      .offset(page.offset);
    return rows.map(endpointFromRow);
  }

  /** Every live endpoint, for the admin console's health view. */
  async listAll(page: { limit: number; offset: number }): Promise<WebhookEndpoint[]> {
    const rows = await this.db(TABLE)
      .whereNull('deleted_at')
      .orderBy([
        { column: 'enabled', order: 'asc' },
        { column: 'created_at', order: 'asc' },
      ])
      .limit(page.limit)
      .offset(page.offset);
    return rows.map(endpointFromRow);
  }

  async update(id: string, patch: EndpointPatch, trx: Knex = this.db): Promise<number> {
    const row: Record<string, unknown> = { ...patch };
    if (patch.events) row.events = JSON.stringify(patch.events);
    return affected(await trx(TABLE).where({ id }).whereNull('deleted_at').update(row));
  }

  /** Mark an endpoint as the forwarding webhook of a 3CX integration (removed with it). */
  async linkIntegration(id: string, integrationId: string): Promise<void> {
    await this.db(TABLE).where({ id }).update({ integration_id: integrationId });
  }

  /** A delivery succeeded: the failure streak is over. Conditional so the common case writes nothing. */
  async recordSuccess(id: string, trx: Knex = this.db): Promise<void> {
    await trx(TABLE).where({ id }).where('consecutive_failures', '<>', 0).update({ consecutive_failures: 0 });
  }

  /**
   * A delivery ended `failed`: bump the streak (one atomic statement, exact under concurrency)
   * and switch the endpoint off once it reaches the threshold. Returns the reason when this call
   * disabled it.
   */
  async recordFailure(id: string, now: number, trx: Knex = this.db): Promise<DisabledReason | null> {
    await trx(TABLE).where({ id }).increment('consecutive_failures', 1);
    const n = affected(
      await trx(TABLE)
        .where({ id, enabled: true })
        .where('consecutive_failures', '>=', AUTO_DISABLE_AFTER_FAILURES)
        .whereNull('deleted_at')
        .update({
          enabled: false,
          disabled_reason: 'consecutive_failures',
          disabled_at: now,
          updated_at: now,
        }),
    );
    return n > 0 ? 'consecutive_failures' : null;
  }

  /** The receiver answered 410 Gone: off at once. Returns true when this call disabled it. */
  async disableGone(id: string, now: number, trx: Knex = this.db): Promise<boolean> {
    const n = affected(
      await trx(TABLE)
        .where({ id, enabled: true })
        .whereNull('deleted_at')
        .update({ enabled: false, disabled_reason: 'gone', disabled_at: now, updated_at: now }),
    );
    return n > 0;
  }
}
