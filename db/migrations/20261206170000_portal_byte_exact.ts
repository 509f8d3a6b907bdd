import type { Knex } from 'knex';
import { up as convertToByteExact } from './20261206150000_hardening_byte_exact_collation.ts';

/**
 * The portal's tables (20261206152000) were created after the byte-exact migration, and knex names
 * the connection's character set on CREATE TABLE, which on MySQL/MariaDB picks that character
 * set's default, case-insensitive collation instead of the database's `utf8mb4_bin`. Converting
 * again makes them byte-exact like every other table (a no-op for tables already converted).
 */
export async function up(knex: Knex): Promise<void> {
  await convertToByteExact(knex);
}

/** Nothing to undo: the earlier migration's `down` restores the old collation for every table. */
export async function down(): Promise<void> {}
