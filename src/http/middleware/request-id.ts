import type { RequestHandler } from 'express';
import { newUuid } from '../../lib/ids.ts';
import { maskPath, moduleLogger } from '../../lib/logger.ts';

const log = moduleLogger('http');

/** A request id on every request (honouring a sane incoming X-Request-ID), and one access log line. */
export const requestId: RequestHandler = (req, res, next) => {
  const incoming = req.get('x-request-id');
  const id = incoming && /^[A-Za-z0-9._-]{8,64}$/.test(incoming) ? incoming : newUuid();
  res.locals.requestId = id;
  res.setHeader('X-Request-ID', id);
  const started = performance.now();
  res.on('finish', () => {
    log.info('request', {
      request_id: id,
      method: req.method,
      // The path only (query strings may carry phone numbers), with phone numbers masked.
      path: maskPath(req.path),
      status: res.statusCode,
      duration_ms: Math.round(performance.now() - started),
      account_id: res.locals.accountId,
    });
  });
  next();
};
