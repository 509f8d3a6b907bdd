import type { InMemoryParticipant } from '../db/transactions.ts';
import type {
  Invitation,
  NewInvitation,
  NewPortalUser,
  PortalUser,
  PortalUserCredentials,
  PortalUserRecords,
  Role,
} from './portal-user-store.ts';

/** A row of `account_users` as the fake keeps it. */
interface UserRow extends Omit<NewPortalUser, 'at'> {
  totpSecret: string | null;
  totpEnabledAt: number | null;
  totpLastStep: number | null;
  createdAt: number;
  lastLoginAt: number | null;
}

/** A row of `account_invitations` as the fake keeps it. */
interface InvitationRow extends Invitation {
  tokenHash: string;
  userId: string | null;
}

function userOf(r: UserRow): PortalUser {
  return {
    id: r.id,
    accountId: r.accountId,
    email: r.email,
    name: r.name,
    role: r.role,
    totpEnabled: r.totpEnabledAt !== null,
    createdAt: r.createdAt,
    lastLoginAt: r.lastLoginAt,
  };
}

function invitationOf({ tokenHash: _hash, userId: _user, ...invitation }: InvitationRow): Invitation {
  return invitation;
}

/**
 * `PortalUserStore` in memory (users unique by e-mail, invitations by token hash, each claimed
 * once), for unit tests of `PortalUsers`. Takes part in `inMemoryTransactOver`.
 */
export class FakePortalUserStore implements PortalUserRecords, InMemoryParticipant {
  users = new Map<string, UserRow>();
  invitations = new Map<string, InvitationRow>();

  snapshot(): () => void {
    const users = new Map([...this.users].map(([id, row]) => [id, { ...row }]));
    const invitations = new Map([...this.invitations].map(([id, row]) => [id, { ...row }]));
    return () => {
      this.users = users;
      this.invitations = invitations;
    };
  }

  async emailTaken(email: string): Promise<boolean> {
    return this.byEmail(email) !== undefined;
  }

  async insertInvitation(_trx: unknown, i: NewInvitation): Promise<Invitation> {
    const row: InvitationRow = {
      id: i.id,
      accountId: i.accountId,
      email: i.email,
      role: i.role as Role,
      createdBy: i.createdBy,
      createdAt: i.createdAt,
      expiresAt: i.expiresAt,
      acceptedAt: null,
      revokedAt: null,
      tokenHash: i.tokenHash,
      userId: null,
    };
    this.invitations.set(row.id, row);
    return invitationOf(row);
  }

  async invitationByTokenHash(tokenHash: string): Promise<Invitation | null> {
    const row = [...this.invitations.values()].find((i) => i.tokenHash === tokenHash);
    return row ? invitationOf(row) : null;
  }

  async claimInvitation(_trx: unknown, invitationId: string, userId: string, at: number): Promise<boolean> {
    const row = this.invitations.get(invitationId);
    if (!row || row.acceptedAt !== null || row.revokedAt !== null) return false;
    row.acceptedAt = at;
    row.userId = userId;
    return true;
  }

  async revokeInvitation(_trx: unknown, accountId: string, invitationId: string, at: number): Promise<boolean> {
    const row = this.invitations.get(invitationId);
    if (!row || row.accountId !== accountId || row.acceptedAt !== null || row.revokedAt !== null) return false;
    row.revokedAt = at;
    return true;
  }

  async pendingInvitations(accountId: string, now: number): Promise<Invitation[]> {
    return [...this.invitations.values()]
      .filter((i) => i.accountId === accountId && i.acceptedAt === null && i.revokedAt === null && i.expiresAt > now)
      .sort((a, b) => b.createdAt - a.createdAt)
      .map(invitationOf);
  }

  async insertUser(_trx: unknown, u: NewPortalUser): Promise<boolean> {
    if (this.byEmail(u.email)) return false;
    this.users.set(u.id, {
      id: u.id,
      accountId: u.accountId,
      email: u.email,
      name: u.name,
      role: u.role,
      passwordHash: u.passwordHash,
      totpSecret: null,
      totpEnabledAt: null,
      totpLastStep: null,
      createdAt: u.at,
      lastLoginAt: u.at,
    });
    return true;
  }

  async get(accountId: string, userId: string): Promise<PortalUser | null> {
    const row = this.users.get(userId);
    return row?.accountId === accountId ? userOf(row) : null;
  }

  async list(accountId: string): Promise<PortalUser[]> {
    return [...this.users.values()]
      .filter((u) => u.accountId === accountId)
      .sort((a, b) => a.createdAt - b.createdAt)
      .map(userOf);
  }

  async credentialsByEmail(email: string): Promise<PortalUserCredentials | null> {
    const row = this.byEmail(email);
    return row ? this.credentials(row) : null;
  }

  async credentialsById(userId: string): Promise<PortalUserCredentials | null> {
    const row = this.users.get(userId);
    return row ? this.credentials(row) : null;
  }

  async recordLogin(userId: string, at: number): Promise<void> {
    const row = this.users.get(userId);
    if (row) row.lastLoginAt = at;
  }

  async useTotpStep(userId: string, step: number): Promise<boolean> {
    const row = this.users.get(userId);
    if (!row || (row.totpLastStep !== null && row.totpLastStep >= step)) return false;
    row.totpLastStep = step;
    return true;
  }

  async setTotpSecret(userId: string, encryptedSecret: string): Promise<void> {
    const row = this.users.get(userId);
    if (row) Object.assign(row, { totpSecret: encryptedSecret, totpLastStep: null });
  }

  async enableTotp(_trx: unknown, userId: string, at: number): Promise<void> {
    const row = this.users.get(userId);
    if (row) row.totpEnabledAt = at;
  }

  async disableTotp(_trx: unknown, userId: string): Promise<void> {
    const row = this.users.get(userId);
    if (row) Object.assign(row, { totpEnabledAt: null, totpSecret: null, totpLastStep: null });
  }

  async countOwners(_trx: unknown, accountId: string): Promise<number> {
    return [...this.users.values()].filter((u) => u.accountId === accountId && u.role === 'owner').length;
  }

  async setRole(_trx: unknown, userId: string, role: string): Promise<void> {
    const row = this.users.get(userId);
    if (row) row.role = role as Role;
  }

  async delete(_trx: unknown, userId: string): Promise<void> {
    this.users.delete(userId);
  }

  private byEmail(email: string): UserRow | undefined {
    return [...this.users.values()].find((u) => u.email === email);
  }

  private credentials(row: UserRow): PortalUserCredentials {
    return { user: userOf(row), passwordHash: row.passwordHash, totpSecret: row.totpSecret };
  }
}
