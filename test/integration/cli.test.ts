import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The CLI against a throwaway SQLite file: migrate, accounts, keys, policies check. */
describe('warden CLI', function () {
  this.timeout(60_000);
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
    const list = JSON.parse(cli('key', 'list', '--account', account.id).stdout);
    assert.equal(list.length, 1);
    assert.ok(!JSON.stringify(list).includes(keyInfo.key), 'the key is never listed');
    assert.equal(cli('key', 'revoke', '--account', account.id, '--key', keyInfo.id).status, 0);
    assert.equal(
      cli('key', 'revoke', '--account', account.id, '--key', keyInfo.id).status,
      2,
      'already revoked',
    );
    const accounts = JSON.parse(cli('account', 'list').stdout);
    assert.equal(accounts.length, 1);
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
});
