import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { withFormats } from '../lib/ajv-formats.ts';
import type { FromSchema, JSONSchema } from 'json-schema-to-ts';
import { INSTANCE_STATES, MESSAGE_TYPES } from '../transport/transport.ts';
import { EVENT_TYPES, type EventType } from './event-types.ts';

/**
 * One JSON Schema (2020-12) per event (SPEC §7.2), each a complete envelope with the payload of
 * that event, plus the bare envelope. They are published at `GET /api/event-schemas` (and by the
 * OpenAPI document) and every emitter is tested against them, so the schema is the contract.
 *
 * Payloads are closed (`additionalProperties: false`) so an emitter cannot drift from the
 * published contract unnoticed; receivers should still ignore fields they do not know, because
 * new optional fields are added in minor releases (and the schemas with them).
 */

type Schema = Record<string, unknown>;

export const EVENT_SCHEMA_DIALECT = 'https://json-schema.org/draft/2020-12/schema';
export const EVENT_SCHEMA_BASE = 'urn:warden:events';

// ---------------------------------------------------------------------------------------------
// Building blocks
// ---------------------------------------------------------------------------------------------

// Each helper keeps the literal type of what it builds, so `FromSchema` can read the payload types.
const nullable = <const T extends string, const E extends object = object>(type: T, extra?: E) =>
  ({ type: [type, 'null'], ...extra }) as { readonly type: readonly [T, 'null'] } & E;
const str = <const E extends object = object>(extra?: E) => ({ type: 'string', ...extra }) as { readonly type: 'string' } & E;
const dateTime = (description?: string) =>
  ({
    type: 'string',
    format: 'date-time',
    ...(description ? { description } : {}),
  }) as const as { readonly type: 'string'; readonly format: 'date-time'; readonly description?: string };
const closed = <const R extends readonly string[], const P extends Record<string, JSONSchema>>(
  required: R,
  properties: P,
  description?: string,
) =>
  ({
    type: 'object',
    ...(description ? { description } : {}),
    required,
    additionalProperties: false,
    properties,
  }) as {
    readonly type: 'object';
    readonly description?: string;
    readonly required: R;
    readonly additionalProperties: false;
    readonly properties: P;
  };

const phone = (description: string) =>
  nullable('string', {
    maxLength: 128,
    description: `${description} E.164 with "+" when the phone number is known, else a WhatsApp JID/LID; null when unknown.`,
  });

const SEND_SOURCES = ['api', 'threecx', 'confirmation', 'phone'] as const;

const mention = closed(
  ['jid'],
  {
    jid: str({ description: 'JID of the mentioned participant.' }),
    lid: nullable('string', { description: 'LID of the mentioned participant, when known.' }),
    display: nullable('string', { description: 'How the mention appears in `text`.' }),
    start: nullable('integer', {
      minimum: 0,
      description: 'Offset (UTF-16 code units) where the mention starts in `text`.',
    }),
    end: nullable('integer', {
      minimum: 0,
      description: 'Offset (exclusive) where the mention ends in `text`.',
    }),
  },
  'A mention in the message text.',
);

/** Every field a message payload may carry (reference/002 field list plus Warden's own). */
const messageFields = {
  direction: { enum: ['inbound', 'outbound'] },
  message_id: nullable('string', { maxLength: 128, description: 'WhatsApp message id.' }),
  from: phone('Sender.'),
  from_lid: nullable('string', { description: 'Sender LID when WhatsApp provided one.' }),
  to: phone('Recipient (outbound).'),
  chat: str({ maxLength: 128, description: 'Conversation: E.164 for a 1:1 chat, `…@g.us` for a group.' }),
  is_group: { type: 'boolean' },
  push_name: nullable('string', { description: 'The sender’s WhatsApp profile name.' }),
  message_type: { enum: [...MESSAGE_TYPES] },
  text: nullable('string', { description: 'Body text, or the caption of a media message.' }),
  mentions: {
    type: 'array',
    items: mention,
    description: 'Inbound only; present when WhatsApp sent mention metadata.',
  },
  wa_forwarded: {
    type: 'boolean',
    description: 'Present (true) when WhatsApp marks the message as forwarded.',
  },
  wa_forwarding_score: { type: 'integer', minimum: 0 },
  wa_frequently_forwarded: { type: 'boolean' },
  media_path: nullable('string', {
    description: 'Opaque token for `GET /media?path=…` (owning account’s API key).',
  }),
  media_mime_type: nullable('string'),
  media_size: nullable('integer', { minimum: 0, description: 'Bytes.' }),
  media_filename: nullable('string'),
  is_view_once: { type: 'boolean' },
  contact_name: nullable('string'),
  contact_vcard: nullable('string'),
  latitude: nullable('number'),
  longitude: nullable('number'),
  location_name: nullable('string'),
  location_address: nullable('string'),
  wa_timestamp: dateTime('When WhatsApp says the message was sent.'),
  inbound_log_id: { type: 'integer', minimum: 1, description: 'Id in `GET /api/inbound-logs`.' },
  classification: {
    enum: ['opt_out', 'opt_in', null],
    description: 'Opt-out keyword classification (1:1 chats only).',
  },
  // Outbound
  purpose: nullable('string', { description: 'message_purpose of the send (outbound).' }),
  reference: nullable('string', { description: 'The customer’s own id given at send time (outbound).' }),
  log_id: nullable('integer', {
    minimum: 1,
    description: 'Id in `GET /api/messages` (outbound); null for messages sent from the phone.',
  }),
  source: {
    enum: [...SEND_SOURCES],
    description: '`phone`: typed on the linked phone, not sent through Warden.',
  },
  status: str(),
  error: nullable('string'),
  reason: nullable('string'),
  error_code: nullable('integer', {
    description: 'WhatsApp error code of a failed acknowledgement (e.g. 463).',
  }),
} as const;

function messagePayload<const R extends readonly string[], const O extends Record<string, JSONSchema>>(
  required: R,
  overrides: O,
  description: string,
) {
  return closed(required, { ...messageFields, ...overrides } as Omit<typeof messageFields, keyof O> & O, description);
}

const INBOUND_REQUIRED = [
  'direction',
  'message_id',
  'from',
  'chat',
  'is_group',
  'message_type',
  'text',
  'is_view_once',
  'wa_timestamp',
  'inbound_log_id',
] as const;

const receiptPayload = <const S extends JSONSchema>(status: S, description: string) =>
  closed(
    ['message_id', 'log_id', 'status', 'previous_status', 'to', 'chat', 'reference', 'at'],
    {
      message_id: str({ maxLength: 128 }),
      log_id: { type: 'integer', minimum: 1 },
      status,
      previous_status: str(),
      to: phone('Recipient.'),
      chat: nullable('string'),
      reference: nullable('string'),
      at: dateTime('When WhatsApp reported the status.'),
    },
    description,
  );

// ---------------------------------------------------------------------------------------------
// Examples (also the test fixtures of the schemas themselves)
// ---------------------------------------------------------------------------------------------

const EX_TS = '2026-05-08T10:00:00Z';
const EX_BASE = {
  request_id: '6f1c2a52-7d3e-4c1b-9a8e-2f0d6b3c4e51',
  timestamp: EX_TS,
  account_id: 'acc_Yx3k9QmP2vT8sR1a',
  instance_id: 'inst_d3Mo5uPp0rT1LiNe',
  instance_name: 'Demo Support Line',
};

const EX_INBOUND = {
  direction: 'inbound',
  message_id: '3EB0C431C26A1916E07C',
  from: '+6281234567890',
  chat: '+6281234567890',
  is_group: false,
  push_name: 'Budi',
  message_type: 'text',
  text: 'Hi, where is my order #1042?',
  is_view_once: false,
  wa_timestamp: EX_TS,
  inbound_log_id: 42,
  classification: null,
};

const EX_OUTBOUND = {
  direction: 'outbound',
  message_id: '3EB0A1B2C3D4E5F60718',
  from: '+966501234567',
  to: '+6281234567890',
  chat: '+6281234567890',
  message_type: 'text',
  text: 'Your order #1042 has shipped.',
  purpose: 'transactional',
  is_group: false,
  reference: 'order-1042',
  log_id: 1207,
  source: 'api',
  status: 'sent',
};

interface EventDefinition {
  description: string;
  payload: JSONSchema;
  example: Record<string, unknown>;
}

const DEFINITIONS = {
  'message.received': {
    description: 'A contact sent a message to the instance in a 1:1 chat.',
    payload: messagePayload(
      INBOUND_REQUIRED,
      { direction: { const: 'inbound' }, is_group: { const: false } },
      'An inbound 1:1 message.',
    ),
    example: EX_INBOUND,
  },
  'group.message_received': {
    description: 'A message arrived in a group the instance belongs to.',
    payload: messagePayload(
      INBOUND_REQUIRED,
      { direction: { const: 'inbound' }, is_group: { const: true } },
      'An inbound group message.',
    ),
    example: {
      ...EX_INBOUND,
      chat: '120363426240756992@g.us',
      is_group: true,
      text: '@Rina can you check this?',
      classification: null,
      mentions: [{ jid: '6281298765432@s.whatsapp.net', lid: null, display: '@Rina', start: 0, end: 5 }],
    },
  },
  'message.sent': {
    description:
      'A message left the instance: every successful send through Warden (source api, threecx or confirmation), and messages typed on the linked phone itself (source phone, log_id null).',
    payload: messagePayload(
      [
        'direction',
        'message_id',
        'from',
        'to',
        'chat',
        'is_group',
        'message_type',
        'text',
        'purpose',
        'reference',
        'log_id',
        'source',
        'status',
      ],
      { direction: { const: 'outbound' }, message_id: str({ maxLength: 128 }), status: { const: 'sent' } },
      'An outbound message.',
    ),
    example: EX_OUTBOUND,
  },
  'message.failed': {
    description:
      'A send failed: the transport refused it (gateway_send_failed, message_id null), or WhatsApp later reported a failed acknowledgement (whatsapp_error, with error_code).',
    payload: messagePayload(
      ['message_id', 'log_id', 'status', 'error', 'reason'],
      { status: { const: 'failed' }, error: str(), reason: str(), direction: { const: 'outbound' } },
      'A failed outbound message.',
    ),
    example: {
      ...EX_OUTBOUND,
      message_id: null,
      status: 'failed',
      error: 'gateway_send_failed',
      reason: 'instance_not_connected',
    },
  },
  'message.delivered': {
    description: 'WhatsApp delivered an outbound message to the recipient’s phone.',
    payload: receiptPayload({ const: 'delivered' }, 'Delivery receipt.'),
    example: {
      message_id: '3EB0A1B2C3D4E5F60718',
      log_id: 1207,
      status: 'delivered',
      previous_status: 'sent',
      to: '+6281234567890',
      chat: '+6281234567890',
      reference: 'order-1042',
      at: EX_TS,
    },
  },
  'message.read': {
    description: 'The recipient read an outbound message.',
    payload: receiptPayload({ const: 'read' }, 'Read receipt.'),
    example: {
      message_id: '3EB0A1B2C3D4E5F60718',
      log_id: 1207,
      status: 'read',
      previous_status: 'delivered',
      to: '+6281234567890',
      chat: '+6281234567890',
      reference: 'order-1042',
      at: EX_TS,
    },
  },
  'message.status_updated': {
    description: 'Any other status change of an outbound message (played, for voice notes and videos).',
    payload: receiptPayload({ enum: ['played'] }, 'Status change.'),
    example: {
      message_id: '3EB0A1B2C3D4E5F60718',
      log_id: 1207,
      status: 'played',
      previous_status: 'read',
      to: '+6281234567890',
      chat: '+6281234567890',
      reference: null,
      at: EX_TS,
    },
  },
  'message.revoked': {
    description: 'A message was deleted for everyone.',
    payload: closed(
      ['message_id', 'chat', 'by', 'direction', 'log_id', 'revoked_at'],
      {
        message_id: str({ maxLength: 128 }),
        chat: str(),
        by: phone('Who revoked it.'),
        direction: {
          enum: ['inbound', 'outbound'],
          description: 'outbound when the revoked message was sent by the instance.',
        },
        log_id: nullable('integer', {
          minimum: 1,
          description: 'Outbound log id when the message was sent through Warden.',
        }),
        inbound_log_id: nullable('integer', {
          minimum: 1,
          description: 'Inbound log id when the message was received by Warden.',
        }),
        revoked_at: dateTime(),
      },
      'The revoked message.',
    ),
    example: {
      message_id: '3EB0C431C26A1916E07C',
      chat: '+6281234567890',
      by: '+6281234567890',
      direction: 'inbound',
      log_id: null,
      inbound_log_id: 42,
      revoked_at: EX_TS,
    },
  },
  'recipient.opted_out': {
    description:
      'A contact sent an opt-out keyword; the number is now on the account’s suppression list (recipient_requested_stop).',
    payload: closed(
      ['from', 'reason', 'message_text'],
      {
        from: str({ description: 'E.164 with "+".' }),
        reason: { const: 'recipient_requested_stop' },
        message_text: str(),
        keyword: str({
          description:
            'The opt-out keyword or phrase from policies/opt-out.json that matched, or `classifier` when the natural-language detector recognised a refusal.',
        }),
        language: str({ description: 'Language of the list that matched.' }),
        message_id: str({ description: 'WhatsApp id of the opt-out message.' }),
        already_suppressed: {
          type: 'boolean',
          description: 'The number had already opted out before this message.',
        },
      },
      'The opt-out.',
    ),
    example: {
      from: '+966501234567',
      reason: 'recipient_requested_stop',
      message_text: 'STOP',
      keyword: 'stop',
      language: 'en',
      message_id: '3EB0C431C26A1916E07C',
      already_suppressed: false,
    },
  },
  'recipient.opted_in': {
    description:
      'A contact sent an opt-in keyword; a suppression from their own earlier STOP was lifted (suppression_removed).',
    payload: closed(
      ['from', 'message_text'],
      {
        from: str({ description: 'E.164 with "+".' }),
        message_text: str(),
        keyword: str(),
        language: str(),
        message_id: str(),
        suppression_removed: {
          type: 'boolean',
          description:
            'false when the number was not suppressed by its own STOP (a customer or admin block is never lifted by the recipient).',
        },
      },
      'The opt-in.',
    ),
    example: {
      from: '+966501234567',
      message_text: 'START',
      keyword: 'start',
      language: 'en',
      message_id: '3EB0C431C26A1916E07D',
      suppression_removed: true,
    },
  },
  'conversation.updated': {
    description: 'The conversation window with a contact was opened or extended by an inbound 1:1 message.',
    payload: closed(
      ['contact', 'chat', 'last_inbound_at', 'window_expires_at', 'window_hours', 'window_opened'],
      {
        contact: str({ description: 'E.164 when known, else the sender LID.' }),
        chat: str(),
        last_inbound_at: dateTime(),
        window_expires_at: dateTime(),
        window_hours: { type: 'integer', minimum: 1 },
        window_opened: { type: 'boolean', description: 'true when no window was open before this message.' },
        message_id: str(),
      },
      'The conversation window.',
    ),
    example: {
      contact: '+6281234567890',
      chat: '+6281234567890',
      last_inbound_at: EX_TS,
      window_expires_at: '2026-05-09T10:00:00Z',
      window_hours: 24,
      window_opened: true,
      message_id: '3EB0C431C26A1916E07C',
    },
  },
  'instance.connected': {
    description: 'The instance is linked and online.',
    payload: closed(['state', 'phone'], {
      state: { const: 'connected' },
      phone: nullable('string', { description: 'The instance’s own number.' }),
    }),
    example: { state: 'connected', phone: '+966501234567' },
  },
  'instance.disconnected': {
    description: 'The instance went offline (logged_out: the session was removed from the phone).',
    payload: closed(['state', 'reason', 'logged_out'], {
      state: { const: 'disconnected' },
      reason: str(),
      logged_out: { type: 'boolean' },
    }),
    example: { state: 'disconnected', reason: 'connection_lost', logged_out: false },
  },
  'instance.connection_updated': {
    description: 'Any change of the instance’s connection state.',
    payload: closed(['state', 'previous_state'], {
      state: { enum: [...INSTANCE_STATES] },
      previous_state: { enum: [...INSTANCE_STATES] },
      reason: str(),
    }),
    example: { state: 'connected', previous_state: 'qr_generated' },
  },
  'instance.qr_updated': {
    description: 'A new QR code is waiting to be scanned.',
    payload: closed(['state', 'expires_at'], { state: { const: 'qr_generated' }, expires_at: dateTime() }),
    example: { state: 'qr_generated', expires_at: '2026-05-08T10:01:00Z' },
  },
  'instance.paused': {
    description:
      'The instance was paused for responsible-messaging review (automatically or by a compliance admin).',
    payload: closed(['paused', 'reason', 'paused_by', 'paused_at'], {
      paused: { const: true },
      reason: str(),
      paused_by: { enum: ['policy_engine', 'compliance_admin'] },
      paused_at: dateTime(),
    }),
    example: {
      paused: true,
      reason: 'Repeated policy violations within 24 hours',
      paused_by: 'policy_engine',
      paused_at: EX_TS,
    },
  },
  'instance.resumed': {
    description: 'A compliance admin resumed the instance.',
    payload: closed(['paused', 'resumed_at'], { paused: { const: false }, resumed_at: dateTime() }),
    example: { paused: false, resumed_at: EX_TS },
  },
  'call.received': {
    description: 'A contact is calling the instance.',
    payload: closed(['call_id', 'from', 'status', 'is_video', 'at'], {
      call_id: str(),
      from: phone('Caller.'),
      status: { const: 'offer' },
      is_video: { type: 'boolean' },
      at: dateTime(),
    }),
    example: {
      call_id: 'A1B2C3D4E5F6A7B8C9D0',
      from: '+6281234567890',
      status: 'offer',
      is_video: false,
      at: EX_TS,
    },
  },
  'call.missed': {
    description: 'A call to the instance was not answered (missed, timed out or rejected).',
    payload: closed(['call_id', 'from', 'status', 'is_video', 'at'], {
      call_id: str(),
      from: phone('Caller.'),
      status: { enum: ['missed', 'timeout', 'reject'] },
      is_video: { type: 'boolean' },
      at: dateTime(),
    }),
    example: {
      call_id: 'A1B2C3D4E5F6A7B8C9D0',
      from: '+6281234567890',
      status: 'missed',
      is_video: false,
      at: EX_TS,
    },
  },
  'group.updated': {
    description: 'A group the instance belongs to changed (subject, settings, participants).',
    payload: closed(['group', 'subject', 'change'], {
      group: str({ description: 'Group JID (…@g.us).' }),
      subject: nullable('string'),
      change: { type: 'object', description: 'What changed, as WhatsApp reported it.' },
    }),
    example: {
      group: '120363426240756992@g.us',
      subject: 'Warehouse team',
      change: { subject: 'Warehouse team' },
    },
  },
  'webhook.test': {
    description: 'Sent by `POST /api/webhooks/{id}/test` to check an endpoint.',
    payload: closed(['webhook_id', 'message'], {
      webhook_id: str({ description: 'The endpoint being tested.' }),
      message: str(),
    }),
    example: {
      webhook_id: 'whk_2Nf8sQ1xZr0LmPq7',
      message: 'This is a test event from Warden. Verify its signature and answer with any 2xx status.',
    },
  },
} as const satisfies Record<EventType, EventDefinition>;

type PayloadsOf<D extends Record<EventType, { payload: JSONSchema }>> = {
  [T in EventType]: FromSchema<D[T]['payload']>;
};
/** An interface, so each payload type is computed once and named (not re-expanded at every use). */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- the interface is the point (see above)
interface EventPayloads extends PayloadsOf<typeof DEFINITIONS> {}

/** The payload of an event type, as its published schema describes it. */
export type EventPayload<T extends EventType> = EventPayloads[T];

// ---------------------------------------------------------------------------------------------
// Published schemas
// ---------------------------------------------------------------------------------------------

const envelopeProperties = (event: Schema, payload: JSONSchema): Record<string, JSONSchema> => ({
  event,
  request_id: str({
    format: 'uuid',
    description:
      'One id per event and endpoint; equals X-WA-Request-ID and webhook-id and stays the same across retries.',
  }),
  timestamp: str({
    format: 'date-time',
    pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}Z$',
    description: 'RFC 3339 UTC, second precision.',
  }),
  account_id: str(),
  instance_id: nullable('string'),
  instance_name: nullable('string'),
  payload,
});

const ENVELOPE_REQUIRED = [
  'event',
  'request_id',
  'timestamp',
  'account_id',
  'instance_id',
  'instance_name',
  'payload',
];

/** The envelope every event shares (payload left open). */
export const ENVELOPE_SCHEMA: Schema = {
  $schema: EVENT_SCHEMA_DIALECT,
  $id: `${EVENT_SCHEMA_BASE}:envelope`,
  title: 'Warden event envelope',
  type: 'object',
  required: ENVELOPE_REQUIRED,
  additionalProperties: false,
  properties: envelopeProperties({ enum: [...EVENT_TYPES] }, { type: 'object' }),
  examples: [
    { event: 'recipient.opted_out', ...EX_BASE, payload: DEFINITIONS['recipient.opted_out'].example },
  ],
};

function eventSchema(type: EventType, def: EventDefinition): Schema {
  return {
    $schema: EVENT_SCHEMA_DIALECT,
    $id: `${EVENT_SCHEMA_BASE}:${type}`,
    title: type,
    description: def.description,
    type: 'object',
    required: ENVELOPE_REQUIRED,
    additionalProperties: false,
    properties: envelopeProperties({ const: type }, def.payload),
    examples: [{ event: type, ...EX_BASE, payload: def.example }],
  };
}

export const EVENT_SCHEMAS: Readonly<Record<EventType, Schema>> = Object.freeze(
  Object.fromEntries(EVENT_TYPES.map((type) => [type, eventSchema(type, DEFINITIONS[type])])) as Record<
    EventType,
    Schema
  >,
);

/** The example envelope of an event type (docs, tests). */
export function exampleEvent(type: EventType): Record<string, unknown> {
  return structuredClone(
    (EVENT_SCHEMAS[type].examples as Record<string, unknown>[])[0] as Record<string, unknown>,
  );
}

// ---------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------

let compiled: { envelope: ValidateFunction; events: Map<string, ValidateFunction> } | null = null;

function validators(): NonNullable<typeof compiled> {
  if (compiled) return compiled;
  const ajv = withFormats(new Ajv2020({ strict: true, allErrors: true }));
  compiled = {
    envelope: ajv.compile(ENVELOPE_SCHEMA),
    events: new Map(EVENT_TYPES.map((t) => [t, ajv.compile(EVENT_SCHEMAS[t])])),
  };
  return compiled;
}

export interface EventValidationResult {
  valid: boolean;
  errors: { path: string; message: string }[];
}

function toResult(errors: ErrorObject[] | null | undefined): EventValidationResult {
  const list = (errors ?? []).map((e) => ({
    path: e.instancePath || '/',
    message: `${e.message ?? 'is invalid'}${e.keyword === 'additionalProperties' ? ` (${String(e.params.additionalProperty)})` : ''}`,
  }));
  return { valid: list.length === 0, errors: list };
}

/** A stand-in request id for envelopes read from the `events` table (the id is per delivery). */
export const STORED_EVENT_REQUEST_ID = '00000000-0000-4000-8000-000000000000';

/**
 * Validate a delivered envelope against the envelope schema and the schema of its event type.
 * With `stored: true` the envelope may lack `request_id` (rows in `events` get theirs per delivery).
 */
export function validateEvent(envelope: unknown, options: { stored?: boolean } = {}): EventValidationResult {
  let candidate = envelope;
  if (options.stored && candidate && typeof candidate === 'object' && !('request_id' in candidate)) {
    candidate = { ...(candidate as Record<string, unknown>), request_id: STORED_EVENT_REQUEST_ID };
  }
  const v = validators();
  if (!v.envelope(candidate)) return toResult(v.envelope.errors);
  const type = (candidate as { event: string }).event;
  const fn = v.events.get(type) as ValidateFunction;
  return fn(candidate) ? { valid: true, errors: [] } : toResult(fn.errors);
}

/** Throwing variant for tests: the message lists every problem. */
export function assertValidEvent(envelope: unknown, options: { stored?: boolean } = {}): void {
  const result = validateEvent(envelope, options);
  if (!result.valid) {
    const type = (envelope as { event?: unknown })?.event;
    throw new Error(
      `event ${String(type)} does not match its schema:\n${result.errors.map((e) => `  ${e.path}: ${e.message}`).join('\n')}\n${JSON.stringify(envelope)}`,
    );
  }
}

/** What `GET /api/event-schemas` publishes. */
export function publishedEventSchemas(): {
  dialect: string;
  envelope: Schema;
  events: Record<string, Schema>;
} {
  return { dialect: EVENT_SCHEMA_DIALECT, envelope: ENVELOPE_SCHEMA, events: { ...EVENT_SCHEMAS } };
}
