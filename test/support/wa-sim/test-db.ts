/**
 * Test databases for the Baileys auth state: SQLite on a temp file (always), MySQL when
 * MYSQL_URL is set (e.g. mysql://root@127.0.0.1:3306/warden_test — loopback only).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import knex, { type Knex } from 'knex';
import { up as baileysAuthUp } from '../../../db/migrations/20261121000200_baileys_auth.ts';
import { isLoopbackHost } from '../../../src/transport/baileys/net-guard.ts';

export interface TestDb {
  db: Knex;
  kind: 'sqlite' | 'mysql';
  cleanup(): Promise<void>;
}

export async function sqliteTestDb(): Promise<TestDb> {
  const dir = mkdtempSync(path.join(tmpdir(), 'warden-baileys-'));
  const db = knex({
    client: 'better-sqlite3',
    connection: { filename: path.join(dir, 'test.sqlite') },
    useNullAsDefault: true,
  });
  await baileysAuthUp(db);
  return {
    db,
    kind: 'sqlite',
    cleanup: async () => {
      await db.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A fresh table in the MYSQL_URL database, or undefined when MYSQL_URL is not set. */
export async function mysqlTestDb(): Promise<TestDb | undefined> {
  const url = process.env.MYSQL_URL;
  if (!url) {
    return undefined;
  }
  const parsed = new URL(url);
  if (!isLoopbackHost(parsed.hostname)) {
    throw new Error(`MYSQL_URL must point at 127.0.0.1 or ::1 in tests, got ${parsed.hostname}`);
  }
  const db = knex({ client: 'mysql2', connection: url, pool: { min: 0, max: 4 } });
  await db.schema.dropTableIfExists('baileys_auth');
  await baileysAuthUp(db);
  return {
    db,
    kind: 'mysql',
    cleanup: async () => {
      await db.schema.dropTableIfExists('baileys_auth');
      await db.destroy();
    },
  };
}
