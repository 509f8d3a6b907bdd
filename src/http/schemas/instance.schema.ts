import { MEDIA_TYPES } from '../../transport/transport.ts';

export const createInstanceSchema = {
  $id: 'CreateInstanceRequest',
  type: 'object',
  required: ['name'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 100, pattern: '\\S' },
    default_country: {
      type: ['string', 'null'],
      pattern: '^[A-Za-z]{2}$',
      description: 'ISO 3166 country for local phone numbers',
    },
  },
} as const;

/** The admin API's instance creation: the customer's fields plus the admin's note for the audit log. */
export const adminCreateInstanceSchema = {
  $id: 'AdminCreateInstanceRequest',
  type: 'object',
  required: ['name'],
  additionalProperties: false,
  properties: {
    ...createInstanceSchema.properties,
    note: { type: 'string', maxLength: 1000, description: 'Why: written to the audit log.' },
  },
} as const;

export const adminNoteSchema = {
  $id: 'AdminNoteRequest',
  type: 'object',
  additionalProperties: false,
  properties: { note: { type: 'string', maxLength: 1000, description: 'Why: written to the audit log.' } },
} as const;

export const pairingCodeSchema = {
  $id: 'PairingCodeRequest',
  type: 'object',
  required: ['phone'],
  additionalProperties: false,
  properties: { phone: { type: 'string', minLength: 6, maxLength: 32 } },
} as const;

export const sandboxInboundSchema = {
  $id: 'SandboxInboundRequest',
  type: 'object',
  required: ['from'],
  additionalProperties: false,
  properties: {
    from: { type: 'string', minLength: 3, maxLength: 32 },
    text: { type: 'string', maxLength: 4096 },
    group: { type: 'string', pattern: '^\\d{5,}(-\\d{5,})?@g\\.us$' },
    push_name: { type: 'string', maxLength: 100 },
    mentions: {
      type: 'array',
      maxItems: 50,
      items: {
        type: 'object',
        required: ['jid'],
        additionalProperties: false,
        properties: { jid: { type: 'string', maxLength: 100 }, display: { type: 'string', maxLength: 100 } },
      },
    },
    media: {
      type: 'object',
      required: ['type', 'mime_type', 'data'],
      additionalProperties: false,
      properties: {
        type: { type: 'string', enum: MEDIA_TYPES },
        mime_type: { type: 'string', maxLength: 100 },
        file_name: { type: 'string', maxLength: 200 },
        data: { type: 'string', description: 'base64' },
      },
    },
  },
} as const;

export const sandboxFailNextSchema = {
  $id: 'SandboxFailNextRequest',
  type: 'object',
  additionalProperties: false,
  properties: { count: { type: 'integer', minimum: 1, maximum: 1000 } },
} as const;
