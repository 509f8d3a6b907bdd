import type { FromSchema } from 'json-schema-to-ts';
import { EVENT_TYPES } from '../../events/event-types.ts';

/** Event names a subscription may list; `*` means every event. */
export const SUBSCRIBABLE_EVENTS = [...EVENT_TYPES, '*'] as const;

const destinationUrl = {
  type: 'string',
  minLength: 1,
  maxLength: 2048,
  description:
    'http(s) URL, or a path starting with a single / resolved against WEBHOOK_BASE_URL. Private, loopback and metadata addresses are refused unless WEBHOOK_ALLOWED_CIDRS allows them.',
  example: 'https://crm.example.com/hooks/whatsapp',
} as const;

const events = {
  type: 'array',
  minItems: 1,
  maxItems: 64,
  uniqueItems: true,
  items: { type: 'string', enum: SUBSCRIBABLE_EVENTS },
  description: 'Event names to receive, or ["*"] for all of them.',
  example: ['message.received', 'recipient.opted_out'],
} as const;

const instanceId = {
  type: ['string', 'null'],
  minLength: 1,
  maxLength: 40,
  description: "Only this instance's events (one of your instances); null for every instance.",
} as const;

const description = { type: ['string', 'null'], maxLength: 200 } as const;

export const createWebhookSchema = {
  $id: 'CreateWebhookRequest',
  type: 'object',
  required: ['destination_url', 'events'],
  additionalProperties: false,
  properties: {
    destination_url: destinationUrl,
    events,
    instance_id: instanceId,
    description,
  },
} as const;

export const updateWebhookSchema = {
  $id: 'UpdateWebhookRequest',
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: {
    destination_url: destinationUrl,
    events,
    instance_id: instanceId,
    description,
    enabled: {
      type: 'boolean',
      description:
        'true re-enables a disabled endpoint (its failure count is reset and held deliveries flow); false disables it by hand.',
    },
  },
} as const;

export type CreateWebhookBody = FromSchema<typeof createWebhookSchema>;
export type UpdateWebhookBody = FromSchema<typeof updateWebhookSchema>;

export const rotateWebhookSecretSchema = {
  $id: 'RotateWebhookSecretRequest',
  type: 'object',
  additionalProperties: false,
  properties: {
    grace_period_seconds: {
      type: 'integer',
      minimum: 0,
      maximum: 604800,
      description:
        'How long the previous secret keeps signing (both signatures are sent). Default 86400 (24 h).',
    },
  },
} as const;

export const recoverWebhookSchema = {
  $id: 'RecoverWebhookRequest',
  type: 'object',
  required: ['since'],
  additionalProperties: false,
  properties: {
    since: {
      type: 'string',
      format: 'date-time',
      description: 'Re-queue failed deliveries created at or after this time (at most 14 days ago).',
      example: '2026-05-08T10:00:00Z',
    },
    until: { type: 'string', format: 'date-time', description: 'Exclusive upper bound; default now.' },
  },
} as const;
