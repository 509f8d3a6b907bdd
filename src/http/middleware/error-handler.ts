import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { ApiError } from '../../errors/api-error.ts';
import { InternalError, NotFoundError, ServiceUnavailableError } from '../../errors/errors.ts';
import { isDatabaseUnavailable } from '../../db/database.ts';
import { maskPath, moduleLogger } from '../../lib/logger.ts';
import { publicErrorFor } from './framework-errors.ts';

const log = moduleLogger('http');

export const notFound: RequestHandler = (_req, _res, next) => next(new NotFoundError());

/**
 * The one error handler: every failure leaves in the public shape. Unknown errors become
 * `internal_error` with no detail; the cause goes to the log (redacted), never to the client.
 */
export const errorHandler: ErrorRequestHandler = (error, req, res, _next) => {
  let apiError: ApiError | null = publicErrorFor(error);
  if (!apiError && isDatabaseUnavailable(error)) {
    log.warn('database unavailable', { request_id: res.locals.requestId, method: req.method, path: maskPath(req.path), error });
    apiError = new ServiceUnavailableError();
  }
  if (!apiError) {
    log.error('unhandled error', {
      request_id: res.locals.requestId,
      method: req.method,
      path: maskPath(req.path),
      error,
    });
    apiError = new InternalError();
  }
  if (res.headersSent) return;
  for (const [name, value] of Object.entries(apiError.headers)) res.setHeader(name, value);
  res.status(apiError.status).json(apiError.toJSON());
};
