/**
 * Gateway memory under 40 concurrent 20 MB `POST /api/send-message` bodies from one API key:
 * RSS before, at the peak and after (lowest over 8 s of quiet), for the gateway without a bound
 * on request bytes in flight (the baseline: BODY_BYTES_PER_ACCOUNT/_PROCESS = 4gb) and with the
 * default bounds (48 MB per account, 128 MB per process), in one run.
 *
 * The gateway runs as a child process (`src/server.ts`, sandbox transport, SQLite in a temp dir);
 * this script is the load generator. Everything stays on 127.0.0.1.
 * Run: node --import tsx bench/body-memory.ts
 * Target (issue 17): peak ≤ start + 250 MB, after ≤ start + 50 MB.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { policiesDirWith, startGatewayProcess } from '../test/support/gateway-process.ts';
import { largeSendBody, rssBurst, type BurstResult } from '../test/support/rss-burst.ts';
import { ADMIN_TOKEN } from '../test/support/test-app.ts';

async function json(url: string, token: string, body?: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(url, {
    method: body === undefined ? 'POST' : 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const parsed = (await res.json()) as Record<string, unknown>;
  if (res.status >= 300) throw new Error(`${url}: ${res.status} ${JSON.stringify(parsed)}`);
  return parsed;
}

async function run(label: string, env: Record<string, string>): Promise<BurstResult> {
  const dir = mkdtempSync(path.join(tmpdir(), 'warden-body-bench-'));
  const policies = policiesDirWith((name, data) =>
    name === 'throttle.json'
      ? {
          ...data,
          per_instance: { points: 100000, duration_seconds: 60 },
          per_recipient: { points: 100000, duration_seconds: 3600 },
          new_recipients: { points: 100000, duration_seconds: 3600 },
        }
      : data,
  );
  const gateway = await startGatewayProcess({
    DATABASE_URL: `sqlite:${path.join(dir, 'bench.sqlite')}`,
    POLICIES_DIR: policies,
    LOG_LEVEL: 'info',
    ...env,
  });
  try {
    const base = gateway.baseUrl;
    const account = await json(`${base}/admin/api/accounts`, ADMIN_TOKEN, { name: 'Bench', plan: 'scale' });
    const key = String((await json(`${base}/admin/api/accounts/${account.id}/api-keys`, ADMIN_TOKEN, { name: 'bench' })).key);
    const instance = (await json(`${base}/api/instances`, key, { name: 'Bench line' })).instance as { id: string };
    await json(`${base}/api/instances/${instance.id}/sandbox/scan`, key);
    const body = largeSendBody(instance.id, 20);
    const headers = { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' };
    const warm = await fetch(`${base}/api/send-message`, { method: 'POST', headers, body });
    if (warm.status !== 200) throw new Error(`warm-up send: ${warm.status} ${await warm.text()}`);
    const r = await rssBurst({
      pid: gateway.child.pid as number,
      url: `${base}/api/send-message`,
      headers,
      body,
      count: 40,
      settleMs: 8_000,
    });
    process.stdout.write(
      `${label.padEnd(34)} RSS ${String(r.beforeMb).padStart(5)} MB → peak ${String(r.peakMb).padStart(5)} MB (+${r.peakMb - r.beforeMb}) → after ${String(r.afterMb).padStart(5)} MB (${r.afterMb - r.beforeMb >= 0 ? '+' : ''}${r.afterMb - r.beforeMb}); ` +
        `statuses ${JSON.stringify(r.statuses)}; all answered in ${r.totalMs} ms\n`,
    );
    return r;
  } finally {
    await gateway.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    rmSync(policies, { recursive: true, force: true });
  }
}

process.stdout.write('40 concurrent 20 MB POST /api/send-message from one key (gateway child process)\n');
await run('baseline (no bound: 4gb / 4gb)', { BODY_BYTES_PER_ACCOUNT: '4gb', BODY_BYTES_PER_PROCESS: '4gb' });
const bounded = await run('bounded (defaults 48mb / 128mb)', {});
const ok = bounded.peakMb - bounded.beforeMb <= 250 && bounded.afterMb - bounded.beforeMb <= 50;
process.stdout.write(`target (peak ≤ +250 MB, after ≤ +50 MB): ${ok ? 'met' : 'NOT met'}\n`);
