import type { Knex } from 'knex';

/**
 * Webhook delivery bookkeeping on top of the core outbox tables.
 *
 * - `webhook_deliveries.schedule_offset`: the `attempts` value when the delivery was last
 *   (re)queued by hand (redeliver / recover), so a replay gets the whole retry schedule again
 *   while attempt numbers keep counting up (history is never rewritten).
 * - `webhook_deliveries (lease_owner)`: the worker claims with a conditional UPDATE that stamps a
 *   per-claim token, then reads its rows back by that token.
 * - `webhook_deliveries (endpoint_id, status, created_at)`: the deliveries list filtered by status
 *   and bulk recover ("failed since …").
 * - `webhook_attempts.trigger`: `scheduled` (the outbox) or `manual` (redeliver / recover).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('webhook_deliveries', (t) => {
    t.integer('schedule_offset').notNullable().defaultTo(0);
    t.index(['lease_owner'], 'webhook_deliveries_lease_owner_idx');
    t.index(['endpoint_id', 'status', 'created_at'], 'webhook_deliveries_endpoint_status_idx');
  });
  await knex.schema.alterTable('webhook_attempts', (t) => {
    t.string('trigger', 10).notNullable().defaultTo('scheduled');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('webhook_attempts', (t) => {
    t.dropColumn('trigger');
  });
  await knex.schema.alterTable('webhook_deliveries', (t) => {
    t.dropIndex(['endpoint_id', 'status', 'created_at'], 'webhook_deliveries_endpoint_status_idx');
    t.dropIndex(['lease_owner'], 'webhook_deliveries_lease_owner_idx');
    t.dropColumn('schedule_offset');
  });
}
