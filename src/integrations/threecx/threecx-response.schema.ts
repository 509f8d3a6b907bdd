/**
 * The JSON Schema of what the `present*` function beside it returns; its return type is derived
 * from it, and the OpenAPI document publishes it as a component. Objects stay open (clients
 * ignore fields they do not know); the test suite holds every live response strictly.
 */
import type { FromSchema } from 'json-schema-to-ts';

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
