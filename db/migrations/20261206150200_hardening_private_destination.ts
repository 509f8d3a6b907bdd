import type { Knex } from 'knex';

/**
 * A webhook attempt that reached an address only WEBHOOK_ALLOWED_CIDRS allows (a private or
 * loopback range): its response body is kept for the admin and never shown to the customer.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('webhook_attempts', (t) => {
    t.boolean('private_destination').notNullable().defaultTo(false);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('webhook_attempts', (t) => {
    t.dropColumn('private_destination');
  });
}
