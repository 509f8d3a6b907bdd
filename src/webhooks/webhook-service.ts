import type { Config } from '../config/config.ts';
import type { Transact } from '../db/transactions.ts';
import { ConflictError, InvalidInstanceError, NotFoundError, ValidationError } from '../errors/errors.ts';
import type { EventOutbox } from '../events/event-outbox.ts';
import type { CreateWebhookBody, UpdateWebhookBody } from '../http/schemas/webhook.schema.ts';
import type { InstanceStore } from '../instances/instance-store.ts';
import type { Clock } from '../lib/clock.ts';
import { newId } from '../lib/ids.ts';
import { moduleLogger } from '../lib/logger.ts';
import { type AllowedCidrs, parseCidrList } from './address-policy.ts';
import { validateDestinationUrl } from './destination-url.ts';
import type { Attempt, Delivery, DeliveryStatus } from './delivery-records.ts';
import type { WebhookDeliveryStore } from './webhook-delivery-store.ts';
import type { EndpointPatch, WebhookEndpoint, WebhookEndpointStore } from './webhook-endpoint-store.ts';
import { generateWebhookSecret } from './webhook-signer.ts';
import type {
  WebhookAttemptResponse,
  WebhookDeliveryResponse,
  WebhookResponse,
} from './webhook-response.schema.ts';

const log = moduleLogger('webhooks');

export const DEFAULT_ROTATION_GRACE_SECONDS = 86_400;
/** Bulk recover bounds (Svix's): how far back, and how many deliveries per call. */
export const RECOVER_MAX_AGE_MS = 14 * 86_400_000;
export const RECOVER_MAX_DELIVERIES = 10_000;

/** The body of creating or updating a webhook, from their schemas. */
export type WebhookInput = CreateWebhookBody | UpdateWebhookBody;

export interface WebhookServiceDeps {
  transact: Transact;
  endpoints: WebhookEndpointStore;
  deliveries: WebhookDeliveryStore;
  outbox: EventOutbox;
  instances: InstanceStore;
  config: Pick<Readonly<Config>, 'webhookRequireHttps' | 'webhookBaseUrl' | 'webhookAllowedCidrs'>;
  clock: Clock;
}

function iso(ms: number): string;
function iso(ms: number | null): string | null;
function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

/** The public shape of a subscription. The secret is never part of it (only shown at create/rotate). */
export function presentWebhook(e: WebhookEndpoint, now: number): WebhookResponse {
  const inGrace = e.previousSecret !== null && (e.previousSecretExpiresAt ?? 0) > now;
  return {
    id: e.id,
    destination_url: e.destinationUrl,
    events: e.events,
    instance_id: e.instanceId,
    description: e.description,
    enabled: e.enabled,
    disabled_reason: e.disabledReason,
    disabled_at: iso(e.disabledAt),
    consecutive_failures: e.consecutiveFailures,
    previous_secret_expires_at: inGrace ? iso(e.previousSecretExpiresAt) : null,
    created_at: iso(e.createdAt),
    updated_at: iso(e.updatedAt),
  };
}

/**
 * One attempt as its audience sees it. A customer never sees the response body of a destination
 * reached only because WEBHOOK_ALLOWED_CIDRS allows it (status and latency only); the admin does.
 */
export function presentAttempt(a: Attempt, audience: 'customer' | 'admin' = 'customer'): WebhookAttemptResponse {
  const hidden = a.privateDestination && audience === 'customer';
  return {
    attempt_number: a.attemptNumber,
    trigger: a.trigger,
    url: a.url,
    method: a.method,
    request_id: a.requestId,
    event: a.eventType,
    instance_id: a.instanceId,
    message_id: a.messageId,
    status_code: a.statusCode,
    latency_ms: a.latencyMs,
    response_body: hidden ? null : a.responseBody,
    ...(a.privateDestination ? { response_body_hidden: hidden, private_destination: true } : {}),
    error: a.error,
    created_at: iso(a.createdAt),
  };
}

export function presentDelivery(
  d: Delivery,
  attempts: Attempt[],
  endpointEnabled: boolean,
  audience: 'customer' | 'admin' = 'customer',
): WebhookDeliveryResponse {
  return {
    id: d.id,
    request_id: d.id,
    event_id: d.eventId,
    event: d.eventType,
    webhook_id: d.endpointId,
    instance_id: d.instanceId,
    message_id: d.messageId,
    status: d.status,
    // Pending but its endpoint is disabled: kept, and sent once the endpoint is re-enabled.
    held: d.status === 'pending' && !endpointEnabled,
    attempt_count: attempts.length,
    next_attempt_at: d.status === 'pending' ? iso(d.nextAttemptAt) : null,
    last_status_code: d.lastStatusCode,
    last_error: d.lastError,
    created_at: iso(d.createdAt),
    completed_at: iso(d.completedAt),
    attempts: attempts.map((a) => presentAttempt(a, audience)),
  };
}

/** Webhook subscriptions and their deliveries (SPEC §7.3–7.4), always scoped by account. */
export class WebhookService {
  private readonly allowed: AllowedCidrs;

  constructor(private readonly deps: WebhookServiceDeps) {
    this.allowed = parseCidrList(deps.config.webhookAllowedCidrs);
  }

  private now(): number {
    return this.deps.clock.now().getTime();
  }

  private resolveDestination(input: string): string {
    const check = validateDestinationUrl(input, {
      requireHttps: this.deps.config.webhookRequireHttps,
      baseUrl: this.deps.config.webhookBaseUrl,
      allowed: this.allowed,
    });
    if (!check.ok)
      throw new ValidationError({ errors: [{ field: '/destination_url', reason: check.reason }] });
    return check.url.toString();
  }

  private async checkInstance(accountId: string, instanceId: string | null | undefined): Promise<void> {
    if (instanceId === null || instanceId === undefined) return;
    const instance = await this.deps.instances.getForAccount(accountId, instanceId);
    if (!instance) throw new InvalidInstanceError();
  }

  async get(accountId: string, id: string): Promise<WebhookEndpoint> {
    const endpoint = await this.deps.endpoints.getForAccount(accountId, id);
    if (!endpoint) throw new NotFoundError(undefined, 'The requested webhook was not found.');
    return endpoint;
  }

  async create(
    accountId: string,
    input: CreateWebhookBody,
  ): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
    const destination = this.resolveDestination(String(input.destination_url));
    await this.checkInstance(accountId, input.instance_id);
    const secret = generateWebhookSecret();
    const id = newId('wh');
    await this.deps.endpoints.insert({
      id,
      account_id: accountId,
      instance_id: input.instance_id ?? null,
      destination_url: destination,
      events: input.events ?? [],
      secret,
      description: input.description ?? null,
      created_at: this.now(),
    });
    log.info('webhook created', { account_id: accountId, webhook_id: id, events: input.events });
    return { endpoint: await this.get(accountId, id), secret };
  }

  list(accountId: string, page: { limit: number; offset: number }): Promise<WebhookEndpoint[]> {
    return this.deps.endpoints.listForAccount(accountId, page);
  }

  async update(accountId: string, id: string, input: UpdateWebhookBody): Promise<WebhookEndpoint> {
    const endpoint = await this.get(accountId, id);
    const now = this.now();
    const patch: EndpointPatch = { updated_at: now };
    if (input.destination_url !== undefined)
      patch.destination_url = this.resolveDestination(input.destination_url);
    if (input.events !== undefined) patch.events = input.events;
    if (input.instance_id !== undefined) {
      await this.checkInstance(accountId, input.instance_id);
      patch.instance_id = input.instance_id;
    }
    if (input.description !== undefined) patch.description = input.description;
    let reenabled = false;
    if (input.enabled === true && !endpoint.enabled) {
      Object.assign(patch, {
        enabled: true,
        disabled_reason: null,
        disabled_at: null,
        consecutive_failures: 0,
      });
      reenabled = true;
    } else if (input.enabled === false && endpoint.enabled) {
      Object.assign(patch, { enabled: false, disabled_reason: 'manual', disabled_at: now });
    }
    await this.deps.endpoints.update(id, patch);
    if (reenabled) {
      log.info('webhook re-enabled; held deliveries will be sent', { account_id: accountId, webhook_id: id });
      this.deps.outbox.notify();
    }
    return this.get(accountId, id);
  }

  /** Soft delete; its queued deliveries are cancelled (kept for the record, never sent). */
  async remove(accountId: string, id: string): Promise<void> {
    await this.get(accountId, id);
    const now = this.now();
    await this.deps.transact(async (trx) => {
      await this.deps.endpoints.update(id, { deleted_at: now, enabled: false, updated_at: now }, trx);
      await this.deps.deliveries.cancelPending(id, now, trx);
    });
  }

  /**
   * New secret, returned once. The old one keeps signing for `graceSeconds` (both signatures are
   * sent), so receivers can switch without dropping a delivery. A second rotation inside the grace
   * period retires the oldest secret at once.
   */
  async rotateSecret(
    accountId: string,
    id: string,
    graceSeconds = DEFAULT_ROTATION_GRACE_SECONDS,
  ): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
    const endpoint = await this.get(accountId, id);
    const now = this.now();
    const secret = generateWebhookSecret();
    await this.deps.endpoints.update(id, {
      secret,
      previous_secret: graceSeconds > 0 ? endpoint.secret : null,
      previous_secret_expires_at: graceSeconds > 0 ? now + graceSeconds * 1000 : null,
      updated_at: now,
    });
    log.info('webhook secret rotated', {
      account_id: accountId,
      webhook_id: id,
      grace_seconds: graceSeconds,
    });
    return { endpoint: await this.get(accountId, id), secret };
  }

  /** A `webhook.test` event to this endpoint only; returns its request id. */
  async sendTest(
    accountId: string,
    id: string,
  ): Promise<{ eventId: string; requestId: string | null; held: boolean }> {
    const endpoint = await this.get(accountId, id);
    const instance = endpoint.instanceId
      ? await this.deps.instances.getForAccount(accountId, endpoint.instanceId)
      : null;
    const { eventId } = await this.deps.outbox.emitNow({
      type: 'webhook.test',
      accountId,
      instanceId: instance?.id ?? null,
      instanceName: instance?.name ?? null,
      payload: {
        webhook_id: endpoint.id,
        message: 'This is a test event from Warden. Verify its signature and answer with any 2xx status.',
      },
      onlyEndpointId: endpoint.id,
    });
    const requestId = await this.deps.deliveries.firstIdForEvent(eventId);
    return { eventId, requestId, held: !endpoint.enabled };
  }

  async listDeliveries(
    accountId: string,
    id: string,
    opts: { status?: DeliveryStatus | undefined; limit: number; offset: number },
  ): Promise<{ endpoint: WebhookEndpoint; deliveries: { delivery: Delivery; attempts: Attempt[] }[] }> {
    const endpoint = await this.get(accountId, id);
    const deliveries = await this.deps.deliveries.listForEndpoint(endpoint.id, opts);
    const attempts = await this.deps.deliveries.attemptsFor(deliveries.map((d) => d.id));
    return {
      endpoint,
      deliveries: deliveries.map((delivery) => ({ delivery, attempts: attempts.get(delivery.id) ?? [] })),
    };
  }

  /** The admin's view of any endpoint's deliveries (all accounts), response bodies included. */
  async listDeliveriesAsAdmin(
    id: string,
    opts: { status?: DeliveryStatus | undefined; limit: number; offset: number },
  ): Promise<{ endpoint: WebhookEndpoint; deliveries: { delivery: Delivery; attempts: Attempt[] }[] }> {
    const endpoint = await this.deps.endpoints.get(id);
    if (!endpoint) throw new NotFoundError(undefined, 'The requested webhook was not found.');
    const deliveries = await this.deps.deliveries.listForEndpoint(endpoint.id, opts);
    const attempts = await this.deps.deliveries.attemptsFor(deliveries.map((d) => d.id));
    return {
      endpoint,
      deliveries: deliveries.map((delivery) => ({ delivery, attempts: attempts.get(delivery.id) ?? [] })),
    };
  }

  /** Replays one finished delivery with the same request id; new attempts are logged. */
  async redeliver(
    accountId: string,
    deliveryId: string,
  ): Promise<{ delivery: Delivery; attempts: Attempt[]; endpoint: WebhookEndpoint }> {
    const delivery = await this.deps.deliveries.getForAccount(accountId, deliveryId);
    if (!delivery) throw new NotFoundError(undefined, 'The requested delivery was not found.');
    const endpoint = await this.deps.endpoints.getForAccount(accountId, delivery.endpointId);
    if (!endpoint || delivery.status === 'cancelled') {
      throw new NotFoundError(undefined, 'The webhook of this delivery was deleted.');
    }
    if (delivery.status === 'pending') {
      throw new ConflictError({ status: 'pending' }, 'This delivery is already queued.');
    }
    await this.deps.deliveries.requeue([delivery.id], this.now());
    this.deps.outbox.notify();
    const fresh = (await this.deps.deliveries.getForAccount(accountId, deliveryId)) as Delivery;
    const attempts = (await this.deps.deliveries.attemptsFor([deliveryId])).get(deliveryId) ?? [];
    return { delivery: fresh, attempts, endpoint };
  }

  /** Re-queues the endpoint's failed deliveries created in [since, until), bounded in age and count. */
  async recover(
    accountId: string,
    id: string,
    input: { since: string; until?: string | undefined },
  ): Promise<{ recovered: number; truncated: boolean; since: string; until: string }> {
    const endpoint = await this.get(accountId, id);
    const now = this.now();
    const since = Date.parse(input.since);
    const until = input.until === undefined ? now : Date.parse(input.until);
    const errors: { field: string; reason: string }[] = [];
    if (Number.isNaN(since)) errors.push({ field: '/since', reason: 'must be an RFC 3339 date-time' });
    else if (since < now - RECOVER_MAX_AGE_MS)
      errors.push({ field: '/since', reason: 'must be at most 14 days ago' });
    else if (since > now) errors.push({ field: '/since', reason: 'must not be in the future' });
    if (Number.isNaN(until)) errors.push({ field: '/until', reason: 'must be an RFC 3339 date-time' });
    else if (!Number.isNaN(since) && until <= since)
      errors.push({ field: '/until', reason: 'must be after since' });
    if (errors.length > 0) throw new ValidationError({ errors });

    const ids = await this.deps.deliveries.failedIdsSince(
      endpoint.id,
      since,
      until,
      RECOVER_MAX_DELIVERIES + 1,
    );
    const truncated = ids.length > RECOVER_MAX_DELIVERIES;
    const recovered = await this.deps.deliveries.requeue(ids.slice(0, RECOVER_MAX_DELIVERIES), now);
    if (recovered > 0) this.deps.outbox.notify();
    log.info('webhook deliveries recovered', { account_id: accountId, webhook_id: id, recovered, truncated });
    return {
      recovered,
      truncated,
      since: new Date(since).toISOString(),
      until: new Date(until).toISOString(),
    };
  }
}
