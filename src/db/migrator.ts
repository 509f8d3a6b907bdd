import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Knex } from 'knex';

const here = path.dirname(fileURLToPath(import.meta.url));
/** `db/migrations` from the source tree (src/db → ../../db) or the build (dist/src/db → ../../../db). */
function migrationsDir(): string {
  for (const candidate of [
    path.resolve(here, '../../db/migrations'),
    path.resolve(here, '../../../db/migrations'),
  ]) {
    if (fs.existsSync(candidate)) return candidate;
  }
  throw new Error('db/migrations not found');
}

/**
 * A migration source that imports every `YYYYMMDDHHmmss_name.(ts|js)` file in name order. Knex's
 * own directory loader does not understand TypeScript under ESM, this does (tsx or compiled).
 */
class DirectoryMigrationSource implements Knex.MigrationSource<string> {
  constructor(private readonly dir: string) {}
  async getMigrations(): Promise<string[]> {
    const files = fs
      .readdirSync(this.dir)
      .filter((f) => /^\d{14}_.+\.(ts|js)$/.test(f) && !f.endsWith('.d.ts'));
    const byName = new Map<string, string>();
    for (const f of files) byName.set(f.replace(/\.(ts|js)$/, ''), f);
    return [...byName.keys()].sort().map((name) => byName.get(name) as string);
  }
  getMigrationName(file: string): string {
    return file.replace(/\.(ts|js)$/, '');
  }
  async getMigration(file: string): Promise<Knex.Migration> {
    return (await import(pathToFileURL(path.join(this.dir, file)).href)) as Knex.Migration;
  }
}

export async function migrateLatest(db: Knex): Promise<string[]> {
  const [, applied] = (await db.migrate.latest({
    migrationSource: new DirectoryMigrationSource(migrationsDir()),
  })) as [number, string[]];
  return applied;
}
