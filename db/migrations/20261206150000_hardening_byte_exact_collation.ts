import type { Knex } from 'knex';

/**
 * Identifiers, keys and hashes compare byte for byte on both databases. SQLite's default BINARY
 * collation already does; MySQL/MariaDB default to a case-insensitive collation, so there
 * `Idempotency-Key: Order-Case-A` and `order-case-a` were one key. Every table (and the database
 * default, for tables created later) becomes `utf8mb4_bin`: the same comparisons as SQLite.
 * The character set stays utf8mb4, so no column changes type or length.
 */
export async function up(knex: Knex): Promise<void> {
  if (isMysql(knex)) await convertAll(knex, 'utf8mb4_bin');
}

export async function down(knex: Knex): Promise<void> {
  if (isMysql(knex)) await convertAll(knex, 'utf8mb4_unicode_ci');
}

interface ForeignKey {
  name: string;
  table: string;
  columns: string[];
  refTable: string;
  refColumns: string[];
  onDelete: string;
  onUpdate: string;
}

/**
 * MariaDB refuses to change the collation of a column a foreign key uses (even with foreign key
 * checks off), so the foreign keys are dropped, every table converted, and the same foreign keys
 * (names, columns, rules) created again.
 */
async function convertAll(knex: Knex, collation: 'utf8mb4_bin' | 'utf8mb4_unicode_ci'): Promise<void> {
  await knex.raw(`ALTER DATABASE CHARACTER SET utf8mb4 COLLATE ${collation}`);
  const keys = await foreignKeys(knex);
  for (const fk of keys) await knex.raw('ALTER TABLE ?? DROP FOREIGN KEY ??', [fk.table, fk.name]);
  for (const table of await tables(knex))
    await knex.raw(`ALTER TABLE ?? CONVERT TO CHARACTER SET utf8mb4 COLLATE ${collation}`, [table]);
  for (const fk of keys) {
    const cols = fk.columns.map(() => '??').join(', ');
    const refs = fk.refColumns.map(() => '??').join(', ');
    await knex.raw(
      `ALTER TABLE ?? ADD CONSTRAINT ?? FOREIGN KEY (${cols}) REFERENCES ?? (${refs}) ON DELETE ${rule(fk.onDelete)} ON UPDATE ${rule(fk.onUpdate)}`,
      [fk.table, fk.name, ...fk.columns, fk.refTable, ...fk.refColumns],
    );
  }
}

function rule(value: string): string {
  const r = value.toUpperCase();
  if (!['CASCADE', 'SET NULL', 'RESTRICT', 'NO ACTION', 'SET DEFAULT'].includes(r))
    throw new Error(`unexpected foreign key rule ${value}`);
  return r;
}

async function foreignKeys(knex: Knex): Promise<ForeignKey[]> {
  const [rows] = (await knex.raw(
    `SELECT rc.constraint_name AS name, rc.table_name AS tbl, rc.referenced_table_name AS ref_tbl,
            rc.delete_rule AS on_delete, rc.update_rule AS on_update,
            k.column_name AS col, k.referenced_column_name AS ref_col
       FROM information_schema.referential_constraints rc
       JOIN information_schema.key_column_usage k
         ON k.constraint_schema = rc.constraint_schema AND k.constraint_name = rc.constraint_name
        AND k.table_name = rc.table_name
      WHERE rc.constraint_schema = DATABASE()
      ORDER BY rc.table_name, rc.constraint_name, k.ordinal_position`,
  )) as [Record<string, string>[]];
  const byName = new Map<string, ForeignKey>();
  for (const r of rows) {
    const id = `${r.tbl}.${r.name}`;
    let fk = byName.get(id);
    if (!fk) {
      fk = {
        name: r.name as string,
        table: r.tbl as string,
        columns: [],
        refTable: r.ref_tbl as string,
        refColumns: [],
        onDelete: r.on_delete as string,
        onUpdate: r.on_update as string,
      };
      byName.set(id, fk);
    }
    fk.columns.push(r.col as string);
    fk.refColumns.push(r.ref_col as string);
  }
  return [...byName.values()];
}

function isMysql(knex: Knex): boolean {
  const client = String(knex.client.config.client);
  return client !== 'better-sqlite3' && client !== 'sqlite3';
}

async function tables(knex: Knex): Promise<string[]> {
  const [rows] = (await knex.raw(
    "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE' AND table_name NOT LIKE 'knex\\_migrations%'",
  )) as [{ name: string }[]];
  return rows.map((r) => r.name);
}
