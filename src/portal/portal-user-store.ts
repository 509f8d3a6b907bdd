import type { Knex } from 'knex';
import { isUniqueViolation } from '../db/database.ts';

export const ROLES = ['owner', 'developer', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

export interface PortalUser {
  id: string;
  accountId: string;
  email: string;
  name: string;
  role: Role;
  totpEnabled: boolean;
  createdAt: number;
  lastLoginAt: number | null;
}

export interface Invitation {
  id: string;
  accountId: string;
  email: string;
  role: Role;
  createdBy: string;
  createdAt: number;
  expiresAt: number;
  acceptedAt: number | null;
  revokedAt: number | null;
}

/** A user with what signing in checks: the password hash and the (encrypted) TOTP secret, pending or on. */
export interface PortalUserCredentials {
  user: PortalUser;
  passwordHash: string;
  totpSecret: string | null;
}

export interface NewInvitation {
  id: string;
  accountId: string;
  email: string;
  role: string;
  tokenHash: string;
  createdBy: string;
  createdAt: number;
  expiresAt: number;
}

export interface NewPortalUser {
  id: string;
  accountId: string;
  email: string;
  name: string;
  role: Role;
  passwordHash: string;
  /** Joining signs the person in: also the first `last_login_at`. */
  at: number;
}

/** What `PortalUsers` reads and writes: this store, or its in-memory fake (portal-user-store.fake.ts). */
export type PortalUserRecords = Pick<
  PortalUserStore,
  | 'emailTaken'
  | 'insertInvitation'
  | 'invitationByTokenHash'
  | 'claimInvitation'
  | 'revokeInvitation'
  | 'pendingInvitations'
  | 'insertUser'
  | 'get'
  | 'list'
  | 'credentialsByEmail'
  | 'credentialsById'
  | 'recordLogin'
  | 'useTotpStep'
  | 'setTotpSecret'
  | 'enableTotp'
  | 'disableTotp'
  | 'countOwners'
  | 'setRole'
  | 'delete'
>;

const USERS = 'account_users';
const INVITATIONS = 'account_invitations';

function userFrom(row: Record<string, unknown>): PortalUser {
  return {
    id: String(row.id),
    accountId: String(row.account_id),
    email: String(row.email),
    name: String(row.name),
    role: String(row.role) as Role,
    totpEnabled: row.totp_enabled_at != null,
    createdAt: Number(row.created_at),
    lastLoginAt: row.last_login_at == null ? null : Number(row.last_login_at),
  };
}

function credentialsFrom(row: Record<string, unknown>): PortalUserCredentials {
  return {
    user: userFrom(row),
    passwordHash: String(row.password_hash),
    totpSecret: row.totp_secret ? String(row.totp_secret) : null,
  };
}

function invitationFrom(row: Record<string, unknown>): Invitation {
  return {
    id: String(row.id),
    accountId: String(row.account_id),
    email: String(row.email),
    role: String(row.role) as Role,
    createdBy: String(row.created_by),
    createdAt: Number(row.created_at),
    expiresAt: Number(row.expires_at),
    acceptedAt: row.accepted_at == null ? null : Number(row.accepted_at),
    revokedAt: row.revoked_at == null ? null : Number(row.revoked_at),
  };
}

/**
 * The portal's tables: `account_users` (people of an account, their password hash and TOTP
 * state) and `account_invitations` (single-use, stored as the token's hash). The logic (who may,
 * what is valid, what is audited) is `PortalUsers`'.
 */
export class PortalUserStore {
  constructor(private readonly db: Knex) {}

  async emailTaken(email: string): Promise<boolean> {
    return Boolean(await this.db(USERS).where({ email }).first());
  }

  async insertInvitation(trx: Knex | Knex.Transaction, i: NewInvitation): Promise<Invitation> {
    const row = {
      id: i.id,
      account_id: i.accountId,
      email: i.email,
      role: i.role,
      token_hash: i.tokenHash,
      created_by: i.createdBy,
      created_at: i.createdAt,
      expires_at: i.expiresAt,
    };
    await trx(INVITATIONS).insert(row);
    return invitationFrom(row);
  }

  async invitationByTokenHash(tokenHash: string): Promise<Invitation | null> {
    const row = await this.db(INVITATIONS).where({ token_hash: tokenHash }).first();
    return row ? invitationFrom(row) : null;
  }

  /** Use the invitation for `userId`, once: false when it was accepted or revoked meanwhile. */
  async claimInvitation(trx: Knex | Knex.Transaction, invitationId: string, userId: string, at: number): Promise<boolean> {
    const claimed = await trx(INVITATIONS)
      .where({ id: invitationId })
      .whereNull('accepted_at')
      .whereNull('revoked_at')
      .update({ accepted_at: at, user_id: userId });
    return claimed === 1;
  }

  /** Revoke a pending invitation of the account: false when there is none with this id. */
  async revokeInvitation(trx: Knex | Knex.Transaction, accountId: string, invitationId: string, at: number): Promise<boolean> {
    const n = await trx(INVITATIONS)
      .where({ id: invitationId, account_id: accountId })
      .whereNull('accepted_at')
      .whereNull('revoked_at')
      .update({ revoked_at: at });
    return n === 1;
  }

  /** Invitations not accepted, not revoked and not expired at `now`, newest first. */
  async pendingInvitations(accountId: string, now: number): Promise<Invitation[]> {
    const rows = await this.db(INVITATIONS)
      .where({ account_id: accountId })
      .whereNull('accepted_at')
      .whereNull('revoked_at')
      .where('expires_at', '>', now)
      .orderBy('created_at', 'desc');
    return rows.map(invitationFrom);
  }

  /** False when a user with this e-mail address exists already. */
  async insertUser(trx: Knex | Knex.Transaction, u: NewPortalUser): Promise<boolean> {
    try {
      await trx(USERS).insert({
        id: u.id,
        account_id: u.accountId,
        email: u.email,
        name: u.name,
        role: u.role,
        password_hash: u.passwordHash,
        created_at: u.at,
        updated_at: u.at,
        last_login_at: u.at,
      });
      return true;
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }

  async get(accountId: string, userId: string): Promise<PortalUser | null> {
    const row = await this.db(USERS).where({ id: userId, account_id: accountId }).first();
    return row ? userFrom(row) : null;
  }

  async list(accountId: string): Promise<PortalUser[]> {
    return (await this.db(USERS).where({ account_id: accountId }).orderBy('created_at', 'asc')).map(userFrom);
  }

  async credentialsByEmail(email: string): Promise<PortalUserCredentials | null> {
    const row = await this.db(USERS).where({ email }).first();
    return row ? credentialsFrom(row) : null;
  }

  async credentialsById(userId: string): Promise<PortalUserCredentials | null> {
    const row = await this.db(USERS).where({ id: userId }).first();
    return row ? credentialsFrom(row) : null;
  }

  async recordLogin(userId: string, at: number): Promise<void> {
    await this.db(USERS).where({ id: userId }).update({ last_login_at: at });
  }

  /** Accept TOTP step `step` once: true only when it is newer than the last accepted one. */
  async useTotpStep(userId: string, step: number): Promise<boolean> {
    const n = await this.db(USERS)
      .where({ id: userId })
      .andWhere((q) => q.whereNull('totp_last_step').orWhere('totp_last_step', '<', step))
      .update({ totp_last_step: step });
    return n === 1;
  }

  /** A new pending secret (encrypted), not yet required at sign-in. */
  async setTotpSecret(userId: string, encryptedSecret: string): Promise<void> {
    await this.db(USERS).where({ id: userId }).update({ totp_secret: encryptedSecret, totp_last_step: null });
  }

  async enableTotp(trx: Knex | Knex.Transaction, userId: string, at: number): Promise<void> {
    await trx(USERS).where({ id: userId }).update({ totp_enabled_at: at, updated_at: at });
  }

  async disableTotp(trx: Knex | Knex.Transaction, userId: string, at: number): Promise<void> {
    await trx(USERS)
      .where({ id: userId })
      .update({ totp_enabled_at: null, totp_secret: null, totp_last_step: null, updated_at: at });
  }

  async countOwners(trx: Knex | Knex.Transaction, accountId: string): Promise<number> {
    const row = await trx(USERS).where({ account_id: accountId, role: 'owner' }).count({ n: '*' }).first();
    return Number(row?.n ?? 0);
  }

  async setRole(trx: Knex | Knex.Transaction, userId: string, role: string, at: number): Promise<void> {
    await trx(USERS).where({ id: userId }).update({ role, updated_at: at });
  }

  async delete(trx: Knex | Knex.Transaction, userId: string): Promise<void> {
    await trx(USERS).where({ id: userId }).delete();
  }
}
