import type { Knex } from 'knex';

/**
 * The core schema. Timestamps are epoch milliseconds (BIGINT) so SQLite and MySQL read back the
 * same values and half-open ranges compare as integers. Ids are app-generated strings, except
 * the message log whose integer `log_id` is part of the public API.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('accounts', (t) => {
    t.string('id', 40).primary();
    t.string('name', 200).notNullable();
    t.string('plan', 40).notNullable();
    t.boolean('plan_active').notNullable().defaultTo(true);
    t.text('modules').notNullable();
    t.string('timezone', 64).notNullable().defaultTo('UTC');
    t.string('default_country', 2).nullable();
    t.integer('daily_limit_override').nullable();
    t.integer('monthly_limit_override').nullable();
    t.string('override_reason', 500).nullable();
    t.string('override_approved_by', 200).nullable();
    t.bigInteger('override_approved_at').nullable();
    t.boolean('optout_confirmation').notNullable().defaultTo(false);
    t.bigInteger('created_at').notNullable();
    t.bigInteger('updated_at').notNullable();
  });

  await knex.schema.createTable('api_keys', (t) => {
    t.string('id', 40).primary();
    t.string('account_id', 40).notNullable().references('accounts.id');
    t.string('name', 200).notNullable();
    t.string('prefix', 20).notNullable();
    t.string('key_hash', 64).notNullable().unique();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('last_used_at').nullable();
    t.bigInteger('revoked_at').nullable();
    t.index(['account_id']);
  });

  await knex.schema.createTable('instances', (t) => {
    t.string('id', 40).primary();
    t.string('account_id', 40).notNullable().references('accounts.id');
    t.string('name', 200).notNullable();
    // Equals `name` while the instance lives and NULL once destroyed: the unique index then only
    // binds live instances, on SQLite and MySQL alike (both allow many NULLs).
    t.string('live_name', 200).nullable();
    t.string('state', 20).notNullable();
    t.string('state_reason', 200).nullable();
    t.string('phone', 32).nullable();
    t.string('lid', 64).nullable();
    t.string('default_country', 2).nullable();
    t.text('qr_raw').nullable();
    t.bigInteger('qr_expires_at').nullable();
    t.boolean('has_session').notNullable().defaultTo(false);
    t.boolean('paused').notNullable().defaultTo(false);
    t.string('pause_reason', 500).nullable();
    t.text('pause_evidence').nullable();
    t.string('paused_by', 200).nullable();
    t.bigInteger('paused_at').nullable();
    t.string('owner_node', 64).nullable();
    t.bigInteger('lease_expires_at').nullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('updated_at').notNullable();
    t.bigInteger('destroyed_at').nullable();
    t.unique(['account_id', 'live_name']);
    t.index(['account_id', 'state']);
  });

  // The message log is also the decision log: every send attempt, allowed or refused, is a row.
  await knex.schema.createTable('messages', (t) => {
    t.increments('id').primary();
    t.string('account_id', 40).notNullable();
    t.string('instance_id', 40).nullable();
    t.string('recipient', 80).nullable();
    t.string('recipient_hash', 64).nullable();
    t.string('purpose', 60).nullable();
    t.text('text').nullable();
    t.string('media_type', 20).nullable();
    t.string('status', 20).notNullable();
    t.string('outcome', 10).notNullable();
    t.string('deciding_check', 40).nullable();
    t.string('error_code', 60).nullable();
    t.integer('risk_score').nullable();
    t.text('risk_rules').nullable();
    t.boolean('flagged').notNullable().defaultTo(false);
    t.string('wa_message_id', 128).nullable();
    t.string('reference', 200).nullable();
    t.string('skeleton_hash', 64).nullable();
    t.boolean('new_recipient').notNullable().defaultTo(false);
    t.string('source', 20).notNullable().defaultTo('api');
    t.string('integration_id', 40).nullable();
    t.string('day_key', 10).nullable();
    t.string('month_key', 7).nullable();
    t.boolean('quota_held').notNullable().defaultTo(false);
    t.text('failure_reason').nullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('updated_at').notNullable();
    t.index(['account_id', 'created_at']);
    t.index(['instance_id', 'created_at']);
    t.index(['instance_id', 'skeleton_hash', 'created_at']);
    t.index(['instance_id', 'recipient_hash']);
    t.index(['wa_message_id']);
    t.index(['status', 'quota_held', 'updated_at']);
  });

  // Exact quota: one row per account and window, bumped with a conditional UPDATE.
  await knex.schema.createTable('usage_counters', (t) => {
    t.string('account_id', 40).notNullable();
    t.string('period', 5).notNullable();
    t.string('window_key', 10).notNullable();
    t.integer('used').notNullable().defaultTo(0);
    t.primary(['account_id', 'period', 'window_key']);
  });

  await knex.schema.createTable('suppressions', (t) => {
    t.string('id', 40).primary();
    // '*' for a gateway-wide block, else the account id (a plain column so the unique key works
    // the same on both databases).
    t.string('scope', 40).notNullable();
    t.string('phone', 32).notNullable();
    t.string('reason', 40).notNullable();
    t.string('note', 500).nullable();
    t.string('created_by', 200).nullable();
    t.bigInteger('created_at').notNullable();
    t.unique(['scope', 'phone']);
  });

  await knex.schema.createTable('idempotency_keys', (t) => {
    t.string('account_id', 40).notNullable();
    t.string('idem_key', 200).notNullable();
    t.string('request_hash', 64).notNullable();
    t.string('state', 12).notNullable();
    t.integer('status_code').nullable();
    t.text('response').nullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('expires_at').notNullable();
    t.primary(['account_id', 'idem_key']);
    t.index(['expires_at']);
  });

  // Outbox: an event row plus one delivery row per subscribed endpoint, written in the same
  // transaction as the state change that caused them.
  await knex.schema.createTable('events', (t) => {
    t.string('id', 40).primary();
    t.string('account_id', 40).notNullable();
    t.string('instance_id', 40).nullable();
    t.string('type', 60).notNullable();
    t.text('envelope', 'mediumtext').notNullable();
    t.bigInteger('created_at').notNullable();
    t.index(['account_id', 'created_at']);
  });

  await knex.schema.createTable('webhook_endpoints', (t) => {
    t.string('id', 40).primary();
    t.string('account_id', 40).notNullable();
    t.string('instance_id', 40).nullable();
    t.string('integration_id', 40).nullable();
    t.text('destination_url').notNullable();
    t.text('events').notNullable();
    t.text('secret').notNullable();
    t.text('previous_secret').nullable();
    t.bigInteger('previous_secret_expires_at').nullable();
    t.string('description', 200).nullable();
    t.boolean('enabled').notNullable().defaultTo(true);
    t.string('disabled_reason', 200).nullable();
    t.bigInteger('disabled_at').nullable();
    t.integer('consecutive_failures').notNullable().defaultTo(0);
    t.bigInteger('created_at').notNullable();
    t.bigInteger('updated_at').notNullable();
    t.bigInteger('deleted_at').nullable();
    t.index(['account_id']);
  });

  await knex.schema.createTable('webhook_deliveries', (t) => {
    // The delivery id IS the request id: the same value in the envelope, X-WA-Request-ID and
    // webhook-id, unchanged across retries and redeliveries.
    t.string('id', 40).primary();
    t.string('event_id', 40).notNullable();
    t.string('endpoint_id', 40).notNullable();
    t.string('account_id', 40).notNullable();
    t.string('event_type', 60).notNullable();
    t.string('instance_id', 40).nullable();
    t.string('message_id', 128).nullable();
    t.string('status', 12).notNullable();
    t.integer('attempts').notNullable().defaultTo(0);
    t.bigInteger('next_attempt_at').notNullable();
    t.string('lease_owner', 64).nullable();
    t.bigInteger('lease_expires_at').nullable();
    t.integer('last_status_code').nullable();
    t.text('last_error').nullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('updated_at').notNullable();
    t.bigInteger('completed_at').nullable();
    t.index(['status', 'next_attempt_at']);
    t.index(['endpoint_id', 'created_at']);
  });

  await knex.schema.createTable('webhook_attempts', (t) => {
    t.increments('id').primary();
    t.string('delivery_id', 40).notNullable();
    t.string('endpoint_id', 40).notNullable();
    t.text('url').notNullable();
    t.string('method', 8).notNullable();
    t.string('request_id', 40).notNullable();
    t.string('event_type', 60).notNullable();
    t.string('instance_id', 40).nullable();
    t.string('message_id', 128).nullable();
    t.integer('attempt_number').notNullable();
    t.integer('status_code').nullable();
    t.integer('latency_ms').notNullable();
    t.string('response_body', 500).nullable();
    t.text('error').nullable();
    t.bigInteger('created_at').notNullable();
    t.index(['delivery_id']);
  });

  await knex.schema.createTable('audit_log', (t) => {
    t.increments('id').primary();
    t.string('actor', 200).notNullable();
    t.string('action', 60).notNullable();
    t.string('target_type', 40).nullable();
    t.string('target_id', 80).nullable();
    t.text('note').nullable();
    t.text('detail').nullable();
    t.bigInteger('created_at').notNullable();
    t.index(['created_at']);
  });

  await knex.schema.createTable('settings', (t) => {
    t.string('key', 80).primary();
    t.text('value').notNullable();
    t.bigInteger('updated_at').notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of [
    'settings',
    'audit_log',
    'webhook_attempts',
    'webhook_deliveries',
    'webhook_endpoints',
    'events',
    'idempotency_keys',
    'suppressions',
    'usage_counters',
    'messages',
    'instances',
    'api_keys',
    'accounts',
  ]) {
    await knex.schema.dropTableIfExists(table);
  }
}
