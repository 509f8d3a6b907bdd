import assert from 'node:assert/strict';
import fs from 'node:fs';
import Handlebars from 'handlebars';
import { describePublicErrors } from '../../src/errors/errors.ts';
import { THREECX_PUBLIC_ERRORS } from '../../src/integrations/threecx/threecx-errors.ts';
import { ThreeCxTemplates, TEMPLATE_EVENTS } from '../../src/integrations/threecx/threecx-templates.ts';
import { THREECX_EVENT_TYPES } from '../../src/integrations/threecx/threecx-event-fields.ts';

/** templates/docs/3cx*.hbs stay true: every error row matches the code, and defaults are shown verbatim. */
describe('3CX docs pages (templates/docs/3cx*.hbs)', () => {
  const files = ['3cx', '3cx-webhooks', '3cx-call-events', '3cx-troubleshooting'].map((name) =>
    fs.readFileSync(`templates/docs/${name}.hbs`, 'utf8'),
  );
  const source = files.join('\n');
  const html = files.map((f) => Handlebars.compile(f, { strict: true })({})).join('\n');
  const esc = (s: string) => Handlebars.escapeExpression(s);

  it('compiles with escaping on and no variables', () => {
    for (const heading of [
      '3CX middleware',
      '3CX webhook reference',
      '3CX call-event templates',
      '3CX middleware troubleshooting',
    ])
      assert.ok(html.includes(`<h1>${heading}</h1>`), heading);
    assert.doesNotMatch(html.replace(/<code>[\s\S]*?<\/code>/g, ''), /\{\{/);
  });

  it('the troubleshooting table gives every 3CX error its real status and exact message', () => {
    const rows = [
      ...html.matchAll(/<tr><td><code>([a-z0-9_]+)<\/code><\/td><td>(\d{3})<\/td><td>([^<]*)<\/td>/g),
    ].map((m) => ({ code: m[1], status: Number(m[2]), message: m[3] }));
    const byCode = new Map(rows.map((r) => [r.code, r]));
    const all = new Map(describePublicErrors().map((e) => [e.code, e]));
    for (const Cls of THREECX_PUBLIC_ERRORS) {
      const e = new Cls();
      const row = byCode.get(e.code);
      assert.ok(row, `docs row for ${e.code}`);
      assert.equal(row.status, e.status, e.code);
      // module_not_enabled carries the 3CX-specific message on 3CX routes.
      const message =
        e.code === 'module_not_enabled' ? '3CX integration is not enabled for this account.' : e.message;
      assert.equal(row.message, esc(message), e.code);
    }
    for (const row of rows) {
      const known =
        all.get(row.code as string) ??
        THREECX_PUBLIC_ERRORS.map((C) => new C()).find((e) => e.code === row.code);
      assert.ok(known, `documented code ${row.code} exists`);
      assert.equal(row.status, known.status, row.code);
    }
  });

  it('shows every event type and every default template verbatim', () => {
    for (const event of THREECX_EVENT_TYPES) assert.ok(html.includes(`<code>${event}</code>`), event);
    const templates = new ThreeCxTemplates();
    for (const event of TEMPLATE_EVENTS) {
      const shown = esc(templates.defaultSource(event).trim())
        .replace(/\{/g, '&#123;')
        .replace(/\}/g, '&#125;');
      // The page writes braces as entities; the escaped output keeps them as written.
      assert.ok(source.includes(shown) || html.includes(shown), `${event} default template shown`);
    }
  });
});
