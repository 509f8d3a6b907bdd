/**
 * The rows of a webhook delivery and of its attempt log, as the API and the portal see them.
 *
 * Delivery states: `pending` (due at `next_attempt_at`; while leased, `next_attempt_at` is pushed
 * to the lease expiry so the claim's index range skips it and a crashed node's rows come due again
 * on their own), `succeeded`, `failed` (kept and replayable), `cancelled` (its endpoint was
 * deleted). A pending delivery whose endpoint is disabled is "held": it is never claimed until the
 * endpoint is re-enabled.
 */
export type DeliveryStatus = 'pending' | 'succeeded' | 'failed' | 'cancelled';
export const DELIVERY_STATUSES: readonly DeliveryStatus[] = ['pending', 'succeeded', 'failed', 'cancelled'];

export type AttemptTrigger = 'scheduled' | 'manual';

export interface Delivery {
  id: string;
  eventId: string;
  endpointId: string;
  accountId: string;
  eventType: string;
  instanceId: string | null;
  messageId: string | null;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: number;
  leaseExpiresAt: number | null;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: number;
  updatedAt: number;
  completedAt: number | null;
}

export interface Attempt {
  id: number;
  deliveryId: string;
  url: string;
  method: string;
  requestId: string;
  eventType: string;
  instanceId: string | null;
  messageId: string | null;
  attemptNumber: number;
  statusCode: number | null;
  latencyMs: number;
  responseBody: string | null;
  privateDestination: boolean;
  error: string | null;
  trigger: string;
  createdAt: number;
}

export const DELIVERIES = 'webhook_deliveries';
export const ATTEMPTS = 'webhook_attempts';

export function num(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value);
}

/** The fields that name a delivery: what it carries, to which endpoint, for which account. */
export type DeliveryIdentity = Pick<Delivery, 'id' | 'eventId' | 'endpointId' | 'accountId' | 'eventType' | 'instanceId' | 'messageId'>;

export function deliveryIdentityFromRow(row: Record<string, unknown>): DeliveryIdentity {
  return {
    id: String(row.id),
    eventId: String(row.event_id),
    endpointId: String(row.endpoint_id),
    accountId: String(row.account_id),
    eventType: String(row.event_type),
    instanceId: (row.instance_id as string | null) ?? null,
    messageId: (row.message_id as string | null) ?? null,
  };
}

export function deliveryFromRow(row: Record<string, unknown>): Delivery {
  return {
    ...deliveryIdentityFromRow(row),
    status: String(row.status) as DeliveryStatus,
    attempts: Number(row.attempts ?? 0),
    nextAttemptAt: Number(row.next_attempt_at),
    leaseExpiresAt: num(row.lease_expires_at),
    lastStatusCode: num(row.last_status_code),
    lastError: (row.last_error as string | null) ?? null,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    completedAt: num(row.completed_at),
  };
}

export function attemptFromRow(row: Record<string, unknown>): Attempt {
  return {
    id: Number(row.id),
    deliveryId: String(row.delivery_id),
    url: String(row.url),
    method: String(row.method),
    requestId: String(row.request_id),
    eventType: String(row.event_type),
    instanceId: (row.instance_id as string | null) ?? null,
    messageId: (row.message_id as string | null) ?? null,
    attemptNumber: Number(row.attempt_number),
    statusCode: num(row.status_code),
    latencyMs: Number(row.latency_ms),
    responseBody: (row.response_body as string | null) ?? null,
    privateDestination: row.private_destination === true || Number(row.private_destination) === 1,
    error: (row.error as string | null) ?? null,
    trigger: String(row.trigger ?? 'scheduled'),
    createdAt: Number(row.created_at),
  };
}
