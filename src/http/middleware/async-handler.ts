import type { NextFunction, Request, RequestHandler, Response } from 'express';

/** Express 5 forwards rejected promises itself; this only gives handlers a typed shape. */
export type Handler = (req: Request, res: Response, next: NextFunction) => Promise<unknown> | unknown;

export function handler(fn: Handler): RequestHandler {
  return (req, res, next) => {
    Promise.resolve(fn(req, res, next)).catch(next);
  };
}
