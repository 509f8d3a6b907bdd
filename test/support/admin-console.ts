import assert from 'node:assert/strict';
import type supertest from 'supertest';
import { ADMIN_TOKEN } from './test-app.ts';

/** Helpers for driving the compliance console (`/admin`) over supertest. */

export function cookieFrom(res: { headers: Record<string, unknown> }, name: string): string | null {
  const raw = res.headers['set-cookie'];
  const list = Array.isArray(raw) ? raw : typeof raw === 'string' ? [raw] : [];
  for (const c of list as string[]) {
    const [pair] = c.split(';');
    const [k, v] = (pair ?? '').split('=');
    if (k?.trim() === name) return v ?? '';
  }
  return null;
}

export function setCookieHeader(res: { headers: Record<string, unknown> }, name: string): string | null {
  const raw = res.headers['set-cookie'];
  const list = Array.isArray(raw) ? raw : typeof raw === 'string' ? [raw] : [];
  return (list as string[]).find((c) => c.startsWith(`${name}=`)) ?? null;
}

/** The value of the first hidden `_csrf` input of a page. */
export function csrfOf(html: string): string {
  const m = /name="_csrf" value="([^"]+)"/.exec(html);
  assert.ok(m, 'page has a CSRF field');
  return m[1] as string;
}

export function form(fields: Record<string, string | string[]>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) {
    for (const item of Array.isArray(v) ? v : [v]) p.append(k, item);
  }
  return p.toString();
}

export interface ConsoleSession {
  cookie: string;
  csrf: string;
  get: (path: string) => supertest.Test;
  post: (path: string, fields: Record<string, string | string[]>) => supertest.Test;
}

/** Open the login page and submit it; returns the raw login response. */
export async function submitLogin(
  http: ReturnType<typeof supertest>,
  fields: { token: string; name?: string; next?: string; withCsrf?: boolean },
): Promise<supertest.Response> {
  const page = await http.get('/admin/login');
  assert.equal(page.status, 200);
  const loginCookie = cookieFrom(page, 'warden_login_csrf');
  assert.ok(loginCookie);
  const body: Record<string, string> = { token: fields.token, name: fields.name ?? 'Rina' };
  if (fields.withCsrf !== false) body._csrf = csrfOf(page.text);
  if (fields.next) body.next = fields.next;
  return http
    .post('/admin/login')
    .set('Cookie', `warden_login_csrf=${loginCookie}`)
    .type('form')
    .send(form(body));
}

export async function consoleLogin(
  http: ReturnType<typeof supertest>,
  name = 'Rina',
): Promise<ConsoleSession> {
  const res = await submitLogin(http, { token: ADMIN_TOKEN, name });
  assert.equal(res.status, 303, res.text);
  const session = cookieFrom(res, 'warden_admin');
  assert.ok(session);
  const cookie = `warden_admin=${session}`;
  const dashboard = await http.get('/admin').set('Cookie', cookie);
  assert.equal(dashboard.status, 200);
  const csrf = csrfOf(dashboard.text);
  return {
    cookie,
    csrf,
    get: (path) => http.get(path).set('Cookie', cookie),
    post: (path, fields) => http.post(path).set('Cookie', cookie).type('form').send(form(fields)),
  };
}
