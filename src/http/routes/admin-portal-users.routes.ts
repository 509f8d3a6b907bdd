import { type Request, Router } from 'express';
import type { Container } from '../../container.ts';
import { NotFoundError } from '../../errors/errors.ts';
import { invitePath, presentInvitation, presentUser } from '../../portal/portal-users.ts';
import { inviteUserSchema } from '../schemas/portal-user.schema.ts';
import { adminAuth } from '../middleware/auth.ts';
import { handler } from '../middleware/async-handler.ts';
import { jsonRequest } from '../middleware/json-request.ts';
import { validateBody } from '../middleware/validate-body.ts';
import { describe } from '../../openapi/route-meta.ts';
import { RESPONSES } from '../../openapi/response-schemas.ts';

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
    describe({
      summary: 'Invite a person to the customer portal',
      description:
        'Creates a single-use invitation link (valid 7 days) for one account with a role: `owner` (also manages people), `developer` (instances, keys, webhooks, suppressions) or `viewer` (read only). The link is only in this response; no e-mail is sent.',
      tag: 'Admin: accounts',
      request: { example: { email: 'dewi@tokomaju.example', role: 'owner' } },
      response: { status: 201, description: 'Created; pass the link on now.', ...RESPONSES.portalInvitation },
      errors: ['not_found'],
    }),
    ...jsonRequest(admin, c.bodyBudget),
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
    describe({
      summary: 'List an account\'s portal users and pending invitations',
      tag: 'Admin: accounts',
      response: { status: 200, description: 'People of the account.', ...RESPONSES.portalUsers },
      errors: ['not_found'],
    }),
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
