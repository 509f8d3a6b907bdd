/**
 * The JSON Schema of what the `present*` function beside it returns; its return type is derived
 * from it, and the OpenAPI document publishes it as a component. Objects stay open (clients
 * ignore fields they do not know); the test suite holds every live response strictly.
 *
 * After them: the named success responses (envelope schema + example) of the routes that return
 * them, which the OpenAPI registry (src/openapi/response-schemas.ts) gathers.
 */
import type { FromSchema } from 'json-schema-to-ts';
import { arrayOf, exampleTime, nextBefore, ok, ref, type NamedResponse } from '../openapi/schema-helpers.ts';
import { instanceExample } from '../instances/instance-response.schema.ts';

/** `InboundMessage`: built by `presentInbound` (inbound-log.ts). */
export const inboundMessageSchema = {
  type: 'object',
  description: 'An inbound WhatsApp message.',
  required: ['id', 'instance_id', 'direction', 'message_type', 'received_at'],
  properties: {
    id: { type: 'integer' },
    instance_id: { type: 'string' },
    message_id: { type: ['string', 'null'] },
    direction: { const: 'inbound' },
    from: { type: ['string', 'null'] },
    from_lid: { type: ['string', 'null'] },
    chat: { type: ['string', 'null'] },
    is_group: { type: 'boolean' },
    message_type: { type: 'string' },
    text: { type: ['string', 'null'] },
    media_path: { type: ['string', 'null'], description: 'Download with GET /media?path=…' },
    media_mime_type: { type: ['string', 'null'] },
    media_size: { type: ['integer', 'null'] },
    media_filename: { type: ['string', 'null'] },
    classification: { type: ['string', 'null'], description: '`opt_out`, `opt_in` or null.' },
    received_at: { type: 'string', format: 'date-time' },
    payload: {
      type: 'object',
      description: 'The `message.received` payload as delivered to webhooks.',
    },
  },
} as const;

export type InboundMessageResponse = FromSchema<typeof inboundMessageSchema>;

/** Named success responses (schema + example) of GET /api/inbound-logs. */
export const inboundResponses = {
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
          instance_id: instanceExample.id,
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
          received_at: exampleTime,
          payload: { direction: 'inbound', message_type: 'text', text: 'Is my order ready?' },
        },
      ],
      next_before: null,
    },
  },
} satisfies Record<string, NamedResponse>;
