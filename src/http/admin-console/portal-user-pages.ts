import { ROLES } from '../../portal/portal-user-store.ts';
import { invitePath } from '../../portal/portal-users.ts';
import type { ConsoleKit } from './console-kit.ts';
import { formatDate } from './views.ts';

/**
 * The console's side of the customer portal: an account's people and pending invitations, and
 * inviting someone (the single-use link is rendered once, in the response to the form).
 */
export function registerPortalUserPages(kit: ConsoleKit): void {
  const { c, views, get, post, actor, page, field } = kit;

  const render = async (
    req: { protocol: string; get: (h: string) => string | undefined },
    res: Parameters<ConsoleKit['views']['render']>[0],
    accountId: string,
    extra: Record<string, unknown> = {},
    status = 200,
  ) => {
    const account = await c.adminActions.loadAccount(accountId);
    views.render(
      res,
      'portal-users',
      {
        ...page('accounts'),
        title: `People of ${account.name}`,
        account: { id: account.id, name: account.name },
        users: (await c.portalUsers.list(account.id)).map((u) => ({
          email: u.email,
          name: u.name,
          role: u.role,
          totp: u.totpEnabled,
          lastLoginAt: formatDate(u.lastLoginAt),
        })),
        invitations: (await c.portalUsers.pendingInvitations(account.id)).map((i) => ({
          email: i.email,
          role: i.role,
          createdBy: i.createdBy,
          expiresAt: formatDate(i.expiresAt),
        })),
        roles: ROLES.map((r) => ({ id: r, selected: r === 'owner' })),
        origin: `${req.protocol}://${req.get('host') ?? 'localhost'}`,
        ...extra,
      },
      status,
    );
  };

  get('/admin/accounts/:id/people', async (req, res) => render(req, res, String(req.params.id)));

  post('/admin/accounts/:id/people', async (req, res) => {
    const account = await c.adminActions.loadAccount(String(req.params.id));
    const { invitation, token } = await c.portalUsers.invite(
      account.id,
      { email: field(req.body, 'email'), role: field(req.body, 'role') },
      actor(res),
    );
    await render(req, res, account.id, { invited: { email: invitation.email, role: invitation.role, path: invitePath(token) } }, 201);
  });
}
