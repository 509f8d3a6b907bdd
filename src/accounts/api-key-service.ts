import { createHash, timingSafeEqual } from 'node:crypto';
import type { Knex } from 'knex';
import { InvalidApiKeyError, RevokedApiKeyError } from '../errors/errors.ts';
import type { Clock } from '../lib/clock.ts';
import type { Account, AccountStore } from './account-store.ts';
import { newId, randomToken } from '../lib/ids.ts';

export interface ApiKeyInfo {
  id: string;
  accountId: string;
  name: string;
  prefix: string;
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

const TABLE = 'api_keys';
const KEY_PATTERN = /^wdn_[A-Za-z0-9_-]{43}$/;
// last_used_at is a hint for operators, not an audit trail: write it at most once a minute per key.
const LAST_USED_RESOLUTION_MS = 60_000;

function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** The stored hash of a presented key; a malformed key is refused before any read. */
function digestOf(presented: string | undefined): string {
  if (!presented || !KEY_PATTERN.test(presented)) throw new InvalidApiKeyError();
  return hashKey(presented);
}

function fromRow(row: Record<string, unknown>): ApiKeyInfo {
  return {
    id: String(row.id),
    accountId: String(row.account_id),
    name: String(row.name),
    prefix: String(row.prefix),
    createdAt: Number(row.created_at),
    lastUsedAt: row.last_used_at == null ? null : Number(row.last_used_at),
    revokedAt: row.revoked_at == null ? null : Number(row.revoked_at),
  };
}

/**
 * API keys: 32 random bytes, shown once, stored as a SHA-256 hash with a short visible prefix.
 * A high-entropy key needs no slow hash; the lookup goes through the unique hash index and the
 * final comparison is constant-time.
 */
export class ApiKeyService {
  constructor(
    private readonly db: Knex,
    private readonly clock: Clock,
  ) {}

  async create(accountId: string, name: string): Promise<{ key: string; info: ApiKeyInfo }> {
    const key = `wdn_${randomToken(32)}`;
    const info: ApiKeyInfo = {
      id: newId('key'),
      accountId,
      name,
      prefix: key.slice(0, 12),
      createdAt: this.clock.now().getTime(),
      lastUsedAt: null,
      revokedAt: null,
    };
    await this.db(TABLE).insert({
      id: info.id,
      account_id: accountId,
      name,
      prefix: info.prefix,
      key_hash: hashKey(key),
      created_at: info.createdAt,
    });
    return { key, info };
  }

  async list(accountId: string): Promise<ApiKeyInfo[]> {
    const rows = await this.db(TABLE).where({ account_id: accountId }).orderBy('created_at', 'asc');
    return rows.map(fromRow);
  }

  /** Returns true when a live key was revoked. */
  async revoke(accountId: string, keyId: string): Promise<boolean> {
    const n = await this.db(TABLE)
      .where({ id: keyId, account_id: accountId })
      .whereNull('revoked_at')
      .update({ revoked_at: this.clock.now().getTime() });
    return n > 0;
  }

  async get(accountId: string, keyId: string): Promise<ApiKeyInfo | null> {
    const row = await this.db(TABLE).where({ id: keyId, account_id: accountId }).first();
    return row ? fromRow(row) : null;
  }

  /** Resolve a presented bearer key to its account, or throw the public 401s. */
  async authenticate(presented: string | undefined): Promise<ApiKeyInfo> {
    const digest = digestOf(presented);
    return this.verified(digest, await this.db(TABLE).where({ key_hash: digest }).first());
  }

  /** `authenticate`, reading the account in the same statement (null when the account is gone). */
  async authenticateWithAccount(
    presented: string | undefined,
    accounts: AccountStore,
  ): Promise<{ key: ApiKeyInfo; account: Account | null }> {
    const digest = digestOf(presented);
    const found = await accounts.withApiKey(digest);
    return { key: await this.verified(digest, found?.key), account: found?.account ?? null };
  }

  private async verified(digest: string, row: Record<string, unknown> | undefined): Promise<ApiKeyInfo> {
    if (!row || !timingSafeEqual(Buffer.from(String(row.key_hash)), Buffer.from(digest)))
      throw new InvalidApiKeyError();
    const info = fromRow(row);
    if (info.revokedAt !== null) throw new RevokedApiKeyError();
    const now = this.clock.now().getTime();
    if (info.lastUsedAt === null || now - info.lastUsedAt > LAST_USED_RESOLUTION_MS) {
      await this.db(TABLE).where({ id: info.id }).update({ last_used_at: now });
      info.lastUsedAt = now;
    }
    return info;
  }
}
