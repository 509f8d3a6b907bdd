import type { Knex } from 'knex';

/**
 * Inbound extras: the owner record of every stored media object (the only thing `GET /media`
 * trusts: a path is served only if it is a row here owned by the caller's account), and the
 * WhatsApp restriction signals per instance (463 acks, capping, reach-out locks) that the
 * compliance review reads.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('media_objects', (t) => {
    t.string('path', 200).primary();
    t.string('account_id', 40).notNullable();
    t.string('instance_id', 40).nullable();
    t.string('mime_type', 100).notNullable();
    t.bigInteger('size').notNullable();
    t.string('file_name', 255).nullable();
    t.string('sha256', 64).notNullable();
    t.bigInteger('created_at').notNullable();
    t.index(['account_id', 'created_at']);
  });

  await knex.schema.createTable('instance_restriction_signals', (t) => {
    t.increments('id').primary();
    t.string('account_id', 40).notNullable();
    t.string('instance_id', 40).notNullable();
    t.string('signal', 60).notNullable();
    t.text('detail').notNullable();
    t.bigInteger('created_at').notNullable();
    t.index(['instance_id', 'created_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('instance_restriction_signals');
  await knex.schema.dropTableIfExists('media_objects');
}
