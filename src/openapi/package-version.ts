import fs from 'node:fs';

let version: string | null = null;

/** `version` from package.json (read once; `0.0.0` if it cannot be read). */
export function packageVersion(): string {
  if (version !== null) return version;
  try {
    const pkg = JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version?: unknown;
    };
    version = typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  } catch {
    version = '0.0.0';
  }
  return version;
}
