import type { Knex } from 'knex';

/**
 * Baileys auth state (credentials and Signal keys) per WhatsApp instance.
 *
 * One row per (instance, category, key): category `creds` / key `creds` holds the credentials,
 * every other category is a Signal key type (`pre-key`, `session`, `sender-key`,
 * `sender-key-memory`, `app-state-sync-key`, `app-state-sync-version`, `lid-mapping`,
 * `device-list`, `tctoken`, `identity-key`). Values are JSON produced with Baileys' `BufferJSON`.
 * `mediumtext` on MySQL (16 MB) because sessions and app-state versions outgrow `text` (64 KB).
 * Timestamps are epoch milliseconds like the rest of the schema.
 */
export async function up(knex: Knex): Promise<void> {
  const client = String(knex.client.config.client ?? '');
  const isMysql = client.includes('mysql');
  await knex.schema.createTable('baileys_auth', (t) => {
    t.string('instance_id', 64).notNullable();
    t.string('category', 32).notNullable();
    const keyId = t.string('key_id', 255).notNullable();
    if (isMysql) {
      // key ids include base64 (app-state keys): they must compare case-sensitively
      keyId.collate('utf8mb4_bin');
    }
    t.text('value', 'mediumtext').notNullable();
    t.bigInteger('updated_at').notNullable();
    t.primary(['instance_id', 'category', 'key_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('baileys_auth');
}
