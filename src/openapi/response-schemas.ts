/**
 * The registry of the OpenAPI document's response schemas: the component schemas
 * (`#/components/schemas/<name>`) and the named success responses, gathered from the
 * `*-response.schema.ts` files that sit beside each feature's presenters, plus the shapes every
 * route shares (the error body, `{success: true}`) and the document's own. Request schemas are not
 * here: they are imported from `src/http/schemas/` so the document describes exactly what validates.
 */

import type { FromSchema, JSONSchema } from 'json-schema-to-ts';
import { accountResponses, accountSchema, apiKeyInfoSchema } from '../accounts/account-response.schema.ts';
import { clusterResponses } from '../cluster/cluster-response.schema.ts';
import { eventCatalogResponses } from '../events/event-catalog-response.schema.ts';
import { healthResponses } from '../http/routes/health-response.schema.ts';
import { inboundMessageSchema, inboundResponses } from '../inbound/inbound-response.schema.ts';
import { instanceResponses, instanceSchema } from '../instances/instance-response.schema.ts';
import { threeCxIntegrationSchema, threeCxResponses } from '../integrations/threecx/threecx-response.schema.ts';
import {
  portalInvitationSchema,
  portalUserResponses,
  portalUserSchema,
} from '../portal/portal-user-response.schema.ts';
import { auditEntrySchema, auditResponses } from '../review/audit-response.schema.ts';
import { reviewResponses } from '../review/review-response.schema.ts';
import { strikeSchema } from '../review/strike-response.schema.ts';
import { messageLogEntrySchema, messageResponses } from '../sending/message-response.schema.ts';
import { quotaResponses, quotaWindowSchema } from '../sending/quota-response.schema.ts';
import { suppressionResponses, suppressionSchema } from '../suppression/suppression-response.schema.ts';
import {
  webhookAttemptSchema,
  webhookDeliverySchema,
  webhookResponses,
  webhookSchema,
} from '../webhooks/webhook-response.schema.ts';
import { arrayOf, obj, ok, str, type NamedResponse, type Schema } from './schema-helpers.ts';

/** Reusable component schemas (`#/components/schemas/<key>`). */
export const COMPONENT_SCHEMAS = {
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
  QuotaWindow: quotaWindowSchema,
  Account: accountSchema,
  ApiKeyInfo: apiKeyInfoSchema,
  ThreeCxIntegration: threeCxIntegrationSchema,
  AuditEntry: auditEntrySchema,
  Strike: strikeSchema,
  PortalUser: portalUserSchema,
  PortalInvitation: portalInvitationSchema,
} satisfies Record<string, Schema>;

/** Named success responses: schema + example. */
export const RESPONSES = {
  ...healthResponses,
  ...messageResponses,
  ...instanceResponses,
  ...quotaResponses,
  ...suppressionResponses,
  ...inboundResponses,
  ...webhookResponses,
  ...eventCatalogResponses,
  ...accountResponses,
  ...portalUserResponses,
  ...reviewResponses,
  ...auditResponses,
  ...clusterResponses,
  ...threeCxResponses,
  okOnly: { schema: ok([], {}), example: { success: true } },
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
} satisfies Record<string, NamedResponse>;

/**
 * The body of the named success response `K`, read from its envelope schema by `FromSchema` (each
 * `$ref` resolved against COMPONENT_SCHEMAS): what a route sends is checked against what the
 * document publishes, e.g. `res.json({...} satisfies ResponseBody<'message'>)`.
 */
export type ResponseBody<K extends keyof typeof RESPONSES> =
  WithComponents<(typeof RESPONSES)[K]['schema']> extends infer S extends JSONSchema ? FromSchema<S> : never;

/** A schema as the root `FromSchema` reads its `#/components/schemas/<name>` references from. */
type WithComponents<S> = S & { components: { schemas: typeof COMPONENT_SCHEMAS } };
