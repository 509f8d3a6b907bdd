import { parseArgs } from 'node:util';
import { AccountService, presentAccount } from './accounts/account-service.ts';
import { AccountStore } from './accounts/account-store.ts';
import { ApiKeyService } from './accounts/api-key-service.ts';
import { ConfigError, loadConfig } from './config/config.ts';
import { loadPolicies, PolicyError } from './config/policies.ts';
import { createDb } from './db/database.ts';
import { migrateLatest } from './db/migrator.ts';
import { InstanceStore } from './instances/instance-store.ts';
import { systemClock } from './lib/clock.ts';
import { rotateAdminToken } from './lib/first-start.ts';
import { ApiError } from './errors/api-error.ts';

const USAGE = `Usage: warden <command> [options]   (or: npm run cli -- <command> …)

  migrate                                   apply database migrations
  policies check                            validate every policy file against its schema
  account create --name N --plan P [--modules api,threecx] [--timezone Asia/Jakarta]
  account list
  account update --id ID [--plan P] [--active true|false] [--modules api,threecx] [--timezone TZ]
                 [--daily-override N|null --monthly-override N|null --reason R --approved-by WHO]
  key create --account ID --name N         prints the key once
  key list --account ID
  key revoke --account ID --key KEY_ID
  instance list [--account ID]
  admin token                               rotate the admin token (prints the new one once)
`;

function out(value: unknown): void {
  process.stdout.write(`${typeof value === 'string' ? value : JSON.stringify(value, null, 2)}\n`);
}

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

function need(values: Record<string, unknown>, name: string): string {
  const v = values[name];
  if (typeof v !== 'string' || v === '') fail(`--${name} is required\n\n${USAGE}`);
  return v;
}

function overrideValue(raw: unknown): number | null | undefined {
  if (raw === undefined) return undefined;
  if (raw === 'null') return null;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) fail('limit overrides must be non-negative integers or null');
  return n;
}

async function main(argv: string[]): Promise<void> {
  const [group, action, ...rest] = argv;
  if (!group || group === 'help' || group === '--help') return out(USAGE);
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
  try {
    const applied = await migrateLatest(db);
    if (group === 'migrate')
      return out(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
    const accounts = new AccountService(new AccountStore(db), policies.plans, systemClock);
    const keys = new ApiKeyService(db, systemClock);
    const command = `${group} ${action ?? ''}`.trim();
    switch (command) {
      case 'account create': {
        const a = await accounts.create({
          name: need(values, 'name'),
          plan: need(values, 'plan'),
          modules: values.modules ? (values.modules.split(',') as ('api' | 'threecx')[]) : undefined,
          timezone: values.timezone,
        });
        return out(presentAccount(a, accounts.limitsFor(a)));
      }
      case 'account list':
        return out((await accounts.list()).map((a) => presentAccount(a, accounts.limitsFor(a))));
      case 'account update': {
        const a = await accounts.update(need(values, 'id'), {
          plan: values.plan,
          plan_active: values.active === undefined ? undefined : values.active === 'true',
          modules: values.modules ? (values.modules.split(',') as ('api' | 'threecx')[]) : undefined,
          timezone: values.timezone,
          daily_limit_override: overrideValue(values['daily-override']),
          monthly_limit_override: overrideValue(values['monthly-override']),
          override_reason: values.reason,
          override_approved_by: values['approved-by'],
        });
        if (!a) fail('no account with that id');
        return out(presentAccount(a, accounts.limitsFor(a)));
      }
      case 'key create': {
        const accountId = need(values, 'account');
        if (!(await accounts.get(accountId))) fail('no account with that id');
        const { key, info } = await keys.create(accountId, need(values, 'name'));
        return out({ id: info.id, name: info.name, key, note: 'Store this key now: it is shown only once.' });
      }
      case 'key list':
        return out(await keys.list(need(values, 'account')));
      case 'key revoke': {
        const ok = await keys.revoke(need(values, 'account'), need(values, 'key'));
        if (!ok) fail('no live key with that id for that account');
        return out('revoked');
      }
      case 'instance list': {
        const list = await new InstanceStore(db).list({ accountId: values.account });
        return out(
          list.map((i) => ({
            id: i.id,
            account_id: i.accountId,
            name: i.name,
            state: i.state,
            paused: i.paused,
          })),
        );
      }
      case 'admin token':
        return out({
          admin_token: await rotateAdminToken(db, Date.now()),
          note: 'Running nodes switch to the new token within 10 seconds; the previous one stops working.',
        });
      default:
        fail(`unknown command "${command}"\n\n${USAGE}`);
    }
  } finally {
    await db.destroy();
  }
}

main(process.argv.slice(2)).catch((error) => {
  if (error instanceof ConfigError || error instanceof PolicyError) fail(error.message);
  if (error instanceof ApiError)
    fail(`${error.code}: ${error.message} ${JSON.stringify(error.details ?? {})}`);
  fail(`error: ${(error as Error).message}`);
});
