import type { Knex } from 'knex';

/**
 * An Idempotency-Key claim knows the message row it produced (`log_id`, written in the same
 * transaction as the quota reservation) and when it expires (`deadline_at`, the send's own
 * deadline): after a crash a retry gets the recorded outcome or is evaluated afresh, never a
 * 24-hour `idempotent_request_in_progress`.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('idempotency_keys', (t) => {
    t.bigInteger('log_id').nullable();
    t.bigInteger('deadline_at').nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('idempotency_keys', (t) => {
    t.dropColumn('deadline_at');
    t.dropColumn('log_id');
  });
}
