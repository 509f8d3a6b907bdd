import { createHash, randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import type { Clock } from '../lib/clock.ts';

/** Portal sessions last a working day; removing a user ends theirs at once. */
export const PORTAL_SESSION_TTL_MS = 8 * 3600_000;

export interface PortalSession {
  idHash: string;
  csrfToken: string;
  userId: string;
  accountId: string;
  expiresAt: number;
}

const TABLE = 'portal_sessions';

function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

/**
 * Server-side sessions of the customer portal, like the console's: the cookie carries 256 random
 * bits, the table keeps their SHA-256, the session's CSRF token, the user and the account.
 */
export class PortalSessionStore {
  constructor(
    private readonly db: Knex,
    private readonly clock: Clock,
    private readonly ttlMs = PORTAL_SESSION_TTL_MS,
  ) {}

  async create(input: { userId: string; accountId: string; ip: string | null }): Promise<{
    cookieValue: string;
    session: PortalSession;
  }> {
    const now = this.clock.now().getTime();
    const cookieValue = randomBytes(32).toString('base64url');
    const session: PortalSession = {
      idHash: sha256(cookieValue),
      csrfToken: randomBytes(32).toString('base64url'),
      userId: input.userId,
      accountId: input.accountId,
      expiresAt: now + this.ttlMs,
    };
    await this.db(TABLE).insert({
      id_hash: session.idHash,
      csrf_token: session.csrfToken,
      user_id: session.userId,
      account_id: session.accountId,
      ip: input.ip?.slice(0, 64) ?? null,
      created_at: now,
      expires_at: session.expiresAt,
    });
    return { cookieValue, session };
  }

  async find(cookieValue: string | undefined): Promise<PortalSession | null> {
    if (!cookieValue || !/^[A-Za-z0-9_-]{20,100}$/.test(cookieValue)) return null;
    const row = await this.db(TABLE).where({ id_hash: sha256(cookieValue) }).first();
    if (!row) return null;
    if (Number(row.expires_at) <= this.clock.now().getTime()) {
      await this.db(TABLE).where({ id_hash: row.id_hash }).delete();
      return null;
    }
    return {
      idHash: String(row.id_hash),
      csrfToken: String(row.csrf_token),
      userId: String(row.user_id),
      accountId: String(row.account_id),
      expiresAt: Number(row.expires_at),
    };
  }

  async destroy(cookieValue: string | undefined): Promise<void> {
    if (!cookieValue) return;
    await this.db(TABLE).where({ id_hash: sha256(cookieValue) }).delete();
  }

  /** End every session of a user (removed, password changed), except optionally the current one. */
  async endAllFor(trx: Knex | Knex.Transaction, userId: string, exceptIdHash?: string): Promise<void> {
    const q = trx(TABLE).where({ user_id: userId });
    if (exceptIdHash) q.whereNot({ id_hash: exceptIdHash });
    await q.delete();
  }
}
