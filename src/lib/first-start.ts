import type { Knex } from 'knex';
import { randomToken } from './ids.ts';

/**
 * The admin token: ADMIN_TOKEN when set; otherwise one generated on first start, stored in the
 * settings table and printed once. Later starts use the stored one quietly.
 */
export async function resolveAdminToken(
  db: Knex,
  configured: string | null,
  now: number,
): Promise<{ token: string; generated: boolean }> {
  if (configured) return { token: configured, generated: false };
  const row = await db('settings').where({ key: 'admin_token' }).first();
  if (row) return { token: String(row.value), generated: false };
  const token = `wdn_admin_${randomToken(32)}`;
  await db('settings').insert({ key: 'admin_token', value: token, updated_at: now });
  return { token, generated: true };
}

export async function rotateAdminToken(db: Knex, now: number): Promise<string> {
  const token = `wdn_admin_${randomToken(32)}`;
  const updated = await db('settings')
    .where({ key: 'admin_token' })
    .update({ value: token, updated_at: now });
  if (updated === 0) await db('settings').insert({ key: 'admin_token', value: token, updated_at: now });
  return token;
}

export function firstStartBanner(opts: { token: string; port: number; transport: string }): string {
  const base = `http://127.0.0.1:${opts.port}`;
  return [
    '',
    '================================================================',
    ' Warden is running for the first time.',
    '',
    ` Admin token (shown once; rotate with: npm run cli -- admin token):`,
    `   ${opts.token}`,
    '',
    ' Create an account and an API key:',
    `   curl -s -X POST ${base}/admin/api/accounts -H "Authorization: Bearer $ADMIN" \\`,
    `     -H 'Content-Type: application/json' -d '{"name":"Acme","plan":"starter"}'`,
    `   curl -s -X POST ${base}/admin/api/accounts/<id>/api-keys -H "Authorization: Bearer $ADMIN" \\`,
    `     -H 'Content-Type: application/json' -d '{"name":"erp"}'`,
    ' or with the CLI: npm run cli -- account create --name Acme --plan starter',
    `                  npm run cli -- key create --account <id> --name erp`,
    opts.transport === 'sandbox'
      ? ' Transport: SANDBOX (simulated phone).'
      : ' Transport: baileys (real WhatsApp).',
    '================================================================',
    '',
  ].join('\n');
}
