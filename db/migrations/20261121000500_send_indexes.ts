import type { Knex } from 'knex';

/**
 * Indexes for the risk check's behaviour queries, and the throttle table that rate-limiter-flexible
 * uses on MySQL (created here so no request ever races its lazy creation).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('messages', (t) => {
    // Distinct recipients of one skeleton: a loose index scan on MySQL, O(recipients) not O(messages).
    t.index(
      ['instance_id', 'skeleton_hash', 'recipient_hash', 'created_at'],
      'messages_skeleton_recipient_idx',
    );
  });
  await knex.schema.alterTable('inbound_messages', (t) => {
    t.index(['instance_id', 'classification', 'received_at'], 'inbound_classification_idx');
  });
  if (!(await knex.schema.hasTable('rate_limits'))) {
    await knex.schema.createTable('rate_limits', (t) => {
      t.string('key', 255).primary();
      t.integer('points').notNullable().defaultTo(0);
      t.bigInteger('expire').unsigned().nullable();
    });
  }
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('rate_limits');
  await knex.schema.alterTable('inbound_messages', (t) => t.dropIndex([], 'inbound_classification_idx'));
  await knex.schema.alterTable('messages', (t) => t.dropIndex([], 'messages_skeleton_recipient_idx'));
}
