import type { ErrorRequestHandler, RequestHandler } from 'express';
import { ApiError } from '../../errors/api-error.ts';
import { InternalError, InvalidJsonError, NotFoundError, PayloadTooLargeError } from '../../errors/errors.ts';
import { moduleLogger } from '../../lib/logger.ts';

const log = moduleLogger('http');

export const notFound: RequestHandler = (_req, _res, next) => next(new NotFoundError());

/**
 * The one error handler: every failure leaves in the public shape. Unknown errors become
 * `internal_error` with no detail; the cause goes to the log (redacted), never to the client.
 */
export const errorHandler: ErrorRequestHandler = (error, req, res, _next) => {
  let apiError: ApiError;
  if (error instanceof ApiError) apiError = error;
  else if (
    (error as { type?: string })?.type === 'entity.too.large' ||
    (error as { status?: number })?.status === 413
  )
    apiError = new PayloadTooLargeError();
  else if ((error as { type?: string })?.type === 'entity.parse.failed') apiError = new InvalidJsonError();
  else if ((error as { status?: number })?.status === 400 && (error as { expose?: boolean }).expose)
    apiError = new InvalidJsonError();
  else {
    log.error('unhandled error', {
      request_id: res.locals.requestId,
      method: req.method,
      path: req.path,
      error,
    });
    apiError = new InternalError();
  }
  if (res.headersSent) return;
  for (const [name, value] of Object.entries(apiError.headers)) res.setHeader(name, value);
  res.status(apiError.status).json(apiError.toJSON());
};
