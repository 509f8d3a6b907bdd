import { createHash, randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import type { Clock } from '../lib/clock.ts';

/** Console sessions last a working day; a rotated admin token ends them at once. */
export const ADMIN_SESSION_TTL_MS = 8 * 3600_000;

export interface AdminSession {
  idHash: string;
  csrfToken: string;
  actor: string;
  createdAt: number;
  expiresAt: number;
}

const TABLE = 'admin_sessions';

function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

/** A short fingerprint of the admin token a session was opened with (never the token). */
export function tokenFingerprint(token: string): string {
  return sha256(`warden-admin-session:${token}`);
}

/**
 * Server-side sessions of the compliance console. The cookie carries a random 256-bit id; the
 * table keeps only its SHA-256, with the session's CSRF token, who signed in, and the expiry.
 */
export class AdminSessionStore {
  constructor(
    private readonly db: Knex,
    private readonly clock: Clock,
    private readonly ttlMs = ADMIN_SESSION_TTL_MS,
  ) {}

  async create(input: { actor: string; token: string; ip: string | null }): Promise<{
    cookieValue: string;
    session: AdminSession;
  }> {
    const now = this.clock.now().getTime();
    const cookieValue = randomBytes(32).toString('base64url');
    const session: AdminSession = {
      idHash: sha256(cookieValue),
      csrfToken: randomBytes(32).toString('base64url'),
      actor: input.actor,
      createdAt: now,
      expiresAt: now + this.ttlMs,
    };
    await this.db(TABLE).insert({
      id_hash: session.idHash,
      csrf_token: session.csrfToken,
      actor: session.actor,
      token_fingerprint: tokenFingerprint(input.token),
      ip: input.ip?.slice(0, 64) ?? null,
      created_at: now,
      last_seen_at: now,
      expires_at: session.expiresAt,
    });
    return { cookieValue, session };
  }

  /** The live session for a cookie value, or null (unknown, expired, or opened with an old token). */
  async find(cookieValue: string | undefined, currentToken: string): Promise<AdminSession | null> {
    if (!cookieValue || !/^[A-Za-z0-9_-]{20,100}$/.test(cookieValue)) return null;
    const row = await this.db(TABLE).where({ id_hash: sha256(cookieValue) }).first();
    if (!row) return null;
    const now = this.clock.now().getTime();
    if (Number(row.expires_at) <= now || String(row.token_fingerprint) !== tokenFingerprint(currentToken)) {
      await this.db(TABLE).where({ id_hash: row.id_hash }).delete();
      return null;
    }
    return {
      idHash: String(row.id_hash),
      csrfToken: String(row.csrf_token),
      actor: String(row.actor),
      createdAt: Number(row.created_at),
      expiresAt: Number(row.expires_at),
    };
  }

  async destroy(cookieValue: string | undefined): Promise<void> {
    if (!cookieValue) return;
    await this.db(TABLE).where({ id_hash: sha256(cookieValue) }).delete();
  }

  async purgeExpired(): Promise<number> {
    return this.db(TABLE).where('expires_at', '<=', this.clock.now().getTime()).delete();
  }
}
