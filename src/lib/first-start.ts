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

/**
 * Printed once, on the first start, after the server listens: lines a new user can paste (the
 * token as `export ADMIN_TOKEN=…`, which the CLI reads too), where the console and the docs are,
 * and how to try everything without a phone.
 */
export function firstStartBanner(opts: { token: string; port: number; transport: string }): string {
  const base = `http://127.0.0.1:${opts.port}`;
  return [
    '',
    '================================================================',
    ' Warden is running for the first time.',
    '',
    ' 1. Your admin token is shown only this once (rotate it: npm run cli -- admin token).',
    '    Paste these two lines into the shell you will use:',
    '',
    `export ADMIN_TOKEN=${opts.token}`,
    `export WARDEN_URL=${base}`,
    '',
    ` 2. Console (sign in with the token): ${base}/admin`,
    `    Docs and quickstart:              ${base}/docs`,
    '',
    ' 3. Create an account and an API key in the console (Accounts → New account), or:',
    '    npm run cli -- account create --name Acme --plan starter',
    '    npm run cli -- key create --account <account id> --name erp',
    `    curl -s -X POST $WARDEN_URL/admin/api/accounts -H "Authorization: Bearer $ADMIN_TOKEN" \\`,
    `      -H 'Content-Type: application/json' -d '{"name":"Acme","plan":"starter"}'`,
    '',
    opts.transport === 'sandbox'
      ? ' Transport: SANDBOX — a simulated phone; nothing reaches WhatsApp.'
      : ' Transport: baileys (real WhatsApp). No phone at hand? Stop and run: TRANSPORT=sandbox npm start',
    ' Webhooks to a receiver on this machine need: WEBHOOK_ALLOWED_CIDRS=127.0.0.0/8',
    '================================================================',
    '',
  ].join('\n');
}
