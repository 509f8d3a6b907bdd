import fs from 'node:fs';
import path from 'node:path';
import knexFactory, { type Knex } from 'knex';

export type Db = Knex;
export type DbClient = 'sqlite' | 'mysql';

/** The dialect of a knex instance, for the few places SQL must differ. */
export function dialectOf(db: Knex): DbClient {
  const client = String(db.client.config.client);
  return client === 'better-sqlite3' || client === 'sqlite3' ? 'sqlite' : 'mysql';
}

/**
 * `sqlite:<path>` → better-sqlite3 (one connection, WAL, busy timeout: the embedded default);
 * `mysql://…` → mysql2 with a pool. Timestamps are stored as epoch milliseconds (BIGINT) so both
 * drivers read back the same numbers and no time-zone conversion happens in a driver.
 */
export function createDb(databaseUrl: string, options: { poolMax?: number } = {}): Knex {
  if (databaseUrl.startsWith('sqlite:')) {
    const file = databaseUrl.slice('sqlite:'.length);
    if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    return knexFactory({
      client: 'better-sqlite3',
      connection: { filename: file },
      useNullAsDefault: true,
      pool: {
        min: 1,
        max: 1,
        afterCreate: (conn: SqliteConnection, done: (err: Error | null, conn: unknown) => void) => {
          cachePreparedStatements(conn);
          conn.pragma('journal_mode = WAL');
          conn.pragma('busy_timeout = 5000');
          conn.pragma('foreign_keys = ON');
          conn.pragma('synchronous = NORMAL');
          done(null, conn);
        },
      },
    });
  }
  const url = new URL(databaseUrl.replace(/^mariadb:/, 'mysql:'));
  return knexFactory({
    client: 'mysql2',
    connection: {
      host: url.hostname,
      port: url.port ? Number(url.port) : 3306,
      user: decodeURIComponent(url.username),
      password: decodeURIComponent(url.password),
      database: url.pathname.replace(/^\//, ''),
      charset: 'utf8mb4',
      supportBigNumbers: true,
      bigNumberStrings: false,
      dateStrings: true,
      timezone: 'Z',
    },
    pool: { min: 0, max: options.poolMax ?? 10 },
  });
}

interface SqliteConnection {
  pragma: (s: string) => void;
  prepare: (sql: string) => unknown;
}

/**
 * knex asks better-sqlite3 to prepare every statement it runs, and preparing costs more than
 * running. Statements are reusable (knex binds parameters at run time and finishes each one
 * synchronously), so the connection keeps the most recent ones by SQL text.
 */
function cachePreparedStatements(conn: SqliteConnection, max = 256): void {
  const prepare = conn.prepare.bind(conn);
  const cache = new Map<string, unknown>();
  conn.prepare = (sql: string) => {
    const hit = cache.get(sql);
    if (hit) {
      cache.delete(sql);
      cache.set(sql, hit);
      return hit;
    }
    const statement = prepare(sql);
    cache.set(sql, statement);
    if (cache.size > max) cache.delete(cache.keys().next().value as string);
    return statement;
  };
}

/** True when a driver error is a unique-key violation (SQLite or MySQL). */
export function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: string; errno?: number };
  return (
    e?.code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY' ||
    e?.code === 'ER_DUP_ENTRY' ||
    e?.errno === 1062
  );
}

/** Number of rows an UPDATE touched, whatever the driver returns. */
export function affected(result: unknown): number {
  if (typeof result === 'number') return result;
  if (Array.isArray(result)) return affected(result[0]);
  const r = result as { affectedRows?: number; changes?: number };
  return r?.affectedRows ?? r?.changes ?? 0;
}

/** Parse a JSON column that may come back as a string (SQLite, MariaDB) or an object (MySQL JSON). */
export function parseJson<T>(value: unknown, fallback: T): T {
  if (value === null || value === undefined || value === '') return fallback;
  if (typeof value === 'string') {
    try {
      return JSON.parse(value) as T;
    } catch {
      return fallback;
    }
  }
  return value as T;
}

export function toBool(value: unknown): boolean {
  return value === true || value === 1 || value === '1';
}

export function toNumber(value: unknown): number {
  return typeof value === 'number' ? value : Number(value ?? 0);
}

/** Deadlock victim or lock wait timeout (MySQL), busy database (SQLite): safe to run again. */
export function isLockConflict(error: unknown): boolean {
  const e = error as { code?: string; errno?: number };
  return (
    e?.code === 'ER_LOCK_DEADLOCK' ||
    e?.errno === 1213 ||
    e?.code === 'ER_LOCK_WAIT_TIMEOUT' ||
    e?.errno === 1205 ||
    e?.code === 'SQLITE_BUSY'
  );
}

/** Run a whole transaction again (with a short, growing pause) when it lost a lock conflict. */
export async function retryOnLockConflict<T>(fn: () => Promise<T>, attempts = 4): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (error) {
      if (i >= attempts || !isLockConflict(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 5 * i + Math.random() * 10));
    }
  }
}
