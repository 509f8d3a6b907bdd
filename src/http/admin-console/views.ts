import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Response } from 'express';
import Handlebars from 'handlebars';
import { registerSharedPartials } from '../views/shared-partials.ts';

/**
 * Server-rendered pages of the compliance console (`templates/admin/*.hbs`). HTML escaping stays
 * on everywhere: templates use `{{ }}` only (a test forbids `{{{`), pages wrap themselves in the
 * `layout` partial with `{{#> layout}}…{{/layout}}`, so not even the page body is injected raw.
 */

const here = path.dirname(fileURLToPath(import.meta.url));

function templatesDir(): string {
  for (const candidate of [
    path.resolve(here, '../../../templates/admin'),
    path.resolve(here, '../../../../templates/admin'),
  ]) {
    if (fs.existsSync(path.join(candidate, 'layout.hbs'))) return candidate;
  }
  throw new Error('templates/admin not found');
}

/**
 * Security headers of every console page: only the app's own small script (`/admin/assets/console.js`:
 * copy button, live link state), only the layout's own stylesheet (by hash), forms post only here,
 * no framing, nothing cached.
 */
export function consoleCsp(styleHash: string): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "connect-src 'self'",
    `style-src '${styleHash}'`,
    "img-src 'self' data:",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
}

export function consoleHeaders(res: Response, csp: string): void {
  res.setHeader('Content-Security-Policy', csp);
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Referrer-Policy', 'same-origin');
  res.setHeader('Cache-Control', 'no-store');
}

export function formatDate(value: unknown): string {
  if (value === null || value === undefined || value === '') return '—';
  const d = typeof value === 'number' ? new Date(value) : new Date(String(value));
  if (Number.isNaN(d.getTime())) return '—';
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

export function formatPercentValue(value: unknown): string {
  const n = Number(value);
  if (!Number.isFinite(n)) return '—';
  const pct = n * 100;
  return `${pct >= 10 || Number.isInteger(pct) ? pct.toFixed(0) : pct.toFixed(1)}%`;
}

function createEnv(dir: string): { env: typeof Handlebars; pages: Map<string, Handlebars.TemplateDelegate> } {
  const env = Handlebars.create();
  env.registerHelper('date', (value: unknown) => formatDate(value));
  env.registerHelper('percent', (value: unknown) => formatPercentValue(value));
  env.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  env.registerHelper('or', (...args: unknown[]) => args.slice(0, -1).some(Boolean));
  env.registerHelper('json', (value: unknown) => JSON.stringify(value, null, 2));
  env.registerHelper('join', (value: unknown, sep: unknown) =>
    Array.isArray(value) ? value.map(String).join(typeof sep === 'string' ? sep : ', ') : '',
  );
  env.registerHelper('includes', (list: unknown, item: unknown) => Array.isArray(list) && list.includes(item));
  registerSharedPartials(env);
  const partialsDir = path.join(dir, 'partials');
  env.registerPartial('layout', fs.readFileSync(path.join(dir, 'layout.hbs'), 'utf8'));
  if (fs.existsSync(partialsDir)) {
    for (const file of fs.readdirSync(partialsDir).filter((f) => f.endsWith('.hbs'))) {
      env.registerPartial(file.replace(/\.hbs$/, ''), fs.readFileSync(path.join(partialsDir, file), 'utf8'));
    }
  }
  const pages = new Map<string, Handlebars.TemplateDelegate>();
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.hbs') && f !== 'layout.hbs')) {
    const source = fs.readFileSync(path.join(dir, file), 'utf8');
    pages.set(file.replace(/\.hbs$/, ''), env.compile(source));
  }
  return { env, pages };
}

export interface ConsoleViews {
  render(res: Response, page: string, data: Record<string, unknown>, status?: number): void;
  /** The raw HTML of a page (tests). */
  html(page: string, data: Record<string, unknown>): string;
  /** One partial rendered alone (e.g. a chart), escaped like every page. */
  partial(name: string, data: unknown): string;
}

/** Compile every template once (a broken template fails at start-up, not on a reviewer's click). */
export function createConsoleViews(dir = templatesDir()): ConsoleViews {
  const { env, pages } = createEnv(dir);
  // The layout's <style> holds no expressions, so the rendered block is byte-identical to it.
  const style = /<style>([\s\S]*?)<\/style>/.exec(fs.readFileSync(path.join(dir, 'layout.hbs'), 'utf8'));
  if (!style || style[1]?.includes('{{')) throw new Error('templates/admin/layout.hbs needs one static <style> block');
  const csp = consoleCsp(`sha256-${createHash('sha256').update(style[1] as string).digest('base64')}`);
  const html = (page: string, data: Record<string, unknown>) => {
    const template = pages.get(page);
    if (!template) throw new Error(`no admin template "${page}"`);
    return template(data);
  };
  return {
    html,
    partial(name, data) {
      if (!/^[a-z-]+$/.test(name) || !env.partials[name]) throw new Error(`no partial "${name}"`);
      return env.compile(`{{> ${name}}}`)(data);
    },
    render(res, page, data, status = 200) {
      consoleHeaders(res, csp);
      res.status(status).type('html').send(html(page, { ...res.locals.view, ...data }));
    },
  };
}
