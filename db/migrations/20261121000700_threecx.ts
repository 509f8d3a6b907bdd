import type { Knex } from 'knex';

/**
 * 3CX middleware (SPEC §10).
 *
 * - `threecx_integrations`: one row per integration. The shared secret is stored only encrypted
 *   (AES-256-GCM, `secret_ciphertext`) because it must be recovered to verify HMACs; a short
 *   `secret_hint` identifies it in lists. `forward_webhook_id` is the `webhook_endpoints` row
 *   (owned by the integration through its `integration_id`) that forwards inbound WhatsApp
 *   messages to `destination_url` with the durable outbox delivery.
 * - `threecx_replays`: signatures seen inside the timestamp tolerance; the primary key makes a
 *   replay a unique-key violation on SQLite and MySQL alike. Rows expire and are purged.
 * - `threecx_cooldowns`: the 15-minute call-event cooldown per (integration, event, phone),
 *   claimed with an insert or a conditional update so concurrent events cannot both send.
 * - `threecx_events`: what every authenticated webhook request led to (sent, skipped, refused),
 *   for the customer's troubleshooting view.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('threecx_integrations', (t) => {
    t.string('id', 40).primary();
    t.string('account_id', 40).notNullable();
    t.string('instance_id', 40).notNullable();
    t.string('business_name', 200).nullable();
    t.boolean('enabled').notNullable().defaultTo(true);
    t.text('secret_ciphertext').notNullable();
    t.string('secret_hint', 16).notNullable();
    t.boolean('require_hmac').notNullable().defaultTo(false);
    t.text('ip_allowlist').notNullable();
    t.text('trusted_proxies').notNullable();
    t.boolean('outbound_enabled').notNullable().defaultTo(true);
    t.boolean('call_events_enabled').notNullable().defaultTo(true);
    t.text('enabled_call_events').notNullable();
    t.text('templates').notNullable();
    t.boolean('strict_window').notNullable().defaultTo(true);
    t.integer('window_hours').notNullable().defaultTo(24);
    t.text('destination_url').nullable();
    t.string('forward_webhook_id', 40).nullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('updated_at').notNullable();
    t.index(['account_id', 'created_at']);
  });

  await knex.schema.createTable('threecx_replays', (t) => {
    t.string('integration_id', 40).notNullable();
    t.string('signature_hash', 64).notNullable();
    t.bigInteger('expires_at').notNullable();
    t.primary(['integration_id', 'signature_hash']);
    t.index(['expires_at']);
  });

  await knex.schema.createTable('threecx_cooldowns', (t) => {
    t.string('integration_id', 40).notNullable();
    t.string('event_type', 32).notNullable();
    t.string('phone', 32).notNullable();
    t.bigInteger('expires_at').notNullable();
    t.primary(['integration_id', 'event_type', 'phone']);
    t.index(['expires_at']);
  });

  await knex.schema.createTable('threecx_events', (t) => {
    t.increments('id').primary();
    t.string('integration_id', 40).notNullable();
    t.string('account_id', 40).notNullable();
    t.string('event_type', 32).nullable();
    t.string('outcome', 12).notNullable();
    t.string('error_code', 60).nullable();
    t.string('reason', 60).nullable();
    t.string('phone', 32).nullable();
    t.integer('log_id').nullable();
    t.string('request_id', 64).nullable();
    t.bigInteger('created_at').notNullable();
    t.index(['integration_id', 'created_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('threecx_events');
  await knex.schema.dropTableIfExists('threecx_cooldowns');
  await knex.schema.dropTableIfExists('threecx_replays');
  await knex.schema.dropTableIfExists('threecx_integrations');
}
