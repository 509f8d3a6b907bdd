import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type GatewayProcess, startGatewayProcess } from '../support/gateway-process.ts';
import { ADMIN_TOKEN } from '../support/test-app.ts';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
/** Every key snake_case, every *_at an ISO 8601 string or null. */
function assertSnakeIso(row: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(row)) {
    assert.match(k, /^[a-z0-9_]+$/, `${k} is snake_case`);
    if (k.endsWith('_at')) assert.ok(v === null || (typeof v === 'string' && ISO.test(v)), `${k}=${String(v)} is ISO 8601`);
  }
}

/** The CLI against a throwaway SQLite file: migrate, accounts, keys, policies check. */
describe('warden CLI', function () {
  this.timeout(120_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'warden-cli-'));
  const env = { ...process.env, DATABASE_URL: `sqlite:${path.join(dir, 'cli.sqlite')}`, LOG_LEVEL: 'error' };
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { env, encoding: 'utf8' });

  it('migrates, creates an account and a key, lists and revokes it', () => {
    assert.equal(cli('migrate').status, 0);
    const created = cli(
      'account',
      'create',
      '--name',
      'Acme Clinic',
      '--plan',
      'growth',
      '--timezone',
      'Asia/Jakarta',
    );
    assert.equal(created.status, 0, created.stderr);
    const account = JSON.parse(created.stdout);
    assert.equal(account.plan, 'growth');
    assert.deepEqual(account.limits, { daily: 500, monthly: 10000 });
    const key = cli('key', 'create', '--account', account.id, '--name', 'erp');
    assert.equal(key.status, 0, key.stderr);
    const keyInfo = JSON.parse(key.stdout);
    assert.match(keyInfo.key, /^wdn_/);
    const list = JSON.parse(cli('key', 'list', '--account', account.id, '--json').stdout);
    assert.equal(list.length, 1);
    assert.ok(!JSON.stringify(list).includes(keyInfo.key), 'the key is never listed');
    // snake_case and ISO 8601, like every other output (was camelCase and epoch milliseconds).
    assert.deepEqual(Object.keys(list[0]), ['id', 'account_id', 'name', 'prefix', 'created_at', 'last_used_at', 'revoked_at']);
    assertSnakeIso(list[0]);
    assert.equal(list[0].revoked_at, null);
    // Without --json: a table for people, with the same snake_case headers.
    const table = cli('key', 'list', '--account', account.id).stdout.split('\n');
    assert.match(table[0] ?? '', /^id\s+name\s+prefix\s+created_at\s+last_used_at\s+revoked_at$/);
    assert.match(table[1] ?? '', new RegExp(`^${keyInfo.id}\\s+erp\\s+wdn_\\S+\\s+\\d{4}-\\d{2}-\\d{2}T`));
    assert.equal(cli('key', 'revoke', '--account', account.id, '--key', keyInfo.id).status, 0);
    assert.equal(
      cli('key', 'revoke', '--account', account.id, '--key', keyInfo.id).status,
      2,
      'already revoked',
    );
    const accounts = JSON.parse(cli('account', 'list', '--json').stdout);
    assert.equal(accounts.length, 1);
    assertSnakeIso(accounts[0]);
  });

  it('invites a portal user (link printed once) and lists the account\'s users', () => {
    const account = JSON.parse(cli('account', 'create', '--name', 'Portal Co', '--plan', 'starter').stdout);
    const invited = cli('user', 'invite', '--account', account.id, '--email', 'Owner@Portal.example', '--role', 'owner', '--base-url', 'https://wa.example.com/');
    assert.equal(invited.status, 0, invited.stderr);
    const out = JSON.parse(invited.stdout);
    assert.match(out.invite_path, /^\/portal\/invite\/[A-Za-z0-9_-]{43}$/);
    assert.equal(out.invite_url, `https://wa.example.com${out.invite_path}`);
    assert.equal(out.invitation.email, 'owner@portal.example');
    assert.equal(out.invitation.role, 'owner');
    assert.match(out.invitation.created_by, /^cli:/);
    const listed = cli('user', 'list', '--account', account.id);
    assert.equal(listed.status, 0, listed.stderr);
    const list = JSON.parse(listed.stdout);
    assert.deepEqual(list.users, []);
    assert.deepEqual(list.invitations.map((i: { email: string }) => i.email), ['owner@portal.example']);
    assert.ok(!listed.stdout.includes(out.invite_path.split('/').pop()), 'the token is never listed');
    const bad = cli('user', 'invite', '--account', account.id, '--email', 'x@portal.example', '--role', 'admin');
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /validation_error/);
    const missing = cli('user', 'list', '--account', 'acc_nope');
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /no account with that id/);
  });

  it('refuses bad input with a message and exit code 2', () => {
    const bad = cli('account', 'create', '--name', 'X', '--plan', 'platinum');
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /validation_error/);
    const unknown = cli('frobnicate');
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /unknown command/);
  });

  it('policies check reports a broken file with its pointer', () => {
    assert.equal(cli('policies', 'check').status, 0);
    const polDir = fs.mkdtempSync(path.join(os.tmpdir(), 'warden-cli-pol-'));
    fs.cpSync('policies', polDir, { recursive: true });
    const plans = JSON.parse(fs.readFileSync(path.join(polDir, 'plans.json'), 'utf8'));
    plans.plans.growth.monthly_limit = -5;
    fs.writeFileSync(path.join(polDir, 'plans.json'), JSON.stringify(plans));
    const res = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'policies', 'check'], {
      env: { ...env, POLICIES_DIR: polDir },
      encoding: 'utf8',
    });
    assert.equal(res.status, 2);
    assert.match(res.stderr, /plans\.json: \/plans\/growth\/monthly_limit: must be >= 0/);
  });

  describe('with the gateway running: instances, webhooks, suppressions, and the audit log', function () {
    // About twenty CLI processes, each loading TypeScript through tsx (2–4 s apiece on a busy machine).
    this.timeout(240_000);
    const gwDir = fs.mkdtempSync(path.join(os.tmpdir(), 'warden-cli-gw-'));
    const dbUrl = `sqlite:${path.join(gwDir, 'gw.sqlite')}`;
    let gateway: GatewayProcess;
    let gwEnv: NodeJS.ProcessEnv;
    const run = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { env: gwEnv, encoding: 'utf8' });
    const ok = (...args: string[]) => {
      const r = run(...args);
      assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    const json = (...args: string[]) => JSON.parse(ok(...args)) as Record<string, unknown> & Record<string, unknown>[];
    const actor = `${os.userInfo().username} (cli)`;

    before(async () => {
      assert.equal(spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'migrate'], { env: { ...env, DATABASE_URL: dbUrl }, encoding: 'utf8' }).status, 0);
      gateway = await startGatewayProcess({ DATABASE_URL: dbUrl });
      gwEnv = {
        ...env,
        DATABASE_URL: dbUrl,
        ADMIN_TOKEN,
        WARDEN_URL: gateway.baseUrl,
        WEBHOOK_ALLOWED_CIDRS: '127.0.0.0/8',
      };
    });
    after(async () => {
      await gateway?.stop();
    });

    it('runs every new command, prints snake_case/ISO 8601, and audits each change with the OS user', async () => {
      const account = json('account', 'create', '--name', 'Acme', '--plan', 'starter', '--note', 'Signed contract');
      const key = json('key', 'create', '--account', String(account.id), '--name', 'erp');

      // instance create: through the running gateway (it holds the connection); prints the QR.
      const created = json('instance', 'create', '--account', String(account.id), '--name', 'Front desk', '--note', 'Onboarding call', '--json');
      assert.equal(created.state, 'qr_generated');
      assert.equal(created.account_id, account.id);
      const qr = created.qr as { raw: string; expires_at: string };
      assert.match(qr.raw, /^2@sandbox\./);
      assert.match(qr.expires_at, ISO);
      const human = ok('instance', 'qr', '--id', String(created.id));
      assert.match(human, /Linked devices/);
      assert.match(human, /[▀▄█]/, 'the QR is drawn in the terminal');
      assert.deepEqual((json('instance', 'qr', '--id', String(created.id), '--json').qr as { raw: string }).raw, qr.raw, 'a valid QR is shown again, not replaced');

      const listed = json('instance', 'list', '--account', String(account.id), '--json');
      assert.equal(listed.length, 1);
      assert.equal(listed[0]?.name, 'Front desk');
      assertSnakeIso(listed[0] as Record<string, unknown>);
      assert.match(ok('instance', 'list'), /^id\s+account_id\s+name\s+state\s+paused\s+created_at\n/);

      // The phone scans (sandbox); then no QR is offered.
      const scan = await fetch(`${gateway.baseUrl}/api/instances/${String(created.id)}/sandbox/scan`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${String(key.key)}` },
      });
      assert.equal(scan.status, 200);
      const again = run('instance', 'qr', '--id', String(created.id));
      assert.equal(again.status, 2);
      assert.match(again.stderr, /already connected/);

      const paused = json('instance', 'pause', '--id', String(created.id), '--reason', 'Complaints about offers');
      assert.equal(paused.paused, true);
      assert.equal(json('instance', 'resume', '--id', String(created.id), '--note', 'Template fixed').paused, false);

      // Webhooks.
      const hook = json('webhook', 'create', '--account', String(account.id), '--url', 'http://127.0.0.1:9/hook', '--events', 'message.received,message.delivered', '--note', 'ERP receiver');
      assert.match(String(hook.secret), /^whsec_/);
      assert.deepEqual(hook.events, ['message.received', 'message.delivered']);
      const hooks = json('webhook', 'list', '--account', String(account.id), '--json');
      assert.deepEqual(hooks.map((h) => h.id), [hook.id]);
      assertSnakeIso(hooks[0] as Record<string, unknown>);
      assert.ok(!JSON.stringify(hooks).includes(String(hook.secret)), 'the secret is never listed');
      assert.deepEqual(json('webhook', 'delete', '--account', String(account.id), '--id', String(hook.id)), { deleted: true, id: hook.id });
      assert.deepEqual(json('webhook', 'list', '--account', String(account.id), '--json'), []);

      // Suppressions for the account.
      const added = json('suppression', 'add', '--account', String(account.id), '--phone', '+6281234567890', '--note', 'Asked by phone');
      assert.equal(added.created, true);
      assert.equal(added.created_by, actor);
      const sup = json('suppression', 'list', '--account', String(account.id), '--json');
      assert.deepEqual(sup.map((s) => s.phone), ['+6281234567890']);
      assertSnakeIso(sup[0] as Record<string, unknown>);
      assert.equal(json('suppression', 'remove', '--account', String(account.id), '--phone', '+6281234567890', '--note', 'Asked again').removed, true);
      const missing = run('suppression', 'remove', '--account', String(account.id), '--phone', '+6281234567890');
      assert.equal(missing.status, 2);
      assert.match(missing.stderr, /not on that suppression list/);

      // instance destroy: through the gateway.
      assert.deepEqual(json('instance', 'destroy', '--id', String(created.id), '--note', 'Line closed'), { destroyed: true, id: created.id });
      assert.deepEqual(json('instance', 'list', '--account', String(account.id), '--json'), []);

      // Every change is in GET /admin/api/audit, with the OS user as the actor and the notes.
      const res = await fetch(`${gateway.baseUrl}/admin/api/audit?limit=50`, { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } });
      const entries = ((await res.json()) as { entries: { actor: string; action: string; note: string | null }[] }).entries.reverse();
      assert.deepEqual(
        entries.map((e) => [e.action, e.actor, e.note]),
        [
          ['account.created', actor, 'Signed contract'],
          ['api_key.created', actor, null],
          ['instance.created', actor, 'Onboarding call'],
          ['instance.paused', actor, 'Complaints about offers'],
          ['instance.resumed', actor, 'Template fixed'],
          ['webhook.created', actor, 'ERP receiver'],
          ['webhook.deleted', actor, null],
          ['suppression.added', actor, 'Asked by phone'],
          ['suppression.removed', actor, 'Asked again'],
          ['instance.destroyed', actor, 'Line closed'],
        ],
      );
    });

    it('says plainly when a command needs the gateway and it is not running', () => {
      const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'instance', 'create', '--account', 'acc_x', '--name', 'X'], {
        env: { ...gwEnv, WARDEN_URL: 'http://127.0.0.1:9' },
        encoding: 'utf8',
      });
      assert.equal(r.status, 2);
      assert.match(r.stderr, /the gateway is not reachable at http:\/\/127\.0\.0\.1:9 .*this command needs the running gateway/);
    });
  });
});
