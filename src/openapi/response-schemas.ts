import { INSTANCE_STATES } from '../transport/transport.ts';

/**
 * JSON Schemas (2020-12) of the success responses, for the OpenAPI document and for the tests that
 * hold live responses against them. Request schemas are not here: they are imported from
 * `src/http/schemas/` so the document describes exactly what validates.
 *
 * Objects are open (extra properties allowed): clients must ignore fields they do not know, and a
 * new optional field is not a breaking change. `required` lists what a client may rely on.
 */

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
          limit: { type: 'integer' },
          used: { type: 'integer' },
          retry_after: { type: 'integer', description: 'Seconds; also sent as the Retry-After header.' },
          reason: { type: 'string' },
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
  Instance: obj(
    ['id', 'name', 'state', 'paused', 'created_at'],
    {
      id: str('Instance id; use it as `instance_id`.'),
      name: str('Unique per account among non-destroyed instances.'),
      state: { enum: INSTANCE_STATES },
      state_reason: nullableStr('Why the state last changed (e.g. `logged_out`).'),
      phone: nullableStr('The linked WhatsApp number (E.164) once connected.'),
      default_country: nullableStr('ISO 3166 country used to read local phone numbers.'),
      qr: {
        type: ['object', 'null'],
        description: 'Present while a QR code is waiting to be scanned.',
        required: ['raw', 'png_data_url', 'expires_at'],
        properties: {
          raw: str('The QR payload; render it with any QR library.'),
          png_data_url: str('The same QR code as a PNG data URL (for an <img src>).'),
          expires_at: dateTime(),
        },
      },
      paused: bool('Paused for responsible-messaging review: sends are refused with 423.'),
      pause: {
        type: ['object', 'null'],
        properties: { reason: nullableStr(), paused_at: nullableDateTime() },
      },
      created_at: dateTime(),
      updated_at: dateTime(),
    },
    'A WhatsApp number linked to Warden.',
  ),
  MessageLogEntry: obj(
    ['log_id', 'status', 'outcome', 'created_at'],
    {
      log_id: int('The `log_id` returned by /api/send-message.'),
      instance_id: nullableStr(),
      recipient: nullableStr('E.164 (or group JID).'),
      purpose: nullableStr(),
      text: nullableStr(),
      media_type: nullableStr(),
      status: str('`sent`, `blocked`, `failed`, `reserved` (in progress), or a receipt status.'),
      outcome: { enum: ['allowed', 'blocked'] },
      deciding_check: nullableStr('The pipeline check that refused the send (null when sent).'),
      error: nullableStr('Error code of a refusal or failure.'),
      risk_score: nullableInt('0–100.'),
      risk_rules: { type: ['array', 'null'], description: 'Risk rules that fired.' },
      flagged: bool('Sent, but scored at or above the review threshold.'),
      message_id: nullableStr('WhatsApp message id once sent.'),
      reference: nullableStr('Your own reference, as sent.'),
      source: str('`api`, `threecx` or `confirmation`.'),
      failure_reason: nullableStr(),
      created_at: dateTime(),
      updated_at: dateTime(),
    },
    'One send attempt and the decision taken on it.',
  ),
  Suppression: obj(
    ['id', 'phone', 'scope', 'reason', 'created_at'],
    {
      id: str(),
      phone: str('E.164.'),
      scope: { enum: ['account', 'global'] },
      account_id: nullableStr(),
      reason: str('`recipient_requested_stop` (the recipient sent STOP), `customer_blocked` or `admin_blocked`.'),
      note: nullableStr(),
      created_by: nullableStr(),
      created_at: dateTime(),
    },
    'A number Warden will not message.',
  ),
  Webhook: obj(
    ['id', 'destination_url', 'events', 'enabled', 'created_at'],
    {
      id: str(),
      destination_url: str(),
      events: arrayOf(str()),
      instance_id: nullableStr(),
      description: nullableStr(),
      enabled: bool(),
      disabled_reason: nullableStr('`gone` (410), `consecutive_failures` or `manual`.'),
      disabled_at: nullableDateTime(),
      consecutive_failures: int(),
      previous_secret_expires_at: nullableDateTime('During a rotation grace period, when the old secret stops signing.'),
      created_at: dateTime(),
      updated_at: dateTime(),
    },
    'A webhook subscription.',
  ),
  WebhookAttempt: obj(['attempt_number', 'request_id', 'latency_ms', 'created_at'], {
    attempt_number: int(),
    trigger: str('`scheduled` or `manual`.'),
    url: str(),
    method: str(),
    request_id: str(),
    event: str(),
    instance_id: nullableStr(),
    message_id: nullableStr(),
    status_code: nullableInt(),
    latency_ms: int(),
    response_body: nullableStr(
      'First 500 characters. Null for customers when the destination is a private range allowed by WEBHOOK_ALLOWED_CIDRS (the admin API shows it).',
    ),
    private_destination: bool('Present and true when the destination is a range only WEBHOOK_ALLOWED_CIDRS allows.'),
    response_body_hidden: bool('Present when private_destination is: true when response_body was withheld.'),
    error: nullableStr(),
    created_at: dateTime(),
  }),
  WebhookDelivery: obj(
    ['id', 'request_id', 'event', 'status', 'attempts', 'created_at'],
    {
      id: str(),
      request_id: str('Same as X-WA-Request-ID, webhook-id and the envelope request_id.'),
      event_id: str(),
      event: str(),
      webhook_id: str(),
      instance_id: nullableStr(),
      message_id: nullableStr(),
      status: { enum: ['pending', 'succeeded', 'failed', 'cancelled'] },
      held: bool('Pending while its endpoint is disabled; sent after re-enabling.'),
      attempt_count: int(),
      next_attempt_at: nullableDateTime(),
      last_status_code: nullableInt(),
      last_error: nullableStr(),
      created_at: dateTime(),
      completed_at: nullableDateTime(),
      attempts: arrayOf(ref('WebhookAttempt')),
    },
    'One event for one endpoint, with every HTTP attempt.',
  ),
  InboundMessage: obj(
    ['id', 'instance_id', 'direction', 'message_type', 'received_at'],
    {
      id: int(),
      instance_id: str(),
      message_id: nullableStr(),
      direction: { const: 'inbound' },
      from: nullableStr(),
      from_lid: nullableStr(),
      chat: nullableStr(),
      is_group: bool(),
      message_type: str(),
      text: nullableStr(),
      media_path: nullableStr('Download with GET /media?path=…'),
      media_mime_type: nullableStr(),
      media_size: nullableInt(),
      media_filename: nullableStr(),
      classification: nullableStr('`opt_out`, `opt_in` or null.'),
      received_at: dateTime(),
      payload: { type: 'object', description: 'The `message.received` payload as delivered to webhooks.' },
    },
    'An inbound WhatsApp message.',
  ),
  QuotaWindow: obj(['limit', 'used', 'remaining', 'resets_at'], {
    limit: int(),
    used: int('Messages actually sent in this window.'),
    remaining: int(),
    resets_at: dateTime('Start of the next window, in the account time zone.'),
  }),
  Account: obj(
    ['id', 'name', 'plan', 'plan_active', 'modules', 'timezone', 'limits'],
    {
      id: str(),
      name: str(),
      plan: str(),
      plan_active: bool(),
      modules: arrayOf({ enum: ['api', 'threecx'] }),
      timezone: str(),
      default_country: nullableStr(),
      optout_confirmation: bool(),
      daily_limit_override: nullableInt(),
      monthly_limit_override: nullableInt(),
      override_reason: nullableStr(),
      override_approved_by: nullableStr(),
      override_approved_at: nullableDateTime(),
      limits: obj(['daily', 'monthly'], { daily: int(), monthly: int() }, 'Effective limits.'),
      created_at: dateTime(),
      updated_at: dateTime(),
    },
    'A customer account.',
  ),
  ApiKeyInfo: obj(['id', 'name', 'prefix', 'created_at'], {
    id: str(),
    name: str(),
    prefix: str('The visible start of the key.'),
    created_at: dateTime(),
    last_used_at: nullableDateTime(),
    revoked_at: nullableDateTime(),
  }),
  ThreeCxIntegration: obj(
    ['id', 'instance_id', 'enabled', 'webhook_path'],
    {
      id: str(),
      instance_id: str(),
      business_name: nullableStr(),
      enabled: bool(),
      webhook_path: str('Give 3CX this path on your gateway: POST /integrations/3cx/webhook/{id}.'),
      secret_hint: str('The first characters of the secret, to tell secrets apart.'),
      require_hmac: bool(),
      ip_allowlist: arrayOf(str()),
      trusted_proxies: arrayOf(str()),
      outbound_enabled: bool(),
      call_events_enabled: bool(),
      enabled_call_events: arrayOf(str()),
      templates: { type: 'object' },
      strict_window: bool(),
      window_hours: int(),
      destination_url: nullableStr('Where inbound messages are forwarded (a message.received webhook).'),
      forward_webhook_id: nullableStr(),
      created_at: dateTime(),
      updated_at: dateTime(),
    },
    'A 3CX integration (the secret itself is never shown again).',
  ),
  AuditEntry: obj(['id', 'actor', 'action', 'created_at'], {
    id: int(),
    actor: str(),
    action: str(),
    target_type: nullableStr(),
    target_id: nullableStr(),
    note: nullableStr(),
    detail: {},
    created_at: dateTime(),
  }),
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
        database: { enum: ['ok', 'unreachable'] },
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
    schema: ok(['state'], { state: { enum: INSTANCE_STATES } }),
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
    schema: { type: 'object', required: ['title', 'type', 'properties'] },
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
      invitation: obj(['id', 'email', 'role', 'expires_at'], {
        id: str(),
        email: str(),
        role: { enum: ['owner', 'developer', 'viewer'] },
        created_by: str(),
        created_at: dateTime(),
        expires_at: dateTime(),
      }),
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
      users: arrayOf(
        obj(['id', 'email', 'name', 'role', 'totp_enabled'], {
          id: str(),
          email: str(),
          name: str(),
          role: { enum: ['owner', 'developer', 'viewer'] },
          totp_enabled: bool('Two-step sign-in (TOTP) is on.'),
          created_at: dateTime(),
          last_login_at: nullableDateTime(),
        }),
      ),
      invitations: arrayOf(obj(['id', 'email', 'role', 'expires_at'], { id: str(), email: str(), role: str(), expires_at: dateTime() })),
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
        strikes: arrayOf({ type: 'object' }),
        triggers: arrayOf(
          obj(['id', 'over_threshold'], {
            id: str(),
            signal: str(),
            value: { type: ['number', 'null'] },
            threshold: { type: 'number' },
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
    schema: { type: 'object', required: ['openapi', 'info', 'paths'] },
    example: { openapi: '3.1.0', info: { title: 'Warden', version: '0.1.0' }, paths: {} },
  },
} satisfies Record<string, { schema: Schema; example: unknown }>;
