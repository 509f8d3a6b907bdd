import type { Knex } from 'knex';

/**
 * Compliance review: the strike ladder of the automatic pause triggers (`policies/pause.json`),
 * the review slowdown and pause count on the instance, and the admin console's sessions.
 */
export async function up(knex: Knex): Promise<void> {
  // One row per strike: which trigger fired, on what value against which threshold, and what the
  // ladder did about it (slow the instance down, or pause it for review).
  await knex.schema.createTable('instance_strikes', (t) => {
    t.increments('id').primary();
    t.string('instance_id', 40).notNullable();
    t.string('account_id', 40).notNullable();
    t.string('trigger_id', 60).notNullable();
    t.string('signal', 40).notNullable();
    t.double('value').notNullable();
    t.double('threshold').notNullable();
    t.integer('strike_number').notNullable();
    t.integer('ladder_step').notNullable();
    t.string('action', 10).notNullable();
    t.double('throttle_multiplier').nullable();
    t.bigInteger('expires_at').nullable();
    t.text('explanation').notNullable();
    t.bigInteger('created_at').notNullable();
    t.index(['instance_id', 'created_at']);
    t.index(['instance_id', 'trigger_id', 'created_at']);
  });

  await knex.schema.alterTable('instances', (t) => {
    // Every pause (automatic or manual) bumps it; repeat pauses escalate the ladder.
    t.integer('pause_count').notNullable().defaultTo(0);
    // The ladder's current slowdown (1 = none) and when it lapses.
    t.double('review_throttle_multiplier').nullable();
    t.bigInteger('review_throttle_until').nullable();
    // Strikes before the last resume were resolved by a person and no longer count.
    t.bigInteger('last_resumed_at').nullable();
  });

  await knex.schema.createTable('admin_sessions', (t) => {
    // SHA-256 of the cookie value: a leaked table row cannot be replayed as a cookie.
    t.string('id_hash', 64).primary();
    t.string('csrf_token', 64).notNullable();
    t.string('actor', 200).notNullable();
    // Fingerprint of the admin token the session was opened with: rotating the token ends it.
    t.string('token_fingerprint', 64).notNullable();
    t.string('ip', 64).nullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('last_seen_at').notNullable();
    t.bigInteger('expires_at').notNullable();
    t.index(['expires_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('admin_sessions');
  await knex.schema.alterTable('instances', (t) => {
    t.dropColumn('last_resumed_at');
    t.dropColumn('review_throttle_until');
    t.dropColumn('review_throttle_multiplier');
    t.dropColumn('pause_count');
  });
  await knex.schema.dropTableIfExists('instance_strikes');
}
