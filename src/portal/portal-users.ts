import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import type { Transact } from '../db/transactions.ts';
import { ConflictError, NotFoundError, ValidationError } from '../errors/errors.ts';
import type { SecretBox } from '../integrations/threecx/secret-box.ts';
import type { Clock } from '../lib/clock.ts';
import { newId, randomToken } from '../lib/ids.ts';
import type { AuditLog } from '../review/audit-log.ts';
import { hashPassword, passwordProblem, verifyPassword } from './passwords.ts';
import type { PortalSessionStore } from './portal-sessions.ts';
import {
  ROLES,
  type Invitation,
  type PortalUser,
  type PortalUserCredentials,
  type PortalUserRecords,
  type Role,
} from './portal-user-store.ts';
import { base32Decode, matchTotp, newTotpSecret } from './totp.ts';
import type { PortalInvitationResponse, PortalUserResponse } from './portal-user-response.schema.ts';

export const INVITATION_TTL_MS = 7 * 86_400_000;
export const EMAIL = /^[^\s@<>"]{1,64}@[A-Za-z0-9.-]{1,180}\.[A-Za-z]{2,24}$/;

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
      transact: Transact;
      users: PortalUserRecords;
      clock: Clock;
      audit: Pick<AuditLog, 'record'>;
      sessions: Pick<PortalSessionStore, 'endAllFor'>;
      totpBox: Pick<SecretBox, 'encrypt' | 'decrypt'>;
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
    if (await this.deps.users.emailTaken(email))
      throw invalid('/email', 'a portal user with this e-mail address already exists');
    const token = randomToken(32);
    const now = this.now();
    const invitation = await this.deps.transact(async (trx) => {
      const created = await this.deps.users.insertInvitation(trx, {
        id: newId('inv'),
        accountId,
        email,
        role: input.role,
        tokenHash: sha256(token),
        createdBy: actor.slice(0, 200),
        createdAt: now,
        expiresAt: now + INVITATION_TTL_MS,
      });
      await this.deps.audit.record(trx, {
        actor,
        action: 'portal_user.invited',
        targetType: 'account',
        targetId: accountId,
        detail: { invitation_id: created.id, email, role: input.role },
      });
      return created;
    });
    return { invitation, token };
  }

  /** A live invitation for this token (not used, revoked or expired), else null. */
  async findInvitation(token: string): Promise<Invitation | null> {
    if (!/^[A-Za-z0-9_-]{20,100}$/.test(token)) return null;
    const inv = await this.deps.users.invitationByTokenHash(sha256(token));
    if (!inv) return null;
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
    await this.deps.transact(async (trx) => {
      if (!(await this.deps.users.claimInvitation(trx, inv.id, id, now)))
        throw new NotFoundError(undefined, 'This invitation link is not valid: it was used, revoked or has expired.');
      // Accepting signs the person in.
      const user = { id, accountId: inv.accountId, email: inv.email, name, role: inv.role, passwordHash: hash, at: now };
      if (!(await this.deps.users.insertUser(trx, user)))
        throw invalid('/email', 'a portal user with this e-mail address already exists');
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

  get(accountId: string, userId: string): Promise<PortalUser | null> {
    return this.deps.users.get(accountId, userId);
  }

  list(accountId: string): Promise<PortalUser[]> {
    return this.deps.users.list(accountId);
  }

  pendingInvitations(accountId: string): Promise<Invitation[]> {
    return this.deps.users.pendingInvitations(accountId, this.now());
  }

  async revokeInvitation(accountId: string, invitationId: string, actor: string): Promise<void> {
    await this.deps.transact(async (trx) => {
      if (!(await this.deps.users.revokeInvitation(trx, accountId, invitationId, this.now())))
        throw new NotFoundError(undefined, 'No pending invitation with this id exists.');
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
    const found = EMAIL.test(email) ? await this.deps.users.credentialsByEmail(email) : null;
    // A missing user still costs one scrypt, so timing does not tell which e-mails exist.
    const ok = await verifyPassword(password, found ? found.passwordHash : DUMMY_HASH);
    if (!found || !ok) return { ok: false, reason: 'credentials' };
    if (found.user.totpEnabled) {
      if (!code) return { ok: false, reason: 'code_required' };
      if (!(await this.useCode(found, code))) return { ok: false, reason: 'code_invalid' };
    }
    const now = this.now();
    await this.deps.users.recordLogin(found.user.id, now);
    return { ok: true, user: { ...found.user, lastLoginAt: now } };
  }

  private async useCode(found: PortalUserCredentials, code: string): Promise<boolean> {
    if (!found.totpSecret) return false;
    const secret = await this.deps.totpBox.decrypt(found.totpSecret, found.user.id);
    const step = matchTotp(base32Decode(secret), code.replace(/\s/g, ''), this.now());
    if (step === null) return false;
    // Each code works once: the step must be newer than the last accepted one (conditional update).
    return this.deps.users.useTotpStep(found.user.id, step);
  }

  /** Start TOTP enrolment: a new secret, stored encrypted, not yet required at sign-in. */
  async startTotp(user: PortalUser): Promise<string> {
    if (user.totpEnabled) throw new ConflictError(undefined, 'Two-step sign-in is already on.');
    const secret = newTotpSecret();
    await this.deps.users.setTotpSecret(user.id, await this.deps.totpBox.encrypt(secret, user.id));
    return secret;
  }

  /** The pending secret (enrolment page shows it again until confirmed). */
  async pendingTotpSecret(user: PortalUser): Promise<string | null> {
    const found = await this.deps.users.credentialsById(user.id);
    if (!found?.totpSecret || found.user.totpEnabled) return null;
    return this.deps.totpBox.decrypt(found.totpSecret, user.id);
  }

  async confirmTotp(user: PortalUser, code: string): Promise<boolean> {
    const found = await this.deps.users.credentialsById(user.id);
    if (!found || found.user.totpEnabled || !(await this.useCode(found, code))) return false;
    await this.changeTotp(user, 'portal_user.totp_enabled', (trx) =>
      this.deps.users.enableTotp(trx, user.id, this.now()),
    );
    return true;
  }

  async disableTotp(user: PortalUser, password: string): Promise<boolean> {
    const found = await this.deps.users.credentialsById(user.id);
    if (!found || !(await verifyPassword(password, found.passwordHash))) return false;
    await this.changeTotp(user, 'portal_user.totp_disabled', (trx) =>
      this.deps.users.disableTotp(trx, user.id, this.now()),
    );
    return true;
  }

  /** Turns the user's second factor on or off and audits it, in one transaction. */
  private changeTotp(
    user: PortalUser,
    action: string,
    change: (trx: Knex.Transaction) => Promise<unknown>,
  ): Promise<void> {
    return this.deps.transact(async (trx) => {
      await change(trx);
      await this.deps.audit.record(trx, {
        actor: portalActor(user),
        action,
        targetType: 'account',
        targetId: user.accountId,
        detail: { user_id: user.id },
      });
    });
  }

  async changeRole(accountId: string, userId: string, role: string, actor: string): Promise<PortalUser> {
    if (!(ROLES as readonly string[]).includes(role)) throw invalid('/role', `must be one of ${ROLES.join(', ')}`);
    const user = await this.get(accountId, userId);
    if (!user) throw new NotFoundError(undefined, 'No user with this id exists in this account.');
    if (user.role === role) return user;
    await this.deps.transact(async (trx) => {
      if (user.role === 'owner' && (await this.deps.users.countOwners(trx, accountId)) <= 1)
        throw new ConflictError(undefined, 'An account keeps at least one owner.');
      await this.deps.users.setRole(trx, userId, role, this.now());
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
    await this.deps.transact(async (trx) => {
      if (user.role === 'owner' && (await this.deps.users.countOwners(trx, accountId)) <= 1)
        throw new ConflictError(undefined, 'An account keeps at least one owner.');
      await this.deps.users.delete(trx, userId);
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
