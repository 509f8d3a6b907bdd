import { randomBytes } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import { maskPath, type moduleLogger } from '../lib/logger.ts';
import { secretsEqual } from '../lib/secrets-equal.ts';
import type { ConsoleViews } from './admin-console/views.ts';
import { FORM_REFUSED, field, uiCookie } from './forms.ts';

/** The sign-in and CSRF handling the console and the portal share. */
export interface UiSessionGuards {
  /** Redirects to the sign-in page without a session (GETs come back to where they were). */
  requireSession: RequestHandler;
  /** Refuses (403) a form without the session's CSRF token. */
  requireCsrf: RequestHandler;
  /** A relative path inside the surface, else its home (never an open redirect). */
  safeNext: (value: string) => string;
  /** A cookie on the surface's path only: HttpOnly, SameSite=Strict, Secure over HTTPS. */
  cookie: (req: Request, name: string, value: string, maxAgeSeconds: number) => string;
  /** The sign-in page, with a fresh sign-in CSRF token in its own short-lived cookie. */
  renderLogin: (req: Request, res: Response, status: number, error: string | null, extra?: Record<string, unknown>) => void;
  /** Whether the sign-in form carries the token of its cookie. */
  loginCsrfOk: (req: Request, res: Response) => boolean;
  /** The cookies of a new session: the session cookie set, the sign-in CSRF cookie cleared. */
  signedInCookies: (req: Request, sessionValue: string, maxAgeSeconds: number) => string[];
}

export interface UiSessionOptions {
  /** `/admin` or `/portal` (letters only after the slash): the cookie path and the prefix of every page. */
  base: string;
  /** How the surface is named in the log (`console form without a valid CSRF token`). */
  name: string;
  log: ReturnType<typeof moduleLogger>;
  views: ConsoleViews;
  sessionCookie: string;
  loginCsrfCookie: string;
  /** The signed-in session of this request, if any. */
  sessionOf: (res: Response) => { csrfToken: string } | undefined;
}

/**
 * Sign-in and CSRF for a server-rendered surface: a server-side session in an HttpOnly,
 * SameSite=Strict cookie on the surface's own path; every form carries the session's CSRF token;
 * the sign-in form carries its own, in a short-lived cookie. The request's cookies are read from
 * `res.locals.cookies` (set by the surface's session lookup).
 */
export function uiSessionGuards(o: UiSessionOptions): UiSessionGuards {
  const home = o.base;
  const login = `${o.base}/login`;
  const inside = new RegExp(`^${o.base}(/[A-Za-z0-9_\\-/?=&.%]*)?$`);
  const safeNext = (value: string) => (inside.test(value) && !value.startsWith(login) ? value : home);
  const cookie = (req: Request, name: string, value: string, maxAgeSeconds: number) =>
    uiCookie(req, o.base, name, value, maxAgeSeconds);

  const requireSession: RequestHandler = (req, res, next) => {
    if (o.sessionOf(res)) return next();
    const back = req.method === 'GET' ? `?next=${encodeURIComponent(req.originalUrl)}` : '';
    res.redirect(303, `${login}${back}`);
  };
  const requireCsrf: RequestHandler = (req, res, next) => {
    const presented = field(req.body, '_csrf');
    const expected = o.sessionOf(res)?.csrfToken ?? '';
    if (!presented || !expected || !secretsEqual(presented, expected)) {
      o.log.warn(`${o.name} form without a valid CSRF token`, { path: maskPath(req.path) });
      return o.views.render(res, 'error', FORM_REFUSED, 403);
    }
    next();
  };

  const renderLogin: UiSessionGuards['renderLogin'] = (req, res, status, error, extra = {}) => {
    const token = randomBytes(24).toString('base64url');
    res.setHeader('Set-Cookie', cookie(req, o.loginCsrfCookie, token, 900));
    o.views.render(
      res,
      'login',
      {
        title: 'Sign in',
        loginCsrf: token,
        error,
        next: safeNext(typeof req.query.next === 'string' ? req.query.next : field(req.body, 'next')),
        ...extra,
      },
      status,
    );
  };
  const loginCsrfOk = (req: Request, res: Response) => {
    const presented = field(req.body, '_csrf');
    const expected = (res.locals.cookies as Map<string, string>).get(o.loginCsrfCookie) ?? '';
    return Boolean(presented && expected && secretsEqual(presented, expected));
  };
  const signedInCookies = (req: Request, sessionValue: string, maxAgeSeconds: number) => [
    cookie(req, o.sessionCookie, sessionValue, maxAgeSeconds),
    cookie(req, o.loginCsrfCookie, '', 0),
  ];

  return { requireSession, requireCsrf, safeNext, cookie, renderLogin, loginCsrfOk, signedInCookies };
}
