import express, { type RequestHandler } from 'express';
import { InvalidJsonError, PayloadTooLargeError } from '../../errors/errors.ts';

/**
 * Pipeline step 3: read the raw body (kept on `req.rawBody` for signatures) and parse it as JSON.
 * Runs after authentication, so unauthenticated callers cannot make the gateway parse anything.
 */
export function jsonBody(limit: string): RequestHandler[] {
  return [
    express.raw({ type: () => true, limit }),
    (req, _res, next) => {
      const raw = Buffer.isBuffer(req.body) ? (req.body as Buffer) : Buffer.alloc(0);
      (req as unknown as { rawBody: Buffer }).rawBody = raw;
      if (raw.length === 0) {
        req.body = {};
        return next();
      }
      try {
        req.body = JSON.parse(raw.toString('utf8'));
      } catch {
        return next(new InvalidJsonError());
      }
      next();
    },
  ];
}

export function isBodyTooLarge(error: unknown): boolean {
  return (error as { type?: string })?.type === 'entity.too.large';
}

export { PayloadTooLargeError };
