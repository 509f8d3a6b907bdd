/**
 * The public docs site: handlebars templates under `templates/docs/` (HTML-escaped, strict: a
 * variable the data does not have is an error, not an empty string) rendered into one layout,
 * plus Markdown pages kept in `docs/` (production.md) so they also read well in the repository.
 */
import type { Application } from 'express';
import fs from 'node:fs';
import Handlebars from 'handlebars';
import type { Container } from '../container.ts';
import { buildDocsData } from './docs-content.ts';
import { escapeHtml, renderMarkdown, slugify } from './markdown.ts';

const TEMPLATES = new URL('../../templates/docs/', import.meta.url);
const DOCS_DIR = new URL('../../docs/', import.meta.url);

export interface DocsPage {
  /** URL path. */
  path: string;
  /** Navigation label. */
  label: string;
  /** `<title>` and heading. */
  title: string;
  /** `templates/docs/<name>.hbs`, or a Markdown file in `docs/`. */
  source: { hbs: string } | { md: string };
  /** Indented under the previous top-level entry in the navigation. */
  child?: boolean;
}

/** A page at `/docs/<name>` rendered from `templates/docs/<name>.hbs`; the title is the label unless given. */
const page = (name: string, label: string, title = label, more: Partial<DocsPage> = {}): DocsPage => ({
  path: `/docs/${name}`,
  label,
  title,
  source: { hbs: name },
  ...more,
});

const PAGES: DocsPage[] = [
  page('overview', 'Overview', 'Warden documentation', { path: '/docs' }),
  page('quickstart', 'Quickstart'),
  page('connect', 'Connect a number', 'Connect a WhatsApp number'),
  page('send', 'Send messages'),
  page('receive', 'Receive events', 'Receive events (webhooks)'),
  page('receivers', 'Receiver examples', 'Receiver examples: n8n and Node.js', { child: true }),
  page('responsible-messaging', 'Responsible messaging'),
  page('portal', 'Customer portal'),
  page('3cx', '3CX', '3CX middleware'),
  page('endpoints', 'Endpoints', 'Endpoint reference'),
  page('troubleshooting', 'Troubleshooting'),
  page('production', 'Running in production', 'Running Warden in production', { source: { md: 'production.md' } }),
  page('acceptable-use', 'Acceptable use', 'Acceptable use policy', { path: '/acceptable-use' }),
];

/** Sub-pages other features add, in reading order, with friendlier labels. */
const SUBPAGE_ORDER = ['webhooks', 'call-events', 'troubleshooting'];
const SUBPAGE_LABELS: Record<string, string> = {
  webhooks: 'Webhook reference',
  'call-events': 'Call event templates',
  troubleshooting: '3CX troubleshooting',
};

function sourceExists(page: DocsPage): boolean {
  const url = 'hbs' in page.source ? new URL(`${page.source.hbs}.hbs`, TEMPLATES) : new URL(page.source.md, DOCS_DIR);
  return fs.existsSync(url);
}

/**
 * The pages that exist now. Extra templates other features add (`3cx-webhooks.hbs` →
 * `/docs/3cx/webhooks`) are picked up too, listed under their parent.
 */
export function docsPages(): DocsPage[] {
  const pages = PAGES.filter(sourceExists);
  const known = new Set(PAGES.flatMap((p) => ('hbs' in p.source ? [p.source.hbs] : [])));
  const extra = fs.existsSync(TEMPLATES)
    ? fs
        .readdirSync(TEMPLATES)
        .filter((f) => f.endsWith('.hbs') && !f.startsWith('_') && f !== 'layout.hbs')
        .map((f) => f.slice(0, -4))
        .filter((name) => !known.has(name) && /^[a-z0-9]+(-[a-z0-9]+)+$/.test(name))
    : [];
  const rank = (name: string) => {
    const i = SUBPAGE_ORDER.indexOf(name.slice(name.indexOf('-') + 1));
    return i === -1 ? SUBPAGE_ORDER.length : i;
  };
  for (const name of extra.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))) {
    const [parent, ...rest] = name.split('-');
    const slug = rest.join('-');
    const label = SUBPAGE_LABELS[slug] ?? rest.join(' ').replace(/^./, (ch) => ch.toUpperCase());
    const page: DocsPage = {
      path: `/docs/${parent}/${slug}`,
      label,
      title: `${parent === '3cx' ? '3CX' : parent}: ${label}`,
      source: { hbs: name },
      child: true,
    };
    const parentIndex = pages.findIndex((p) => p.path === `/docs/${parent}`);
    if (parentIndex === -1) continue;
    let at = parentIndex + 1;
    while (pages[at]?.child && pages[at]?.path.startsWith(`/docs/${parent}/`)) at++;
    pages.splice(at, 0, page);
  }
  return pages;
}

function createHandlebars(): typeof Handlebars {
  const hb = Handlebars.create();
  hb.registerHelper('json', (value: unknown) => JSON.stringify(value, null, 2));
  hb.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  hb.registerHelper('fmt', (n: unknown) => (typeof n === 'number' ? n.toLocaleString('en-US') : String(n)));
  hb.registerHelper('join', (list: unknown, sep: unknown) =>
    Array.isArray(list) ? list.join(typeof sep === 'string' ? sep : ', ') : '',
  );
  hb.registerHelper('slug', (prefix: unknown, value: unknown) =>
    `${String(prefix)}${String(value).replace(/[^A-Za-z0-9]+/g, '-').toLowerCase()}`,
  );
  return hb;
}

/** "On this page" after the page's introduction, when it has three sections or more. */
function withToc(body: string): string {
  const entries = [...body.matchAll(/<h2 id="([^"]+)">(.*?)<\/h2>/g)].map(
    (m) => `<li><a href="#${m[1] as string}">${(m[2] as string).replace(/<[^>]+>/g, '')}</a></li>`,
  );
  if (entries.length < 3) return body;
  const h1End = body.indexOf('</h1>');
  if (h1End === -1) return body;
  const introEnd = body.indexOf('</p>', h1End);
  const firstH2 = body.indexOf('<h2', h1End);
  const at = introEnd !== -1 && (firstH2 === -1 || introEnd < firstH2) ? introEnd + 4 : h1End + 5;
  const toc = `<nav class="toc" aria-label="On this page"><strong>On this page</strong><ul>${entries.join('')}</ul></nav>`;
  return body.slice(0, at) + toc + body.slice(at);
}

export interface RenderedPage {
  html: string;
  title: string;
}

/** Renders pages for one container; templates are compiled on first use and kept. */
export class DocsSite {
  private readonly hb = createHandlebars();
  private readonly compiled = new Map<string, Handlebars.TemplateDelegate>();

  constructor(private readonly c: Container) {}

  pages(): DocsPage[] {
    return docsPages();
  }

  find(path: string): DocsPage | undefined {
    const normalized = path.length > 1 ? path.replace(/\/+$/, '') : path;
    return this.pages().find((p) => p.path === normalized);
  }

  private template(name: string): Handlebars.TemplateDelegate {
    let t = this.compiled.get(name);
    if (!t) {
      const source = fs.readFileSync(new URL(`${name}.hbs`, TEMPLATES), 'utf8');
      t = this.hb.compile(source, { strict: true, preventIndent: true });
      this.compiled.set(name, t);
    }
    return t;
  }

  /** `app`: the live app, whose routes the endpoint reference describes. */
  render(page: DocsPage, baseUrl: string, app: Application): RenderedPage {
    const data = buildDocsData(this.c, baseUrl, app);
    let body: string;
    let title = page.title;
    if ('md' in page.source) {
      const md = renderMarkdown(fs.readFileSync(new URL(page.source.md, DOCS_DIR), 'utf8'));
      body = md.html;
      title = md.title ?? title;
    } else {
      body = this.template(page.source.hbs)({ ...data, page: { title: page.title, path: page.path } });
      const h1 = /<h1[^>]*>([\s\S]*?)<\/h1>/.exec(body)?.[1];
      if (h1)
        title =
          h1
            .replace(/<[^>]+>/g, '')
            .replace(/&#39;|&#x27;/g, "'")
            .replace(/&quot;/g, '"')
            .replace(/&lt;/g, '<')
            .replace(/&gt;/g, '>')
            .replace(/&amp;/g, '&')
            .trim() || title;
    }
    body = withToc(body);
    const pages = this.pages();
    const index = pages.findIndex((p) => p.path === page.path);
    const neighbour = (p: DocsPage | undefined) => (p ? { path: p.path, label: p.label } : null);
    const html = this.template('layout')({
      title,
      body,
      nav: pages.map((p) => ({ path: p.path, label: p.label, child: Boolean(p.child), current: p.path === page.path })),
      prev: neighbour(index > 0 ? pages[index - 1] : undefined),
      next: neighbour(index >= 0 ? pages[index + 1] : undefined),
      sandbox: data.sandbox,
      version: data.version,
    });
    return { html, title };
  }
}

export { escapeHtml, slugify };
