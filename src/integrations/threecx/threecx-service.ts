import type { FromSchema } from 'json-schema-to-ts';
import type { Account } from '../../accounts/account-store.ts';
import type { Transact } from '../../db/transactions.ts';
import { ApiError } from '../../errors/api-error.ts';
import {
  InvalidInstanceError,
  ModuleNotEnabledError,
  NotFoundError,
  ValidationError,
} from '../../errors/errors.ts';
import type { updateThreeCxIntegrationSchema } from '../../http/schemas/threecx.schema.ts';
import type { InstanceStore } from '../../instances/instance-store.ts';
import type { Clock } from '../../lib/clock.ts';
import { newId, randomToken } from '../../lib/ids.ts';
import { moduleLogger } from '../../lib/logger.ts';
import type { WebhookEndpointStore } from '../../webhooks/webhook-endpoint-store.ts';
import type { WebhookService } from '../../webhooks/webhook-service.ts';
import type { SecretBox } from './secret-box.ts';
import type { IntegrationPatch, IntegrationRow, ThreeCxIntegration, ThreeCxStore } from './threecx-store.ts';
import { parseIpRange } from './threecx-auth.ts';
import {
  type TemplateEvent,
  type ThreeCxTemplates,
  TEMPLATE_EVENTS,
  validateTemplate,
} from './threecx-templates.ts';
import type { ThreeCxIntegrationResponse } from './threecx-response.schema.ts';

const log = moduleLogger('threecx');

export const THREECX_MODULE_MESSAGE = '3CX integration is not enabled for this account.';
export const DEFAULT_WINDOW_HOURS = 24;
/** Inbound events forwarded to an integration's destination. */
export const FORWARDED_EVENTS = ['message.received'] as const;

/** The settings of creating or updating an integration, from their schemas. */
export type IntegrationInput = FromSchema<typeof updateThreeCxIntegrationSchema>;

export interface ForwardingCredentials {
  webhook_id: string;
  /** The forwarding webhook's signing secret (`whsec_…`), shown once like any webhook secret. */
  secret: string;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** The public shape of an integration. The secret itself never appears, only its first characters. */
export function presentIntegration(i: ThreeCxIntegration): ThreeCxIntegrationResponse {
  return {
    id: i.id,
    instance_id: i.instanceId,
    business_name: i.businessName,
    enabled: i.enabled,
    webhook_path: `/integrations/3cx/webhook/${i.id}`,
    secret_hint: `${i.secretHint}…`,
    require_hmac: i.requireHmac,
    ip_allowlist: i.ipAllowlist,
    trusted_proxies: i.trustedProxies,
    outbound_enabled: i.outboundEnabled,
    call_events_enabled: i.callEventsEnabled,
    enabled_call_events: i.enabledCallEvents,
    templates: i.templates,
    strict_window: i.strictWindow,
    window_hours: i.windowHours,
    destination_url: i.destinationUrl,
    forward_webhook_id: i.forwardWebhookId,
    created_at: iso(i.createdAt),
    updated_at: iso(i.updatedAt),
  };
}

/** `tcx_` + 32 random bytes (base64url): the shared secret 3CX sends and signs with. */
export function generateIntegrationSecret(): string {
  return `tcx_${randomToken(32)}`;
}

export interface ThreeCxServiceDeps {
  transact: Transact;
  store: ThreeCxStore;
  endpoints: Pick<WebhookEndpointStore, 'linkIntegration'>;
  box: SecretBox;
  instances: InstanceStore;
  webhooks: WebhookService;
  templates: ThreeCxTemplates;
  clock: Clock;
}

/** 3CX integration settings through the customer API (SPEC §10), always scoped by account. */
export class ThreeCxService {
  constructor(private readonly deps: ThreeCxServiceDeps) {}

  private now(): number {
    return this.deps.clock.now().getTime();
  }

  requireModule(account: Account): void {
    if (!account.modules.includes('threecx'))
      throw new ModuleNotEnabledError({ module: 'threecx' }, THREECX_MODULE_MESSAGE);
  }

  async get(account: Account, id: string): Promise<ThreeCxIntegration> {
    this.requireModule(account);
    const integration = await this.deps.store.getForAccount(account.id, id);
    if (!integration) throw new NotFoundError(undefined, 'The requested 3CX integration was not found.');
    return integration;
  }

  async list(account: Account, page: { limit: number; offset: number }): Promise<ThreeCxIntegration[]> {
    this.requireModule(account);
    return this.deps.store.listForAccount(account.id, page);
  }

  defaultTemplates(): Record<TemplateEvent, string> {
    const out = {} as Record<TemplateEvent, string>;
    for (const event of TEMPLATE_EVENTS) out[event] = this.deps.templates.defaultSource(event).trim();
    return out;
  }

  /** Field checks a JSON Schema cannot express: addresses, ranges and template contents. */
  private validate(input: IntegrationInput): void {
    const errors: { field: string; reason: string }[] = [];
    for (const field of ['ip_allowlist', 'trusted_proxies'] as const) {
      (input[field] ?? []).forEach((entry, index) => {
        if (!parseIpRange(entry))
          errors.push({
            field: `/${field}/${index}`,
            reason: 'must be an IP address or CIDR range (e.g. 203.0.113.10 or 203.0.113.0/24)',
          });
      });
    }
    for (const [event, source] of Object.entries(input.templates ?? {})) {
      if (source === null) continue;
      for (const reason of validateTemplate(source)) errors.push({ field: `/templates/${event}`, reason });
    }
    if (errors.length > 0) throw new ValidationError({ errors });
  }

  private async ownedInstance(account: Account, instanceId: string): Promise<void> {
    const instance = await this.deps.instances.getForAccount(account.id, instanceId);
    if (!instance) throw new InvalidInstanceError();
  }

  /** A webhook subscription owned by the integration: inbound messages of its instance → destination. */
  private async createForwarding(
    account: Account,
    integrationId: string,
    instanceId: string,
    destinationUrl: string,
  ): Promise<{ id: string; secret: string; url: string }> {
    const { endpoint, secret } = await this.deps.webhooks.create(account.id, {
      destination_url: destinationUrl,
      events: [...FORWARDED_EVENTS],
      instance_id: instanceId,
      description: `3CX integration ${integrationId}: inbound WhatsApp messages`,
    });
    await this.deps.endpoints.linkIntegration(endpoint.id, integrationId);
    return { id: endpoint.id, secret, url: endpoint.destinationUrl };
  }

  private async removeForwarding(account: Account, webhookId: string | null): Promise<void> {
    if (!webhookId) return;
    try {
      await this.deps.webhooks.remove(account.id, webhookId);
    } catch (error) {
      // Already deleted by the customer through /api/webhooks: nothing left to do.
      if (!(error instanceof NotFoundError)) throw error;
    }
  }

  async create(
    account: Account,
    input: IntegrationInput,
  ): Promise<{
    integration: ThreeCxIntegration;
    secret: string;
    forwarding: ForwardingCredentials | null;
  }> {
    this.requireModule(account);
    this.validate(input);
    const instanceId = String(input.instance_id);
    await this.ownedInstance(account, instanceId);
    const id = newId('tcx');
    const secret = generateIntegrationSecret();
    const forwarding =
      input.destination_url != null
        ? await this.createForwarding(account, id, instanceId, input.destination_url)
        : null;
    const now = this.now();
    const templates: Partial<Record<TemplateEvent, string>> = {};
    for (const [event, source] of Object.entries(input.templates ?? {}))
      if (typeof source === 'string') templates[event as TemplateEvent] = source;
    const row: IntegrationRow = {
      id,
      account_id: account.id,
      instance_id: instanceId,
      business_name: input.business_name ?? null,
      enabled: input.enabled ?? true,
      secret_ciphertext: await this.deps.box.encrypt(secret, id),
      secret_hint: secret.slice(0, 8),
      require_hmac: input.require_hmac ?? false,
      ip_allowlist: input.ip_allowlist ?? [],
      trusted_proxies: input.trusted_proxies ?? [],
      outbound_enabled: input.outbound_enabled ?? true,
      call_events_enabled: input.call_events_enabled ?? true,
      enabled_call_events: input.enabled_call_events ?? [...TEMPLATE_EVENTS],
      templates,
      strict_window: input.strict_window ?? true,
      window_hours: input.window_hours ?? DEFAULT_WINDOW_HOURS,
      destination_url: forwarding?.url ?? null,
      forward_webhook_id: forwarding?.id ?? null,
      created_at: now,
      updated_at: now,
    };
    try {
      await this.deps.store.insert(row);
    } catch (error) {
      await this.removeForwarding(account, forwarding?.id ?? null).catch(() => {});
      throw error;
    }
    log.info('3cx integration created', {
      account_id: account.id,
      integration_id: id,
      instance_id: instanceId,
      forwarding: forwarding !== null,
    });
    return {
      integration: await this.get(account, id),
      secret,
      forwarding: forwarding ? { webhook_id: forwarding.id, secret: forwarding.secret } : null,
    };
  }

  async update(
    account: Account,
    id: string,
    input: IntegrationInput,
  ): Promise<{
    integration: ThreeCxIntegration;
    forwarding: ForwardingCredentials | null;
  }> {
    const current = await this.get(account, id);
    this.validate(input);
    const patch: IntegrationPatch = { updated_at: this.now() };
    const instanceId = input.instance_id ?? current.instanceId;
    if (input.instance_id !== undefined && input.instance_id !== current.instanceId) {
      await this.ownedInstance(account, input.instance_id);
      patch.instance_id = input.instance_id;
    }
    if (input.business_name !== undefined) patch.business_name = input.business_name;
    if (input.enabled !== undefined) patch.enabled = input.enabled;
    if (input.require_hmac !== undefined) patch.require_hmac = input.require_hmac;
    if (input.ip_allowlist !== undefined) patch.ip_allowlist = input.ip_allowlist;
    if (input.trusted_proxies !== undefined) patch.trusted_proxies = input.trusted_proxies;
    if (input.outbound_enabled !== undefined) patch.outbound_enabled = input.outbound_enabled;
    if (input.call_events_enabled !== undefined) patch.call_events_enabled = input.call_events_enabled;
    if (input.enabled_call_events !== undefined) patch.enabled_call_events = input.enabled_call_events;
    if (input.strict_window !== undefined) patch.strict_window = input.strict_window;
    if (input.window_hours !== undefined) patch.window_hours = input.window_hours;
    if (input.templates !== undefined) {
      // A merge: a string sets an override, null goes back to the default file.
      const templates = { ...current.templates };
      for (const [event, source] of Object.entries(input.templates)) {
        if (source === null) delete templates[event as TemplateEvent];
        else if (typeof source === 'string') templates[event as TemplateEvent] = source;
      }
      patch.templates = templates;
    }

    let forwarding: ForwardingCredentials | null = null;
    if (input.destination_url !== undefined) {
      if (input.destination_url === null) {
        await this.removeForwarding(account, current.forwardWebhookId);
        patch.destination_url = null;
        patch.forward_webhook_id = null;
      } else {
        const existing = await this.existingForwarding(account, current.forwardWebhookId);
        if (existing) {
          const endpoint = await this.deps.webhooks.update(account.id, existing, {
            destination_url: input.destination_url,
            instance_id: instanceId,
          });
          patch.destination_url = endpoint.destinationUrl;
        } else {
          const created = await this.createForwarding(account, id, instanceId, input.destination_url);
          patch.destination_url = created.url;
          patch.forward_webhook_id = created.id;
          forwarding = { webhook_id: created.id, secret: created.secret };
        }
      }
    } else if (patch.instance_id && current.forwardWebhookId) {
      const existing = await this.existingForwarding(account, current.forwardWebhookId);
      if (existing)
        await this.deps.webhooks.update(account.id, existing, {
          instance_id: instanceId,
        });
    }
    await this.deps.store.update(id, patch);
    log.info('3cx integration updated', {
      account_id: account.id,
      integration_id: id,
      fields: Object.keys(input),
    });
    return { integration: await this.get(account, id), forwarding };
  }

  private async existingForwarding(account: Account, webhookId: string | null): Promise<string | null> {
    if (!webhookId) return null;
    try {
      return (await this.deps.webhooks.get(account.id, webhookId)).id;
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return null;
      throw error;
    }
  }

  async remove(account: Account, id: string): Promise<void> {
    const integration = await this.get(account, id);
    await this.removeForwarding(account, integration.forwardWebhookId);
    await this.deps.transact((trx) => this.deps.store.remove(id, trx));
    log.info('3cx integration deleted', {
      account_id: account.id,
      integration_id: id,
    });
  }

  /** A new secret, returned once; the old one stops working at once (rotate after a leak). */
  async rotateSecret(
    account: Account,
    id: string,
  ): Promise<{ integration: ThreeCxIntegration; secret: string }> {
    await this.get(account, id);
    const secret = generateIntegrationSecret();
    await this.deps.store.update(id, {
      secret_ciphertext: await this.deps.box.encrypt(secret, id),
      secret_hint: secret.slice(0, 8),
      updated_at: this.now(),
    });
    log.info('3cx integration secret rotated', {
      account_id: account.id,
      integration_id: id,
    });
    return { integration: await this.get(account, id), secret };
  }

  async events(
    account: Account,
    id: string,
    page: { limit: number; beforeId?: number | undefined },
  ): Promise<Record<string, unknown>[]> {
    await this.get(account, id);
    const rows = await this.deps.store.listEvents(id, page);
    return rows.map((r) => ({
      id: Number(r.id),
      event_type: r.event_type ?? null,
      outcome: r.outcome,
      error: r.error_code ?? null,
      reason: r.reason ?? null,
      phone: r.phone ?? null,
      log_id: r.log_id == null ? null : Number(r.log_id),
      request_id: r.request_id ?? null,
      created_at: iso(Number(r.created_at)),
    }));
  }
}
