import { type RequestHandler, Router } from 'express';
import type { Container } from '../container.ts';
import { handler } from '../http/middleware/async-handler.ts';
import { checkAdminToken } from '../http/middleware/auth.ts';
import { secretsEqual } from '../lib/secrets-equal.ts';
import { METRICS_CONTENT_TYPE, renderMetrics } from './scrape-metrics.ts';
import { describe, withMeta } from '../openapi/route-meta.ts';

/**
 * `GET /metrics` for Prometheus. Bearer METRICS_TOKEN (so a scraper need not hold the admin
 * token) or the admin token; anything else is `401 invalid_admin_token`, like every admin route.
 */
export function metricsRoutes(c: Container): Router {
  const router = Router();
  const authorized = (presented: string | undefined): boolean => {
    if (!presented) return false;
    const tokens = [c.config.metricsToken, c.adminToken()].filter((t): t is string => Boolean(t));
    // Compare against every token (no early exit) so timing says nothing about which one matched.
    let ok = false;
    for (const token of tokens) if (secretsEqual(presented, token)) ok = true;
    return ok;
  };
  router.get(
    '/metrics',
    describe({
      summary: 'Prometheus metrics',
      description:
        'Prometheus text exposition format. Requires `Authorization: Bearer <METRICS_TOKEN>` (or the admin token).',
      tag: 'Operations',
      response: { status: 200, description: 'Metrics in the Prometheus text format.', contentType: 'text/plain; version=0.0.4' },
    }),
    withMeta<RequestHandler>(
      (req, _res, next) => {
        checkAdminToken(req, c.authFailures, authorized).then(() => next(), next);
      },
      { kind: 'auth', scheme: 'metrics' },
    ),
    handler(async (_req, res) => {
      const body = await renderMetrics(c);
      res.setHeader('Content-Type', METRICS_CONTENT_TYPE);
      res.setHeader('Cache-Control', 'no-store');
      res.send(body);
    }),
  );
  return router;
}
