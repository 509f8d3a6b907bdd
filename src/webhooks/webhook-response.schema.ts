/**
 * The JSON Schemas of what the `present*` functions beside them return; their return types are
 * derived from these, and the OpenAPI document publishes them as components. Objects stay open
 * (clients ignore fields they do not know); the test suite holds every live response strictly.
 */
import type { FromSchema } from 'json-schema-to-ts';

/** `Webhook`: built by `presentWebhook` (webhook-service.ts). */
export const webhookSchema = {
  type: 'object',
  description: 'A webhook subscription.',
  required: ['id', 'destination_url', 'events', 'enabled', 'created_at'],
  properties: {
    id: { type: 'string' },
    destination_url: { type: 'string' },
    events: { type: 'array', items: { type: 'string' } },
    instance_id: { type: ['string', 'null'] },
    description: { type: ['string', 'null'] },
    enabled: { type: 'boolean' },
    disabled_reason: {
      type: ['string', 'null'],
      description: '`gone` (410), `consecutive_failures` or `manual`.',
    },
    disabled_at: { type: ['string', 'null'], format: 'date-time' },
    consecutive_failures: { type: 'integer' },
    previous_secret_expires_at: {
      type: ['string', 'null'],
      description: 'During a rotation grace period, when the old secret stops signing.',
      format: 'date-time',
    },
    created_at: { type: 'string', format: 'date-time' },
    updated_at: { type: 'string', format: 'date-time' },
  },
} as const;

export type WebhookResponse = FromSchema<typeof webhookSchema>;

/** `WebhookAttempt`: built by `presentAttempt` (webhook-service.ts). */
export const webhookAttemptSchema = {
  type: 'object',
  required: ['attempt_number', 'request_id', 'latency_ms', 'created_at'],
  properties: {
    attempt_number: { type: 'integer' },
    trigger: { type: 'string', description: '`scheduled` or `manual`.' },
    url: { type: 'string' },
    method: { type: 'string' },
    request_id: { type: 'string' },
    event: { type: 'string' },
    instance_id: { type: ['string', 'null'] },
    message_id: { type: ['string', 'null'] },
    status_code: { type: ['integer', 'null'] },
    latency_ms: { type: 'integer' },
    response_body: {
      type: ['string', 'null'],
      description: 'First 500 characters. Null for customers when the destination is a private range allowed by WEBHOOK_ALLOWED_CIDRS (the admin API shows it).',
    },
    private_destination: {
      type: 'boolean',
      description: 'Present and true when the destination is a range only WEBHOOK_ALLOWED_CIDRS allows.',
    },
    response_body_hidden: {
      type: 'boolean',
      description: 'Present when private_destination is: true when response_body was withheld.',
    },
    error: { type: ['string', 'null'] },
    created_at: { type: 'string', format: 'date-time' },
  },
} as const;

export type WebhookAttemptResponse = FromSchema<typeof webhookAttemptSchema>;

/** `WebhookDelivery`: built by `presentDelivery` (webhook-service.ts). */
export const webhookDeliverySchema = {
  type: 'object',
  description: 'One event for one endpoint, with every HTTP attempt.',
  required: ['id', 'request_id', 'event', 'status', 'attempts', 'created_at'],
  properties: {
    id: { type: 'string' },
    request_id: {
      type: 'string',
      description: 'Same as X-WA-Request-ID, webhook-id and the envelope request_id.',
    },
    event_id: { type: 'string' },
    event: { type: 'string' },
    webhook_id: { type: 'string' },
    instance_id: { type: ['string', 'null'] },
    message_id: { type: ['string', 'null'] },
    status: { enum: ['pending', 'succeeded', 'failed', 'cancelled'] },
    held: {
      type: 'boolean',
      description: 'Pending while its endpoint is disabled; sent after re-enabling.',
    },
    attempt_count: { type: 'integer' },
    next_attempt_at: { type: ['string', 'null'], format: 'date-time' },
    last_status_code: { type: ['integer', 'null'] },
    last_error: { type: ['string', 'null'] },
    created_at: { type: 'string', format: 'date-time' },
    completed_at: { type: ['string', 'null'], format: 'date-time' },
    attempts: { type: 'array', items: webhookAttemptSchema },
  },
} as const;

export type WebhookDeliveryResponse = FromSchema<typeof webhookDeliverySchema>;
