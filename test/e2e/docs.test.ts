/**
 * The public docs site: every page renders, has no leftover template syntax, loads nothing from
 * outside, links only to things that exist, and covers every public error code and every event.
 */
import assert from 'node:assert/strict';
import { docsPages } from '../../src/docs/docs-site.ts';
import { renderMarkdown } from '../../src/docs/markdown.ts';
import { ERROR_TABLE } from '../../src/errors/errors.ts';
import { EVENT_TYPES } from '../../src/events/event-types.ts';
import { describedRoutes, errorCodesFor } from '../../src/openapi/openapi-document.ts';
import { TEST_VECTORS } from '../../src/webhooks/webhook-signer.ts';
import { createTestContext, type TestContext } from '../support/test-app.ts';

/** The text outside <pre> and <code>, where template syntax would be a bug, not an example. */
function prose(html: string): string {
  return html.replace(/<pre[\s\S]*?<\/pre>/g, '').replace(/<code[\s\S]*?<\/code>/g, '');
}

function decode(text: string): string {
  return text
    .replace(/&quot;/g, '"')
    .replace(/&#x27;|&#39;/g, "'")
    .replace(/&#x3D;/g, '=')
    .replace(/&#x60;/g, '`')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

function ids(html: string): Set<string> {
  return new Set([...html.matchAll(/\sid="([^"]+)"/g)].map((m) => decode(m[1] as string)));
}

describe('docs site (/docs, /acceptable-use)', function () {
  this.timeout(60_000);
  let ctx: TestContext;
  const pages = new Map<string, string>();

  before(async () => {
    ctx = await createTestContext();
    for (const page of docsPages()) {
      const res = await ctx.http.get(page.path);
      assert.equal(res.status, 200, `${page.path}: ${res.status} ${res.text?.slice(0, 500)}`);
      pages.set(page.path, res.text);
    }
  });
  after(async () => {
    await ctx.close();
  });

  it('has every page the spec asks for', () => {
    for (const path of [
      '/docs',
      '/docs/quickstart',
      '/docs/connect',
      '/docs/send',
      '/docs/receive',
      '/docs/receivers',
      '/docs/responsible-messaging',
      '/docs/endpoints',
      '/docs/troubleshooting',
      '/docs/production',
      '/acceptable-use',
    ])
      assert.ok(pages.has(path), `missing page ${path}`);
  });

  it('serves HTML readable on a phone, with no scripts and nothing loaded from elsewhere', async () => {
    for (const [path, html] of pages) {
      assert.match(html, /^<!doctype html>/i, path);
      assert.match(html, /<meta name="viewport" content="width=device-width, initial-scale=1">/, path);
      assert.match(html, /<style>[\s\S]*@media \(max-width/, `${path}: responsive styles`);
      assert.doesNotMatch(html, /<script/i, `${path}: no scripts`);
      assert.doesNotMatch(html, /<link\b/i, `${path}: no external stylesheets or fonts`);
      assert.doesNotMatch(html, /@import|url\(\s*['"]?https?:/i, `${path}: no remote CSS resources`);
      assert.doesNotMatch(html, /\ssrc="(https?:)?\/\//i, `${path}: no remote images or frames`);
    }
    const res = await ctx.http.get('/docs/send');
    assert.match(String(res.headers['content-type']), /^text\/html/);
    assert.match(String(res.headers['content-security-policy']), /default-src 'none'/);
  });

  it('leaves no unresolved template syntax', () => {
    for (const [path, html] of pages) {
      const text = prose(html);
      assert.doesNotMatch(text, /\{\{|\}\}/, `${path}: "{{" or "}}" outside code`);
      assert.doesNotMatch(text, /\[object Object\]|>undefined<|>null</, `${path}: a value rendered as text`);
    }
  });

  it('navigation links every page from every page', () => {
    const paths = [...pages.keys()];
    for (const [path, html] of pages) {
      for (const target of paths) assert.ok(html.includes(`href="${target}"`), `${path} does not link to ${target}`);
      assert.match(html, new RegExp(`href="${path}" aria-current="page"`), `${path}: current page marked`);
    }
  });

  it('every internal link and anchor resolves', async () => {
    const fetched = new Map<string, { status: number; html: string }>();
    for (const [path, html] of pages) fetched.set(path, { status: 200, html });
    const broken: string[] = [];
    for (const [from, html] of pages) {
      for (const m of html.matchAll(/href="([^"]+)"/g)) {
        const href = decode(m[1] as string);
        if (/^(https?:|mailto:)/.test(href)) continue;
        assert.ok(href.startsWith('/') || href.startsWith('#'), `${from}: relative link ${href}`);
        const [rawPath, fragment] = href.split('#') as [string, string | undefined];
        const path = rawPath === '' ? from : rawPath;
        let target = fetched.get(path);
        if (!target) {
          const res = await ctx.http.get(path);
          target = { status: res.status, html: res.text ?? '' };
          fetched.set(path, target);
        }
        if (target.status !== 200) broken.push(`${from} → ${href} (${target.status})`);
        else if (fragment && !ids(target.html).has(fragment)) broken.push(`${from} → ${href} (no #${fragment})`);
      }
    }
    assert.deepEqual(broken, []);
  });

  it('explains every public error code (SPEC §3.1) with its status, message, cause and fix', () => {
    const send = decode(pages.get('/docs/send') as string);
    const troubleshooting = decode(pages.get('/docs/troubleshooting') as string);
    for (const e of ERROR_TABLE.of('public')) {
      for (const [name, html] of [
        ['send', send],
        ['troubleshooting', troubleshooting],
      ] as const) {
        assert.ok(html.includes(`id="error-${e.code}"`), `${name}: no anchor for ${e.code}`);
        assert.ok(html.includes(e.message), `${name}: message of ${e.code}`);
        assert.ok(html.includes(e.cause) && html.includes(e.fix), `${name}: cause/fix of ${e.code}`);
      }
      assert.ok(send.includes(`<code>${e.code}</code> · ${e.status}`), `send: status of ${e.code}`);
    }
  });

  it('explains every error code any route documents', () => {
    const troubleshooting = decode(pages.get('/docs/troubleshooting') as string);
    const codes = new Set([...ERROR_TABLE.all().map((e) => e.code), ...describedRoutes(ctx.app).flatMap((r) => errorCodesFor(r.facts))]);
    for (const code of codes) {
      assert.ok(ERROR_TABLE.get(code), `the error table (src/errors/errors.ts) has no row for ${code}`);
      assert.ok(troubleshooting.includes(`id="error-${code}"`), `troubleshooting: ${code}`);
    }
  });

  it('documents every event with its JSON Schema and an example', () => {
    const receive = decode(pages.get('/docs/receive') as string);
    for (const type of EVENT_TYPES) {
      const anchor = `event-${type.replace(/[^a-z0-9]+/g, '-')}`;
      assert.ok(receive.includes(`id="${anchor}"`), `no section for ${type}`);
      const section = receive.slice(receive.indexOf(`id="${anchor}"`));
      const nextSection = section.indexOf('<h4', 10);
      const body = nextSection === -1 ? section : section.slice(0, nextSection);
      assert.ok(body.includes(`"$id": "urn:warden:events:${type}"`), `${type}: schema`);
      assert.ok(body.includes(`"event": "${type}"`), `${type}: example`);
    }
  });

  it('publishes the signature test vectors and verification code in Node, Python and PHP', () => {
    const receive = decode(pages.get('/docs/receive') as string);
    for (const v of TEST_VECTORS) {
      assert.ok(receive.includes(v.expected['X-WA-Signature']), v.name);
      assert.ok(receive.includes(v.expected['webhook-signature']), v.name);
      assert.ok(receive.includes(v.body), v.name);
      for (const s of v.secrets) assert.ok(receive.includes(s), v.name);
    }
    assert.ok(receive.includes("createHmac('sha256', secret)"), 'Node');
    assert.ok(receive.includes('def verify_signature('), 'Python');
    assert.ok(receive.includes('function warden_verify_signature('), 'PHP');
    const receivers = decode(pages.get('/docs/receivers') as string);
    assert.ok(receivers.includes('$getWorkflowStaticData'), 'n8n Code node');
    assert.ok(receivers.includes('export function createReceiver('), 'Node receiver');
  });

  it('states the policy numbers the gateway enforces', () => {
    const html = decode(pages.get('/docs/responsible-messaging') as string);
    const p = ctx.container.policies;
    for (const plan of Object.values(p.plans.plans)) {
      assert.ok(html.includes(plan.name));
      assert.ok(html.includes(plan.daily_limit.toLocaleString('en-US')), `${plan.name} daily`);
      assert.ok(html.includes(plan.monthly_limit.toLocaleString('en-US')), `${plan.name} monthly`);
    }
    for (const purpose of [...p.purposes.allowed, ...p.purposes.disallowed]) assert.ok(html.includes(purpose.id));
    const thresholds = (p.risk as unknown as { thresholds: { review: number; block: number } }).thresholds;
    assert.ok(html.includes(`${thresholds.block} or more`));
    assert.ok(html.includes(`${p.throttle.per_recipient.points} per`));
  });

  it('generates the endpoint reference from the OpenAPI document', () => {
    const html = decode(pages.get('/docs/endpoints') as string);
    for (const { route } of describedRoutes(ctx.app))
      assert.ok(html.includes(`<code>${route.path}</code>`), route.path);
    assert.ok(html.includes('sandbox only'));
  });

  it('404s unknown docs pages with the JSON error shape', async () => {
    const res = await ctx.http.get('/docs/nope');
    assert.equal(res.status, 404);
    assert.equal(res.body.error, 'not_found');
  });

  it('uses the proxy’s public URL in copy-paste examples, and only well-formed hosts', async () => {
    const viaProxy = await ctx.http
      .get('/docs/quickstart')
      .set('X-Forwarded-Host', 'wa.example.com')
      .set('X-Forwarded-Proto', 'https');
    assert.ok(viaProxy.text.includes('export BASE=https://wa.example.com'));
    const hostile = await ctx.http.get('/docs/quickstart').set('X-Forwarded-Host', '"><b>x</b>');
    assert.doesNotMatch(hostile.text, /<b>x<\/b>/);
  });
});

describe('docs Markdown renderer', () => {
  it('renders the subset the docs use and never passes HTML through', () => {
    const md = renderMarkdown(
      '# Title\n\nText with `code`, **bold** and a [link](/docs).\n\n<script>alert(1)</script>\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n```sh\necho "<x>"\n```\n\n- one\n- two\n\n[bad](javascript:alert(1))',
    );
    assert.equal(md.title, 'Title');
    assert.ok(md.html.includes('<h1 id="title">Title</h1>'));
    assert.ok(md.html.includes('<code>code</code>') && md.html.includes('<strong>bold</strong>'));
    assert.ok(md.html.includes('<a href="/docs">link</a>'));
    assert.ok(md.html.includes('&lt;script&gt;') && !md.html.includes('<script>'));
    assert.ok(md.html.includes('<td>1</td>'));
    assert.ok(md.html.includes('echo &quot;&lt;x&gt;&quot;'));
    assert.ok(md.html.includes('<li>two</li>'));
    assert.ok(!md.html.includes('javascript:'));
  });
});
