import { type Request, Router } from 'express';
import type { Container } from '../../container.ts';
import { NotFoundError } from '../../errors/errors.ts';
import { invitePath, presentInvitation, presentUser } from '../../portal/portal-users.ts';
import { inviteUserSchema } from '../schemas/portal-user.schema.ts';
import { adminAuth } from '../middleware/auth.ts';
import { handler } from '../middleware/async-handler.ts';
import { jsonBody } from '../middleware/json-body.ts';
import { requireJson } from '../middleware/require-json.ts';
import { validateBody } from '../middleware/validate-body.ts';

function origin(req: Request): string {
  return `${req.protocol}://${req.get('host') ?? 'localhost'}`;
}

/**
 * The operator's side of the customer portal: invite a person into an account (the single-use
 * link is in this response only) and list an account's people and pending invitations.
 */
export function adminPortalUserRoutes(c: Container): Router {
  const router = Router();
  const admin = adminAuth(c.adminToken, c.authFailures);
  const actor = (res: { locals: Record<string, unknown> }) => String(res.locals.adminActor ?? 'admin');
  const loadAccount = async (id: string) => {
    const account = await c.accounts.get(id);
    if (!account) throw new NotFoundError(undefined, 'No account with this id exists.');
    return account;
  };

  router.post(
    '/admin/api/accounts/:id/invitations',
    requireJson(),
    admin,
    ...jsonBody('1mb', c.bodyBudget),
    validateBody(inviteUserSchema),
    handler(async (req, res) => {
      const account = await loadAccount(String(req.params.id));
      const { invitation, token } = await c.portalUsers.invite(account.id, req.body, actor(res));
      res.status(201).json({
        success: true,
        invitation: presentInvitation(invitation),
        invite_path: invitePath(token),
        invite_url: `${origin(req)}${invitePath(token)}`,
        note: 'The link is shown only in this response and works once.',
      });
    }),
  );

  router.get(
    '/admin/api/accounts/:id/users',
    admin,
    handler(async (req, res) => {
      const account = await loadAccount(String(req.params.id));
      res.json({
        success: true,
        users: (await c.portalUsers.list(account.id)).map(presentUser),
        invitations: (await c.portalUsers.pendingInvitations(account.id)).map(presentInvitation),
      });
    }),
  );
  return router;
}
