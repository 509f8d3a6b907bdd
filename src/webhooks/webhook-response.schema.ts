/**
 * The JSON Schemas of what the `present*` functions beside them return; their return types are
 * derived from these, and the OpenAPI document publishes them as components. Objects stay open
 * (clients ignore fields they do not know); the test suite holds every live response strictly.
 *
 * After them: the named success responses (envelope schema + example) of the routes that return
 * them, which the OpenAPI registry (src/openapi/response-schemas.ts) gathers.
 */
import type { FromSchema } from 'json-schema-to-ts';
import {
  arrayOf,
  bool,
  dateTime,
  exampleTime,
  int,
  nullableDateTime,
  nullableStr,
  obj,
  ok,
  ref,
  str,
  type NamedResponse,
} from '../openapi/schema-helpers.ts';
import { instanceExample } from '../instances/instance-response.schema.ts';
import { accountExample } from '../accounts/account-response.schema.ts';

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

export const webhookExample = {
  id: 'wh_zhco9TyfBKe7mvTR',
  destination_url: 'https://crm.example.com/hooks/whatsapp',
  events: ['message.received', 'recipient.opted_out'],
  instance_id: null,
  description: null,
  enabled: true,
  disabled_reason: null,
  disabled_at: null,
  consecutive_failures: 0,
  previous_secret_expires_at: null,
  created_at: exampleTime,
  updated_at: exampleTime,
};

export const webhookSecretExample = 'whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=';

export const deliveryExample = {
  id: '932bf809-f9a5-49bb-b2e2-4220bb92f185',
  request_id: '932bf809-f9a5-49bb-b2e2-4220bb92f185',
  event_id: 'evt_urdl9iZYwP-fC734',
  event: 'message.received',
  webhook_id: webhookExample.id,
  instance_id: instanceExample.id,
  message_id: '3EB01829A5335DCDF8D4AB',
  status: 'failed',
  held: false,
  attempt_count: 1,
  next_attempt_at: null,
  last_status_code: 500,
  last_error: 'http_status_500',
  created_at: exampleTime,
  completed_at: exampleTime,
  attempts: [
    {
      attempt_number: 1,
      trigger: 'scheduled',
      url: 'https://crm.example.com/hooks/whatsapp',
      method: 'POST',
      request_id: '932bf809-f9a5-49bb-b2e2-4220bb92f185',
      event: 'message.received',
      instance_id: instanceExample.id,
      message_id: '3EB01829A5335DCDF8D4AB',
      status_code: 500,
      latency_ms: 84,
      response_body: 'Internal Server Error',
      error: 'http_status_500',
      created_at: exampleTime,
    },
  ],
};

/** Named success responses (schema + example) of the webhook and delivery routes (customer and admin). */
export const webhookResponses = {
  webhookCreated: {
    schema: ok(['webhook', 'secret'], {
      webhook: { allOf: [ref('Webhook')], properties: { secret: str() } },
      secret: str('Signing secret, shown once: `whsec_` + base64 of 32 random bytes.', {
        pattern: '^whsec_',
      }),
    }),
    example: { success: true, webhook: { ...webhookExample, secret: webhookSecretExample }, secret: webhookSecretExample },
  },
  webhooks: {
    schema: ok(['webhooks'], { webhooks: arrayOf(ref('Webhook')), limit: int(), offset: int() }),
    example: { success: true, webhooks: [webhookExample], limit: 50, offset: 0 },
  },
  webhook: {
    schema: ok(['webhook'], { webhook: ref('Webhook') }),
    example: { success: true, webhook: webhookExample },
  },
  webhookDeleted: {
    schema: ok(['deleted'], { deleted: { const: true } }),
    example: { success: true, deleted: true },
  },
  webhookTest: {
    schema: ok(['event_id', 'request_id', 'held'], {
      event_id: str(),
      request_id: nullableStr('The request id the receiver will see.'),
      held: bool('True when the endpoint is disabled: the event waits until it is re-enabled.'),
    }),
    example: {
      success: true,
      event_id: 'evt_urdl9iZYwP-fC734',
      request_id: '932bf809-f9a5-49bb-b2e2-4220bb92f185',
      held: false,
    },
  },
  deliveries: {
    schema: ok(['deliveries'], {
      deliveries: arrayOf(ref('WebhookDelivery')),
      limit: int(),
      offset: int(),
    }),
    example: { success: true, deliveries: [deliveryExample], limit: 50, offset: 0 },
  },
  delivery: {
    schema: ok(['delivery'], { delivery: ref('WebhookDelivery') }),
    example: {
      success: true,
      delivery: { ...deliveryExample, status: 'pending', completed_at: null, next_attempt_at: exampleTime },
    },
  },
  recover: {
    schema: ok(['recovered', 'truncated', 'since', 'until'], {
      recovered: int('Failed deliveries put back in the queue.'),
      truncated: bool('More matched than one call re-queues; call again.'),
      since: dateTime(),
      until: dateTime(),
    }),
    example: {
      success: true,
      recovered: 12,
      truncated: false,
      since: '2026-05-08T10:00:00.000Z',
      until: '2026-05-08T12:00:00.000Z',
    },
  },
  adminWebhookEndpoints: {
    schema: ok(['endpoints'], {
      endpoints: arrayOf(
        obj(['id', 'account_id', 'destination_url', 'enabled', 'health'], {
          id: str(),
          account_id: str(),
          instance_id: nullableStr(),
          destination_url: str(),
          events: arrayOf(str()),
          enabled: bool(),
          health: { enum: ['healthy', 'failing', 'disabled'] },
          disabled_reason: nullableStr(),
          disabled_at: nullableDateTime(),
          consecutive_failures: int(),
          updated_at: dateTime(),
        }),
      ),
    }),
    example: {
      success: true,
      endpoints: [
        {
          id: webhookExample.id,
          account_id: accountExample.id,
          instance_id: null,
          destination_url: webhookExample.destination_url,
          events: webhookExample.events,
          enabled: false,
          health: 'disabled',
          disabled_reason: 'consecutive_failures',
          disabled_at: exampleTime,
          consecutive_failures: 10,
          updated_at: exampleTime,
        },
      ],
    },
  },
} satisfies Record<string, NamedResponse>;
