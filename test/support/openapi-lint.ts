/**
 * `npm run lint:openapi`: Redocly's recommended lint of the generated `/openapi.json`, as the live
 * app serves it (a test gateway on a temporary SQLite database). Exits with Redocly's status.
 * Telemetry and the update check are off: nothing leaves the machine.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestContext } from './test-app.ts';

async function main(): Promise<number> {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const ctx = await createTestContext();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'warden-openapi-'));
  try {
    const res = await ctx.http.get('/openapi.json');
    if (res.status !== 200) throw new Error(`/openapi.json answered ${res.status}`);
    fs.writeFileSync(path.join(dir, 'openapi.json'), JSON.stringify(res.body, null, 2));
    // The config and its accepted problems, beside the document (the ignore file names it relatively).
    for (const name of ['redocly.yaml', '.redocly.lint-ignore.yaml'])
      fs.copyFileSync(path.join(root, name), path.join(dir, name));
    const result = spawnSync(
      path.join(root, 'node_modules', '.bin', 'redocly'),
      ['lint', 'openapi.json', ...process.argv.slice(2)],
      {
        cwd: dir,
        stdio: 'inherit',
        env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
      },
    );
    return result.status ?? 1;
  } finally {
    await ctx.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
