import fs from 'node:fs';

let pkg: { version: string; license: string } | null = null;

/** `version` and `license` from package.json (read once; `0.0.0` / `UNLICENSED` if it cannot be read). */
function packageJson(): { version: string; license: string } {
  if (pkg !== null) return pkg;
  let read: { version?: unknown; license?: unknown } = {};
  try {
    read = JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as typeof read;
  } catch {
    // Defaults below.
  }
  pkg = {
    version: typeof read.version === 'string' ? read.version : '0.0.0',
    license: typeof read.license === 'string' ? read.license : 'UNLICENSED',
  };
  return pkg;
}

export function packageVersion(): string {
  return packageJson().version;
}

/** The package's license field (`UNLICENSED`: proprietary, no licence granted). */
export function packageLicense(): string {
  return packageJson().license;
}
