/**
 * The JSON Schemas of the success responses of GET /health (health.routes.ts).
 * The OpenAPI document publishes them; the test suite holds live responses against them.
 */
import { int, obj, str, type NamedResponse } from '../../openapi/schema-helpers.ts';

/** Named success responses (schema + example) of GET /health (health.routes.ts). */
export const healthResponses = {
  health: {
    schema: obj(['status', 'transport', 'checks'], {
      status: { enum: ['ok', 'degraded'] },
      service: str(),
      node_id: str('This node (NODE_ID); several nodes can share one database.'),
      transport: { enum: ['sandbox', 'baileys'] },
      sandbox: str('Present only in sandbox mode.'),
      checks: obj(['database', 'transport'], {
        database: { enum: ['ok', 'unreachable', 'timeout', 'schema_missing'] },
        transport: str(),
      }),
      uptime_seconds: int(),
    }),
    example: {
      status: 'ok',
      service: 'warden',
      node_id: 'gw-1',
      transport: 'baileys',
      checks: { database: 'ok', transport: 'ok' },
      uptime_seconds: 3600,
    },
  },
} satisfies Record<string, NamedResponse>;
