import type { Request, RequestHandler, Response, Router } from 'express';
import type { Container } from '../../container.ts';
import { secretsEqual } from '../../lib/secrets-equal.ts';
import { moduleLogger } from '../../lib/logger.ts';
import { FORM_REFUSED, field, parseCookies } from '../forms.ts';
import { handler } from '../middleware/async-handler.ts';
import { AUTH_FAILURES_PER_MINUTE, clientAddress } from '../middleware/auth-failures.ts';
import { uiSessionGuards } from '../ui-session.ts';
import type { ConsoleViews } from './views.ts';

const log = moduleLogger('admin-console');

export const SESSION_COOKIE = 'warden_admin';
export const LOGIN_CSRF_COOKIE = 'warden_login_csrf';
/** Failed logins allowed per client address per minute before the login answers 429. */
export const LOGIN_FAILURES_PER_MINUTE = AUTH_FAILURES_PER_MINUTE;

/** Everything under /admin except the JSON API, which keeps its own auth and JSON errors. */
function isConsolePath(p: string): boolean {
  return p === '/admin' || (p.startsWith('/admin/') && p !== '/admin/api' && !p.startsWith('/admin/api/'));
}

/** What the console's pages need of its session handling. */
export interface ConsoleSession {
  /** Redirects to the login page without a session (GETs come back to where they were). */
  requireSession: RequestHandler;
  /** Refuses (403) a form without the session's CSRF token. */
  requireCsrf: RequestHandler;
  /** Who is signed in, for the audit log. */
  actor: (res: Response) => string;
  /** A relative path inside the console, else the dashboard (never an open redirect). */
  safeNext: (value: string) => string;
}

/**
 * The console's sign-in (SPEC §9): login with the admin token opens a server-side session
 * (HttpOnly, SameSite=Strict cookie on Path=/admin, never sent to /api or /portal); every form
 * carries the session's CSRF token; the login form carries its own, in a short-lived cookie
 * (`ui-session.ts`, shared with the portal); failed logins lock the client address.
 * Registers the session lookup, `/admin/login` and `/admin/logout` on `router`.
 */
export function registerConsoleSession(
  router: Router,
  c: Container,
  views: ConsoleViews,
  form: RequestHandler,
  /** The fixed notice a page shows after a redirect (`?notice=`), if any. */
  noticeOf: (req: Request) => string | null,
): ConsoleSession {
  // One lock for console sign-in and the admin API, keyed on the real client address.
  const failures = c.authFailures;

  // Session lookup for every console request; the layout reads `res.locals.view`.
  router.use(
    handler(async (req, res, next) => {
      if (!isConsolePath(req.path)) return next();
      res.locals.adminConsole = true;
      const cookies = parseCookies(req.get('cookie'));
      res.locals.cookies = cookies;
      const session = await c.adminSessions.find(cookies.get(SESSION_COOKIE), c.adminToken());
      if (session) {
        res.locals.consoleSession = session;
        res.locals.adminSession = session.actor;
      }
      res.locals.view = {
        actor: session?.actor ?? null,
        csrf: session?.csrfToken ?? null,
        notice: noticeOf(req),
      };
      next();
    }),
  );

  const { requireSession, requireCsrf, safeNext, cookie, renderLogin, loginCsrfOk, signedInCookies } = uiSessionGuards({
    base: '/admin',
    name: 'console',
    log,
    views,
    sessionCookie: SESSION_COOKIE,
    loginCsrfCookie: LOGIN_CSRF_COOKIE,
    sessionOf: (res) => res.locals.consoleSession as { csrfToken: string } | undefined,
  });
  const actor = (res: Response) => String(res.locals.adminSession);

  router.get('/admin/login', (req, res) => {
    if (res.locals.consoleSession) return res.redirect(303, '/admin');
    renderLogin(req, res, 200, null);
  });

  router.post(
    '/admin/login',
    form,
    handler(async (req, res) => {
      const key = clientAddress(req);
      const tooMany = (retry: number) => {
        res.setHeader('Retry-After', String(retry));
        views.render(
          res,
          'error',
          {
            title: 'Too many attempts',
            heading: 'Too many sign-in attempts',
            message:
              `Sign-in is locked for this address for ${retry} seconds ` +
              `after ${LOGIN_FAILURES_PER_MINUTE} failed attempts.`,
            status: 429,
            showLogin: true,
          },
          429,
        );
      };
      const locked = await failures.lockedFor(key);
      if (locked > 0) return tooMany(locked);
      if (!loginCsrfOk(req, res))
        return views.render(res, 'error', { ...FORM_REFUSED, showLogin: true }, 403);
      const token = field(req.body, 'token').trim();
      const current = c.adminToken();
      if (!token || !current || !secretsEqual(token, current)) {
        const lockedNow = await failures.recordFailure(key);
        if (lockedNow > 0) return tooMany(lockedNow);
        log.warn('failed console sign-in', { ip: key });
        return renderLogin(req, res, 401, 'That admin token is not valid.');
      }
      await failures.reset(key);
      const name = field(req.body, 'name')
        .replace(/[^\p{L}\p{N} ._@-]/gu, '')
        .trim()
        .slice(0, 60);
      const who = name ? `${name} (console)` : 'admin (console)';
      const { cookieValue, session } = await c.adminSessions.create({ actor: who, token: current, ip: key });
      await c.audit.recordNow({ actor: who, action: 'admin.signed_in', targetType: 'session' });
      res.setHeader(
        'Set-Cookie',
        signedInCookies(req, cookieValue, Math.floor((session.expiresAt - session.createdAt) / 1000)),
      );
      res.redirect(303, safeNext(field(req.body, 'next')));
    }),
  );

  router.post(
    '/admin/logout',
    form,
    requireSession,
    requireCsrf,
    handler(async (req, res) => {
      await c.adminSessions.destroy((res.locals.cookies as Map<string, string>).get(SESSION_COOKIE));
      await c.audit.recordNow({ actor: actor(res), action: 'admin.signed_out', targetType: 'session' });
      res.setHeader('Set-Cookie', cookie(req, SESSION_COOKIE, '', 0));
      res.redirect(303, '/admin/login');
    }),
  );

  return { requireSession, requireCsrf, actor, safeNext };
}
