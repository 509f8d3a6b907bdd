import type { Request, Response, Router } from 'express';
import type { Account } from '../../accounts/account-store.ts';
import type { Container } from '../../container.ts';
import { ValidationError } from '../../errors/errors.ts';
import type { PortalSession } from '../../portal/portal-sessions.ts';
import { type PortalUser, portalActor } from '../../portal/portal-users.ts';
import { compileSchema } from '../schemas/validator.ts';
import type { ConsoleViews } from '../admin-console/views.ts';

export type Permission = 'view' | 'manage' | 'manage_users';

/** What a group of portal pages needs from the portal router. */
export interface PortalKit {
  c: Container;
  router: Router;
  views: ConsoleViews;
  /** GET behind the session (every role may look). */
  get: (path: string, fn: (req: Request, res: Response) => Promise<void>) => void;
  /** Form POST behind the session, its CSRF token and the permission. */
  post: (path: string, permission: Permission, fn: (req: Request, res: Response) => Promise<void>) => void;
  page: (nav: string) => { nav: Record<string, boolean> };
}

export interface PortalLocals {
  user: PortalUser;
  account: Account;
  session: PortalSession;
}

export function portalOf(res: Response): PortalLocals {
  return res.locals.portal as PortalLocals;
}

/** The signed-in user's account: every lookup of every page is scoped by it. */
export function accountIdOf(res: Response): string {
  return portalOf(res).account.id;
}

export function actorOf(res: Response): string {
  return portalActor(portalOf(res).user);
}

/** The audit entry of a portal action: the user is the actor, the account travels in the detail. */
export async function audit(
  c: Container,
  res: Response,
  entry: { action: string; targetType: string; targetId: string; detail?: Record<string, unknown> },
): Promise<void> {
  const { user, account } = portalOf(res);
  await c.audit.record(c.db, {
    actor: portalActor(user),
    action: entry.action,
    targetType: entry.targetType,
    targetId: entry.targetId,
    detail: { account_id: account.id, user_id: user.id, via: 'portal', ...entry.detail },
  });
}

export function field(body: unknown, name: string): string {
  const value = (body as Record<string, unknown> | undefined)?.[name];
  if (Array.isArray(value)) return String(value[0] ?? '');
  return typeof value === 'string' ? value : '';
}

export function list(body: unknown, name: string): string[] {
  const value = (body as Record<string, unknown> | undefined)?.[name];
  if (Array.isArray(value)) return value.map(String);
  return typeof value === 'string' && value !== '' ? [value] : [];
}

export function validate(schema: object, data: Record<string, unknown>): void {
  const errors = compileSchema(schema)(data);
  if (errors.length > 0) throw new ValidationError({ errors });
}

export const ID = /^[A-Za-z0-9_-]{1,64}$/;

export function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i < 1) continue;
    const name = part.slice(0, i).trim();
    try {
      if (!out.has(name)) out.set(name, decodeURIComponent(part.slice(i + 1).trim()));
    } catch {
      // A malformed cookie is simply absent.
    }
  }
  return out;
}

/** Portal cookies: Path=/portal (never sent to /api or /admin), HttpOnly, SameSite=Strict, Secure over HTTPS. */
export function portalCookie(req: Request, name: string, value: string, maxAgeSeconds: number): string {
  const parts = [`${name}=${value}`, 'Path=/portal', 'HttpOnly', 'SameSite=Strict', `Max-Age=${maxAgeSeconds}`];
  if (req.secure) parts.push('Secure');
  return parts.join('; ');
}
