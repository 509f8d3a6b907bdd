import express, { type Express } from 'express';
import type { Container } from './container.ts';
import { errorHandler, notFound } from './http/middleware/error-handler.ts';
import { noStoreSecrets } from './http/middleware/no-store-secrets.ts';
import { requestId } from './http/middleware/request-id.ts';
import { adminApiRoutes } from './http/routes/admin-api.routes.ts';
import { adminConsoleRoutes } from './http/routes/admin-console.routes.ts';
import { adminReviewRoutes } from './http/routes/admin-review.routes.ts';
import { decisionRoutes } from './http/routes/decisions.routes.ts';
import { eventSchemaRoutes } from './http/routes/event-schemas.routes.ts';
import { healthRoutes } from './http/routes/health.routes.ts';
import { inboundLogRoutes } from './http/routes/inbound-logs.routes.ts';
import { instanceRoutes } from './http/routes/instances.routes.ts';
import { mediaRoutes } from './http/routes/media.routes.ts';
import { messageRoutes } from './http/routes/messages.routes.ts';
import { sandboxRoutes } from './http/routes/sandbox.routes.ts';
import { sendMessageRoutes } from './http/routes/send-message.routes.ts';
import { suppressionRoutes } from './http/routes/suppressions.routes.ts';
import { threeCxRoutes } from './http/routes/threecx.routes.ts';
import { webhookRoutes } from './http/routes/webhooks.routes.ts';
import { portalRoutes } from './http/portal/portal.routes.ts';
import { adminPortalUserRoutes } from './http/routes/admin-portal-users.routes.ts';
import { clusterRoutes } from './cluster/cluster.routes.ts';
import { docsRoutes } from './docs/docs.routes.ts';
import { metricsRoutes } from './metrics/metrics.routes.ts';
import { openApiRoutes } from './openapi/openapi.routes.ts';

/** Feature routers register here; each is a list of routes whose handlers are middleware lists. */
export type RouterFactory = (c: Container) => express.Router;

const ROUTERS: RouterFactory[] = [
  sendMessageRoutes,
  instanceRoutes,
  sandboxRoutes,
  suppressionRoutes,
  messageRoutes,
  adminApiRoutes,
  adminPortalUserRoutes,
  adminReviewRoutes,
  clusterRoutes,
  decisionRoutes,
  webhookRoutes,
  inboundLogRoutes,
  mediaRoutes,
  eventSchemaRoutes,
  threeCxRoutes,
  openApiRoutes,
  metricsRoutes,
  docsRoutes,
  // The customer portal answers every /portal/* page itself (HTML 404, login redirect).
  portalRoutes,
  // Last: the console answers every other /admin/* page itself (HTML 404, login redirect).
  adminConsoleRoutes,
];

/** createApp(container): middleware order, routers, JSON 404, one error handler. */
export function createApp(c: Container, extraRouters: RouterFactory[] = []): Express {
  const app = express();
  app.disable('x-powered-by');
  // TRUST_PROXY names the reverse proxies whose X-Forwarded-For/-Proto set req.ip and req.secure.
  app.set('trust proxy', c.config.trustProxy.length > 0 ? c.config.trustProxy : false);
  app.set('query parser', 'simple');
  app.use(requestId);
  app.use((req, res, next) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    // Over HTTPS (directly, or as a trusted proxy says) browsers keep to HTTPS for a year.
    if (req.secure) res.setHeader('Strict-Transport-Security', 'max-age=31536000');
    next();
  });
  app.use(noStoreSecrets);
  app.use(healthRoutes(c, Date.now()));
  for (const factory of [...ROUTERS, ...extraRouters]) app.use(factory(c));
  app.use(notFound);
  app.use(errorHandler);
  return app;
}
