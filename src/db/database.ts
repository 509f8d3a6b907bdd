import fs from 'node:fs';
import path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { moduleLogger } from '../lib/logger.ts';

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
export interface DbDeadlines {
  /** Opening a TCP connection and the MySQL handshake (DB_CONNECT_TIMEOUT). */
  connectTimeoutMs?: number;
  /** Waiting for a pooled connection, creating one included (DB_ACQUIRE_TIMEOUT). */
  acquireTimeoutMs?: number;
  /** One statement without an answer from the server (DB_QUERY_TIMEOUT). */
  queryTimeoutMs?: number;
}

export const DEFAULT_DB_DEADLINES: Required<DbDeadlines> = {
  connectTimeoutMs: 5_000,
  acquireTimeoutMs: 10_000,
  queryTimeoutMs: 15_000,
};

/** knex's own warnings (a failed connection attempt) go to the structured log, not the console. */
const knexLog = {
  warn: (message: unknown) => moduleLogger('db').warn(String(message)),
  error: (message: unknown) => moduleLogger('db').error(String(message)),
  deprecate: (message: unknown) => moduleLogger('db').warn(String(message)),
  debug: (message: unknown) => moduleLogger('db').debug(String(message)),
};

export function createDb(databaseUrl: string, options: { poolMax?: number } & DbDeadlines = {}): Knex {
  const deadlines = { ...DEFAULT_DB_DEADLINES, ...stripUndefined(options) };
  if (databaseUrl.startsWith('sqlite:')) {
    const file = databaseUrl.slice('sqlite:'.length);
    if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    return knexFactory({
      client: 'better-sqlite3',
      connection: { filename: file },
      useNullAsDefault: true,
      log: knexLog,
      acquireConnectionTimeout: deadlines.acquireTimeoutMs,
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
      connectTimeout: deadlines.connectTimeoutMs,
    },
    log: knexLog,
    acquireConnectionTimeout: deadlines.acquireTimeoutMs,
    pool: {
      min: 0,
      max: options.poolMax ?? 10,
      afterCreate: (conn: MysqlConnection, done: (err: Error | null, conn: unknown) => void) => {
        withQueryDeadline(conn, deadlines.queryTimeoutMs);
        done(null, conn);
      },
    },
  });
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

type QueryCallback = (err: { code?: string } | null, ...rest: unknown[]) => void;
interface MysqlConnection {
  query: (sql: unknown, values?: unknown, cb?: unknown) => unknown;
  destroy: () => void;
}

/**
 * Every statement on this connection gets mysql2's inactivity timeout unless it set its own. A
 * statement the server never answers (a blackholed connection) then fails instead of hanging,
 * and the connection is destroyed: its protocol state is unknown, so the pool must not reuse it.
 */
function withQueryDeadline(conn: MysqlConnection, timeoutMs: number): void {
  const query = conn.query.bind(conn);
  conn.query = (sql: unknown, values?: unknown, cb?: unknown) => {
    if (typeof values === 'function') {
      cb = values;
      values = undefined;
    }
    const options =
      typeof sql === 'string' ? { sql, timeout: timeoutMs } : { timeout: timeoutMs, ...(sql as object) };
    const callback =
      typeof cb === 'function'
        ? (err: { code?: string } | null, ...rest: unknown[]) => {
            if (err?.code === 'PROTOCOL_SEQUENCE_TIMEOUT') conn.destroy();
            (cb as QueryCallback)(err, ...rest);
          }
        : undefined;
    return values === undefined ? query(options, callback) : query(options, values, callback);
  };
}

/**
 * The database cannot be reached, does not answer in time, or lacks the schema: the request
 * cannot succeed now and may later (`503`, not a bug to report).
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const e = error as { name?: string; code?: string; errno?: number; fatal?: boolean };
  if (!e || typeof e !== 'object') return false;
  if (e.name === 'KnexTimeoutError') return true;
  return [
    'PROTOCOL_SEQUENCE_TIMEOUT',
    'PROTOCOL_CONNECTION_LOST',
    'ECONNREFUSED',
    'ECONNRESET',
    'ETIMEDOUT',
    'EHOSTUNREACH',
    'ENOTFOUND',
    'EPIPE',
    'ER_BAD_DB_ERROR',
    'ER_NO_DB_ERROR',
    'ER_NO_SUCH_TABLE',
    'ER_CON_COUNT_ERROR',
    'ER_SERVER_SHUTDOWN',
  ].includes(String(e.code));
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
