import { Router } from 'express';
import type { Container } from '../../container.ts';
import { handler } from '../middleware/async-handler.ts';

/** `/` and `/health`: database and transport checks; 503 when the database is unreachable. */
export function healthRoutes(c: Container, startedAt: number): Router {
  const router = Router();
  const health = handler(async (_req, res) => {
    let database: 'ok' | 'unreachable' = 'ok';
    try {
      await c.db.raw('select 1');
    } catch {
      database = 'unreachable';
    }
    const body = {
      status: database === 'ok' ? 'ok' : 'degraded',
      service: 'warden',
      node_id: c.nodeId(),
      transport: c.transport.kind,
      sandbox:
        c.transport.kind === 'sandbox'
          ? 'SANDBOX MODE: messages go to a simulated phone, not WhatsApp'
          : undefined,
      checks: { database, transport: 'ok' },
      uptime_seconds: Math.round((Date.now() - startedAt) / 1000),
    };
    res.status(database === 'ok' ? 200 : 503).json(body);
  });
  router.get('/', health);
  router.get('/health', health);
  return router;
}
