/**
 * Every HTTP route of the gateway, declared once: the OpenAPI document (`/openapi.json`) and the
 * endpoints docs page are generated from this list, and `test/e2e/openapi.test.ts` walks the
 * express router and fails when a route exists on one side only.
 *
 * Adding a route: add an entry here with its request schema (imported from `src/http/schemas/`,
 * never retyped), a success response (`response-schemas.ts`) and the error codes specific to it.
 * The codes every route of a kind can return (authentication, JSON parsing, validation,
 * `internal_error`) are added automatically by `errorCodesFor()`.
 */
import {
  createAccountSchema,
  createApiKeySchema,
  pauseSchema,
  resumeSchema,
  updateAccountSchema,
} from '../http/schemas/account.schema.ts';
import {
  adminCreateInstanceSchema,
  adminNoteSchema,
  createInstanceSchema,
  pairingCodeSchema,
  sandboxFailNextSchema,
  sandboxInboundSchema,
} from '../http/schemas/instance.schema.ts';
import { sendMessageSchema } from '../http/schemas/send-message.schema.ts';
import { THREECX_PUBLIC_ERRORS } from '../integrations/threecx/threecx-errors.ts';
import {
  createThreeCxIntegrationSchema,
  threeCxEventSchema,
  updateThreeCxIntegrationSchema,
} from '../http/schemas/threecx.schema.ts';
import { adminSuppressionSchema, createSuppressionSchema } from '../http/schemas/suppression.schema.ts';
import {
  createWebhookSchema,
  recoverWebhookSchema,
  rotateWebhookSecretSchema,
  updateWebhookSchema,
} from '../http/schemas/webhook.schema.ts';
import { RESPONSES, type Schema } from './response-schemas.ts';
import { inviteUserSchema } from '../http/schemas/portal-user.schema.ts';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/**
 * `api_key`: `Authorization: Bearer <customer API key>`; `admin`: the admin token; `metrics`:
 * METRICS_TOKEN or the admin token; `threecx`: the integration's shared secret header; `none`: public.
 */
export type RouteAuth = 'none' | 'api_key' | 'admin' | 'metrics' | 'threecx';

export const TAGS = [
  { name: 'Messaging', description: 'Send messages through the ResponsibleMessageSender.' },
  { name: 'Instances', description: 'Link WhatsApp numbers: QR code, pairing code, disconnect, destroy.' },
  {
    name: 'Sandbox',
    description: 'Simulated phone controls. Only mounted when the gateway runs with TRANSPORT=sandbox.',
  },
  { name: 'Logs and quota', description: 'The outbound decision log, the inbound log and plan usage.' },
  { name: 'Suppressions', description: 'Numbers that must not be messaged (opt-outs and blocks).' },
  { name: 'Webhooks', description: 'Event subscriptions, delivery log, replays and secret rotation.' },
  { name: 'Events', description: 'The published JSON Schemas of webhook events.' },
  { name: 'Media', description: 'Download inbound media referenced by `media_path`.' },
  { name: '3CX', description: '3CX middleware: integration settings and the 3CX webhook receiver.' },
  { name: 'Admin: accounts', description: 'Accounts, plans, reviewed limit overrides and API keys.' },
  { name: 'Admin: review', description: 'Pause-for-review, the decision log and the audit log.' },
  { name: 'Admin: suppressions', description: 'Account and gateway-wide blocks.' },
  { name: 'Operations', description: 'Health, the OpenAPI document and Prometheus metrics.' },
] as const;

export type Tag = (typeof TAGS)[number]['name'];

export interface RouteParam {
  name: string;
  in: 'path' | 'query' | 'header';
  description: string;
  required?: boolean;
  schema: Schema;
  example?: unknown;
}

export interface CatalogRoute {
  method: HttpMethod;
  /** OpenAPI form: `/api/instances/{id}`. */
  path: string;
  summary: string;
  description?: string;
  tag: Tag;
  auth: RouteAuth;
  /** Only mounted with TRANSPORT=sandbox. */
  sandboxOnly?: boolean;
  /** A JSON body. `schema` is the very object `validateBody()` uses. */
  request?: {
    schema?: Schema | object;
    example: unknown;
    /** The body may be omitted (action endpoints). */
    optional?: boolean;
    /** Body size limit, for the docs. */
    limit?: string;
    /** False when the route reads any body without checking Content-Type (no 415). */
    requiresJsonContentType?: boolean;
    /** False when the schema documents the body but is not enforced (no automatic 422). */
    validated?: boolean;
  };
  params?: RouteParam[];
  response: {
    status: number;
    description: string;
    /** JSON body; omit for non-JSON responses (see `contentType`). */
    schema?: Schema;
    example?: unknown;
    /** Default `application/json`. */
    contentType?: string;
  };
  /** Error codes specific to this route (the generic ones are added by `errorCodesFor`). */
  errors: string[];
}

// ---------------------------------------------------------------------------------------------
// Parameters
// ---------------------------------------------------------------------------------------------

const PATH_PARAMS: Record<string, { description: string; example: string }> = {
  id: { description: 'The resource id.', example: 'inst_uMsUnJPnr3DWpmwT' },
  logId: { description: 'The `log_id` returned by /api/send-message.', example: '123' },
  phone: {
    description: 'The number, URL-encoded (`%2B966500000002`); any form the API accepts.',
    example: '%2B966500000002',
  },
  type: { description: 'An event name, e.g. `message.received`.', example: 'message.received' },
  keyId: { description: 'The API key id.', example: 'key_AOFBc4bHFvYaCcUt' },
  integration_id: { description: 'The 3CX integration id.', example: 'tcx_9hQ2LmZp4RkT8sVw' },
};

/** Path parameters of an OpenAPI path, with descriptions. */
export function pathParams(path: string, idDescription?: string): RouteParam[] {
  return [...path.matchAll(/\{([^}]+)\}/g)].map((m) => {
    const name = m[1] as string;
    const known = PATH_PARAMS[name];
    return {
      name,
      in: 'path' as const,
      required: true,
      description: name === 'id' && idDescription ? idDescription : (known?.description ?? name),
      schema: { type: 'string' },
      ...(known ? { example: known.example } : {}),
    };
  });
}

const q = (name: string, description: string, schema: Schema = { type: 'string' }): RouteParam => ({
  name,
  in: 'query',
  description,
  schema,
});
const limit = q('limit', 'Page size, 1–200 (default 50).', { type: 'integer', minimum: 1, maximum: 200 });
const before = q('before', 'Cursor: only entries with a smaller id (use `next_before`).', {
  type: 'integer',
  minimum: 1,
});
const offset = q('offset', 'Entries to skip (default 0).', { type: 'integer', minimum: 0 });

// ---------------------------------------------------------------------------------------------
// The catalog
// ---------------------------------------------------------------------------------------------

const R = RESPONSES;
const INSTANCE = 'inst_uMsUnJPnr3DWpmwT';

export const ROUTE_CATALOG: readonly CatalogRoute[] = [
  // Operations ---------------------------------------------------------------------------------
  {
    method: 'get',
    path: '/',
    summary: 'Health (root)',
    description: 'Same as /health: reachability check for load balancers.',
    tag: 'Operations',
    auth: 'none',
    response: {
      status: 200,
      description: 'Healthy (503 with `status: degraded` when the database is unreachable).',
      ...R.health,
    },
    errors: [],
  },
  {
    method: 'get',
    path: '/health',
    summary: 'Health',
    description:
      'Database and transport checks. `transport` says `sandbox` or `baileys`; sandbox mode is announced. Answers 503 when the database is unreachable.',
    tag: 'Operations',
    auth: 'none',
    response: { status: 200, description: 'Healthy.', ...R.health },
    errors: [],
  },
  {
    method: 'get',
    path: '/openapi.json',
    summary: 'This OpenAPI 3.1 document',
    tag: 'Operations',
    auth: 'none',
    response: { status: 200, description: 'The OpenAPI document.', ...R.openapi },
    errors: [],
  },
  {
    method: 'get',
    path: '/metrics',
    summary: 'Prometheus metrics',
    description:
      'Prometheus text exposition format. Requires `Authorization: Bearer <METRICS_TOKEN>` (or the admin token).',
    tag: 'Operations',
    auth: 'metrics',
    response: {
      status: 200,
      description: 'Metrics in the Prometheus text format.',
      contentType: 'text/plain; version=0.0.4',
    },
    errors: [],
  },

  // Messaging ----------------------------------------------------------------------------------
  {
    method: 'post',
    path: '/api/send-message',
    summary: 'Send a message',
    description:
      'Runs the ResponsibleMessageSender pipeline (content type → API key → JSON → schema → module → plan → instance → purpose → pause → suppression → daily/monthly limits → throttles → risk → transport); the first refusal decides the answer. Send an `Idempotency-Key` header to make retries safe: the same key and body return the first successful response and send nothing twice (kept 24 h).',
    tag: 'Messaging',
    auth: 'api_key',
    request: {
      schema: sendMessageSchema,
      limit: '24 MB',
      example: {
        instance_id: INSTANCE,
        phone: '+966500000001',
        message: 'Your order #2041 has been shipped.',
        message_purpose: 'transactional',
        reference: 'order-2041',
      },
    },
    params: [
      {
        name: 'Idempotency-Key',
        in: 'header',
        description:
          '1–200 visible ASCII characters, unique per logical message. Successful responses are replayed for 24 h; refusals are not stored.',
        schema: { type: 'string', maxLength: 200 },
        example: 'order-2041-shipped',
      },
    ],
    response: { status: 200, description: 'Sent.', ...R.sendMessage },
    errors: [
      'module_not_enabled',
      'active_plan_required',
      'invalid_instance',
      'message_purpose_required',
      'message_purpose_not_allowed',
      'instance_paused_for_review',
      'recipient_suppressed',
      'daily_message_limit_exceeded',
      'monthly_message_limit_exceeded',
      'sending_throttled',
      'policy_violation',
      'gateway_send_failed',
      'idempotency_key_reused',
    ],
  },

  // Instances ----------------------------------------------------------------------------------
  {
    method: 'post',
    path: '/api/instances',
    summary: 'Create an instance (returns a QR code)',
    description:
      'Creates a WhatsApp instance in state `qr_generated`. Scan `qr.png_data_url` (or render `qr.raw`) with WhatsApp → Linked devices before `qr.expires_at`; the instance becomes `connected` and `instance.connected` is emitted.',
    tag: 'Instances',
    auth: 'api_key',
    request: { schema: createInstanceSchema, example: { name: 'Customer Service Main', default_country: 'SA' } },
    response: { status: 201, description: 'Created, with a QR code to scan.', ...R.instanceCreated },
    errors: ['whatsapp_unreachable'],
  },
  {
    method: 'get',
    path: '/api/instances',
    summary: 'List instances',
    tag: 'Instances',
    auth: 'api_key',
    response: { status: 200, description: 'The instances of this account.', ...R.instances },
    errors: [],
  },
  {
    method: 'get',
    path: '/api/instances/{id}',
    summary: 'Get an instance',
    description: 'State, linked phone, current QR code (while one is waiting) and pause status.',
    tag: 'Instances',
    auth: 'api_key',
    response: { status: 200, description: 'The instance.', ...R.instance },
    errors: ['invalid_instance'],
  },
  {
    method: 'post',
    path: '/api/instances/{id}/qr',
    summary: 'Regenerate the QR code',
    description:
      'For a `disconnected` or `expired` instance. Refused with 409 while connected (`instance_connected`) or while the previous QR is still valid (`qr_still_valid`).',
    tag: 'Instances',
    auth: 'api_key',
    request: { example: {}, optional: true },
    response: { status: 200, description: 'A new QR code.', ...R.instanceCreated },
    errors: ['invalid_instance', 'qr_still_valid', 'instance_connected'],
  },
  {
    method: 'post',
    path: '/api/instances/{id}/pairing-code',
    summary: 'Link with a phone number (pairing code)',
    description:
      'An alternative to scanning: returns an 8-character code to type on the phone (WhatsApp → Linked devices → Link with phone number instead).',
    tag: 'Instances',
    auth: 'api_key',
    request: { schema: pairingCodeSchema, example: { phone: '+966500000000' } },
    response: { status: 200, description: 'The pairing code.', ...R.pairingCode },
    errors: ['invalid_instance', 'instance_connected'],
  },
  {
    method: 'post',
    path: '/api/instances/{id}/disconnect',
    summary: 'Disconnect (log out)',
    description: 'Logs the linked device out and clears its session; regenerate a QR code to link again.',
    tag: 'Instances',
    auth: 'api_key',
    request: { example: {}, optional: true },
    response: { status: 200, description: 'Disconnected.', ...R.instance },
    errors: ['invalid_instance'],
  },
  {
    method: 'delete',
    path: '/api/instances/{id}',
    summary: 'Destroy an instance',
    description: 'Logs out, archives its logs and frees the name.',
    tag: 'Instances',
    auth: 'api_key',
    response: { status: 200, description: 'Destroyed.', ...R.destroyed },
    errors: ['invalid_instance'],
  },

  // Sandbox ------------------------------------------------------------------------------------
  {
    method: 'post',
    path: '/api/instances/{id}/sandbox/scan',
    summary: 'Sandbox: scan the QR code',
    tag: 'Sandbox',
    auth: 'api_key',
    sandboxOnly: true,
    request: { example: {}, optional: true },
    response: { status: 200, description: 'The simulated phone linked the instance.', ...R.sandboxState },
    errors: ['invalid_instance'],
  },
  {
    method: 'post',
    path: '/api/instances/{id}/sandbox/inbound',
    summary: 'Sandbox: receive a message from a contact',
    description:
      'Simulates an inbound WhatsApp message (text, media, group, mentions). Opt-out keywords such as STOP suppress the sender exactly as real messages do.',
    tag: 'Sandbox',
    auth: 'api_key',
    sandboxOnly: true,
    request: {
      schema: sandboxInboundSchema,
      limit: '24 MB',
      example: { from: '+6281234567890', text: 'STOP' },
    },
    response: { status: 200, description: 'Received.', ...R.sandboxInbound },
    errors: ['invalid_instance'],
  },
  {
    method: 'post',
    path: '/api/instances/{id}/sandbox/fail-next',
    summary: 'Sandbox: make the next sends fail',
    tag: 'Sandbox',
    auth: 'api_key',
    sandboxOnly: true,
    request: { schema: sandboxFailNextSchema, example: { count: 1 }, optional: true },
    response: { status: 200, description: 'The next `count` sends answer gateway_send_failed.', ...R.okOnly },
    errors: ['invalid_instance'],
  },
  {
    method: 'post',
    path: '/api/instances/{id}/sandbox/disconnect',
    summary: 'Sandbox: drop the connection',
    tag: 'Sandbox',
    auth: 'api_key',
    sandboxOnly: true,
    request: { example: {}, optional: true },
    response: { status: 200, description: 'The instance is disconnected.', ...R.sandboxState },
    errors: ['invalid_instance'],
  },

  // Logs and quota -----------------------------------------------------------------------------
  {
    method: 'get',
    path: '/api/messages',
    summary: 'Outbound message log',
    description: 'Every send attempt with its decision (allowed or refused), newest first.',
    tag: 'Logs and quota',
    auth: 'api_key',
    params: [
      limit,
      before,
      q('instance_id', 'Only this instance.'),
      q('status', '`sent`, `blocked`, `failed`, `delivered`, `read`, …'),
      q('error', 'Only refusals with this error code.'),
      q('outcome', '`allowed` or `blocked`.', { enum: ['allowed', 'blocked'] }),
    ],
    response: { status: 200, description: 'A page of the log.', ...R.messages },
    errors: ['validation_error'],
  },
  {
    method: 'get',
    path: '/api/messages/{logId}',
    summary: 'One message log entry',
    tag: 'Logs and quota',
    auth: 'api_key',
    response: { status: 200, description: 'The entry.', ...R.message },
    errors: ['validation_error', 'not_found'],
  },
  {
    method: 'get',
    path: '/api/quota',
    summary: 'Plan usage',
    description:
      'Daily and monthly limits, usage and reset times in the account time zone. `used` counts messages actually sent.',
    tag: 'Logs and quota',
    auth: 'api_key',
    response: { status: 200, description: 'Usage.', ...R.quota },
    errors: [],
  },
  {
    method: 'get',
    path: '/api/decisions',
    summary: 'Decision log',
    description:
      'The same rows as /api/messages under the name the compliance docs use: every attempt, allowed or refused, with the deciding check, error code, risk score and rules.',
    tag: 'Logs and quota',
    auth: 'api_key',
    params: [
      limit,
      before,
      q('instance_id', 'Only this instance.'),
      q('outcome', '`allowed` or `blocked`.', { enum: ['allowed', 'blocked'] }),
      q('error', 'Only refusals with this error code.'),
    ],
    response: { status: 200, description: 'Decisions, newest first.', ...R.customerDecisions },
    errors: ['validation_error'],
  },
  {
    method: 'get',
    path: '/api/inbound-logs',
    summary: 'Inbound message log',
    tag: 'Logs and quota',
    auth: 'api_key',
    params: [
      limit,
      before,
      q('instance_id', 'Only this instance.'),
      q('from', 'Only this sender (any phone form).'),
      q('message_type', '`text`, `image`, `video`, `audio`, `document`, `sticker`, `contact`, `location`.'),
      q('classification', '`opt_out`, `opt_in` or `none`.', { enum: ['opt_out', 'opt_in', 'none'] }),
      q('since', 'RFC 3339; received at or after.', { type: 'string', format: 'date-time' }),
      q('until', 'RFC 3339; received before.', { type: 'string', format: 'date-time' }),
    ],
    response: { status: 200, description: 'A page of inbound messages.', ...R.inboundLogs },
    errors: ['validation_error'],
  },

  // Suppressions -------------------------------------------------------------------------------
  {
    method: 'get',
    path: '/api/suppressed-recipients',
    summary: 'List suppressed recipients',
    tag: 'Suppressions',
    auth: 'api_key',
    params: [limit, offset],
    response: { status: 200, description: 'The suppression list.', ...R.suppressions },
    errors: ['validation_error'],
  },
  {
    method: 'post',
    path: '/api/suppressed-recipients',
    summary: 'Suppress a recipient',
    description: 'Adds a number (reason `customer_blocked`). 201 when added, 200 when it was already there.',
    tag: 'Suppressions',
    auth: 'api_key',
    request: {
      schema: createSuppressionSchema,
      example: { phone: '+966500000002', note: 'Asked by phone not to be contacted' },
    },
    response: { status: 201, description: 'Suppressed.', ...R.suppressionCreated },
    errors: [],
  },
  {
    method: 'delete',
    path: '/api/suppressed-recipients/{phone}',
    summary: 'Lift a suppression',
    description:
      "Only suppressions you added. A recipient's own STOP can be lifted only by the recipient (START) or an administrator: `403 suppression_locked`.",
    tag: 'Suppressions',
    auth: 'api_key',
    response: { status: 200, description: 'Removed.', ...R.suppressionRemoved },
    errors: ['validation_error', 'not_found', 'suppression_locked'],
  },

  // Webhooks -----------------------------------------------------------------------------------
  {
    method: 'post',
    path: '/api/webhooks',
    summary: 'Subscribe to events',
    description:
      'Returns the signing secret once (`secret`). Destinations are checked against SSRF rules at creation and again at connect time.',
    tag: 'Webhooks',
    auth: 'api_key',
    request: {
      schema: createWebhookSchema,
      example: {
        destination_url: 'https://crm.example.com/hooks/whatsapp',
        events: ['message.received', 'recipient.opted_out'],
        instance_id: null,
      },
    },
    response: { status: 201, description: 'Created; keep the secret.', ...R.webhookCreated },
    errors: ['invalid_instance'],
  },
  {
    method: 'get',
    path: '/api/webhooks',
    summary: 'List webhooks',
    tag: 'Webhooks',
    auth: 'api_key',
    params: [limit, offset],
    response: { status: 200, description: 'Subscriptions, with health.', ...R.webhooks },
    errors: ['validation_error'],
  },
  {
    method: 'get',
    path: '/api/webhooks/{id}',
    summary: 'Get a webhook',
    tag: 'Webhooks',
    auth: 'api_key',
    response: { status: 200, description: 'The subscription.', ...R.webhook },
    errors: ['not_found'],
  },
  {
    method: 'patch',
    path: '/api/webhooks/{id}',
    summary: 'Update or re-enable a webhook',
    description:
      '`enabled: true` re-enables a disabled endpoint: its failure count resets and held deliveries flow.',
    tag: 'Webhooks',
    auth: 'api_key',
    request: { schema: updateWebhookSchema, example: { enabled: true } },
    response: { status: 200, description: 'Updated.', ...R.webhook },
    errors: ['not_found', 'invalid_instance'],
  },
  {
    method: 'delete',
    path: '/api/webhooks/{id}',
    summary: 'Delete a webhook',
    description: 'Pending deliveries to it are cancelled.',
    tag: 'Webhooks',
    auth: 'api_key',
    response: { status: 200, description: 'Deleted.', ...R.webhookDeleted },
    errors: ['not_found'],
  },
  {
    method: 'post',
    path: '/api/webhooks/{id}/rotate-secret',
    summary: 'Rotate the signing secret',
    description:
      'Returns the new secret once. During the grace period both secrets sign (two entries in each signature header, newest first).',
    tag: 'Webhooks',
    auth: 'api_key',
    request: { schema: rotateWebhookSecretSchema, example: { grace_period_seconds: 86400 }, optional: true },
    response: { status: 200, description: 'The new secret.', ...R.webhookCreated },
    errors: ['not_found'],
  },
  {
    method: 'post',
    path: '/api/webhooks/{id}/test',
    summary: 'Send a test event',
    description:
      'Queues a signed `webhook.test` event to this endpoint. At most 10 test events per account per minute (`429 rate_limited` with `Retry-After` beyond).',
    tag: 'Webhooks',
    auth: 'api_key',
    request: { example: {}, optional: true },
    response: { status: 202, description: 'Queued.', ...R.webhookTest },
    errors: ['not_found', 'rate_limited'],
  },
  {
    method: 'get',
    path: '/api/webhooks/{id}/deliveries',
    summary: 'Delivery log',
    description: 'Deliveries to this endpoint with every attempt (status code, latency, response excerpt, error).',
    tag: 'Webhooks',
    auth: 'api_key',
    params: [
      limit,
      offset,
      q('status', 'Only deliveries in this state.', { enum: ['pending', 'succeeded', 'failed', 'cancelled'] }),
    ],
    response: { status: 200, description: 'Deliveries, newest first.', ...R.deliveries },
    errors: ['not_found', 'validation_error'],
  },
  {
    method: 'post',
    path: '/api/webhooks/deliveries/{id}/redeliver',
    summary: 'Redeliver one delivery',
    description: 'Queues the delivery again with the same request id; it gets the whole retry schedule again.',
    tag: 'Webhooks',
    auth: 'api_key',
    request: { example: {}, optional: true },
    response: { status: 202, description: 'Queued.', ...R.delivery },
    errors: ['not_found', 'conflict'],
  },
  {
    method: 'post',
    path: '/api/webhooks/{id}/recover',
    summary: 'Recover failed deliveries in bulk',
    description: 'Re-queues failed deliveries created in [since, until), at most 14 days back.',
    tag: 'Webhooks',
    auth: 'api_key',
    request: { schema: recoverWebhookSchema, example: { since: '2026-05-08T10:00:00Z' } },
    response: { status: 202, description: 'Re-queued.', ...R.recover },
    errors: ['not_found'],
  },

  // Events -------------------------------------------------------------------------------------
  {
    method: 'get',
    path: '/api/event-schemas',
    summary: 'All event JSON Schemas',
    description: 'Public (no key needed): the envelope and one JSON Schema (2020-12) per event.',
    tag: 'Events',
    auth: 'none',
    response: { status: 200, description: 'The schemas.', ...R.eventSchemas },
    errors: [],
  },
  {
    method: 'get',
    path: '/api/event-schemas/{type}',
    summary: 'One event JSON Schema',
    tag: 'Events',
    auth: 'none',
    response: {
      status: 200,
      description: 'The schema (`application/schema+json`).',
      contentType: 'application/schema+json',
      ...R.eventSchema,
    },
    errors: ['not_found'],
  },

  // Media --------------------------------------------------------------------------------------
  {
    method: 'get',
    path: '/media',
    summary: 'Download inbound media',
    description:
      'The `media_path` of a `message.received` payload. Only the owning account can read it; any other path is 404.',
    tag: 'Media',
    auth: 'api_key',
    params: [
      {
        ...q('path', 'The `media_path` from the event payload.'),
        required: true,
        example: 'acc_cLDkJkgqqXm2u3BA/2026/05/08/3EB0B430B6F8F1D0E5F3.jpg',
      },
    ],
    response: {
      status: 200,
      description: 'The file, with its MIME type, Content-Length and ETag.',
      contentType: 'application/octet-stream',
    },
    errors: ['validation_error', 'not_found'],
  },

  // 3CX ----------------------------------------------------------------------------------------
  {
    method: 'post',
    path: '/api/integrations/3cx',
    summary: 'Create a 3CX integration',
    description:
      'Needs the `threecx` module. Returns the shared secret once; give 3CX the `webhook_path` and the secret.',
    tag: '3CX',
    auth: 'api_key',
    request: {
      schema: createThreeCxIntegrationSchema,
      example: {
        instance_id: INSTANCE,
        business_name: 'Acme Support',
        require_hmac: false,
        ip_allowlist: [],
        outbound_enabled: true,
        call_events_enabled: true,
        enabled_call_events: ['missed_call', 'voicemail'],
        strict_window: true,
        window_hours: 24,
      },
    },
    response: { status: 201, description: 'Created; copy the secret now.', ...R.threeCxCreated },
    errors: ['module_not_enabled', 'invalid_instance'],
  },
  {
    method: 'get',
    path: '/api/integrations/3cx',
    summary: 'List 3CX integrations',
    tag: '3CX',
    auth: 'api_key',
    params: [limit, offset],
    response: { status: 200, description: 'Integrations.', ...R.threeCxIntegrations },
    errors: ['module_not_enabled', 'validation_error'],
  },
  {
    method: 'get',
    path: '/api/integrations/3cx/{id}',
    summary: 'Get a 3CX integration',
    tag: '3CX',
    auth: 'api_key',
    response: { status: 200, description: 'The integration and the default templates.', ...R.threeCxIntegration },
    errors: ['module_not_enabled', 'not_found'],
  },
  {
    method: 'patch',
    path: '/api/integrations/3cx/{id}',
    summary: 'Update a 3CX integration',
    tag: '3CX',
    auth: 'api_key',
    request: { schema: updateThreeCxIntegrationSchema, example: { require_hmac: true, window_hours: 12 } },
    response: { status: 200, description: 'Updated.', ...R.threeCxUpdated },
    errors: ['module_not_enabled', 'not_found', 'invalid_instance'],
  },
  {
    method: 'delete',
    path: '/api/integrations/3cx/{id}',
    summary: 'Delete a 3CX integration',
    tag: '3CX',
    auth: 'api_key',
    response: { status: 200, description: 'Deleted.', ...R.webhookDeleted },
    errors: ['module_not_enabled', 'not_found'],
  },
  {
    method: 'post',
    path: '/api/integrations/3cx/{id}/rotate-secret',
    summary: 'Rotate the 3CX secret',
    tag: '3CX',
    auth: 'api_key',
    request: { example: {}, optional: true },
    response: { status: 200, description: 'The new secret, shown once.', ...R.threeCxRotated },
    errors: ['module_not_enabled', 'not_found'],
  },
  {
    method: 'get',
    path: '/api/integrations/3cx/{id}/events',
    summary: '3CX event log',
    description: 'What the integration received and what it did (sent, skipped, accepted, refused).',
    tag: '3CX',
    auth: 'api_key',
    params: [limit, before],
    response: { status: 200, description: 'Events, newest first.', ...R.threeCxEvents },
    errors: ['module_not_enabled', 'not_found', 'validation_error'],
  },
  {
    method: 'post',
    path: '/integrations/3cx/webhook/{integration_id}',
    summary: '3CX webhook (called by 3CX)',
    description:
      'Authenticated with `X-WhatsApp-Gateway-3CX-Secret`; optionally signed (`X-WhatsApp-Gateway-Timestamp`, `X-WhatsApp-Gateway-Signature: sha256=<hex>` of timestamp + "." + raw body). Body up to 256 KB, 60 requests per minute per integration. Before authentication every failure is the same `401 invalid_3cx_webhook`.',
    tag: '3CX',
    auth: 'threecx',
    request: {
      schema: threeCxEventSchema,
      validated: false,
      requiresJsonContentType: false,
      limit: '256 KB',
      example: {
        event_type: 'outbound_message',
        to: '+966500000001',
        message_text: 'Your support request has been updated.',
        message_purpose: 'support',
        conversation_id: '3cx-chat-123',
        agent_extension: '101',
      },
    },
    response: { status: 200, description: 'Handled (see `status`).', ...R.threeCxWebhook },
    // The 3CX feature's own list of what this endpoint can answer (reference/003 troubleshooting).
    errors: THREECX_PUBLIC_ERRORS.map((E) => new E().code),
  },

  // Admin: accounts ----------------------------------------------------------------------------
  {
    method: 'post',
    path: '/admin/api/accounts',
    summary: 'Create an account',
    description: '`plan_active` defaults to true, `modules` to ["api"], `timezone` to UTC.',
    tag: 'Admin: accounts',
    auth: 'admin',
    request: {
      schema: createAccountSchema,
      example: { name: 'Acme', plan: 'starter', modules: ['api'], timezone: 'Asia/Jakarta' },
    },
    response: { status: 201, description: 'Created.', ...R.accountCreated },
    errors: [],
  },
  {
    method: 'get',
    path: '/admin/api/accounts',
    summary: 'List accounts',
    tag: 'Admin: accounts',
    auth: 'admin',
    response: { status: 200, description: 'Accounts.', ...R.accounts },
    errors: [],
  },
  {
    method: 'get',
    path: '/admin/api/accounts/{id}',
    summary: 'Get an account and its API keys',
    tag: 'Admin: accounts',
    auth: 'admin',
    response: { status: 200, description: 'The account.', ...R.accountWithKeys },
    errors: ['not_found'],
  },
  {
    method: 'patch',
    path: '/admin/api/accounts/{id}',
    summary: 'Update an account (plan, modules, reviewed limits)',
    description:
      'Setting `daily_limit_override` or `monthly_limit_override` requires `override_reason` and `override_approved_by`; `null` clears an override.',
    tag: 'Admin: accounts',
    auth: 'admin',
    request: {
      schema: updateAccountSchema,
      example: {
        daily_limit_override: 300,
        override_reason: 'Clinic reminders for three branches; reviewed templates',
        override_approved_by: 'compliance@warden.example',
      },
    },
    response: { status: 200, description: 'Updated.', ...R.account },
    errors: ['not_found'],
  },
  {
    method: 'post',
    path: '/admin/api/accounts/{id}/api-keys',
    summary: 'Create an API key',
    description: 'The key is in the response once; only a hash is stored.',
    tag: 'Admin: accounts',
    auth: 'admin',
    request: { schema: createApiKeySchema, example: { name: 'erp' } },
    response: { status: 201, description: 'Created; copy the key now.', ...R.apiKeyCreated },
    errors: ['not_found'],
  },
  {
    method: 'post',
    path: '/admin/api/accounts/{id}/invitations',
    summary: 'Invite a person to the customer portal',
    description:
      'Creates a single-use invitation link (valid 7 days) for one account with a role: `owner` (also manages people), `developer` (instances, keys, webhooks, suppressions) or `viewer` (read only). The link is only in this response; no e-mail is sent.',
    tag: 'Admin: accounts',
    auth: 'admin',
    request: { schema: inviteUserSchema, example: { email: 'dewi@tokomaju.example', role: 'owner' } },
    response: { status: 201, description: 'Created; pass the link on now.', ...R.portalInvitation },
    errors: ['not_found'],
  },
  {
    method: 'get',
    path: '/admin/api/accounts/{id}/users',
    summary: "List an account's portal users and pending invitations",
    tag: 'Admin: accounts',
    auth: 'admin',
    response: { status: 200, description: 'People of the account.', ...R.portalUsers },
    errors: ['not_found'],
  },
  {
    method: 'delete',
    path: '/admin/api/accounts/{id}/api-keys/{keyId}',
    summary: 'Revoke an API key',
    tag: 'Admin: accounts',
    auth: 'admin',
    response: { status: 200, description: 'Revoked.', ...R.apiKeyRevoked },
    errors: ['not_found'],
  },

  {
    method: 'post',
    path: '/admin/api/accounts/{id}/instances',
    summary: "Create an instance for an account (link a number)",
    description:
      'Like `POST /api/instances`, on behalf of the account; the optional `note` goes to the audit log. An `X-Warden-Actor` header names the person acting when the admin token is used (the CLI sends the OS user).',
    tag: 'Admin: accounts',
    auth: 'admin',
    request: { schema: adminCreateInstanceSchema, example: { name: 'Customer Service Main', note: 'Onboarding call' } },
    response: { status: 201, description: 'Created, with a QR code to scan.', ...R.adminInstance },
    errors: ['not_found', 'validation_error'],
  },
  {
    method: 'post',
    path: '/admin/api/instances/{id}/qr',
    summary: 'Request a new QR code for an instance',
    tag: 'Admin: accounts',
    auth: 'admin',
    request: { schema: adminNoteSchema, example: { note: 'Customer missed the first QR' }, optional: true },
    response: { status: 200, description: 'The instance with its new QR code.', ...R.adminInstance },
    errors: ['invalid_instance', 'qr_still_valid', 'instance_connected'],
  },
  {
    method: 'delete',
    path: '/admin/api/instances/{id}',
    summary: 'Destroy an instance',
    description: 'Logs out, archives its logs and frees the name; audited with the optional note.',
    tag: 'Admin: accounts',
    auth: 'admin',
    request: { schema: adminNoteSchema, example: { note: 'Customer closed this line' }, optional: true },
    response: { status: 200, description: 'Destroyed.', ...R.destroyed },
    errors: ['invalid_instance'],
  },

  // Admin: review ------------------------------------------------------------------------------
  {
    method: 'get',
    path: '/admin/api/instances',
    summary: 'List instances (e.g. paused ones)',
    tag: 'Admin: review',
    auth: 'admin',
    params: [
      q('paused', '`true` for paused instances only.', { enum: ['true', 'false'] }),
      q('account_id', 'Only this account.'),
    ],
    response: { status: 200, description: 'Instances, with pause evidence.', ...R.adminInstances },
    errors: ['validation_error'],
  },
  {
    method: 'get',
    path: '/admin/api/instances/{id}',
    summary: 'One instance with its review standing',
    description:
      'Pause evidence, strikes, any review slowdown, and every automatic pause trigger evaluated now (value, threshold, explanation).',
    tag: 'Admin: review',
    auth: 'admin',
    response: { status: 200, description: 'The instance and its standing.', ...R.adminInstanceReview },
    errors: ['invalid_instance'],
  },
  {
    method: 'get',
    path: '/admin/api/nodes',
    summary: 'Gateway nodes sharing this database',
    description:
      'Every node that has joined (several nodes on one MySQL/MariaDB database): its address, whether it is alive, and how many instances it owns. On SQLite: this one process.',
    tag: 'Admin: review',
    auth: 'admin',
    response: { status: 200, description: 'The nodes.', ...R.adminNodes },
    errors: [],
  },
  {
    method: 'post',
    path: '/admin/api/instances/{id}/pause',
    summary: 'Pause an instance for review',
    description: 'Sends are refused with 423 until resumed; `instance.paused` is emitted.',
    tag: 'Admin: review',
    auth: 'admin',
    request: { schema: pauseSchema, example: { reason: 'Complaint from a recipient; checking the sender' } },
    response: { status: 200, description: 'Paused.', ...R.adminInstance },
    errors: ['invalid_instance', 'conflict'],
  },
  {
    method: 'post',
    path: '/admin/api/instances/{id}/resume',
    summary: 'Resume a paused instance',
    description: 'A note is required; `instance.resumed` is emitted.',
    tag: 'Admin: review',
    auth: 'admin',
    request: { schema: resumeSchema, example: { note: 'Customer removed the promotional template; resuming.' } },
    response: { status: 200, description: 'Resumed.', ...R.adminInstance },
    errors: ['invalid_instance', 'conflict'],
  },
  {
    method: 'post',
    path: '/admin/api/instances/{id}/keep-paused',
    summary: 'Keep an instance paused (record a review)',
    tag: 'Admin: review',
    auth: 'admin',
    request: { schema: resumeSchema, example: { note: 'Still sending promotions; asked the customer to call us.' } },
    response: { status: 200, description: 'Still paused; the note is in the audit log.', ...R.adminInstance },
    errors: ['invalid_instance', 'conflict'],
  },
  {
    method: 'get',
    path: '/admin/api/decisions',
    summary: 'Decision log',
    tag: 'Admin: review',
    auth: 'admin',
    params: [
      q('account_id', 'Only this account.'),
      q('instance_id', 'Only this instance.'),
      q('outcome', '`allowed` or `blocked`.', { enum: ['allowed', 'blocked'] }),
      q('error', 'Only this error code.'),
      limit,
      before,
    ],
    response: { status: 200, description: 'Decisions, newest first.', ...R.decisions },
    errors: ['validation_error'],
  },
  {
    method: 'get',
    path: '/admin/api/audit',
    summary: 'Audit log',
    tag: 'Admin: review',
    auth: 'admin',
    params: [limit, before, q('target_id', 'Only this target.'), q('action', 'e.g. `instance.resumed`.')],
    response: { status: 200, description: 'Entries, newest first.', ...R.audit },
    errors: ['validation_error'],
  },

  {
    method: 'get',
    path: '/admin/api/webhook-endpoints/{id}/deliveries',
    summary: 'Delivery log of any endpoint (admin)',
    description:
      'Deliveries to one endpoint of any account with every attempt, response bodies included (also from private ranges allowed by WEBHOOK_ALLOWED_CIDRS, which customers do not see).',
    tag: 'Admin: review',
    auth: 'admin',
    params: [
      limit,
      offset,
      q('status', 'Only deliveries in this state.', { enum: ['pending', 'succeeded', 'failed', 'cancelled'] }),
    ],
    response: { status: 200, description: 'Deliveries, newest first.', ...R.deliveries },
    errors: ['not_found', 'validation_error'],
  },
  {
    method: 'get',
    path: '/admin/api/webhook-endpoints',
    summary: 'Webhook endpoint health (all accounts)',
    tag: 'Admin: review',
    auth: 'admin',
    params: [q('health', '`healthy`, `failing` or `disabled`.', { enum: ['healthy', 'failing', 'disabled'] })],
    response: { status: 200, description: 'Endpoints with their health.', ...R.adminWebhookEndpoints },
    errors: ['validation_error'],
  },

  // Admin: suppressions ------------------------------------------------------------------------
  {
    method: 'get',
    path: '/admin/api/suppressions',
    summary: 'List suppressions',
    tag: 'Admin: suppressions',
    auth: 'admin',
    params: [q('account_id', 'An account id, or `global` for gateway-wide blocks.'), limit, offset],
    response: { status: 200, description: 'Suppressions.', ...R.adminSuppressions },
    errors: ['validation_error'],
  },
  {
    method: 'post',
    path: '/admin/api/suppressions',
    summary: 'Block a number (one account or gateway-wide)',
    tag: 'Admin: suppressions',
    auth: 'admin',
    request: {
      schema: adminSuppressionSchema,
      example: { phone: '+966500000002', account_id: null, note: 'Reported abuse' },
    },
    response: { status: 201, description: 'Blocked (200 if it already was).', ...R.adminSuppression },
    errors: ['not_found'],
  },
  {
    method: 'delete',
    path: '/admin/api/suppressions',
    summary: 'Lift a suppression',
    description: "Admins may lift any suppression, including a recipient's own STOP.",
    tag: 'Admin: suppressions',
    auth: 'admin',
    request: {
      schema: adminSuppressionSchema,
      example: { phone: '+966500000002', account_id: 'acc_cLDkJkgqqXm2u3BA', note: 'Recipient asked by email' },
    },
    response: { status: 200, description: 'Removed.', ...R.adminSuppressionRemoved },
    errors: ['not_found'],
  },
];

// ---------------------------------------------------------------------------------------------
// Derived
// ---------------------------------------------------------------------------------------------

/** Generic codes by route kind + the route's own, deduplicated, in a stable order. */
export function errorCodesFor(route: CatalogRoute): string[] {
  const codes: string[] = [];
  if (route.request && route.request.requiresJsonContentType !== false) codes.push('unsupported_media_type');
  if (route.auth === 'api_key') codes.push('invalid_api_key', 'revoked_api_key');
  if (route.auth === 'admin' || route.auth === 'metrics') codes.push('invalid_admin_token');
  if (route.auth === 'threecx') codes.push('invalid_3cx_webhook');
  if (route.request) codes.push('invalid_json', 'payload_too_large');
  if (route.request?.schema && route.request.validated !== false) codes.push('validation_error');
  codes.push(...route.errors, 'internal_error');
  return [...new Set(codes)];
}

/** `/api/instances/{id}` → `/api/instances/:id` (how express spells it). */
export function toExpressPath(path: string): string {
  return path.replace(/\{([^}]+)\}/g, ':$1');
}

/** `/api/instances/:id` → `/api/instances/{id}`; express 5 wildcards `*name` / `{*name}` too. */
export function toOpenApiPath(path: string): string {
  return path
    .replace(/\{\*([A-Za-z0-9_]+)\}/g, '{$1}')
    .replace(/\*([A-Za-z0-9_]+)/g, '{$1}')
    .replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

/** The catalog entry a concrete request path matches (for tests checking live responses). */
export function findRoute(method: string, concretePath: string): CatalogRoute | undefined {
  const path = concretePath.split('?')[0] as string;
  const m = method.toLowerCase();
  const candidates = ROUTE_CATALOG.filter((r) => r.method === m).filter((r) => {
    const pattern = new RegExp(
      `^${r.path.replace(/[.+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`,
    );
    return pattern.test(path);
  });
  // Prefer literal segments over parameters (`/api/webhooks/deliveries/...` over `/api/webhooks/{id}/...`).
  return candidates.sort((a, b) => (b.path.match(/\{/g)?.length ?? 0) - (a.path.match(/\{/g)?.length ?? 0)).at(-1);
}
