import { parseArgs } from 'node:util';
import { cliActor, runAdminCommand } from './cli/admin-commands.ts';
import { GatewayClient } from './cli/gateway-client.ts';
import { OfflineTransport } from './cli/offline-transport.ts';
import { ConfigError, loadConfig } from './config/config.ts';
import { loadPolicies, PolicyError } from './config/policies.ts';
import { createDb } from './db/database.ts';
import { migrateLatest } from './db/migrator.ts';
import { type Container, createContainer } from './container.ts';
import { ApiError } from './errors/api-error.ts';
import { POLICY_USAGE, runPolicyCommand } from './sending/risk/policy-cli.ts';
import { PORTAL_CLI_USAGE, runPortalCommand } from './portal/portal-cli.ts';
import { systemClock } from './lib/clock.ts';

const USAGE = `Usage: warden <command> [options]   (or: npm run cli -- <command> …)

Lists print a table; add --json for JSON. Fields are snake_case, times ISO 8601 (UTC).
Every change is written to the audit log with your OS user as the actor; --note adds why.

  migrate                                   apply database migrations
  policies check                            validate every policy file against its schema
${POLICY_USAGE}
  account create --name N --plan P [--modules api,threecx] [--timezone Asia/Jakarta] [--note WHY]
  account list [--json]
  account update --id ID [--plan P] [--active true|false] [--modules api,threecx] [--timezone TZ]
                 [--daily-override N|null --monthly-override N|null --reason R --approved-by WHO]
  key create --account ID --name N          prints the key once
  key list --account ID [--json]
  key revoke --account ID --key KEY_ID [--note WHY]
  instance list [--account ID] [--json]
  instance create --account ID --name N     prints the QR code (needs the running gateway)
  instance qr --id ID                       the current QR, or a new one (needs the running gateway)
  instance pause --id ID --reason R
  instance resume --id ID --note WHY
  instance destroy --id ID [--note WHY]     (needs the running gateway)
  webhook list [--account ID] [--json]
  webhook create --account ID --url URL --events message.received,message.delivered [--instance ID]
  webhook delete --account ID --id WEBHOOK_ID
  suppression list [--account ID | --global] [--json]
  suppression add --phone +62… [--account ID] [--note WHY]      without --account: gateway-wide
  suppression remove --phone +62… [--account ID] [--note WHY]
${PORTAL_CLI_USAGE}  admin token                               rotate the admin token (prints the new one once)

The running gateway is reached at WARDEN_URL (default http://127.0.0.1:$PORT) with ADMIN_TOKEN
(default: the token stored on first start).
`;

function out(value: unknown): void {
  process.stdout.write(`${typeof value === 'string' ? value : JSON.stringify(value, null, 2)}\n`);
}

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

async function main(argv: string[]): Promise<void> {
  const [group, action, ...rest] = argv;
  if (!group || group === 'help' || group === '--help') return out(USAGE);
  if (group === 'policies' && (action === 'train' || action === 'eval')) {
    return out(runPolicyCommand(action, rest, loadConfig().policiesDir));
  }
  const { values } = parseArgs({
    args: rest,
    options: {
      name: { type: 'string' },
      plan: { type: 'string' },
      modules: { type: 'string' },
      timezone: { type: 'string' },
      id: { type: 'string' },
      account: { type: 'string' },
      key: { type: 'string' },
      active: { type: 'string' },
      'daily-override': { type: 'string' },
      'monthly-override': { type: 'string' },
      reason: { type: 'string' },
      'approved-by': { type: 'string' },
      json: { type: 'boolean' },
      global: { type: 'boolean' },
      note: { type: 'string' },
      phone: { type: 'string' },
      url: { type: 'string' },
      events: { type: 'string' },
      instance: { type: 'string' },
      description: { type: 'string' },
      email: { type: 'string' },
      role: { type: 'string' },
      'base-url': { type: 'string' },
    },
    allowPositionals: false,
  });

  const config = loadConfig();
  if (group === 'policies' && action === 'check') {
    loadPolicies(config.policiesDir);
    return out(`policies OK (${config.policiesDir})`);
  }
  const policies = loadPolicies(config.policiesDir);
  // One-shot commands (migrations of large tables included) run without a statement deadline.
  const db = createDb(config.databaseUrl, { queryTimeoutMs: 0 });
  let container: Container | null = null;
  try {
    const applied = await migrateLatest(db);
    if (group === 'migrate')
      return out(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
    // The same services as the server, without a WhatsApp connection of its own.
    container = await createContainer(config, policies, {
      db,
      transport: new OfflineTransport(),
      throttleStore: { kind: 'memory' },
    });
    const actor = cliActor();
    const command = `${group} ${action ?? ''}`.trim();
    if (group === 'user') {
      const accounts = container.accounts;
      try {
        return out(
          await runPortalCommand(action, stringOptions(values), {
            db,
            clock: systemClock,
            secretKey: config.secretKey,
            accountExists: async (id) => (await accounts.get(id)) !== null,
          }),
        );
      } catch (error) {
        if (error instanceof ApiError) throw error;
        fail((error as Error).message);
      }
    }
    const handled = await runAdminCommand(command, values, {
      c: container,
      actor,
      write: out,
      fail,
      gateway: () => GatewayClient.connect({ db, port: config.port, adminToken: config.adminToken, actor }),
    });
    if (!handled) fail(`unknown command "${command}"\n\n${USAGE}`);
  } finally {
    await container?.close();
    await db.destroy().catch(() => {});
  }
}

/** The options given as text (flags such as --json are booleans). */
function stringOptions(values: Record<string, unknown>): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
}

main(process.argv.slice(2)).catch((error) => {
  if (error instanceof ConfigError || error instanceof PolicyError) fail(error.message);
  if (error instanceof ApiError)
    fail(`${error.code}: ${error.message} ${JSON.stringify(error.details ?? {})}`);
  fail(`error: ${(error as Error).message}`);
});
