import { type NextFunction, type Request, type Response, Router } from 'express';
import type { Container } from '../container.ts';
import { NotFoundError } from '../errors/errors.ts';
import { DocsSite } from './docs-site.ts';

/** No scripts, no external anything: styles are inline and images are data: URLs. */
const CSP =
  "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const HOST = /^[A-Za-z0-9.-]{1,253}(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/;

/**
 * How the reader reached this gateway, for copy-paste examples only (never for security): the
 * proxy's X-Forwarded-Host/-Proto when present, else Host. Only well-formed values are used (they
 * are reflected into the page, HTML-escaped); anything else falls back to localhost.
 */
function baseUrlOf(req: Request, port: number): string {
  const forwardedHost = req.get('x-forwarded-host')?.split(',')[0]?.trim();
  const host = forwardedHost && HOST.test(forwardedHost) ? forwardedHost : (req.get('host') ?? '');
  const proto = req.get('x-forwarded-proto')?.split(',')[0]?.trim() === 'https' ? 'https' : req.protocol;
  return HOST.test(host) ? `${proto}://${host}` : `http://localhost:${port}`;
}

/** The public docs under `/docs` and `/acceptable-use` (no authentication). */
export function docsRoutes(c: Container): Router {
  const router = Router();
  const site = new DocsSite(c);
  const page = (req: Request, res: Response, next: NextFunction) => {
    const found = site.find(req.path);
    if (!found) return next(new NotFoundError(undefined, 'No documentation page exists at this path.'));
    const rendered = site.render(found, baseUrlOf(req, c.config.port), req.app);
    res.setHeader('Content-Security-Policy', CSP);
    res.setHeader('Cache-Control', 'public, max-age=60');
    // The copy-paste examples embed the host the reader used.
    res.setHeader('Vary', 'Host, X-Forwarded-Host, X-Forwarded-Proto');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.type('html').send(rendered.html);
  };
  router.get('/docs', page);
  router.get('/docs/{*page}', page);
  router.get('/acceptable-use', page);
  return router;
}
