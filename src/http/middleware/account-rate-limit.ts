import type { RequestHandler } from 'express';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { TooManyRequestsError } from '../../errors/errors.ts';
import { withMeta } from '../../openapi/route-meta.ts';

/**
 * A per-account rate limit for an expensive or probing action (runs after `apiKeyAuth`): past
 * `points` calls in `durationSeconds` the caller gets `429 rate_limited` with `Retry-After`.
 */
export function accountRateLimit(options: { name: string; points: number; durationSeconds: number }): RequestHandler {
  const limiter = new RateLimiterMemory({
    keyPrefix: options.name,
    points: options.points,
    duration: options.durationSeconds,
  });
  const limit: RequestHandler = (_req, res, next) => {
    limiter
      .consume(String(res.locals.accountId), 1)
      .then(() => next())
      .catch((rejection: unknown) => {
        if (!(rejection instanceof RateLimiterRes)) return next(rejection);
        const retryAfter = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
        const error = new TooManyRequestsError({
          limit: options.points,
          window_seconds: options.durationSeconds,
          retry_after: retryAfter,
        });
        error.headers['Retry-After'] = String(retryAfter);
        next(error);
      });
  };
  return withMeta(limit, { kind: 'errors', codes: [new TooManyRequestsError().code] });
}
