import type { Knex } from 'knex';

/**
 * Several nodes on one database (SPEC §12, branch `cluster`).
 *
 * - `cluster_nodes`: one row per gateway node; `heartbeat_at` is the database clock in epoch
 *   milliseconds at the node's last heartbeat; `draining` is set by a node that is handing its
 *   instances over before it exits (SIGTERM).
 * - `instance_leases`: who may run the WhatsApp session of an instance. `generation` grows on
 *   every change of owner (the fencing token); `expires_at` is database-clock epoch milliseconds.
 *   A row with `owner_node` NULL or `expires_at` in the past may be claimed by any live node.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('cluster_nodes', (t) => {
    t.string('id', 64).primary();
    t.string('url', 500).notNullable();
    t.bigInteger('started_at').notNullable();
    t.bigInteger('heartbeat_at').notNullable();
    t.boolean('draining').notNullable().defaultTo(false);
  });
  await knex.schema.createTable('instance_leases', (t) => {
    t.string('instance_id', 40).primary();
    t.string('owner_node', 64).nullable();
    t.bigInteger('generation').notNullable().defaultTo(0);
    t.bigInteger('expires_at').notNullable().defaultTo(0);
    t.index(['owner_node', 'expires_at'], 'instance_leases_owner_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('instance_leases');
  await knex.schema.dropTableIfExists('cluster_nodes');
}
