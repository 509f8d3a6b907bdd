import type { Request, Response, Router } from 'express';
import type { Account } from '../../accounts/account-store.ts';
import type { Container } from '../../container.ts';
import type { PortalSession } from '../../portal/portal-sessions.ts';
import type { PortalUser } from '../../portal/portal-user-store.ts';
import { portalActor } from '../../portal/portal-users.ts';
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

export { field, list, parseCookies, validate } from '../forms.ts';

export const ID = /^[A-Za-z0-9_-]{1,64}$/;
