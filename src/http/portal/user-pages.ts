import type { Request, Response } from 'express';
import { ROLES } from '../../portal/portal-user-store.ts';
import { invitePath, portalActor } from '../../portal/portal-users.ts';
import { formatDate } from '../admin-console/views.ts';
import { accountIdOf, field, type PortalKit, portalOf } from './portal-kit.ts';

/** People: everyone sees who has access; an owner invites, changes roles, removes, revokes invitations. */
export function registerUserPages(kit: PortalKit): void {
  const { c, views, get, post, page } = kit;

  const render = async (req: Request, res: Response, extra: Record<string, unknown> = {}, status = 200) => {
    const accountId = accountIdOf(res);
    const me = portalOf(res).user;
    views.render(
      res,
      'users',
      {
        ...page('users'),
        title: 'People',
        users: (await c.portalUsers.list(accountId)).map((u) => ({
          id: u.id,
          email: u.email,
          name: u.name,
          role: u.role,
          me: u.id === me.id,
          totp: u.totpEnabled,
          lastLoginAt: formatDate(u.lastLoginAt),
          roles: ROLES.map((r) => ({ id: r, selected: r === u.role })),
        })),
        invitations: (await c.portalUsers.pendingInvitations(accountId)).map((i) => ({
          id: i.id,
          email: i.email,
          role: i.role,
          createdBy: i.createdBy,
          expiresAt: formatDate(i.expiresAt),
        })),
        roles: ROLES.map((r) => ({ id: r, selected: r === 'developer' })),
        origin: `${req.protocol}://${req.get('host') ?? 'localhost'}`,
        ...extra,
      },
      status,
    );
  };

  get('/portal/users', async (req, res) => render(req, res));

  post('/portal/users/invite', 'manage_users', async (req, res) => {
    const { token, invitation } = await c.portalUsers.invite(
      accountIdOf(res),
      { email: field(req.body, 'email'), role: field(req.body, 'role') },
      portalActor(portalOf(res).user),
    );
    // Rendered once: the link is not stored anywhere, only its hash.
    await render(req, res, { invited: { email: invitation.email, role: invitation.role, path: invitePath(token) } }, 201);
  });

  post('/portal/users/:id/role', 'manage_users', async (req, res) => {
    await c.portalUsers.changeRole(accountIdOf(res), String(req.params.id), field(req.body, 'role'), portalActor(portalOf(res).user));
    res.redirect(303, '/portal/users?notice=role_changed');
  });

  post('/portal/users/:id/remove', 'manage_users', async (req, res) => {
    await c.portalUsers.remove(accountIdOf(res), String(req.params.id), portalActor(portalOf(res).user));
    res.redirect(303, '/portal/users?notice=user_removed');
  });

  post('/portal/invitations/:id/revoke', 'manage_users', async (req, res) => {
    await c.portalUsers.revokeInvitation(accountIdOf(res), String(req.params.id), portalActor(portalOf(res).user));
    res.redirect(303, '/portal/users?notice=invitation_revoked');
  });
}
