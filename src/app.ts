import express, { type Express } from 'express';
import type { Container } from './container.ts';
import { errorHandler, notFound } from './http/middleware/error-handler.ts';
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
  // Last: the console answers every other /admin/* page itself (HTML 404, login redirect).
  adminConsoleRoutes,
];

/** createApp(container): middleware order, routers, JSON 404, one error handler. */
export function createApp(c: Container, extraRouters: RouterFactory[] = []): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.set('query parser', 'simple');
  app.use(requestId);
  app.use((_req, res, next) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    next();
  });
  app.use(healthRoutes(c, Date.now()));
  for (const factory of [...ROUTERS, ...extraRouters]) app.use(factory(c));
  app.use(notFound);
  app.use(errorHandler);
  return app;
}
