/**
 * The `message.*` events (and `group.message_received`): messages received, sent, failed, their
 * receipts and revocations.
 */
import type { JSONSchema } from 'json-schema-to-ts';
import { PHONE_SOURCE, SEND_SOURCES } from '../../sending/send-source.ts';
import { MESSAGE_TYPES } from '../../transport/transport.ts';
import type { EventType } from '../event-types.ts';
import {
  closed,
  dateTime,
  EXAMPLE_TIMESTAMP,
  nullable,
  phone,
  str,
  type EventDefinition,
} from './event-schema-builders.ts';

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
    enum: [...SEND_SOURCES, PHONE_SOURCE],
    description: `\`${PHONE_SOURCE}\`: typed on the linked phone, not sent through Warden.`,
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
  wa_timestamp: EXAMPLE_TIMESTAMP,
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

export const MESSAGE_EVENTS = {
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
      at: EXAMPLE_TIMESTAMP,
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
      at: EXAMPLE_TIMESTAMP,
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
      at: EXAMPLE_TIMESTAMP,
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
      revoked_at: EXAMPLE_TIMESTAMP,
    },
  },
} as const satisfies Partial<Record<EventType, EventDefinition>>;
