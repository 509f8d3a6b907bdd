import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { isUniqueViolation } from '../../db/database.ts';
import type { Clock } from '../../lib/clock.ts';

/**
 * Encryption at rest for secrets the gateway must be able to read back (the 3CX shared secret
 * verifies HMACs, so a one-way hash will not do).
 *
 * - Cipher: AES-256-GCM, a fresh 96-bit IV per value, the 128-bit tag checked on decrypt.
 *   The row id is the additional authenticated data, so a ciphertext copied onto another row
 *   does not decrypt.
 * - Key: HKDF-SHA256 over the key material with a per-purpose `info`, so one master key never
 *   serves two uses. The material is `SECRET_KEY` when it is set; otherwise 32 random bytes
 *   generated once and kept in the `settings` table (key `secret_key`), so a single-node
 *   install works with no configuration. Operators who keep database backups apart from the
 *   host should set `SECRET_KEY` (the database alone then cannot reveal the secrets).
 * - Format: `v1.<kid>.<iv>.<tag>.<ciphertext>` (base64url). `kid` names the key (8 hex of its
 *   SHA-256), so a value written under another key is reported as such instead of as garbage:
 *   changing `SECRET_KEY` makes existing integration secrets unreadable; rotate them.
 */
export const SECRET_KEY_SETTING = 'secret_key';

export class SecretUnavailableError extends Error {
  constructor(readonly reason: 'wrong_key' | 'corrupt') {
    super(
      reason === 'wrong_key'
        ? 'the value was encrypted with another key (was SECRET_KEY changed?)'
        : 'the encrypted value is corrupt',
    );
    this.name = 'SecretUnavailableError';
  }
}

interface DerivedKey {
  key: Buffer;
  kid: string;
}

export class SecretBox {
  private key: Promise<DerivedKey> | null = null;

  constructor(
    private readonly deps: { db: Knex; clock: Clock; secretKey: string | null },
    private readonly purpose: string,
  ) {}

  private derived(): Promise<DerivedKey> {
    if (!this.key) {
      this.key = this.material().then((ikm) => {
        const key = Buffer.from(hkdfSync('sha256', ikm, 'warden', `warden/${this.purpose}/v1`, 32));
        return {
          key,
          kid: createHash('sha256').update(key).digest('hex').slice(0, 8),
        };
      });
      // A failed database read must not poison every later call.
      this.key.catch(() => {
        this.key = null;
      });
    }
    return this.key;
  }

  /** `SECRET_KEY`, or the generated key of the `settings` table (created once, race-safe). */
  private async material(): Promise<Buffer> {
    if (this.deps.secretKey) return Buffer.from(this.deps.secretKey, 'utf8');
    const { db, clock } = this.deps;
    const read = async () =>
      (await db('settings').where({ key: SECRET_KEY_SETTING }).first('value')) as
        | { value: string }
        | undefined;
    const existing = await read();
    if (existing) return Buffer.from(existing.value, 'base64');
    const value = randomBytes(32).toString('base64');
    try {
      await db('settings').insert({
        key: SECRET_KEY_SETTING,
        value,
        updated_at: clock.now().getTime(),
      });
      return Buffer.from(value, 'base64');
    } catch (error) {
      // Another node (or request) created it first: use theirs.
      if (!isUniqueViolation(error)) throw error;
      const row = await read();
      if (!row) throw error;
      return Buffer.from(row.value, 'base64');
    }
  }

  async encrypt(plaintext: string, context: string): Promise<string> {
    const { key, kid } = await this.derived();
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return [
      'v1',
      kid,
      iv.toString('base64url'),
      tag.toString('base64url'),
      ciphertext.toString('base64url'),
    ].join('.');
  }

  async decrypt(value: string, context: string): Promise<string> {
    const { key, kid } = await this.derived();
    const parts = value.split('.');
    if (parts.length !== 5 || parts[0] !== 'v1') throw new SecretUnavailableError('corrupt');
    if (parts[1] !== kid) throw new SecretUnavailableError('wrong_key');
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(parts[2] as string, 'base64url'));
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(Buffer.from(parts[3] as string, 'base64url'));
      return Buffer.concat([
        decipher.update(Buffer.from(parts[4] as string, 'base64url')),
        decipher.final(),
      ]).toString('utf8');
    } catch {
      throw new SecretUnavailableError('corrupt');
    }
  }
}
