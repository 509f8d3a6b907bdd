import assert from 'node:assert/strict';
import type supertest from 'supertest';
import { cookieFrom, csrfOf, form } from './admin-console.ts';
import type { TestContext } from './test-app.ts';

/** Helpers for driving the customer portal (`/portal`) over supertest. */

export const PASSWORD = 'correct horse battery';

export interface PortalSession {
  cookie: string;
  csrf: string;
  get: (path: string) => supertest.Test;
  post: (path: string, fields: Record<string, string | string[]>) => supertest.Test;
}

function session(http: ReturnType<typeof supertest>, cookie: string, csrf: string): PortalSession {
  return {
    cookie,
    csrf,
    get: (path) => http.get(path).set('Cookie', cookie),
    post: (path, fields) => http.post(path).set('Cookie', cookie).type('form').send(form({ _csrf: csrf, ...fields })),
  };
}

/** The operator invites through the admin API; returns the single-use path. */
export async function adminInvite(ctx: TestContext, accountId: string, email: string, role: string): Promise<string> {
  const res = await ctx.admin('post', `/admin/api/accounts/${accountId}/invitations`, { email, role });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body.invite_path as string;
}

/** Accept an invitation (name + password); returns the signed-in session. */
export async function acceptInvite(
  http: ReturnType<typeof supertest>,
  invitePath: string,
  name = 'Dewi',
): Promise<PortalSession> {
  const res = await http
    .post(invitePath)
    .type('form')
    .send(form({ name, password: PASSWORD, password_confirm: PASSWORD }));
  assert.equal(res.status, 303, res.text);
  assert.equal(res.headers.location, '/portal?notice=welcome');
  const value = cookieFrom(res, 'warden_portal');
  assert.ok(value);
  const cookie = `warden_portal=${value}`;
  const home = await http.get('/portal').set('Cookie', cookie);
  assert.equal(home.status, 200);
  return session(http, cookie, csrfOf(home.text));
}

/** Submit the sign-in form; returns the raw response. */
export async function submitPortalLogin(
  http: ReturnType<typeof supertest>,
  fields: { email: string; password: string; code?: string; withCsrf?: boolean },
): Promise<supertest.Response> {
  const page = await http.get('/portal/login');
  assert.equal(page.status, 200);
  const loginCookie = cookieFrom(page, 'warden_portal_login');
  assert.ok(loginCookie);
  const body: Record<string, string> = { email: fields.email, password: fields.password, code: fields.code ?? '' };
  if (fields.withCsrf !== false) body._csrf = csrfOf(page.text);
  return http.post('/portal/login').set('Cookie', `warden_portal_login=${loginCookie}`).type('form').send(form(body));
}

export async function portalLogin(
  http: ReturnType<typeof supertest>,
  email: string,
  password = PASSWORD,
  code?: string,
): Promise<PortalSession> {
  const res = await submitPortalLogin(http, { email, password, code });
  assert.equal(res.status, 303, res.text);
  const cookie = `warden_portal=${cookieFrom(res, 'warden_portal')}`;
  const home = await http.get('/portal').set('Cookie', cookie);
  assert.equal(home.status, 200);
  return session(http, cookie, csrfOf(home.text));
}
