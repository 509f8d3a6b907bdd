/**
 * The JSON Schema of what the `present*` function beside it returns; its return type is derived
 * from it, and the OpenAPI document publishes it as a component. Objects stay open (clients
 * ignore fields they do not know); the test suite holds every live response strictly.
 *
 * After them: the named success responses (envelope schema + example) of the routes that return
 * them, which the OpenAPI registry (src/openapi/response-schemas.ts) gathers.
 */
import type { FromSchema } from 'json-schema-to-ts';
import { arrayOf, exampleTime, int, ok, ref, type NamedResponse } from '../openapi/schema-helpers.ts';

/** `Suppression`: built by `presentSuppression` (suppression-service.ts). */
export const suppressionSchema = {
  type: 'object',
  description: 'A number Warden will not message.',
  required: ['id', 'phone', 'scope', 'reason', 'created_at'],
  properties: {
    id: { type: 'string' },
    phone: { type: 'string', description: 'E.164.' },
    scope: { enum: ['account', 'global'] },
    account_id: { type: ['string', 'null'] },
    reason: {
      type: 'string',
      description: '`recipient_requested_stop` (the recipient sent STOP), `customer_blocked` or `admin_blocked`.',
    },
    note: { type: ['string', 'null'] },
    created_by: { type: ['string', 'null'] },
    created_at: { type: 'string', format: 'date-time' },
  },
} as const;

export type SuppressionResponse = FromSchema<typeof suppressionSchema>;

export const suppressionExample = {
  id: 'sup_xPYmhAnF-Smq5rse',
  phone: '+966500000002',
  scope: 'account',
  account_id: 'acc_cLDkJkgqqXm2u3BA',
  reason: 'customer_blocked',
  note: 'Asked by phone not to be contacted',
  created_by: 'api_key:key_AOFBc4bHFvYaCcUt',
  created_at: exampleTime,
};

/** Named success responses (schema + example) of the suppression routes (customer and admin). */
export const suppressionResponses = {
  suppressions: {
    schema: ok(['suppressed_recipients'], {
      suppressed_recipients: arrayOf(ref('Suppression')),
      limit: int(),
      offset: int(),
    }),
    example: { success: true, suppressed_recipients: [suppressionExample], limit: 50, offset: 0 },
  },
  suppressionCreated: {
    schema: ok(['suppressed_recipient'], { suppressed_recipient: ref('Suppression') }),
    example: { success: true, suppressed_recipient: suppressionExample },
  },
  suppressionRemoved: {
    schema: ok(['removed'], { removed: ref('Suppression') }),
    example: { success: true, removed: suppressionExample },
  },
  adminSuppressions: {
    schema: ok(['suppressions'], { suppressions: arrayOf(ref('Suppression')) }),
    example: {
      success: true,
      suppressions: [
        { ...suppressionExample, scope: 'global', account_id: null, reason: 'admin_blocked', created_by: 'admin-token' },
      ],
    },
  },
  adminSuppression: {
    schema: ok(['suppression'], { suppression: ref('Suppression') }),
    example: {
      success: true,
      suppression: {
        ...suppressionExample,
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
        ...suppressionExample,
        scope: 'global',
        account_id: null,
        reason: 'admin_blocked',
        created_by: 'admin-token',
      },
    },
  },
} satisfies Record<string, NamedResponse>;
