import { Router } from 'express';
import type { Knex } from 'knex';
import type { Container } from '../../container.ts';
import { isDatabaseUnavailable } from '../../db/database.ts';
import { handler } from '../middleware/async-handler.ts';
import { describe } from '../../openapi/route-meta.ts';
import { RESPONSES } from '../../openapi/response-schemas.ts';

/** `/health` answers within 2 s whatever the database does: the probe gets 1.5 s. */
export const HEALTH_DB_PROBE_MS = 1500;

export type DatabaseCheck = 'ok' | 'unreachable' | 'timeout' | 'schema_missing';

const MISSING_SCHEMA = new Set(['ER_NO_SUCH_TABLE', 'ER_BAD_DB_ERROR', 'ER_NO_DB_ERROR']);

/**
 * The database answers, and has the schema (the migrations table and a core table), within the
 * probe's deadline. The probe keeps running after a timeout (its statement has its own
 * DB_QUERY_TIMEOUT); the answer does not wait for it.
 */
export async function probeDatabase(db: Knex, timeoutMs = HEALTH_DB_PROBE_MS): Promise<DatabaseCheck> {
  const probe = (async (): Promise<DatabaseCheck> => {
    try {
      await db.raw('select 1');
    } catch {
      return 'unreachable';
    }
    try {
      await db('knex_migrations').select('id').limit(1);
      await db('accounts').select('id').limit(1);
      return 'ok';
    } catch (error) {
      const code = String((error as { code?: string }).code ?? '');
      if (MISSING_SCHEMA.has(code) || /no such table/i.test(String((error as Error).message))) return 'schema_missing';
      return isDatabaseUnavailable(error) ? 'unreachable' : 'schema_missing';
    }
  })();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<DatabaseCheck>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  try {
    return await Promise.race([probe, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `/` and `/health`: database and transport checks; 503 when the database is not usable. A
 * transport that cannot reach WhatsApp makes the status `degraded` (200: the gateway still serves).
 */
export function healthRoutes(c: Container, startedAt: number): Router {
  const router = Router();
  const health = handler(async (_req, res) => {
    const database = await probeDatabase(c.db);
    const transport = c.transport.health?.() ?? { status: 'ok' as const };
    const body = {
      status: database === 'ok' && transport.status === 'ok' ? 'ok' : 'degraded',
      service: 'warden',
      node_id: c.nodeId(),
      transport: c.transport.kind,
      sandbox:
        c.transport.kind === 'sandbox'
          ? 'SANDBOX MODE: messages go to a simulated phone, not WhatsApp'
          : undefined,
      checks: {
        database,
        transport: transport.status,
        ...(transport.status === 'degraded' ? { transport_reason: transport.reason } : {}),
      },
      uptime_seconds: Math.round((Date.now() - startedAt) / 1000),
    };
    res.status(database === 'ok' ? 200 : 503).json(body);
  });
  router.get(
    '/',
    describe({
      summary: 'Health (root)',
      description:
        'Same as /health: reachability check for load balancers.',
      tag: 'Operations',
      response: { status: 200, description: 'Healthy (503 with `status: degraded` when the database is unreachable).', alsoStatus: [503], ...RESPONSES.health },
    }),
    health,
  );
  router.get(
    '/health',
    describe({
      summary: 'Health',
      description:
        'Database and transport checks. `transport` says `sandbox` or `baileys`; sandbox mode is announced. Answers 503 when the database is unreachable.',
      tag: 'Operations',
      response: { status: 200, description: 'Healthy.', alsoStatus: [503], ...RESPONSES.health },
    }),
    health,
  );
  return router;
}
