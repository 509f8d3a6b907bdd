/**
 * The JSON Schema of what the `present*` function beside it returns; its return type is derived
 * from it, and the OpenAPI document publishes it as a component. Objects stay open (clients
 * ignore fields they do not know); the test suite holds every live response strictly.
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
  nullableInt,
  nullableStr,
  obj,
  ok,
  ref,
  str,
  type NamedResponse,
} from '../../openapi/schema-helpers.ts';
import { instanceExample } from '../../instances/instance-response.schema.ts';

/** `ThreeCxIntegration`: built by `presentIntegration` (threecx-service.ts). */
export const threeCxIntegrationSchema = {
  type: 'object',
  description: 'A 3CX integration (the secret itself is never shown again).',
  required: ['id', 'instance_id', 'enabled', 'webhook_path'],
  properties: {
    id: { type: 'string' },
    instance_id: { type: 'string' },
    business_name: { type: ['string', 'null'] },
    enabled: { type: 'boolean' },
    webhook_path: {
      type: 'string',
      description: 'Give 3CX this path on your gateway: POST /integrations/3cx/webhook/{id}.',
    },
    secret_hint: {
      type: 'string',
      description: 'The first characters of the secret, to tell secrets apart.',
    },
    require_hmac: { type: 'boolean' },
    ip_allowlist: { type: 'array', items: { type: 'string' } },
    trusted_proxies: { type: 'array', items: { type: 'string' } },
    outbound_enabled: { type: 'boolean' },
    call_events_enabled: { type: 'boolean' },
    enabled_call_events: { type: 'array', items: { type: 'string' } },
    templates: { type: 'object' },
    strict_window: { type: 'boolean' },
    window_hours: { type: 'integer' },
    destination_url: {
      type: ['string', 'null'],
      description: 'Where inbound messages are forwarded (a message.received webhook).',
    },
    forward_webhook_id: { type: ['string', 'null'] },
    created_at: { type: 'string', format: 'date-time' },
    updated_at: { type: 'string', format: 'date-time' },
  },
} as const;

export type ThreeCxIntegrationResponse = FromSchema<typeof threeCxIntegrationSchema>;

/** Named success responses (schema + example) of the 3CX integration routes. */
/** The integration as the examples of its responses show it. */
const integrationExample = {
  id: 'tcx_9hQ2LmZp4RkT8sVw',
  instance_id: instanceExample.id,
  enabled: true,
  webhook_path: '/integrations/3cx/webhook/tcx_9hQ2LmZp4RkT8sVw',
};

export const threeCxResponses = {
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
        instance_id: instanceExample.id,
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
        created_at: exampleTime,
        updated_at: exampleTime,
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
      integration: integrationExample,
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
      integration: integrationExample,
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
      integration: integrationExample,
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
          created_at: exampleTime,
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
} satisfies Record<string, NamedResponse>;
