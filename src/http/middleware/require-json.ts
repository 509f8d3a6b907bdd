import type { RequestHandler } from 'express';
import { UnsupportedMediaTypeError } from '../../errors/errors.ts';
import { withMeta } from '../../openapi/route-meta.ts';

function hasBody(req: Parameters<RequestHandler>[0]): boolean {
  const length = req.get('content-length');
  return req.get('transfer-encoding') !== undefined || (length !== undefined && length !== '0');
}

/**
 * Pipeline step 1: the request's Content-Type must be JSON. With `optional`, a request without a
 * body passes (action endpoints such as `/disconnect` need none).
 */
export function requireJson(options: { optional?: boolean } = {}): RequestHandler {
  const check: RequestHandler = (req, _res, next) => {
    if (options.optional && !hasBody(req)) return next();
    const type = (req.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
    if (type !== 'application/json' && !/^application\/[a-z0-9.+-]+\+json$/.test(type))
      return next(new UnsupportedMediaTypeError());
    next();
  };
  return withMeta(check, { kind: 'contentType', optional: Boolean(options.optional) });
}
