
/**
 * JSON Schemas (2020-12) of the success responses, for the OpenAPI document and for the tests that
 * hold live responses against them. Request schemas are not here: they are imported from
 * `src/http/schemas/` so the document describes exactly what validates.
 *
 * Objects are open (extra properties allowed): clients must ignore fields they do not know, and a
 * new optional field is not a breaking change. `required` lists what a client may rely on.
 */

import { accountSchema, apiKeyInfoSchema } from '../accounts/account-response.schema.ts';
import { inboundMessageSchema } from '../inbound/inbound-response.schema.ts';
import { instanceSchema } from '../instances/instance-response.schema.ts';
import { threeCxIntegrationSchema } from '../integrations/threecx/threecx-response.schema.ts';
import { portalInvitationSchema, portalUserSchema } from '../portal/portal-user-response.schema.ts';
import { auditEntrySchema } from '../review/audit-response.schema.ts';
import { strikeSchema } from '../review/strike-response.schema.ts';
import { messageLogEntrySchema } from '../sending/message-response.schema.ts';
import { suppressionSchema } from '../suppression/suppression-response.schema.ts';
import {
  webhookAttemptSchema,
  webhookDeliverySchema,
  webhookSchema,
} from '../webhooks/webhook-response.schema.ts';

export type Schema = Record<string, unknown>;

/** `#/components/schemas/<name>`. */
export const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });

const str = (description?: string, extra: Schema = {}): Schema => ({
  type: 'string',
  ...(description ? { description } : {}),
  ...extra,
});
const nullableStr = (description?: string, extra: Schema = {}): Schema => ({
  type: ['string', 'null'],
  ...(description ? { description } : {}),
  ...extra,
});
const dateTime = (description?: string): Schema => str(description, { format: 'date-time' });
const nullableDateTime = (description?: string): Schema => nullableStr(description, { format: 'date-time' });
const int = (description?: string, extra: Schema = {}): Schema => ({
  type: 'integer',
  ...(description ? { description } : {}),
  ...extra,
});
const nullableInt = (description?: string): Schema => ({
  type: ['integer', 'null'],
  ...(description ? { description } : {}),
});
const bool = (description?: string): Schema => ({ type: 'boolean', ...(description ? { description } : {}) });
const obj = (required: string[], properties: Record<string, Schema>, description?: string): Schema => ({
  type: 'object',
  ...(description ? { description } : {}),
  required,
  properties,
});
/** `{success: true, ...}` */
export const ok = (required: string[], properties: Record<string, Schema>, description?: string): Schema =>
  obj(['success', ...required], { success: { const: true }, ...properties }, description);
const arrayOf = (item: Schema): Schema => ({ type: 'array', items: item });

const nextBefore = {
  type: ['integer', 'null'],
  description: 'Pass as `before` to get the next (older) page; null on the last page.',
} as const;

/** Reusable component schemas (`#/components/schemas/<key>`). */
export const COMPONENT_SCHEMAS: Record<string, Schema> = {
  Error: {
    type: 'object',
    description:
      'Every failure, on every JSON route, has this shape. `error` is a stable code (see the error table); `message` is a human-readable sentence; `details` carries what applies.',
    required: ['success', 'error', 'message'],
    properties: {
      success: { const: false },
      error: str('Stable error code.', { pattern: '^[a-z0-9_]+$' }),
      message: str('Human-readable explanation.'),
      details: {
        type: 'object',
        description:
          'What applies: `action` (block | throttle | review), `risk_score`, `rules`, `classifier`, `limit`/`used`, `retry_after` (seconds), `reason`, or `errors` (validation).',
        properties: {
          action: { enum: ['block', 'throttle', 'review'] },
          risk_score: { type: 'integer', minimum: 0, maximum: 100 },
          limit: {
            type: ['integer', 'string'],
            description:
              'The limit reached: a number of messages (daily/monthly limits, rate_limited), or which throttle (`instance`, `recipient`, `new_recipients`).',
          },
          used: { type: 'integer' },
          retry_after: { type: 'integer', description: 'Seconds; also sent as the Retry-After header.' },
          reason: { type: 'string' },
          purpose_status: {
            enum: ['disallowed', 'unknown', 'missing'],
            description: 'message_purpose_not_allowed: a refused purpose, one Warden does not know, or none (3CX).',
          },
          module: { type: 'string', description: 'module_not_enabled: the module the account lacks (`api`, `threecx`).' },
          window_seconds: { type: 'integer', description: 'rate_limited: the window of the limit.' },
          supported_encodings: { type: 'array', items: { type: 'string' } },
          supported_charsets: { type: 'array', items: { type: 'string' } },
          field: { type: 'string', description: 'missing_phone / missing_message_text: the 3CX field.' },
          limit_bytes: { type: 'integer', description: 'payload_too_large: the body limit of this endpoint.' },
          event_type: { type: 'string', description: 'call_events_disabled: the 3CX event.' },
          strict_window: { type: 'boolean', description: 'conversation_window_closed: the integration’s window rule.' },
          window_hours: { type: 'integer' },
          last_inbound_at: { type: ['string', 'null'], format: 'date-time', description: 'The contact’s last message, if any.' },
          expires_at: { type: 'string', format: 'date-time', description: 'qr_still_valid: when the current QR code expires.' },
          status: { type: 'string', description: 'conflict: the state that conflicts (e.g. a delivery already `pending`).' },
          rules: { type: 'array', items: { type: ['string', 'object'] } },
          classifier: {
            type: 'object',
            description:
              'policy_violation: what the intent classifier made of the message: the most likely refused intent (`marketing`, `cold_outreach`, `political`, `bulk_campaign`, `scam`, `phishing`) or `legit`, the probability that it is one the product refuses, and the features that weighed most.',
            required: ['intent', 'probability', 'features'],
            properties: {
              intent: { type: 'string' },
              probability: { type: 'number', minimum: 0, maximum: 1 },
              features: { type: 'array', items: { type: 'string' } },
            },
          },
          errors: {
            type: 'array',
            items: obj(['field', 'reason'], {
              field: str('JSON pointer of the field (`/phone`), `query/<name>` or `header:<Name>`.'),
              reason: str(),
            }),
          },
        },
      },
    },
  },
  Instance: instanceSchema,
  MessageLogEntry: messageLogEntrySchema,
  Suppression: suppressionSchema,
  Webhook: webhookSchema,
  WebhookAttempt: webhookAttemptSchema,
  WebhookDelivery: webhookDeliverySchema,
  InboundMessage: inboundMessageSchema,
  QuotaWindow: obj(['limit', 'used', 'remaining', 'resets_at'], {
    limit: int(),
    used: int('Messages actually sent in this window.'),
    remaining: int(),
    resets_at: dateTime('Start of the next window, in the account time zone.'),
  }),
  Account: accountSchema,
  ApiKeyInfo: apiKeyInfoSchema,
  ThreeCxIntegration: threeCxIntegrationSchema,
  AuditEntry: auditEntrySchema,
  Strike: strikeSchema,
  PortalUser: portalUserSchema,
  PortalInvitation: portalInvitationSchema,
};

const EX_TIME = '2026-05-08T10:00:00.000Z';
const EX_INSTANCE = {
  id: 'inst_uMsUnJPnr3DWpmwT',
  name: 'Customer Service Main',
  state: 'connected',
  state_reason: null,
  phone: '+966500000000',
  default_country: 'SA',
  qr: null,
  paused: false,
  pause: null,
  created_at: EX_TIME,
  updated_at: EX_TIME,
};
const EX_MESSAGE = {
  log_id: 123,
  instance_id: EX_INSTANCE.id,
  recipient: '+966500000001',
  purpose: 'transactional',
  text: 'Your order #2041 has been shipped.',
  media_type: null,
  status: 'sent',
  outcome: 'allowed',
  deciding_check: null,
  error: null,
  risk_score: 0,
  risk_rules: [],
  flagged: false,
  message_id: '3EB07B998A6862B7333383',
  reference: 'order-2041',
  source: 'api',
  failure_reason: null,
  created_at: EX_TIME,
  updated_at: EX_TIME,
};
const EX_SUPPRESSION = {
  id: 'sup_xPYmhAnF-Smq5rse',
  phone: '+966500000002',
  scope: 'account',
  account_id: 'acc_cLDkJkgqqXm2u3BA',
  reason: 'customer_blocked',
  note: 'Asked by phone not to be contacted',
  created_by: 'api_key:key_AOFBc4bHFvYaCcUt',
  created_at: EX_TIME,
};
const EX_WEBHOOK = {
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
  created_at: EX_TIME,
  updated_at: EX_TIME,
};
const EX_SECRET = 'whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=';
const EX_DELIVERY = {
  id: '932bf809-f9a5-49bb-b2e2-4220bb92f185',
  request_id: '932bf809-f9a5-49bb-b2e2-4220bb92f185',
  event_id: 'evt_urdl9iZYwP-fC734',
  event: 'message.received',
  webhook_id: EX_WEBHOOK.id,
  instance_id: EX_INSTANCE.id,
  message_id: '3EB01829A5335DCDF8D4AB',
  status: 'failed',
  held: false,
  attempt_count: 1,
  next_attempt_at: null,
  last_status_code: 500,
  last_error: 'http_status_500',
  created_at: EX_TIME,
  completed_at: EX_TIME,
  attempts: [
    {
      attempt_number: 1,
      trigger: 'scheduled',
      url: 'https://crm.example.com/hooks/whatsapp',
      method: 'POST',
      request_id: '932bf809-f9a5-49bb-b2e2-4220bb92f185',
      event: 'message.received',
      instance_id: EX_INSTANCE.id,
      message_id: '3EB01829A5335DCDF8D4AB',
      status_code: 500,
      latency_ms: 84,
      response_body: 'Internal Server Error',
      error: 'http_status_500',
      created_at: EX_TIME,
    },
  ],
};
const EX_ACCOUNT = {
  id: 'acc_cLDkJkgqqXm2u3BA',
  name: 'Acme',
  plan: 'starter',
  plan_active: true,
  modules: ['api'],
  timezone: 'Asia/Jakarta',
  default_country: 'ID',
  optout_confirmation: false,
  daily_limit_override: null,
  monthly_limit_override: null,
  override_reason: null,
  override_approved_by: null,
  override_approved_at: null,
  limits: { daily: 100, monthly: 2000 },
  created_at: EX_TIME,
  updated_at: EX_TIME,
};

/** Named success responses: schema + example. */
export const RESPONSES = {
  health: {
    schema: obj(['status', 'transport', 'checks'], {
      status: { enum: ['ok', 'degraded'] },
      service: str(),
      node_id: str('This node (NODE_ID); several nodes can share one database.'),
      transport: { enum: ['sandbox', 'baileys'] },
      sandbox: str('Present only in sandbox mode.'),
      checks: obj(['database', 'transport'], {
        database: { enum: ['ok', 'unreachable', 'timeout', 'schema_missing'] },
        transport: str(),
      }),
      uptime_seconds: int(),
    }),
    example: {
      status: 'ok',
      service: 'warden',
      node_id: 'gw-1',
      transport: 'baileys',
      checks: { database: 'ok', transport: 'ok' },
      uptime_seconds: 3600,
    },
  },
  sendMessage: {
    schema: ok(['status', 'message_id', 'log_id'], {
      status: { const: 'sent' },
      message_id: str('The WhatsApp message id (appears again in receipts).'),
      log_id: int('Row in the message log: GET /api/messages/{log_id}.'),
    }),
    example: { success: true, status: 'sent', message_id: '3EB07B998A6862B7333383', log_id: 123 },
  },
  instance: {
    schema: ok(['instance'], { instance: ref('Instance') }),
    example: { success: true, instance: EX_INSTANCE },
  },
  instanceCreated: {
    schema: ok(['instance'], { instance: ref('Instance') }),
    example: {
      success: true,
      instance: {
        ...EX_INSTANCE,
        state: 'qr_generated',
        phone: null,
        qr: {
          raw: '2@Lr8bX3T5k2…,ZdkmPDYpVuRbAlAPNVhpUq6+/jlNKamFznEBMEZsdUE=,…',
          png_data_url: 'data:image/png;base64,iVBORw0KGgo…',
          expires_at: '2026-05-08T10:01:00.000Z',
        },
      },
    },
  },
  instances: {
    schema: ok(['instances'], { instances: arrayOf(ref('Instance')) }),
    example: { success: true, instances: [EX_INSTANCE] },
  },
  pairingCode: {
    schema: ok(['pairing_code'], {
      pairing_code: str('Type it on the phone: WhatsApp → Linked devices → Link with phone number.'),
    }),
    example: { success: true, pairing_code: 'K7QP2XMA' },
  },
  destroyed: {
    schema: ok(['destroyed'], { destroyed: { const: true } }),
    example: { success: true, destroyed: true },
  },
  sandboxState: {
    schema: ok(['state'], { state: instanceSchema.properties.state }),
    example: { success: true, state: 'connected' },
  },
  sandboxInbound: {
    schema: ok(['message_id'], { message_id: str() }),
    example: { success: true, message_id: '3EB01829A5335DCDF8D4AB' },
  },
  okOnly: { schema: ok([], {}), example: { success: true } },
  messages: {
    schema: ok(['messages'], { messages: arrayOf(ref('MessageLogEntry')), next_before: nextBefore }),
    example: { success: true, messages: [EX_MESSAGE], next_before: null },
  },
  message: {
    schema: ok(['message'], { message: ref('MessageLogEntry') }),
    example: { success: true, message: EX_MESSAGE },
  },
  quota: {
    schema: ok(['daily', 'monthly'], {
      plan: str(),
      timezone: str(),
      daily: ref('QuotaWindow'),
      monthly: ref('QuotaWindow'),
    }),
    example: {
      success: true,
      plan: 'starter',
      timezone: 'Asia/Jakarta',
      daily: { limit: 100, used: 37, remaining: 63, resets_at: '2026-05-08T17:00:00.000Z' },
      monthly: { limit: 2000, used: 412, remaining: 1588, resets_at: '2026-05-31T17:00:00.000Z' },
    },
  },
  suppressions: {
    schema: ok(['suppressed_recipients'], {
      suppressed_recipients: arrayOf(ref('Suppression')),
      limit: int(),
      offset: int(),
    }),
    example: { success: true, suppressed_recipients: [EX_SUPPRESSION], limit: 50, offset: 0 },
  },
  suppressionCreated: {
    schema: ok(['suppressed_recipient'], { suppressed_recipient: ref('Suppression') }),
    example: { success: true, suppressed_recipient: EX_SUPPRESSION },
  },
  suppressionRemoved: {
    schema: ok(['removed'], { removed: ref('Suppression') }),
    example: { success: true, removed: EX_SUPPRESSION },
  },
  inboundLogs: {
    schema: ok(['inbound_messages'], {
      inbound_messages: arrayOf(ref('InboundMessage')),
      next_before: nextBefore,
    }),
    example: {
      success: true,
      inbound_messages: [
        {
          id: 1,
          instance_id: EX_INSTANCE.id,
          message_id: '3EB01829A5335DCDF8D4AB',
          direction: 'inbound',
          from: '+966500000001',
          from_lid: null,
          chat: '+966500000001',
          is_group: false,
          message_type: 'text',
          text: 'Is my order ready?',
          media_path: null,
          media_mime_type: null,
          media_size: null,
          media_filename: null,
          classification: null,
          received_at: EX_TIME,
          payload: { direction: 'inbound', message_type: 'text', text: 'Is my order ready?' },
        },
      ],
      next_before: null,
    },
  },
  webhookCreated: {
    schema: ok(['webhook', 'secret'], {
      webhook: { allOf: [ref('Webhook')], properties: { secret: str() } },
      secret: str('Signing secret, shown once: `whsec_` + base64 of 32 random bytes.', {
        pattern: '^whsec_',
      }),
    }),
    example: { success: true, webhook: { ...EX_WEBHOOK, secret: EX_SECRET }, secret: EX_SECRET },
  },
  webhooks: {
    schema: ok(['webhooks'], { webhooks: arrayOf(ref('Webhook')), limit: int(), offset: int() }),
    example: { success: true, webhooks: [EX_WEBHOOK], limit: 50, offset: 0 },
  },
  webhook: {
    schema: ok(['webhook'], { webhook: ref('Webhook') }),
    example: { success: true, webhook: EX_WEBHOOK },
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
    example: { success: true, deliveries: [EX_DELIVERY], limit: 50, offset: 0 },
  },
  delivery: {
    schema: ok(['delivery'], { delivery: ref('WebhookDelivery') }),
    example: {
      success: true,
      delivery: { ...EX_DELIVERY, status: 'pending', completed_at: null, next_attempt_at: EX_TIME },
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
  eventSchemas: {
    schema: ok(['dialect', 'envelope', 'events'], {
      dialect: str(),
      envelope: { type: 'object' },
      events: { type: 'object', additionalProperties: { type: 'object' } },
    }),
    example: {
      success: true,
      dialect: 'https://json-schema.org/draft/2020-12/schema',
      envelope: { title: 'Warden event envelope', type: 'object' },
      events: { 'message.received': { title: 'message.received', type: 'object' } },
    },
  },
  eventSchema: {
    schema: {
      type: 'object',
      description: 'The JSON Schema (2020-12) of one event.',
      required: ['title', 'type', 'properties'],
      properties: {
        $schema: str(),
        $id: str(),
        title: str('The event name.'),
        description: str(),
        type: { const: 'object' },
        required: arrayOf(str()),
        additionalProperties: bool(),
        properties: { type: 'object', description: 'The envelope fields and the event’s `payload`.' },
        examples: arrayOf({ type: 'object' }),
      },
    },
    example: { $id: 'urn:warden:events:message.sent', title: 'message.sent', type: 'object', properties: {} },
  },
  accountCreated: {
    schema: ok(['id', 'account'], { id: str(), account: ref('Account') }),
    example: { success: true, id: EX_ACCOUNT.id, account: EX_ACCOUNT },
  },
  accounts: {
    schema: ok(['accounts'], { accounts: arrayOf(ref('Account')) }),
    example: { success: true, accounts: [EX_ACCOUNT] },
  },
  accountWithKeys: {
    schema: ok(['account', 'api_keys'], { account: ref('Account'), api_keys: arrayOf(ref('ApiKeyInfo')) }),
    example: {
      success: true,
      account: EX_ACCOUNT,
      api_keys: [
        {
          id: 'key_AOFBc4bHFvYaCcUt',
          name: 'erp',
          prefix: 'wdn_Wp8WjS-E',
          created_at: EX_TIME,
          last_used_at: EX_TIME,
          revoked_at: null,
        },
      ],
    },
  },
  account: {
    schema: ok(['account'], { account: ref('Account') }),
    example: { success: true, account: EX_ACCOUNT },
  },
  apiKeyCreated: {
    schema: ok(['id', 'key', 'prefix', 'name'], {
      id: str(),
      key: str('The API key. Shown once; only a hash is stored.'),
      prefix: str(),
      name: str(),
      created_at: dateTime(),
    }),
    example: {
      success: true,
      id: 'key_AOFBc4bHFvYaCcUt',
      key: 'wdn_Wp8WjS-E3mJc0Qm9vTt2oE2Yb4x1aVq8Lr5sKd7Ng6Hc',
      prefix: 'wdn_Wp8WjS-E',
      name: 'erp',
      created_at: EX_TIME,
    },
  },
  portalInvitation: {
    schema: ok(['invitation', 'invite_path', 'invite_url'], {
      invitation: ref('PortalInvitation'),
      invite_path: str('`/portal/invite/<token>`: single use, shown only in this response.'),
      invite_url: str('The same link with the address this request reached the gateway on.'),
      note: str(),
    }),
    example: {
      success: true,
      invitation: {
        id: 'inv_f3V9aQ2x1bLk0P7e',
        email: 'dewi@tokomaju.example',
        role: 'owner',
        created_by: 'admin-token',
        created_at: EX_TIME,
        expires_at: EX_TIME,
      },
      invite_path: '/portal/invite/Xq3…',
      invite_url: 'https://wa.example.com/portal/invite/Xq3…',
      note: 'The link is shown only in this response and works once.',
    },
  },
  portalUsers: {
    schema: ok(['users', 'invitations'], {
      users: arrayOf(ref('PortalUser')),
      invitations: arrayOf(ref('PortalInvitation')),
    }),
    example: {
      success: true,
      users: [
        {
          id: 'usr_Qm1x8cT0aZ4kLr2s',
          email: 'dewi@tokomaju.example',
          name: 'Dewi',
          role: 'owner',
          totp_enabled: true,
          created_at: EX_TIME,
          last_login_at: EX_TIME,
        },
      ],
      invitations: [],
    },
  },
  apiKeyRevoked: {
    schema: ok(['revoked', 'id'], { revoked: { const: true }, id: str() }),
    example: { success: true, revoked: true, id: 'key_AOFBc4bHFvYaCcUt' },
  },
  adminInstances: {
    schema: ok(['instances'], {
      instances: arrayOf({
        allOf: [ref('Instance')],
        required: ['account_id'],
        properties: { account_id: str(), pause_evidence: {}, paused_by: nullableStr() },
      }),
    }),
    example: {
      success: true,
      instances: [
        {
          ...EX_INSTANCE,
          paused: true,
          pause: { reason: 'Automatic: 5 policy violations in 24 h', paused_at: EX_TIME },
          account_id: EX_ACCOUNT.id,
          pause_evidence: { violations_24h: 5, rules: ['marketing_terms', 'url_shortener'] },
          paused_by: 'policy',
        },
      ],
    },
  },
  adminInstance: {
    schema: ok(['instance'], {
      instance: { allOf: [ref('Instance')], required: ['account_id'], properties: { account_id: str() } },
    }),
    example: {
      success: true,
      instance: {
        ...EX_INSTANCE,
        paused: true,
        pause: { reason: 'Complaint from a recipient; checking the sender', paused_at: EX_TIME },
        account_id: EX_ACCOUNT.id,
      },
    },
  },
  decisions: {
    schema: ok(['decisions'], {
      decisions: arrayOf({
        allOf: [ref('MessageLogEntry')],
        required: ['account_id'],
        properties: { account_id: str() },
      }),
    }),
    example: {
      success: true,
      decisions: [
        {
          ...EX_MESSAGE,
          status: 'blocked',
          outcome: 'blocked',
          deciding_check: 'risk_score',
          error: 'policy_violation',
          risk_score: 72,
          risk_rules: ['marketing_terms', 'url_shortener', 'urgency_cta'],
          message_id: null,
          account_id: EX_ACCOUNT.id,
        },
      ],
    },
  },
  adminSuppressions: {
    schema: ok(['suppressions'], { suppressions: arrayOf(ref('Suppression')) }),
    example: {
      success: true,
      suppressions: [
        { ...EX_SUPPRESSION, scope: 'global', account_id: null, reason: 'admin_blocked', created_by: 'admin-token' },
      ],
    },
  },
  adminSuppression: {
    schema: ok(['suppression'], { suppression: ref('Suppression') }),
    example: {
      success: true,
      suppression: {
        ...EX_SUPPRESSION,
        scope: 'global',
        account_id: null,
        reason: 'admin_blocked',
        created_by: 'admin-token',
      },
    },
  },
  adminSuppressionRemoved: {
    schema: ok(['removed'], { removed: ref('Suppression') }),
    example: {
      success: true,
      removed: {
        ...EX_SUPPRESSION,
        scope: 'global',
        account_id: null,
        reason: 'admin_blocked',
        created_by: 'admin-token',
      },
    },
  },
  audit: {
    schema: ok(['entries'], { entries: arrayOf(ref('AuditEntry')) }),
    example: {
      success: true,
      entries: [
        {
          id: 3,
          actor: 'admin-token',
          action: 'instance.resumed',
          target_type: 'instance',
          target_id: EX_INSTANCE.id,
          note: 'Customer removed the promotional template; resuming.',
          detail: null,
          created_at: EX_TIME,
        },
      ],
    },
  },
  customerDecisions: {
    schema: ok(['decisions'], { decisions: arrayOf(ref('MessageLogEntry')), next_before: nextBefore }),
    example: {
      success: true,
      decisions: [
        {
          ...EX_MESSAGE,
          status: 'blocked',
          outcome: 'blocked',
          deciding_check: 'purpose_allowed',
          error: 'message_purpose_not_allowed',
          message_id: null,
        },
      ],
      next_before: null,
    },
  },
  adminNodes: {
    schema: ok(['nodes'], {
      nodes: arrayOf(
        obj(['id', 'url', 'alive', 'last_heartbeat_at', 'instances'], {
          id: str('NODE_ID of the node.'),
          url: nullableStr('NODE_URL: where the other nodes reach it (null on a single node).'),
          alive: bool('Heartbeat younger than the lease and not draining.'),
          draining: bool('Handing its instances over before it exits (SIGTERM).'),
          started_at: dateTime(),
          last_heartbeat_at: dateTime('Database clock.'),
          instances: int('Instances whose lease the node holds.'),
        }),
      ),
    }),
    example: {
      success: true,
      nodes: [
        {
          id: 'gw-1',
          url: 'http://10.0.0.11:3000',
          alive: true,
          draining: false,
          started_at: '2026-12-06T09:00:00.000Z',
          last_heartbeat_at: '2026-12-06T10:15:02.512Z',
          instances: 3,
        },
      ],
    },
  },
  adminInstanceReview: {
    schema: ok(['instance', 'review'], {
      instance: {
        allOf: [ref('Instance')],
        required: ['account_id'],
        properties: {
          account_id: str(),
          paused_by: nullableStr(),
          pause_evidence: {},
          owner_node: nullableStr(
            'The node that runs this instance\'s WhatsApp session now (several nodes); null while it fails over.',
          ),
        },
      },
      review: obj(['pause_count', 'strikes', 'triggers'], {
        pause_count: int('Pauses in the repeat-offender lookback.'),
        last_resumed_at: nullableDateTime(),
        throttle: {
          type: ['object', 'null'],
          description: 'A review-imposed slowdown in force.',
          properties: { multiplier: { type: 'number' }, until: dateTime() },
        },
        strikes: arrayOf(ref('Strike')),
        triggers: arrayOf(
          obj(['id', 'over_threshold'], {
            id: str(),
            signal: str(),
            value: { type: ['number', 'null'] },
            threshold: { type: 'number' },
            unit: { enum: ['count', 'rate'], description: '`count` of events, or a `rate` of events per sample.' },
            events: int('Matching events in the window.'),
            sample: { type: ['integer', 'null'], description: 'The denominator of a rate (e.g. messages sent); null for counts.' },
            window_seconds: int('The look-back window.'),
            over_threshold: bool(),
            explanation: str(),
          }),
        ),
      }),
    }),
    example: {
      success: true,
      instance: {
        ...EX_INSTANCE,
        account_id: EX_ACCOUNT.id,
        paused_by: null,
        pause_evidence: null,
        owner_node: 'gw-1',
      },
      review: {
        pause_count: 0,
        last_resumed_at: null,
        throttle: null,
        strikes: [],
        triggers: [
          {
            id: 'policy_violations',
            signal: 'policy_violations',
            value: 1,
            threshold: 3,
            unit: 'count',
            events: 1,
            sample: null,
            window_seconds: 86400,
            over_threshold: false,
            explanation: '1 policy violation in the last 24 h (threshold 3).',
          },
        ],
      },
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
          id: EX_WEBHOOK.id,
          account_id: EX_ACCOUNT.id,
          instance_id: null,
          destination_url: EX_WEBHOOK.destination_url,
          events: EX_WEBHOOK.events,
          enabled: false,
          health: 'disabled',
          disabled_reason: 'consecutive_failures',
          disabled_at: EX_TIME,
          consecutive_failures: 10,
          updated_at: EX_TIME,
        },
      ],
    },
  },
  threeCxCreated: {
    schema: ok(['id', 'secret', 'integration'], {
      id: str(),
      secret: str('The shared secret 3CX sends in X-WhatsApp-Gateway-3CX-Secret. Shown once.'),
      integration: ref('ThreeCxIntegration'),
      forwarding: {
        type: ['object', 'null'],
        description: 'When destination_url is set: the forwarding webhook and its signing secret (shown once).',
        properties: { webhook_id: str(), secret: str() },
      },
    }),
    example: {
      success: true,
      id: 'tcx_9hQ2LmZp4RkT8sVw',
      secret: 'tcx_Jx1n0xq3Vd9…',
      integration: {
        id: 'tcx_9hQ2LmZp4RkT8sVw',
        instance_id: EX_INSTANCE.id,
        business_name: 'Acme Support',
        enabled: true,
        webhook_path: '/integrations/3cx/webhook/tcx_9hQ2LmZp4RkT8sVw',
        secret_hint: 'tcx_Jx1n…',
        require_hmac: false,
        ip_allowlist: [],
        trusted_proxies: [],
        outbound_enabled: true,
        call_events_enabled: true,
        enabled_call_events: ['missed_call', 'voicemail', 'call_ended', 'queue_callback', 'after_hours'],
        templates: {},
        strict_window: true,
        window_hours: 24,
        destination_url: null,
        forward_webhook_id: null,
        created_at: EX_TIME,
        updated_at: EX_TIME,
      },
      forwarding: null,
    },
  },
  threeCxIntegrations: {
    schema: ok(['integrations'], { integrations: arrayOf(ref('ThreeCxIntegration')), limit: int(), offset: int() }),
    example: { success: true, integrations: [], limit: 50, offset: 0 },
  },
  threeCxIntegration: {
    schema: ok(['integration'], {
      integration: ref('ThreeCxIntegration'),
      default_templates: { type: 'object', description: 'The built-in call-event templates.' },
    }),
    example: {
      success: true,
      integration: {
        id: 'tcx_9hQ2LmZp4RkT8sVw',
        instance_id: EX_INSTANCE.id,
        enabled: true,
        webhook_path: '/integrations/3cx/webhook/tcx_9hQ2LmZp4RkT8sVw',
      },
      default_templates: {},
    },
  },
  threeCxUpdated: {
    schema: ok(['integration'], {
      integration: ref('ThreeCxIntegration'),
      forwarding: { type: ['object', 'null'], properties: { webhook_id: str(), secret: str() } },
    }),
    example: {
      success: true,
      integration: {
        id: 'tcx_9hQ2LmZp4RkT8sVw',
        instance_id: EX_INSTANCE.id,
        enabled: true,
        webhook_path: '/integrations/3cx/webhook/tcx_9hQ2LmZp4RkT8sVw',
      },
      forwarding: null,
    },
  },
  threeCxRotated: {
    schema: ok(['id', 'secret', 'integration'], {
      id: str(),
      secret: str('The new secret, shown once.'),
      integration: ref('ThreeCxIntegration'),
    }),
    example: {
      success: true,
      id: 'tcx_9hQ2LmZp4RkT8sVw',
      secret: 'tcx_Qe7…',
      integration: {
        id: 'tcx_9hQ2LmZp4RkT8sVw',
        instance_id: EX_INSTANCE.id,
        enabled: true,
        webhook_path: '/integrations/3cx/webhook/tcx_9hQ2LmZp4RkT8sVw',
      },
    },
  },
  threeCxEvents: {
    schema: ok(['events'], {
      events: arrayOf(
        obj(['id', 'outcome', 'created_at'], {
          id: int(),
          event_type: nullableStr(),
          outcome: str('`sent`, `skipped`, `accepted` or `refused`.'),
          error: nullableStr(),
          reason: nullableStr(),
          phone: nullableStr(),
          log_id: nullableInt(),
          request_id: nullableStr(),
          created_at: dateTime(),
        }),
      ),
      limit: int(),
    }),
    example: {
      success: true,
      events: [
        {
          id: 7,
          event_type: 'missed_call',
          outcome: 'sent',
          error: null,
          reason: null,
          phone: '+966500000001',
          log_id: 124,
          request_id: '5d2f6a0e-3a51-4a9f-9d0c-6b3c2f1e8a77',
          created_at: EX_TIME,
        },
      ],
      limit: 50,
    },
  },
  threeCxWebhook: {
    schema: ok(['status', 'event_type', 'integration_id'], {
      status: { enum: ['ok', 'accepted', 'sent', 'skipped'] },
      event_type: str(),
      integration_id: str(),
      message_id: str(),
      log_id: int(),
      reason: str('Why nothing was sent (e.g. `cooldown`, `informational_event`).'),
      message: str('A sentence for people (e.g. the answer to `event_type: test`).'),
      sent: bool('False for events accepted without sending (call events without a reply).'),
      cooldown_expires_at: dateTime('When the same event for the same number may be answered again.'),
      retry_after: int(),
    }),
    example: {
      success: true,
      event_type: 'outbound_message',
      integration_id: 'tcx_9hQ2LmZp4RkT8sVw',
      status: 'sent',
      message_id: '3EB07B998A6862B7333383',
      log_id: 125,
    },
  },
  openapi: {
    schema: {
      type: 'object',
      description: 'An OpenAPI 3.1 document (this one).',
      required: ['openapi', 'info', 'paths'],
      properties: {
        openapi: str(),
        jsonSchemaDialect: str(),
        info: { type: 'object' },
        servers: arrayOf({ type: 'object' }),
        tags: arrayOf({ type: 'object' }),
        paths: { type: 'object' },
        webhooks: { type: 'object' },
        components: { type: 'object' },
      },
    },
    example: { openapi: '3.1.0', info: { title: 'Warden', version: '0.1.0' }, paths: {} },
  },
} satisfies Record<string, { schema: Schema; example: unknown }>;
