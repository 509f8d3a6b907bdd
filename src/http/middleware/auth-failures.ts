import type { Request } from 'express';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { TooManyRequestsError } from '../../errors/errors.ts';

/** Failed admin-token attempts one client address may make per minute, console and API together. */
export const AUTH_FAILURES_PER_MINUTE = 5;

/**
 * The client's address: the socket peer, or — when that peer is a proxy named in TRUST_PROXY —
 * the address it forwarded (express resolves `req.ip` from the `trust proxy` setting).
 */
export function clientAddress(req: Request): string {
  return req.ip ?? req.socket.remoteAddress ?? 'unknown';
}

/**
 * One limiter for every place the admin token is presented (console sign-in, `/admin/api`,
 * `/metrics`), keyed on the real client address: five wrong tokens lock that address — and only
 * that address — for a minute.
 */
export class AuthFailureLimiter {
  private readonly limiter = new RateLimiterMemory({
    keyPrefix: 'admin_auth_failures',
    points: AUTH_FAILURES_PER_MINUTE,
    duration: 60,
  });

  /** Seconds this address must still wait, or 0 when it may try. */
  async lockedFor(address: string): Promise<number> {
    const state = await this.limiter.get(address);
    if (!state || state.consumedPoints < AUTH_FAILURES_PER_MINUTE) return 0;
    return Math.max(1, Math.ceil(state.msBeforeNext / 1000));
  }

  /**
   * Count a wrong token: the attempt itself is answered as wrong (0); only an attempt beyond the
   * allowance (racing past `lockedFor`) reports the lock's seconds.
   */
  async recordFailure(address: string): Promise<number> {
    try {
      await this.limiter.consume(address, 1);
      return 0;
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) return Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
      throw rejection;
    }
  }

  async reset(address: string): Promise<void> {
    await this.limiter.delete(address);
  }
}

export function tooManyAuthFailures(retryAfter: number): TooManyRequestsError {
  const error = new TooManyRequestsError(
    { reason: 'too_many_failed_attempts', limit: AUTH_FAILURES_PER_MINUTE, retry_after: retryAfter },
    `Too many failed admin token attempts from this address. Try again in ${retryAfter} seconds.`,
  );
  error.headers['Retry-After'] = String(retryAfter);
  return error;
}
