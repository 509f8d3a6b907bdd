import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import { isUniqueViolation } from '../db/database.ts';
import { ConflictError, NotFoundError, ValidationError } from '../errors/errors.ts';
import type { SecretBox } from '../integrations/threecx/secret-box.ts';
import type { Clock } from '../lib/clock.ts';
import { newId, randomToken } from '../lib/ids.ts';
import type { AuditLog } from '../review/audit-log.ts';
import { hashPassword, passwordProblem, verifyPassword } from './passwords.ts';
import type { PortalSessionStore } from './portal-sessions.ts';
import { base32Decode, matchTotp, newTotpSecret } from './totp.ts';
import type { PortalInvitationResponse, PortalUserResponse } from './portal-user-response.schema.ts';

export const ROLES = ['owner', 'developer', 'viewer'] as const;
export type Role = (typeof ROLES)[number];
export const INVITATION_TTL_MS = 7 * 86_400_000;
export const EMAIL = /^[^\s@<>"]{1,64}@[A-Za-z0-9.-]{1,180}\.[A-Za-z]{2,24}$/;

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

/** Who may do what: a viewer sees; a developer manages keys, webhooks, instances, suppressions; an owner also users. */
export function can(role: Role, action: 'manage' | 'manage_users'): boolean {
  if (action === 'manage') return role === 'owner' || role === 'developer';
  return role === 'owner';
}

/** The audit actor of a portal user. */
export function portalActor(user: Pick<PortalUser, 'email'>): string {
  return `portal:${user.email}`;
}

function sha256(v: string): string {
  return createHash('sha256').update(v).digest('hex');
}

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

export function presentUser(u: PortalUser): PortalUserResponse {
  return {
    id: u.id,
    email: u.email,
    name: u.name,
    role: u.role,
    totp_enabled: u.totpEnabled,
    created_at: new Date(u.createdAt).toISOString(),
    last_login_at: u.lastLoginAt ? new Date(u.lastLoginAt).toISOString() : null,
  };
}

export function presentInvitation(i: Invitation): PortalInvitationResponse {
  return {
    id: i.id,
    email: i.email,
    role: i.role,
    created_by: i.createdBy,
    created_at: new Date(i.createdAt).toISOString(),
    expires_at: new Date(i.expiresAt).toISOString(),
  };
}

export function invitePath(token: string): string {
  return `/portal/invite/${token}`;
}

function invalid(field: string, reason: string): ValidationError {
  return new ValidationError({ errors: [{ field, reason }] });
}

export type SignInResult =
  | { ok: true; user: PortalUser }
  | { ok: false; reason: 'credentials' | 'code_required' | 'code_invalid' };

/**
 * The people of an account: invitations (single-use, hashed), accepting them with a password,
 * sign-in (scrypt, optional TOTP), roles, removal. Every change is audited with its actor.
 */
export class PortalUsers {
  constructor(
    private readonly deps: {
      db: Knex;
      clock: Clock;
      audit: AuditLog;
      sessions: PortalSessionStore;
      totpBox: SecretBox;
    },
  ) {}

  private now(): number {
    return this.deps.clock.now().getTime();
  }

  async invite(
    accountId: string,
    input: { email: string; role: string },
    actor: string,
  ): Promise<{ invitation: Invitation; token: string }> {
    const email = input.email.trim().toLowerCase();
    if (!EMAIL.test(email)) throw invalid('/email', 'must be an e-mail address');
    if (!(ROLES as readonly string[]).includes(input.role))
      throw invalid('/role', `must be one of ${ROLES.join(', ')}`);
    if (await this.deps.db('account_users').where({ email }).first())
      throw invalid('/email', 'a portal user with this e-mail address already exists');
    const token = randomToken(32);
    const now = this.now();
    const row = {
      id: newId('inv'),
      account_id: accountId,
      email,
      role: input.role,
      token_hash: sha256(token),
      created_by: actor.slice(0, 200),
      created_at: now,
      expires_at: now + INVITATION_TTL_MS,
    };
    await this.deps.db.transaction(async (trx) => {
      await trx('account_invitations').insert(row);
      await this.deps.audit.record(trx, {
        actor,
        action: 'portal_user.invited',
        targetType: 'account',
        targetId: accountId,
        detail: { invitation_id: row.id, email, role: input.role },
      });
    });
    return { invitation: invitationFrom(row), token };
  }

  /** A live invitation for this token (not used, revoked or expired), else null. */
  async findInvitation(token: string): Promise<Invitation | null> {
    if (!/^[A-Za-z0-9_-]{20,100}$/.test(token)) return null;
    const row = await this.deps.db('account_invitations').where({ token_hash: sha256(token) }).first();
    if (!row) return null;
    const inv = invitationFrom(row);
    if (inv.acceptedAt !== null || inv.revokedAt !== null || inv.expiresAt <= this.now()) return null;
    return inv;
  }

  /** Use the invitation once: the person becomes a user of its account with its role. */
  async accept(token: string, input: { name: string; password: string }): Promise<PortalUser> {
    const inv = await this.findInvitation(token);
    if (!inv) throw new NotFoundError(undefined, 'This invitation link is not valid: it was used, revoked or has expired.');
    const name = input.name.trim();
    if (name.length < 1 || name.length > 120) throw invalid('/name', 'must be 1 to 120 characters');
    const problem = passwordProblem(input.password, inv.email);
    if (problem) throw invalid('/password', problem);
    const hash = await hashPassword(input.password);
    const now = this.now();
    const id = newId('usr');
    await this.deps.db.transaction(async (trx) => {
      const claimed = await trx('account_invitations')
        .where({ id: inv.id })
        .whereNull('accepted_at')
        .whereNull('revoked_at')
        .update({ accepted_at: now, user_id: id });
      if (claimed !== 1) throw new NotFoundError(undefined, 'This invitation link is not valid: it was used, revoked or has expired.');
      try {
        await trx('account_users').insert({
          id,
          account_id: inv.accountId,
          email: inv.email,
          name,
          role: inv.role,
          password_hash: hash,
          created_at: now,
          updated_at: now,
          // Accepting signs the person in.
          last_login_at: now,
        });
      } catch (error) {
        if (isUniqueViolation(error)) throw invalid('/email', 'a portal user with this e-mail address already exists');
        throw error;
      }
      await this.deps.audit.record(trx, {
        actor: portalActor(inv),
        action: 'portal_user.joined',
        targetType: 'account',
        targetId: inv.accountId,
        detail: { user_id: id, role: inv.role, invitation_id: inv.id },
      });
    });
    return (await this.get(inv.accountId, id)) as PortalUser;
  }

  async get(accountId: string, userId: string): Promise<PortalUser | null> {
    const row = await this.deps.db('account_users').where({ id: userId, account_id: accountId }).first();
    return row ? userFrom(row) : null;
  }

  async list(accountId: string): Promise<PortalUser[]> {
    return (await this.deps.db('account_users').where({ account_id: accountId }).orderBy('created_at', 'asc')).map(
      userFrom,
    );
  }

  async pendingInvitations(accountId: string): Promise<Invitation[]> {
    const rows = await this.deps
      .db('account_invitations')
      .where({ account_id: accountId })
      .whereNull('accepted_at')
      .whereNull('revoked_at')
      .where('expires_at', '>', this.now())
      .orderBy('created_at', 'desc');
    return rows.map(invitationFrom);
  }

  async revokeInvitation(accountId: string, invitationId: string, actor: string): Promise<void> {
    await this.deps.db.transaction(async (trx) => {
      const n = await trx('account_invitations')
        .where({ id: invitationId, account_id: accountId })
        .whereNull('accepted_at')
        .whereNull('revoked_at')
        .update({ revoked_at: this.now() });
      if (n !== 1) throw new NotFoundError(undefined, 'No pending invitation with this id exists.');
      await this.deps.audit.record(trx, {
        actor,
        action: 'portal_user.invitation_revoked',
        targetType: 'account',
        targetId: accountId,
        detail: { invitation_id: invitationId },
      });
    });
  }

  /** Password (and TOTP code when enabled). Unknown e-mail and wrong password look the same. */
  async signIn(emailRaw: string, password: string, code: string): Promise<SignInResult> {
    const email = emailRaw.trim().toLowerCase();
    const row = EMAIL.test(email) ? await this.deps.db('account_users').where({ email }).first() : undefined;
    // A missing user still costs one scrypt, so timing does not tell which e-mails exist.
    const ok = await verifyPassword(password, row ? String(row.password_hash) : DUMMY_HASH);
    if (!row || !ok) return { ok: false, reason: 'credentials' };
    if (row.totp_enabled_at != null) {
      if (!code) return { ok: false, reason: 'code_required' };
      if (!(await this.useCode(row, code))) return { ok: false, reason: 'code_invalid' };
    }
    const now = this.now();
    await this.deps.db('account_users').where({ id: row.id }).update({ last_login_at: now });
    return { ok: true, user: userFrom({ ...row, last_login_at: now }) };
  }

  private async useCode(row: Record<string, unknown>, code: string): Promise<boolean> {
    if (!row.totp_secret) return false;
    const secret = await this.deps.totpBox.decrypt(String(row.totp_secret), String(row.id));
    const step = matchTotp(base32Decode(secret), code.replace(/\s/g, ''), this.now());
    if (step === null) return false;
    // Each code works once: the step must be newer than the last accepted one (conditional update).
    const n = await this.deps
      .db('account_users')
      .where({ id: row.id })
      .andWhere((q) => q.whereNull('totp_last_step').orWhere('totp_last_step', '<', step))
      .update({ totp_last_step: step });
    return n === 1;
  }

  /** Start TOTP enrolment: a new secret, stored encrypted, not yet required at sign-in. */
  async startTotp(user: PortalUser): Promise<string> {
    if (user.totpEnabled) throw new ConflictError(undefined, 'Two-step sign-in is already on.');
    const secret = newTotpSecret();
    await this.deps
      .db('account_users')
      .where({ id: user.id })
      .update({ totp_secret: await this.deps.totpBox.encrypt(secret, user.id), totp_last_step: null });
    return secret;
  }

  /** The pending secret (enrolment page shows it again until confirmed). */
  async pendingTotpSecret(user: PortalUser): Promise<string | null> {
    const row = await this.deps.db('account_users').where({ id: user.id }).first();
    if (!row?.totp_secret || row.totp_enabled_at != null) return null;
    return this.deps.totpBox.decrypt(String(row.totp_secret), user.id);
  }

  async confirmTotp(user: PortalUser, code: string): Promise<boolean> {
    const row = await this.deps.db('account_users').where({ id: user.id }).first();
    if (!row || row.totp_enabled_at != null || !(await this.useCode(row, code))) return false;
    await this.deps.db.transaction(async (trx) => {
      await trx('account_users').where({ id: user.id }).update({ totp_enabled_at: this.now(), updated_at: this.now() });
      await this.deps.audit.record(trx, {
        actor: portalActor(user),
        action: 'portal_user.totp_enabled',
        targetType: 'account',
        targetId: user.accountId,
        detail: { user_id: user.id },
      });
    });
    return true;
  }

  async disableTotp(user: PortalUser, password: string): Promise<boolean> {
    const row = await this.deps.db('account_users').where({ id: user.id }).first();
    if (!row || !(await verifyPassword(password, String(row.password_hash)))) return false;
    await this.deps.db.transaction(async (trx) => {
      await trx('account_users')
        .where({ id: user.id })
        .update({ totp_enabled_at: null, totp_secret: null, totp_last_step: null, updated_at: this.now() });
      await this.deps.audit.record(trx, {
        actor: portalActor(user),
        action: 'portal_user.totp_disabled',
        targetType: 'account',
        targetId: user.accountId,
        detail: { user_id: user.id },
      });
    });
    return true;
  }

  private async owners(trx: Knex | Knex.Transaction, accountId: string): Promise<number> {
    const row = await trx('account_users').where({ account_id: accountId, role: 'owner' }).count({ n: '*' }).first();
    return Number(row?.n ?? 0);
  }

  async changeRole(accountId: string, userId: string, role: string, actor: string): Promise<PortalUser> {
    if (!(ROLES as readonly string[]).includes(role)) throw invalid('/role', `must be one of ${ROLES.join(', ')}`);
    const user = await this.get(accountId, userId);
    if (!user) throw new NotFoundError(undefined, 'No user with this id exists in this account.');
    if (user.role === role) return user;
    await this.deps.db.transaction(async (trx) => {
      if (user.role === 'owner' && (await this.owners(trx, accountId)) <= 1)
        throw new ConflictError(undefined, 'An account keeps at least one owner.');
      await trx('account_users').where({ id: userId }).update({ role, updated_at: this.now() });
      await this.deps.audit.record(trx, {
        actor,
        action: 'portal_user.role_changed',
        targetType: 'account',
        targetId: accountId,
        detail: { user_id: userId, from: user.role, to: role },
      });
    });
    return (await this.get(accountId, userId)) as PortalUser;
  }

  async remove(accountId: string, userId: string, actor: string): Promise<void> {
    const user = await this.get(accountId, userId);
    if (!user) throw new NotFoundError(undefined, 'No user with this id exists in this account.');
    await this.deps.db.transaction(async (trx) => {
      if (user.role === 'owner' && (await this.owners(trx, accountId)) <= 1)
        throw new ConflictError(undefined, 'An account keeps at least one owner.');
      await trx('account_users').where({ id: userId }).delete();
      await this.deps.sessions.endAllFor(trx, userId);
      await this.deps.audit.record(trx, {
        actor,
        action: 'portal_user.removed',
        targetType: 'account',
        targetId: accountId,
        detail: { user_id: userId, email: user.email, role: user.role },
      });
    });
  }
}

// scrypt of a random string: verified against when the e-mail is unknown (never matches).
const DUMMY_HASH =
  'scrypt$14$8$5$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
