import assert from 'node:assert/strict';
import {
  TEMPLATE_EVENTS,
  type TemplateValues,
  ThreeCxTemplates,
  validateTemplate,
} from '../../src/integrations/threecx/threecx-templates.ts';
import { callTimeValue } from '../../src/integrations/threecx/threecx-event-fields.ts';

const VALUES: TemplateValues = {
  customer_phone: '+966500000000',
  agent_extension: '101',
  queue: 'Billing',
  call_time: '2026-05-08 10:00',
  business_name: 'Acme & Sons',
};

describe('3CX call-event templates', () => {
  const templates = new ThreeCxTemplates();

  it('every default template in templates/3cx is valid and renders plain text (no HTML escaping)', () => {
    for (const event of TEMPLATE_EVENTS) {
      assert.deepEqual(validateTemplate(templates.defaultSource(event)), [], event);
      const text = templates.render(event, VALUES);
      assert.ok(text.includes('Acme & Sons'), `${event}: ${text}`);
      assert.ok(!text.includes('&amp;'), event);
      assert.ok(!text.includes('{{'), event);
      assert.equal(text, text.trim());
    }
    assert.equal(
      templates.render('missed_call', VALUES),
      'Hello, this is Acme & Sons. We missed your call at 2026-05-08 10:00. Reply here on WhatsApp and our team will help you as soon as possible.',
    );
    assert.equal(
      templates.render('call_ended', { ...VALUES, agent_extension: '' }),
      'Thank you for calling Acme & Sons. If you need anything else, reply to this WhatsApp chat.',
    );
  });

  it('overrides render with every variable; values are single-line and bounded', () => {
    const source = '{{customer_phone}}|{{agent_extension}}|{{queue}}|{{call_time}}|{{business_name}}';
    assert.deepEqual(validateTemplate(source), []);
    assert.equal(
      templates.render('voicemail', VALUES, source),
      '+966500000000|101|Billing|2026-05-08 10:00|Acme & Sons',
    );
    const sneaky = templates.render(
      'voicemail',
      {
        ...VALUES,
        queue: 'Sales\n\nBUY NOW 50% OFF\u0000',
        business_name: 'x'.repeat(500),
      },
      source,
    );
    assert.ok(!sneaky.includes('\n'));
    assert.ok(sneaky.includes('Sales BUY NOW 50% OFF'));
    assert.equal(sneaky.split('|')[4]?.length, 120);
  });

  it('validation refuses unknown variables, helpers, partials, data and parent paths, compile errors', () => {
    assert.deepEqual(validateTemplate('Hi {{business_name}}'), []);
    assert.deepEqual(validateTemplate('{{#if queue}}{{queue}}{{else}}our team{{/if}}'), []);
    assert.deepEqual(validateTemplate('{{#unless agent_extension}}x{{/unless}}'), []);
    const refusals: [unknown, RegExp][] = [
      ['{{name}}', /unknown variable \{\{name\}\}/],
      ['{{#if name}}x{{/if}}', /unknown variable \{\{name\}\}/],
      ['{{#if queue}}{{coupon}}{{/if}}', /unknown variable \{\{coupon\}\}/],
      ['{{#if queue}}x{{else}}{{coupon}}{{/if}}', /unknown variable \{\{coupon\}\}/],
      ['{{#with queue}}x{{/with}}', /not allowed/],
      ['{{#if}}x{{/if}}', /exactly one variable/],
      ['{{#if queue business_name}}x{{/if}}', /exactly one variable/],
      ['{{log queue}}', /helpers are not allowed/],
      ['{{queue x=1}}', /helpers are not allowed/],
      ['{{> partial}}', /partials/],
      ['{{#> layout}}x{{/layout}}', /partials/],
      ['{{@index}}', /unknown variable/],
      ['{{./queue}}', /unknown variable/],
      ['{{queue/name}}', /unknown variable/],
      ['{{constructor}}', /unknown variable/],
      ['{{__proto__}}', /unknown variable/],
      ['{{"literal"}}', /only the variables/],
      ['{{#if queue}}', /does not compile/],
      ['{{/if}}', /does not compile/],
      ['{{{queue}}', /does not compile/],
      ['{{!-- only a comment --}}', /renders an empty message/],
      [42, /must be a string/],
    ];
    for (const [source, reason] of refusals) {
      const problems = validateTemplate(source);
      assert.ok(problems.length > 0, `accepted: ${String(source)}`);
      assert.match(problems.join('; '), reason, String(source));
    }
  });

  it('call_time: dates are shown in the account time zone, free text is kept', () => {
    const now = Date.parse('2026-05-08T10:00:00Z');
    assert.equal(callTimeValue(undefined, 'UTC', now), '2026-05-08 10:00');
    assert.equal(callTimeValue(undefined, 'Asia/Jakarta', now), '2026-05-08 17:00');
    assert.equal(callTimeValue('2026-05-08T09:58:00Z', 'Asia/Riyadh', now), '2026-05-08 12:58');
    assert.equal(callTimeValue(1778234280, 'UTC', now), '2026-05-08 09:58');
    assert.equal(callTimeValue('1778234280000', 'UTC', now), '2026-05-08 09:58');
    assert.equal(callTimeValue('this morning', 'UTC', now), 'this morning');
  });
});
