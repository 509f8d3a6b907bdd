import { TEMPLATE_EVENTS, MAX_TEMPLATE_LENGTH } from '../../integrations/threecx/threecx-templates.ts';
import { THREECX_EVENT_TYPES } from '../../integrations/threecx/threecx-event-fields.ts';

/** 3CX integration settings (SPEC §10) and the 3CX event payload (reference/003). */

const ipList = (what: string) =>
  ({
    type: 'array',
    maxItems: 50,
    uniqueItems: true,
    items: { type: 'string', minLength: 2, maxLength: 64 },
    description: what,
  }) as const;

const templateOverride = {
  type: ['string', 'null'],
  maxLength: MAX_TEMPLATE_LENGTH,
  description:
    'Plain-text Handlebars template; only {{customer_phone}}, {{agent_extension}}, {{queue}}, {{call_time}}, {{business_name}} and #if / #unless around them. null restores the default.',
} as const;

const properties = {
  instance_id: {
    type: 'string',
    minLength: 1,
    maxLength: 40,
    description: 'The WhatsApp instance (of your account) that 3CX replies are sent from.',
  },
  business_name: {
    type: ['string', 'null'],
    maxLength: 120,
    description: 'Used as {{business_name}} in call-event templates; default: the account name.',
  },
  enabled: {
    type: 'boolean',
    description: 'false refuses every webhook request (as an unknown integration).',
  },
  require_hmac: {
    type: 'boolean',
    description: 'Require X-WhatsApp-Gateway-Timestamp and X-WhatsApp-Gateway-Signature on every request.',
  },
  ip_allowlist: ipList('Addresses or CIDR ranges allowed to call the webhook; empty allows any.'),
  trusted_proxies: ipList(
    'Reverse proxies (addresses or CIDR ranges) whose X-Forwarded-For is believed for the allowlist. Empty: X-Forwarded-For is ignored.',
  ),
  outbound_enabled: {
    type: 'boolean',
    description: 'Allow outbound_message / inbound_reply events to send.',
  },
  call_events_enabled: {
    type: 'boolean',
    description: 'Allow call events to send templated replies.',
  },
  enabled_call_events: {
    type: 'array',
    uniqueItems: true,
    items: { type: 'string', enum: TEMPLATE_EVENTS },
    description: 'Call events whose template is enabled (default: all five).',
  },
  templates: {
    type: 'object',
    additionalProperties: false,
    properties: Object.fromEntries(TEMPLATE_EVENTS.map((e) => [e, templateOverride])),
    description: 'Per-event template overrides, merged on update.',
  },
  strict_window: {
    type: 'boolean',
    description:
      'Default true: every send needs an inbound WhatsApp message from the contact within window_hours.',
  },
  window_hours: {
    type: 'integer',
    minimum: 1,
    maximum: 24,
    description: 'Conversation window length (default 24).',
  },
  destination_url: {
    type: ['string', 'null'],
    minLength: 1,
    maxLength: 2048,
    description:
      'Where inbound WhatsApp messages of the instance are forwarded (a signed message.received webhook). null removes forwarding.',
  },
} as const;

export const createThreeCxIntegrationSchema = {
  $id: 'CreateThreeCxIntegrationRequest',
  type: 'object',
  required: ['instance_id'],
  additionalProperties: false,
  properties,
} as const;

export const updateThreeCxIntegrationSchema = {
  $id: 'UpdateThreeCxIntegrationRequest',
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties,
} as const;

/**
 * The body 3CX posts to `/integrations/3cx/webhook/{integration_id}`. Documentation and OpenAPI
 * only: the endpoint answers missing fields with the troubleshooting codes (missing_phone,
 * missing_message_text, …) rather than a generic validation error, and ignores unknown fields.
 */
export const threeCxEventSchema = {
  $id: 'ThreeCxEvent',
  type: 'object',
  required: ['event_type'],
  additionalProperties: true,
  properties: {
    event_type: { type: 'string', enum: THREECX_EVENT_TYPES },
    to: { type: 'string', description: 'Customer phone (replies).' },
    from: { type: 'string', description: 'Customer phone (calls).' },
    customer_phone: {
      type: 'string',
      description: 'Customer phone; wins over every other field.',
    },
    caller: { type: 'string', description: 'Customer phone (calls).' },
    phone: { type: 'string', description: 'Customer phone.' },
    message_text: {
      type: 'string',
      maxLength: 4096,
      description: 'Reply text (outbound_message, inbound_reply).',
    },
    message: {
      type: 'string',
      maxLength: 4096,
      description: 'Alias of message_text.',
    },
    message_purpose: {
      type: 'string',
      description:
        'Required for replies: support, operational, transactional, internal_team or authentication.',
    },
    conversation_id: {
      type: 'string',
      description: 'Echoed as the message reference.',
    },
    agent_extension: {
      type: 'string',
      description: 'Extension of the agent (numbers accepted too).',
    },
    queue: { type: 'string' },
    call_time: {
      type: 'string',
      description: 'RFC 3339, unix seconds/ms (numbers accepted too), or free text.',
    },
  },
} as const;
