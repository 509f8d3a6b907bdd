/**
 * The JSON Schema of what the `present*` function beside it returns; its return type is derived
 * from it, and the OpenAPI document publishes it as a component. Objects stay open (clients
 * ignore fields they do not know); the test suite holds every live response strictly.
 *
 * After them: the named success responses (envelope schema + example) of the routes that return
 * them, which the OpenAPI registry (src/openapi/response-schemas.ts) gathers.
 */
import type { FromSchema } from 'json-schema-to-ts';
import { arrayOf, exampleTime, ok, ref, type NamedResponse } from '../openapi/schema-helpers.ts';
import { instanceExample } from '../instances/instance-response.schema.ts';

/** `AuditEntry`: built by `presentAudit` (audit-log.ts). */
export const auditEntrySchema = {
  type: 'object',
  required: ['id', 'actor', 'action', 'created_at'],
  properties: {
    id: { type: 'integer' },
    actor: { type: 'string' },
    action: { type: 'string' },
    target_type: { type: ['string', 'null'] },
    target_id: { type: ['string', 'null'] },
    note: { type: ['string', 'null'] },
    detail: {},
    created_at: { type: 'string', format: 'date-time' },
  },
} as const;

export type AuditEntryResponse = FromSchema<typeof auditEntrySchema>;

/** Named success responses (schema + example) of GET /admin/audit. */
export const auditResponses = {
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
          target_id: instanceExample.id,
          note: 'Customer removed the promotional template; resuming.',
          detail: null,
          created_at: exampleTime,
        },
      ],
    },
  },
} satisfies Record<string, NamedResponse>;
