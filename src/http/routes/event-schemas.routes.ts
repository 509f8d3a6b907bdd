import { Router } from 'express';
import type { Container } from '../../container.ts';
import { NotFoundError } from '../../errors/errors.ts';
import { EVENT_SCHEMAS, publishedEventSchemas } from '../../events/event-schemas.ts';
import { isEventType } from '../../events/event-types.ts';
import { describe } from '../../openapi/route-meta.ts';
import { RESPONSES } from '../../openapi/response-schemas.ts';

/** The published event JSON Schemas (public, no authentication: they are documentation). */
export function eventSchemaRoutes(_c: Container): Router {
  const router = Router();
  router.get(
    '/api/event-schemas',
    describe({
      summary: 'All event JSON Schemas',
      description:
        'Public (no key needed): the envelope and one JSON Schema (2020-12) per event.',
      tag: 'Events',
      response: { status: 200, description: 'The schemas.', ...RESPONSES.eventSchemas },
    }),
    (_req, res) => {
    res.setHeader('Cache-Control', 'public, max-age=300');
    res.json({ success: true, ...publishedEventSchemas() });
  });
  router.get(
    '/api/event-schemas/:type',
    describe({
      summary: 'One event JSON Schema',
      tag: 'Events',
      response: { status: 200, description: 'The schema (`application/schema+json`).', contentType: 'application/schema+json', ...RESPONSES.eventSchema },
      errors: ['not_found'],
    }),
    (req, res, next) => {
    const type = String(req.params.type);
    if (!isEventType(type)) return next(new NotFoundError(undefined, 'No event with this name exists.'));
    res.setHeader('Cache-Control', 'public, max-age=300');
    res.type('application/schema+json').send(JSON.stringify(EVENT_SCHEMAS[type]));
  });
  return router;
}
