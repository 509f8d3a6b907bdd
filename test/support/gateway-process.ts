import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ADMIN_TOKEN } from './test-app.ts';

export interface GatewayProcess {
  child: ChildProcess;
  port: number;
  baseUrl: string;
  output: () => string;
  stop: (signal?: NodeJS.Signals) => Promise<void>;
}

/** A policies directory copy with edits (e.g. generous throttles for a concurrency test). */
export function policiesDirWith(
  edit: (name: string, data: Record<string, unknown>) => Record<string, unknown>,
): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'warden-policies-'));
  fs.cpSync('policies', dir, { recursive: true });
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.json'))) {
    const full = path.join(dir, file);
    fs.writeFileSync(full, JSON.stringify(edit(file, JSON.parse(fs.readFileSync(full, 'utf8'))), null, 2));
  }
  return dir;
}

/** Start the real gateway (`src/server.ts`) as a child process; resolves once it listens. */
export async function startGatewayProcess(
  env: Record<string, string>,
  options: { preloads?: string[]; startTimeoutMs?: number } = {},
): Promise<GatewayProcess> {
  const preloads = (options.preloads ?? []).flatMap((p) => ['--import', p]);
  // As `npm start` runs it.
  const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', ...preloads, 'src/server.ts'], {
    env: {
      ...process.env,
      PORT: '0',
      TRANSPORT: 'sandbox',
      ADMIN_TOKEN,
      LOG_LEVEL: 'info',
      WEBHOOK_ALLOWED_CIDRS: '127.0.0.0/8',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway did not start:\n${out}`)), options.startTimeoutMs ?? 30_000);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      for (const line of out.split('\n')) {
        if (!line.includes('"listening"')) continue;
        try {
          const parsed = JSON.parse(line) as { port?: number };
          if (parsed.port) {
            clearTimeout(timer);
            resolve(parsed.port);
          }
        } catch {
          // not a JSON line
        }
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`gateway exited with ${code}:\n${out}`));
    });
  });
  return {
    child,
    port,
    baseUrl: `http://127.0.0.1:${port}`,
    output: () => out,
    stop: (signal = 'SIGTERM') =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill(signal);
      }),
  };
}
