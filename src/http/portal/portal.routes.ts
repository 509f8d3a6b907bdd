import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { publicErrorFor } from '../middleware/framework-errors.ts';
import express, { type ErrorRequestHandler, type Request, type RequestHandler, type Response, Router } from 'express';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import type { Container } from '../../container.ts';
import { ApiError } from '../../errors/api-error.ts';
import { moduleLogger } from '../../lib/logger.ts';
import { can, portalActor } from '../../portal/portal-users.ts';
import { createConsoleViews } from '../admin-console/views.ts';
import { handler } from '../middleware/async-handler.ts';
import { registerAccountPages } from './account-pages.ts';
import { registerInstancePages } from './instance-pages.ts';
import { registerLogPages } from './log-pages.ts';
import { uiSessionGuards } from '../ui-session.ts';
import { field, type Permission, type PortalKit, parseCookies, portalOf } from './portal-kit.ts';
import { registerUserPages } from './user-pages.ts';
import { registerWebhookPages } from './webhook-pages.ts';

const log = moduleLogger('portal');

export const PORTAL_COOKIE = 'warden_portal';
export const PORTAL_LOGIN_CSRF_COOKIE = 'warden_portal_login';
/** Failed sign-ins allowed per e-mail address per 15 minutes, and per client address (an office NAT). */
export const PORTAL_LOGIN_FAILURES_PER_EMAIL = 5;
export const PORTAL_LOGIN_FAILURES_PER_ADDRESS = 20;

const NOTICES: Record<string, string> = {
  welcome: 'Welcome! Your password is set and you are signed in.',
  key_revoked: 'The API key was revoked. Requests with it now answer 401.',
  instance_disconnected: 'The instance was disconnected (logged out of WhatsApp).',
  instance_destroyed: 'The instance was destroyed. Its message log is kept.',
  webhook_created: 'The webhook was created.',
  webhook_saved: 'The webhook was saved.',
  webhook_deleted: 'The webhook was deleted.',
  webhook_test: 'A test event was queued. Its delivery appears below within seconds.',
  redelivered: 'The delivery was queued again.',
  recovered: 'Failed deliveries were queued again.',
  suppression_added: 'The number is blocked for this account.',
  suppression_removed: 'The block was lifted.',
  role_changed: 'The role was changed.',
  user_removed: 'The person was removed and signed out.',
  invitation_revoked: 'The invitation was revoked; its link no longer works.',
  totp_enabled: 'Two-step sign-in is on. Sign-ins now ask for a code from your app.',
  totp_disabled: 'Two-step sign-in is off.',
  threecx_saved: 'The 3CX settings were saved.',
};

const here = path.dirname(fileURLToPath(import.meta.url));
function portalTemplatesDir(): string {
  for (const c of [path.resolve(here, '../../../templates/portal'), path.resolve(here, '../../../../templates/portal')])
    if (fs.existsSync(path.join(c, 'layout.hbs'))) return c;
  throw new Error('templates/portal not found');
}
function staticScript(): Buffer {
  for (const c of [path.resolve(here, '../../../templates/static'), path.resolve(here, '../../../../templates/static')])
    if (fs.existsSync(path.join(c, 'console.js'))) return fs.readFileSync(path.join(c, 'console.js'));
  throw new Error('templates/static/console.js not found');
}

const isPortalPath = (p: string) => p === '/portal' || p.startsWith('/portal/');

/**
 * The customer portal (`/portal`): the people of one account manage their own instances, keys,
 * webhooks and suppressions and read their logs and usage. Server-rendered like the console,
 * with its own users, sessions (cookie on Path=/portal only), CSRF tokens and sign-in throttle.
 * Every page is scoped by the session's account through the same services the API uses, so
 * another account's object answers 404; every change is audited with the user as the actor.
 */
export function portalRoutes(c: Container): Router {
  const router = Router();
  const views = createConsoleViews(portalTemplatesDir());
  const byAddress = new RateLimiterMemory({ keyPrefix: 'portal_login_ip', points: PORTAL_LOGIN_FAILURES_PER_ADDRESS, duration: 900 });
  const byEmail = new RateLimiterMemory({ keyPrefix: 'portal_login_email', points: PORTAL_LOGIN_FAILURES_PER_EMAIL, duration: 900 });
  const form = express.urlencoded({ extended: false, limit: '64kb', parameterLimit: 100 });
  const script = staticScript();

  router.get('/portal/assets/portal.js', (_req, res) => {
    res.setHeader('Cache-Control', 'public, max-age=300');
    res.type('application/javascript').send(script);
  });

  router.use(
    handler(async (req, res, next) => {
      if (!isPortalPath(req.path)) return next();
      res.locals.portalPage = true;
      const cookies = parseCookies(req.get('cookie'));
      res.locals.cookies = cookies;
      const session = await c.portalSessions.find(cookies.get(PORTAL_COOKIE));
      const user = session ? await c.portalUsers.get(session.accountId, session.userId) : null;
      const account = user ? await c.accounts.get(user.accountId) : null;
      if (session && user && account) res.locals.portal = { session, user, account };
      const notice = typeof req.query.notice === 'string' ? NOTICES[req.query.notice] : undefined;
      res.locals.view = {
        user: user && account ? { email: user.email, name: user.name, role: user.role } : null,
        accountName: account?.name ?? null,
        csrf: session?.csrfToken ?? null,
        canManage: user ? can(user.role, 'manage') : false,
        canManageUsers: user ? can(user.role, 'manage_users') : false,
        threecx: account?.modules.includes('threecx') ?? false,
        notice: notice ?? null,
      };
      next();
    }),
  );

  // Cookies on Path=/portal only (never sent to /api or /admin).
  const { requireSession, requireCsrf, safeNext, cookie, renderLogin, loginCsrfOk, signedInCookies } = uiSessionGuards({
    base: '/portal',
    name: 'portal',
    log,
    views,
    sessionCookie: PORTAL_COOKIE,
    loginCsrfCookie: PORTAL_LOGIN_CSRF_COOKIE,
    sessionOf: (res) => (res.locals.portal ? portalOf(res).session : undefined),
  });
  const requirePermission = (permission: Permission): RequestHandler => (_req, res, next) => {
    const { user } = portalOf(res);
    if (permission === 'view' || can(user.role, permission)) return next();
    views.render(
      res,
      'error',
      {
        title: 'Not allowed',
        heading: 'Your role cannot do this',
        message: `You are a ${user.role} of this account. ${permission === 'manage_users' ? 'Only an owner manages people.' : 'Only owners and developers change instances, keys, webhooks and suppressions.'}`,
        status: 403,
      },
      403,
    );
  };
  const kit: PortalKit = {
    c,
    router,
    views,
    get: (p, fn) => router.get(p, requireSession, handler(fn)),
    post: (p, permission, fn) =>
      router.post(p, form, requireSession, requireCsrf, requirePermission(permission), handler(fn)),
    page: (nav) => ({ nav: { [nav]: true } }),
  };

  // ------------------------------------------------------------------ sign-in

  router.get('/portal/login', (req, res) => {
    if (res.locals.portal) return res.redirect(303, '/portal');
    renderLogin(req, res, 200, null);
  });

  const startSession = async (req: Request, res: Response, user: { id: string; accountId: string }) => {
    const { cookieValue } = await c.portalSessions.create({ userId: user.id, accountId: user.accountId, ip: req.ip ?? null });
    res.setHeader('Set-Cookie', signedInCookies(req, cookieValue, 8 * 3600));
  };

  router.post(
    '/portal/login',
    form,
    handler(async (req, res) => {
      const email = field(req.body, 'email').trim().toLowerCase().slice(0, 254);
      const address = req.ip ?? req.socket.remoteAddress ?? 'unknown';
      const [ipState, emailState] = await Promise.all([byAddress.get(address), email ? byEmail.get(email) : null]);
      const locked =
        emailState && emailState.consumedPoints >= PORTAL_LOGIN_FAILURES_PER_EMAIL
          ? { state: emailState, limit: PORTAL_LOGIN_FAILURES_PER_EMAIL, what: 'this e-mail address' }
          : ipState && ipState.consumedPoints >= PORTAL_LOGIN_FAILURES_PER_ADDRESS
            ? { state: ipState, limit: PORTAL_LOGIN_FAILURES_PER_ADDRESS, what: 'this network address' }
            : null;
      if (locked) {
        const retry = Math.max(1, Math.ceil(locked.state.msBeforeNext / 1000));
        res.setHeader('Retry-After', String(retry));
        return views.render(res, 'error', { title: 'Too many attempts', heading: 'Too many sign-in attempts', message: `Sign-in for ${locked.what} is locked for ${retry} seconds after ${locked.limit} failed attempts.`, status: 429, showLogin: true }, 429);
      }
      if (!loginCsrfOk(req, res))
        return renderLogin(req, res, 403, 'The sign-in form expired. Please try again.');
      const result = await c.portalUsers.signIn(email, field(req.body, 'password'), field(req.body, 'code').trim());
      if (!result.ok) {
        if (result.reason === 'code_required')
          return renderLogin(req, res, 401, 'Enter the 6-digit code from your authenticator app.', { email, askCode: true });
        await Promise.all([byAddress.penalty(address, 1), email ? byEmail.penalty(email, 1) : null]);
        log.warn('portal sign-in failed', { reason: result.reason });
        return renderLogin(req, res, 401, result.reason === 'code_invalid' ? 'That code is not valid. Try the current one.' : 'Wrong e-mail address or password.', { email, askCode: result.reason === 'code_invalid' });
      }
      await Promise.all([byAddress.delete(address), byEmail.delete(email)]);
      await startSession(req, res, result.user);
      await c.audit.record(c.db, { actor: portalActor(result.user), action: 'portal_user.signed_in', targetType: 'account', targetId: result.user.accountId, detail: { user_id: result.user.id } });
      res.redirect(303, safeNext(field(req.body, 'next')));
    }),
  );

  kit.post('/portal/logout', 'view', async (req, res) => {
    const { user } = portalOf(res);
    await c.portalSessions.destroy((res.locals.cookies as Map<string, string>).get(PORTAL_COOKIE));
    await c.audit.record(c.db, { actor: portalActor(user), action: 'portal_user.signed_out', targetType: 'account', targetId: user.accountId, detail: { user_id: user.id } });
    res.setHeader('Set-Cookie', cookie(req, PORTAL_COOKIE, '', 0));
    res.redirect(303, '/portal/login');
  });

  // ------------------------------------------------------------------ invitations (no session)

  const invalidInvite = (res: Response) =>
    views.render(res, 'error', { title: 'Invitation not valid', heading: 'This invitation link is not valid', message: 'It was already used, revoked or has expired. Ask the person who invited you for a new link.', status: 404 }, 404);

  router.get(
    '/portal/invite/:token',
    handler(async (req, res) => {
      const inv = await c.portalUsers.findInvitation(String(req.params.token));
      if (!inv) return invalidInvite(res);
      const account = await c.accounts.get(inv.accountId);
      views.render(res, 'invite', { title: 'Join', invitation: { email: inv.email, role: inv.role, accountName: account?.name ?? '' }, token: String(req.params.token), error: null });
    }),
  );

  router.post(
    '/portal/invite/:token',
    form,
    handler(async (req, res) => {
      const token = String(req.params.token);
      const inv = await c.portalUsers.findInvitation(token);
      if (!inv) return invalidInvite(res);
      const password = field(req.body, 'password');
      const account = await c.accounts.get(inv.accountId);
      const again = (error: string, status: number) =>
        views.render(res, 'invite', { title: 'Join', invitation: { email: inv.email, role: inv.role, accountName: account?.name ?? '' }, token, error, name: field(req.body, 'name') }, status);
      if (password !== field(req.body, 'password_confirm')) return again('The two passwords are not the same.', 422);
      try {
        const user = await c.portalUsers.accept(token, { name: field(req.body, 'name'), password });
        await startSession(req, res, user);
        res.redirect(303, '/portal?notice=welcome');
      } catch (error) {
        if (error instanceof ApiError && error.status === 422) {
          const errors = (error.details?.errors as { field: string; reason: string }[] | undefined) ?? [];
          return again(errors.map((e) => `${e.field.replace('/', '')}: ${e.reason}`).join('; ') || error.message, 422);
        }
        throw error;
      }
    }),
  );

  registerAccountPages(kit);
  registerInstancePages(kit);
  registerWebhookPages(kit);
  registerLogPages(kit);
  registerUserPages(kit);

  // ------------------------------------------------------------------ 404 and errors (HTML)

  router.use((req, res, next) => {
    if (!res.locals.portalPage) return next();
    if (!res.locals.portal) return res.redirect(303, `/portal/login`);
    views.render(res, 'error', { title: 'Not found', heading: 'Page not found', message: 'There is nothing at this address in your account.', status: 404 }, 404);
  });

  const portalErrors: ErrorRequestHandler = (error, req, res, next) => {
    if (!res.locals.portalPage || res.headersSent) return next(error);
    // Parser and framework client errors (unsupported encodings or charsets, bad framing) become
    // their documented 4xx, as on the API and the console.
    error = publicErrorFor(error) ?? error;
    if (error instanceof ApiError) {
      const errors = (error.details?.errors as { field: string; reason: string }[] | undefined) ?? [];
      return views.render(res, 'error', {
        title: error.status === 404 ? 'Not found' : 'Not done',
        heading: error.status === 404 ? 'Not found' : error.status === 409 ? 'Nothing to do' : 'Please check the form',
        // The API's wording names the API key; here the scope is the signed-in account.
        message: error.code === 'invalid_instance' ? 'No instance with this id exists in your account.' : error.message,
        code: error.code,
        errors,
        status: error.status,
        back: safeNext(String(req.get('referer') ?? '').replace(/^https?:\/\/[^/]+/, '')),
      }, error.status);
    }
    log.error('portal error', { path: req.path, error });
    views.render(res, 'error', { title: 'Error', heading: 'Something went wrong', message: 'The request could not be processed.', status: 500 }, 500);
  };
  router.use(portalErrors);
  return router;
}
