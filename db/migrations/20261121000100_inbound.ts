import type { Knex } from 'knex';

/** Inbound log and the per-contact conversation window (last inbound message time). */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('inbound_messages', (t) => {
    t.increments('id').primary();
    t.string('account_id', 40).notNullable();
    t.string('instance_id', 40).notNullable();
    t.string('wa_message_id', 128).notNullable();
    t.string('from_phone', 32).nullable();
    t.string('from_lid', 64).nullable();
    t.string('chat', 128).notNullable();
    t.boolean('is_group').notNullable().defaultTo(false);
    t.string('message_type', 20).notNullable();
    t.text('text').nullable();
    t.text('payload', 'mediumtext').notNullable();
    t.string('media_path', 300).nullable();
    t.string('classification', 20).nullable();
    t.bigInteger('received_at').notNullable();
    t.bigInteger('created_at').notNullable();
    t.unique(['instance_id', 'wa_message_id']);
    t.index(['account_id', 'created_at']);
  });

  await knex.schema.createTable('conversation_windows', (t) => {
    t.string('instance_id', 40).notNullable();
    t.string('contact', 64).notNullable();
    t.string('account_id', 40).notNullable();
    t.bigInteger('last_inbound_at').notNullable();
    t.primary(['instance_id', 'contact']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('conversation_windows');
  await knex.schema.dropTableIfExists('inbound_messages');
}
