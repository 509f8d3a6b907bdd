import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type Handlebars from 'handlebars';

/**
 * Partials shared by every server-rendered surface (`templates/shared/*.hbs`): the SVG chart
 * (`chart`, fed by svg-chart.ts), the trend block (`trends`, fed by trend-charts.ts) and the
 * phone-friendly table (`data-table`, fed by data-table.ts).
 */

const here = path.dirname(fileURLToPath(import.meta.url));

export function sharedTemplatesDir(): string {
  for (const candidate of [
    path.resolve(here, '../../../templates/shared'),
    path.resolve(here, '../../../../templates/shared'),
  ]) {
    if (fs.existsSync(path.join(candidate, 'chart.hbs'))) return candidate;
  }
  throw new Error('templates/shared not found');
}

export function registerSharedPartials(env: typeof Handlebars, dir = sharedTemplatesDir()): void {
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.hbs'))) {
    env.registerPartial(file.replace(/\.hbs$/, ''), fs.readFileSync(path.join(dir, file), 'utf8'));
  }
}
