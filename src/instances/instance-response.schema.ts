/**
 * The JSON Schema of what the `present*` function beside it returns; its return type is derived
 * from it, and the OpenAPI document publishes it as a component. Objects stay open (clients
 * ignore fields they do not know); the test suite holds every live response strictly.
 *
 * After them: the named success responses (envelope schema + example) of the routes that return
 * them, which the OpenAPI registry (src/openapi/response-schemas.ts) gathers.
 */
import { INSTANCE_STATES } from '../transport/transport.ts';
import type { FromSchema } from 'json-schema-to-ts';
import { arrayOf, exampleTime, ok, ref, str, type NamedResponse } from '../openapi/schema-helpers.ts';

/** `Instance`: built by `presentInstance` (instance-service.ts). */
export const instanceSchema = {
  type: 'object',
  description: 'A WhatsApp number linked to Warden.',
  required: ['id', 'name', 'state', 'paused', 'created_at'],
  properties: {
    id: { type: 'string', description: 'Instance id; use it as `instance_id`.' },
    name: { type: 'string', description: 'Unique per account among non-destroyed instances.' },
    state: { enum: INSTANCE_STATES },
    state_reason: {
      type: ['string', 'null'],
      description: 'Why the state last changed (e.g. `logged_out`).',
    },
    phone: {
      type: ['string', 'null'],
      description: 'The linked WhatsApp number (E.164) once connected.',
    },
    default_country: {
      type: ['string', 'null'],
      description: 'ISO 3166 country used to read local phone numbers.',
    },
    qr: {
      type: ['object', 'null'],
      description: 'Present while a QR code is waiting to be scanned.',
      required: ['raw', 'png_data_url', 'expires_at'],
      properties: {
        raw: { type: 'string', description: 'The QR payload; render it with any QR library.' },
        png_data_url: { type: 'string', description: 'The same QR code as a PNG data URL (for an <img src>).' },
        expires_at: { type: 'string', format: 'date-time' },
      },
    },
    paused: {
      type: 'boolean',
      description: 'Paused for responsible-messaging review: sends are refused with 423.',
    },
    pause: {
      type: ['object', 'null'],
      properties: {
        reason: { type: ['string', 'null'] },
        paused_at: { type: ['string', 'null'], format: 'date-time' },
      },
    },
    created_at: { type: 'string', format: 'date-time' },
    updated_at: { type: 'string', format: 'date-time' },
  },
} as const;

export type InstanceResponse = FromSchema<typeof instanceSchema>;

export const instanceExample = {
  id: 'inst_uMsUnJPnr3DWpmwT',
  name: 'Customer Service Main',
  state: 'connected',
  state_reason: null,
  phone: '+966500000000',
  default_country: 'SA',
  qr: null,
  paused: false,
  pause: null,
  created_at: exampleTime,
  updated_at: exampleTime,
};

/**
 * Named success responses (schema + example) of the instance routes (instances.routes.ts,
 * sandbox.routes.ts).
 */
export const instanceResponses = {
  instance: {
    schema: ok(['instance'], { instance: ref('Instance') }),
    example: { success: true, instance: instanceExample },
  },
  instanceCreated: {
    schema: ok(['instance'], { instance: ref('Instance') }),
    example: {
      success: true,
      instance: {
        ...instanceExample,
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
    example: { success: true, instances: [instanceExample] },
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
} satisfies Record<string, NamedResponse>;
