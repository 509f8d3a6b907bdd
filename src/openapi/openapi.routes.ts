import { Router } from 'express';
import type { Container } from '../container.ts';
import { buildOpenApiDocument } from './openapi-document.ts';

/** `GET /openapi.json`: public, like the docs; generated once per process from the route catalog. */
export function openApiRoutes(_c: Container): Router {
  const router = Router();
  router.get('/openapi.json', (_req, res) => {
    res.setHeader('Cache-Control', 'public, max-age=300');
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.json(buildOpenApiDocument());
  });
  return router;
}
