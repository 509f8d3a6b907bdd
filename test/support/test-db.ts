import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Knex } from 'knex';
import { createDb } from '../../src/db/database.ts';
import { migrateLatest } from '../../src/db/migrator.ts';

/**
 * Test databases. The lane is chosen by TEST_DB (`sqlite`, the default, or `mysql`, which needs
 * MYSQL_URL, e.g. mysql://root@127.0.0.1:3306/warden_test).
 *
 * SQLite: migrate once into a golden file, then copy it per test database (fast, isolated).
 * MySQL: migrate once, then truncate every table per test database.
 */
export type Lane = 'sqlite' | 'mysql';

export function currentLane(): Lane {
  return process.env.TEST_DB === 'mysql' ? 'mysql' : 'sqlite';
}

export function mysqlUrl(): string {
  return process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/warden_test';
}

let golden: string | null = null;
let mysqlMigrated = false;
const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'warden-test-'));
let counter = 0;

async function goldenSqlite(): Promise<string> {
  if (golden) return golden;
  const file = path.join(tmpRoot, 'golden.sqlite');
  const db = createDb(`sqlite:${file}`);
  await migrateLatest(db);
  await db.raw('PRAGMA wal_checkpoint(TRUNCATE)');
  await db.destroy();
  golden = file;
  return file;
}

export async function ensureMysqlDatabase(url = mysqlUrl(), options: { recreate?: boolean } = {}): Promise<void> {
  const u = new URL(url);
  const dbName = u.pathname.replace(/^\//, '');
  u.pathname = '/mysql';
  const root = createDb(u.toString());
  try {
    if (options.recreate) await root.raw(`DROP DATABASE IF EXISTS \`${dbName}\``);
    await root.raw(`CREATE DATABASE IF NOT EXISTS \`${dbName}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  } finally {
    await root.destroy();
  }
}

/** Every table but knex's own bookkeeping. */
export async function truncateAll(db: Knex): Promise<void> {
  const [rows] = (await db.raw('SHOW TABLES')) as [Record<string, string>[]];
  await db.raw('SET FOREIGN_KEY_CHECKS = 0');
  for (const row of rows) {
    const table = Object.values(row)[0] as string;
    if (table.startsWith('knex_migrations')) continue;
    await db.raw(`TRUNCATE TABLE \`${table}\``);
  }
  await db.raw('SET FOREIGN_KEY_CHECKS = 1');
}

export interface TestDatabase {
  url: string;
  db: Knex;
  lane: Lane;
  destroy: () => Promise<void>;
}

/** A fresh, migrated, empty database for one test file or suite. */
export async function createTestDatabase(options: { poolMax?: number } = {}): Promise<TestDatabase> {
  if (currentLane() === 'mysql') {
    const url = mysqlUrl();
    if (!mysqlMigrated) {
      // A test run owns its database: start from nothing, so migrations of other checkouts
      // sharing this server cannot make the migration list look corrupt.
      await ensureMysqlDatabase(url, { recreate: true });
      const db = createDb(url);
      await migrateLatest(db);
      await db.destroy();
      mysqlMigrated = true;
    }
    const db = createDb(url, options);
    await truncateAll(db);
    return { url, db, lane: 'mysql', destroy: () => db.destroy() };
  }
  const source = await goldenSqlite();
  counter += 1;
  const file = path.join(tmpRoot, `db-${process.pid}-${counter}.sqlite`);
  fs.copyFileSync(source, file);
  const url = `sqlite:${file}`;
  const db = createDb(url);
  return {
    url,
    db,
    lane: 'sqlite',
    destroy: async () => {
      await db.destroy();
      for (const suffix of ['', '-wal', '-shm']) fs.rmSync(file + suffix, { force: true });
    },
  };
}
