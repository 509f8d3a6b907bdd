/**
 * The JSON Schemas of the success responses of GET /admin/nodes.
 * The OpenAPI document publishes them; the test suite holds live responses against them.
 */
import {
  arrayOf,
  bool,
  dateTime,
  int,
  nullableStr,
  obj,
  ok,
  str,
  type NamedResponse,
} from '../openapi/schema-helpers.ts';

/** Named success responses (schema + example) of GET /admin/nodes. */
export const clusterResponses = {
  adminNodes: {
    schema: ok(['nodes'], {
      nodes: arrayOf(
        obj(['id', 'url', 'alive', 'last_heartbeat_at', 'instances'], {
          id: str('NODE_ID of the node.'),
          url: nullableStr('NODE_URL: where the other nodes reach it (null on a single node).'),
          alive: bool('Heartbeat younger than the lease and not draining.'),
          draining: bool('Handing its instances over before it exits (SIGTERM).'),
          started_at: dateTime(),
          last_heartbeat_at: dateTime('Database clock.'),
          instances: int('Instances whose lease the node holds.'),
        }),
      ),
    }),
    example: {
      success: true,
      nodes: [
        {
          id: 'gw-1',
          url: 'http://10.0.0.11:3000',
          alive: true,
          draining: false,
          started_at: '2026-12-06T09:00:00.000Z',
          last_heartbeat_at: '2026-12-06T10:15:02.512Z',
          instances: 3,
        },
      ],
    },
  },
} satisfies Record<string, NamedResponse>;
