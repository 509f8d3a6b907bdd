import type { Knex } from 'knex';
import { affected, dialectOf } from './database.ts';

/**
 * Hot-path statements compiled by knex once, then run as raw SQL with fresh bindings: the query
 * builder costs more per statement (building, compiling, cloning) than SQLite takes to run a
 * primary-key read. The SQL is exactly what the builder writes, because the builder wrote it.
 *
 * `prepare(db, ['id'], (p) => db('t').where({ id: p.id }).first())` builds the query once with a
 * placeholder string per named parameter; each run puts the parameters' values where the
 * placeholders were among the bindings (the builder's own constants, like `limit 1`, stay).
 */
export interface Prepared<P extends string> {
  readonly sql: string;
  bindings(params: Readonly<Record<P, unknown>>): unknown[];
}

const MARK = '\u0000prepared-param:';

export function prepare<const P extends string>(
  db: Knex,
  names: readonly P[],
  build: (p: Readonly<Record<P, string>>) => Knex.QueryBuilder | Knex.Raw,
): Prepared<P> {
  const placeholders = Object.fromEntries(names.map((n) => [n, `${MARK}${n}`])) as Record<P, string>;
  const { sql, bindings } = build(placeholders).toSQL() as { sql: string; bindings: readonly unknown[] };
  // Per binding: the parameter it takes, or the builder's own constant.
  const params: (P | null)[] = bindings.map((b) =>
    typeof b === 'string' && b.startsWith(MARK) ? (b.slice(MARK.length) as P) : null,
  );
  for (const n of names) if (!params.includes(n)) throw new Error(`prepared query lost its parameter ${n}: ${sql}`);
  return {
    sql,
    bindings: (values) => params.map((p, i) => (p === null ? bindings[i] : values[p])),
  };
}

/**
 * A prepared one-row INSERT (`insert into t (…) values (?, …)`) as one statement for `rows.length`
 * rows: the same column list, one values tuple per row, each row's bindings as `bindings` makes them.
 */
export function multiRowInsert<P extends string>(
  prepared: Prepared<P>,
  rows: readonly Readonly<Record<P, unknown>>[],
): { sql: string; bindings: unknown[] } {
  const at = prepared.sql.lastIndexOf(' values (');
  if (at < 0 || !prepared.sql.endsWith(')')) throw new Error(`not a one-row insert: ${prepared.sql}`);
  const tuple = prepared.sql.slice(at + ' values '.length);
  return {
    sql: `${prepared.sql.slice(0, at)} values ${rows.map(() => tuple).join(', ')}`,
    bindings: rows.flatMap((row) => prepared.bindings(row)),
  };
}

/** Shapes of an insert or update whose columns vary by caller: one prepared statement per set of columns. */
export class PreparedShapes {
  private readonly shapes = new Map<string, Shape>();

  constructor(
    private readonly db: Knex,
    /** Builds the statement for a row whose values are placeholders (undefined stays undefined). */
    private readonly build: (row: Record<string, unknown>, p: Readonly<Record<string, string>>) => Knex.QueryBuilder,
    /** Named parameters beside the row's columns (a `where id = ?`). */
    private readonly extra: readonly string[] = [],
  ) {}

  bindings(row: Record<string, unknown>, params: Readonly<Record<string, unknown>> = {}): { sql: string; bindings: unknown[] } {
    const shape = this.shapeOf(row);
    return { sql: shape.prepared.sql, bindings: shape.prepared.bindings(this.values(shape, row, params)) };
  }

  /**
   * Rows of one insert as few multi-row statements as they have shapes (see `multiRowInsert`), each
   * with the indexes in `rows` of the rows it writes, in its VALUES order.
   */
  multiRow(rows: readonly Record<string, unknown>[]): { sql: string; bindings: unknown[]; indexes: number[] }[] {
    const groups = new Map<Shape, { values: Record<string, unknown>[]; indexes: number[] }>();
    rows.forEach((row, i) => {
      const shape = this.shapeOf(row);
      let group = groups.get(shape);
      if (!group) groups.set(shape, (group = { values: [], indexes: [] }));
      group.values.push(this.values(shape, row, {}));
      group.indexes.push(i);
    });
    return [...groups].map(([shape, { values, indexes }]) => ({ ...multiRowInsert(shape.prepared, values), indexes }));
  }

  private shapeOf(row: Record<string, unknown>): Shape {
    // Undefined values compile differently (NULL or DEFAULT, or left out): they are part of the shape.
    let key = '';
    for (const c in row) key += row[c] === undefined ? `${c}=u,` : `${c},`;
    let shape = this.shapes.get(key);
    if (!shape) {
      const columns = Object.keys(row).filter((c) => row[c] !== undefined);
      const names = [...columns.map((c) => `c:${c}`), ...this.extra];
      const prepared = prepare(this.db, names, (p) => {
        const template: Record<string, unknown> = {};
        for (const c in row) template[c] = row[c] === undefined ? undefined : p[`c:${c}`];
        return this.build(template, p);
      });
      shape = { prepared, columns };
      if (this.shapes.size > 256) this.shapes.clear();
      this.shapes.set(key, shape);
    }
    return shape;
  }

  private values(shape: Shape, row: Record<string, unknown>, params: Readonly<Record<string, unknown>>): Record<string, unknown> {
    const values: Record<string, unknown> = { ...params };
    for (const c of shape.columns) values[`c:${c}`] = row[c];
    return values;
  }
}

interface Shape {
  prepared: Prepared<string>;
  columns: string[];
}

type Conn = Knex | Knex.Transaction;

/**
 * Runs a prepared statement on the driver's connection itself, without knex's raw query: knex's
 * per-statement work (a Raw, a Runner, its events and promise chain) cost about 35 µs of CPU per
 * statement against 40 µs for mysql2's whole round trip (MariaDB 10.11, loopback), and more than
 * better-sqlite3 takes to run a primary-key read. The connection is the transaction's own inside
 * one, or one taken from and given back to knex's pool; a completed transaction goes through knex,
 * which refuses it. The answer is shaped as knex's raw answers it (mysql2 `[rows or header,
 * fields]`, SQLite the rows or `{ changes, lastInsertRowid }`).
 */
async function direct(conn: Conn, sql: string, bindings: readonly unknown[]): Promise<unknown> {
  if ((conn as Knex.Transaction).isCompleted?.()) return conn.raw(sql, bindings as Knex.RawBinding[]);
  const client = conn.client as DriverClient;
  const connection = await client.acquireConnection();
  try {
    if (dialectOf(conn) === 'mysql') {
      const mysql = connection as MysqlDriverConnection;
      return await new Promise((resolve, reject) =>
        mysql.query(sql, bindings, (error, rows, fields) => (error ? reject(error) : resolve([rows, fields]))),
      );
    }
    const statement = sqliteStatement(connection as SqliteDriverConnection, sql);
    const values = bindings.map((b) => (b instanceof Date ? b.valueOf() : typeof b === 'boolean' ? Number(b) : b));
    return statement.reader ? statement.all(values) : statement.run(values);
  } finally {
    await client.releaseConnection(connection);
  }
}

interface DriverClient {
  acquireConnection(): Promise<unknown>;
  releaseConnection(connection: unknown): Promise<unknown>;
}
interface MysqlDriverConnection {
  query(sql: string, values: readonly unknown[], cb: (error: Error | null, rows: unknown, fields: unknown) => void): void;
}
interface SqliteStatement {
  reader: boolean;
  all(values: unknown[]): unknown;
  run(values: unknown[]): unknown;
}
interface SqliteDriverConnection {
  prepare(sql: string): SqliteStatement;
}

/** better-sqlite3 statements, compiled once per connection and SQL text (the hot path's few). */
const sqliteStatements = new WeakMap<object, Map<string, SqliteStatement>>();
function sqliteStatement(connection: SqliteDriverConnection, sql: string): SqliteStatement {
  let cache = sqliteStatements.get(connection);
  if (!cache) sqliteStatements.set(connection, (cache = new Map()));
  let statement = cache.get(sql);
  if (!statement) {
    statement = connection.prepare(sql);
    if (cache.size >= 512) cache.clear();
    cache.set(sql, statement);
  }
  return statement;
}

/** The rows a prepared select answers (SQLite gives the rows, mysql2 `[rows, fields]`). */
export async function selectRows(conn: Conn, sql: string, bindings: readonly unknown[]): Promise<Record<string, unknown>[]> {
  const result = (await direct(conn, sql, bindings)) as unknown[];
  return (dialectOf(conn) === 'mysql' ? result[0] : result) as Record<string, unknown>[];
}

/** Run a prepared write: the rows it changed, and the new row's id for an insert. */
export async function runWrite(
  conn: Conn,
  sql: string,
  bindings: readonly unknown[],
): Promise<{ changes: number; insertId: number }> {
  const result = await direct(conn, sql, bindings);
  // SQLite: `{ changes, lastInsertRowid }`; mysql2: `[ResultSetHeader, fields]`.
  const header = (Array.isArray(result) ? result[0] : result) as { insertId?: unknown; lastInsertRowid?: unknown };
  return { changes: affected(header), insertId: Number(header.insertId ?? header.lastInsertRowid ?? 0) };
}
