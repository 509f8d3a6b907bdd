/**
 * The JSON Schema of what the `present*` function beside it returns; its return type is derived
 * from it, and the OpenAPI document publishes it as a component. Objects stay open (clients
 * ignore fields they do not know); the test suite holds every live response strictly.
 */
import type { FromSchema } from 'json-schema-to-ts';

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
