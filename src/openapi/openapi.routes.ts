import { Router } from 'express';
import type { Container } from '../container.ts';
import { buildOpenApiDocument } from './openapi-document.ts';
import { RESPONSES } from './response-schemas.ts';
import { describe } from './route-meta.ts';

/** `GET /openapi.json`: public, like the docs; generated once per app by walking its routes. */
export function openApiRoutes(_c: Container): Router {
  const router = Router();
  router.get(
    '/openapi.json',
    describe({
      summary: 'This OpenAPI 3.1 document',
      tag: 'Operations',
      response: { status: 200, description: 'The OpenAPI document.', ...RESPONSES.openapi },
    }),
    (req, res) => {
      res.setHeader('Cache-Control', 'public, max-age=300');
      res.setHeader('Access-Control-Allow-Origin', '*');
      res.json(buildOpenApiDocument(req.app));
    },
  );
  return router;
}
