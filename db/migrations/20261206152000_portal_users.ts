import type { Knex } from 'knex';

/**
 * Customer portal (branch `portal`): the people of an account and their browser sessions.
 *
 * - `account_users`: one person in one account with a role (`owner`, `developer`, `viewer`).
 *   `email` is the sign-in name and unique across the gateway. `password_hash` is a self-describing
 *   scrypt string (see src/portal/passwords.ts). `totp_secret` is encrypted at rest (SecretBox,
 *   purpose `portal-totp`), `totp_enabled_at` says whether sign-in asks for a code.
 * - `account_invitations`: a single-use link: only the SHA-256 of its token is kept, shown once.
 * - `portal_sessions`: server-side sessions (cookie holds a random id, the table its SHA-256).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('account_users', (t) => {
    t.string('id', 40).primary();
    t.string('account_id', 40).notNullable();
    t.string('email', 254).notNullable().unique();
    t.string('name', 120).notNullable();
    t.string('role', 16).notNullable();
    t.string('password_hash', 255).notNullable();
    t.text('totp_secret').nullable();
    t.bigInteger('totp_enabled_at').nullable();
    t.bigInteger('totp_last_step').nullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('updated_at').notNullable();
    t.bigInteger('last_login_at').nullable();
    t.index(['account_id', 'created_at']);
  });

  await knex.schema.createTable('account_invitations', (t) => {
    t.string('id', 40).primary();
    t.string('account_id', 40).notNullable();
    t.string('email', 254).notNullable();
    t.string('role', 16).notNullable();
    t.string('token_hash', 64).notNullable().unique();
    t.string('created_by', 200).notNullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('expires_at').notNullable();
    t.bigInteger('accepted_at').nullable();
    t.string('user_id', 40).nullable();
    t.bigInteger('revoked_at').nullable();
    t.index(['account_id', 'created_at']);
  });

  await knex.schema.createTable('portal_sessions', (t) => {
    t.string('id_hash', 64).primary();
    t.string('csrf_token', 64).notNullable();
    t.string('user_id', 40).notNullable();
    t.string('account_id', 40).notNullable();
    t.string('ip', 64).nullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('expires_at').notNullable();
    t.index(['user_id']);
    t.index(['expires_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('portal_sessions');
  await knex.schema.dropTableIfExists('account_invitations');
  await knex.schema.dropTableIfExists('account_users');
}
