import { userInfo } from 'node:os';
import type { Knex } from 'knex';
import { SecretBox } from '../integrations/threecx/secret-box.ts';
import type { Clock } from '../lib/clock.ts';
import { AuditLog } from '../review/audit-log.ts';
import { PortalSessionStore } from './portal-sessions.ts';
import { transactWith } from '../db/transactions.ts';
import { PortalUserStore } from './portal-user-store.ts';
import { invitePath, PortalUsers, presentInvitation, presentUser } from './portal-users.ts';

export const PORTAL_CLI_USAGE = `  user invite --account ID --email E --role owner|developer|viewer [--base-url https://wa.example.com]
                                            prints the single-use invitation link once
  user list --account ID                    the account's portal users and pending invitations
`;

/** `warden user invite|list`: the operator's portal commands (audited as `cli:<OS user>`). */
export async function runPortalCommand(
  action: string | undefined,
  values: Record<string, string | undefined>,
  deps: { db: Knex; clock: Clock; secretKey: string | null; accountExists: (id: string) => Promise<boolean> },
): Promise<unknown> {
  const users = new PortalUsers({
    transact: transactWith(deps.db),
    users: new PortalUserStore(deps.db),
    clock: deps.clock,
    audit: new AuditLog(deps.db, deps.clock),
    sessions: new PortalSessionStore(deps.db, deps.clock),
    totpBox: new SecretBox({ db: deps.db, clock: deps.clock, secretKey: deps.secretKey }, 'portal-totp'),
  });
  const account = values.account ?? '';
  if (!account) throw new Error('--account is required');
  if (!(await deps.accountExists(account))) throw new Error('no account with that id');
  if (action === 'invite') {
    const { invitation, token } = await users.invite(
      account,
      { email: values.email ?? '', role: values.role ?? '' },
      `cli:${userInfo().username}`,
    );
    const base = (values['base-url'] ?? '').replace(/\/+$/, '');
    return {
      invitation: presentInvitation(invitation),
      invite_path: invitePath(token),
      ...(base ? { invite_url: `${base}${invitePath(token)}` } : {}),
      note: 'Pass this link on now: it is shown only once and works once (7 days).',
    };
  }
  if (action === 'list') {
    return {
      users: (await users.list(account)).map(presentUser),
      invitations: (await users.pendingInvitations(account)).map(presentInvitation),
    };
  }
  throw new Error(`unknown command "user ${action ?? ''}"`);
}
