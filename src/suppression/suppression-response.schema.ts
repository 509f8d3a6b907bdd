/**
 * The JSON Schema of what the `present*` function beside it returns; its return type is derived
 * from it, and the OpenAPI document publishes it as a component. Objects stay open (clients
 * ignore fields they do not know); the test suite holds every live response strictly.
 */
import type { FromSchema } from 'json-schema-to-ts';

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
