import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type GatewayProcess, startGatewayProcess } from '../support/gateway-process.ts';

/**
 * The first start of a fresh install (no ADMIN_TOKEN): the banner's `export` lines can be pasted
 * as they are, the token works, and the console, docs and sandbox hint point to real places.
 */
describe('first-start banner', function () {
  this.timeout(60_000);
  let gateway: GatewayProcess;

  before(async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'warden-first-start-'));
    gateway = await startGatewayProcess({
      DATABASE_URL: `sqlite:${path.join(dir, 'fresh.sqlite')}`,
      ADMIN_TOKEN: '',
      TRANSPORT: 'baileys',
      WA_WEBSOCKET_URL: 'ws://127.0.0.1:9/ws',
    });
  });
  after(async () => {
    await gateway?.stop();
  });

  it('prints pasteable export lines, the console and docs URLs with the real port, and the sandbox hint', async () => {
    // The banner follows the "listening" line: wait for its closing rule on stdout.
    const complete = () => /Warden is running[\s\S]*\n={20,}\n/.test(gateway.output());
    if (!complete())
      await new Promise<void>((resolve) => {
        const onData = () => {
          if (!complete()) return;
          gateway.child.stdout?.off('data', onData);
          resolve();
        };
        gateway.child.stdout?.on('data', onData);
      });
    const out = gateway.output();
    const token = /^export ADMIN_TOKEN=(wdn_admin_[A-Za-z0-9_-]+)$/m.exec(out)?.[1];
    assert.ok(token, out);
    assert.match(out, new RegExp(`^export WARDEN_URL=http://127\\.0\\.0\\.1:${gateway.port}$`, 'm'));
    assert.match(out, new RegExp(`Console \\(sign in with the token\\): http://127\\.0\\.0\\.1:${gateway.port}/admin$`, 'm'));
    assert.match(out, new RegExp(`Docs and quickstart: +http://127\\.0\\.0\\.1:${gateway.port}/docs$`, 'm'));
    assert.match(out, /No phone at hand\? Stop and run: TRANSPORT=sandbox npm start/);
    assert.match(out, /WEBHOOK_ALLOWED_CIDRS=127\.0\.0\.0\/8/);
    assert.doesNotMatch(out, /\$ADMIN\b/, 'no variable that the banner never sets');
    // Baileys' start-up note is one plain line about what was done, not an alarm.
    const baileys = out.split('\n').filter((l) => l.includes('"module":"baileys') || l.includes('baileys:'));
    assert.deepEqual(
      baileys.filter((l) => /signature/i.test(l)).map((l) => JSON.parse(l).message),
      ['baileys: WhatsApp server certificates are checked with strict signature verification (installed at start-up; no action needed)'],
    );
    assert.doesNotMatch(out, /forged/);

    // The pasted token works, and the URLs it names answer.
    const accounts = await fetch(`${gateway.baseUrl}/admin/api/accounts`, { headers: { Authorization: `Bearer ${token}` } });
    assert.equal(accounts.status, 200);
    assert.equal((await fetch(`${gateway.baseUrl}/docs`)).status, 200);
    const login = await fetch(`${gateway.baseUrl}/admin`, { redirect: 'manual' });
    assert.equal(login.status, 303);
    assert.equal(login.headers.get('location'), '/admin/login?next=%2Fadmin');
  });
});
