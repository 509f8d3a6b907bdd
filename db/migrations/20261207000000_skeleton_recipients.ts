import type { Knex } from 'knex';
import { up as convertToByteExact } from './20261206150000_hardening_byte_exact_collation.ts';

/**
 * The risk check's "recipients of this skeleton within the window", kept as the send path writes
 * its rows instead of scanned per send: one row per (instance, skeleton, recipient) with its latest
 * send's time, written by `MessageLog.insert` in the message row's own transaction. Filled here
 * from the messages already logged. (MariaDB answered the scan's recursive step by reading every
 * earlier recipient's rows: thousands of index rows a send for a busy template.)
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('skeleton_recipients', (t) => {
    t.string('instance_id', 40).notNullable();
    t.string('skeleton_hash', 64).notNullable();
    t.string('recipient_hash', 64).notNullable();
    t.bigInteger('last_at').notNullable();
    t.primary(['instance_id', 'skeleton_hash', 'recipient_hash']);
    t.index(['instance_id', 'skeleton_hash', 'last_at'], 'skeleton_recipients_window_idx');
  });
  await knex.raw(
    'INSERT INTO skeleton_recipients (instance_id, skeleton_hash, recipient_hash, last_at)' +
      ' SELECT instance_id, skeleton_hash, recipient_hash, MAX(created_at) FROM messages' +
      ' WHERE instance_id IS NOT NULL AND skeleton_hash IS NOT NULL AND recipient_hash IS NOT NULL' +
      ' GROUP BY instance_id, skeleton_hash, recipient_hash',
  );
  // Byte-exact like every other table (knex names the connection's character set on CREATE TABLE).
  await convertToByteExact(knex);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('skeleton_recipients');
}
