import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Router } from 'express';

const here = path.dirname(fileURLToPath(import.meta.url));
/** Files the console serves itself (no CDN): its script and the favicon. */
function staticFile(name: string): Buffer {
  for (const dir of [path.resolve(here, '../../../templates/static'), path.resolve(here, '../../../../templates/static')]) {
    const file = path.join(dir, name);
    if (fs.existsSync(file)) return fs.readFileSync(file);
  }
  throw new Error(`templates/static/${name} not found`);
}

/** The console's own script and the favicon, served from memory. */
export function registerConsoleAssets(router: Router): void {
  const consoleScript = staticFile('console.js');
  const favicon = staticFile('favicon.ico');

  router.get('/favicon.ico', (_req, res) => {
    res.setHeader('Cache-Control', 'public, max-age=86400');
    res.type('image/x-icon').send(favicon);
  });
  router.get('/admin/assets/console.js', (_req, res) => {
    res.setHeader('Cache-Control', 'no-cache');
    res.type('text/javascript').send(consoleScript);
  });
}
