import assert from 'node:assert/strict';
import fs from 'node:fs';
import { loadPolicies } from '../../src/config/policies.ts';
import { loadCorpus } from '../../src/sending/risk/corpus.ts';
import { evaluate, headline, type Headline } from '../../src/sending/risk/policy-eval.ts';
import { createRiskEngine } from '../../src/sending/risk/risk-engine.ts';
import { createOptOutMatcher } from '../../src/suppression/opt-out-matcher.ts';

/**
 * The policy engine measured like a model: the held-out test split of the project's corpus
 * (authors the models never saw) through the exact engines the gateway builds. The recorded
 * figures (policies/corpus/figures.json, written by `warden policies eval --split test --record`)
 * may not get worse by more than 2 points in any language.
 */
const recorded = JSON.parse(fs.readFileSync('policies/corpus/figures.json', 'utf8')) as {
  overall: Headline;
  by_language: Record<string, Headline>;
};
const TOLERANCE = 2;

describe('policy quality on the held-out test split', function () {
  this.timeout(60_000);
  const policies = loadPolicies('./policies');
  const rows = loadCorpus('policies/corpus').rows.filter((r) => r.split === 'test');
  const report = evaluate(rows, {
    risk: createRiskEngine(policies.risk, policies.models),
    optOut: createOptOutMatcher(policies.optOut, policies.models),
  });
  const groups: [string, Headline, Headline][] = [
    ['all', headline(report.all), recorded.overall],
    ...Object.entries(recorded.by_language).map(([lang, r]): [string, Headline, Headline] => [lang, headline(report.byLanguage[lang] ?? report.all), r]),
  ];

  it('covers every language with sends and replies', () => {
    for (const lang of ['en', 'id', 'ar']) {
      const g = report.byLanguage[lang];
      assert.ok(g && g.refuse.n > 0 && g.allow.n > 0 && g.optOut.n > 0 && g.none.n > 0, `${lang}: ${JSON.stringify(g)}`);
    }
  });

  for (const [name, now, before] of groups) {
    it(`${name}: no figure worse than recorded by more than ${TOLERANCE} points`, () => {
      const higher = (a: number | null, b: number | null, what: string) =>
        assert.ok(a === null || b === null || a >= b - TOLERANCE, `${name} ${what}: ${a} < recorded ${b} - ${TOLERANCE}`);
      const lower = (a: number | null, b: number | null, what: string) =>
        assert.ok(a === null || b === null || a <= b + TOLERANCE, `${name} ${what}: ${a} > recorded ${b} + ${TOLERANCE}`);
      higher(now.refusal_recall, before.refusal_recall, 'refusal recall');
      lower(now.false_refusals, before.false_refusals, 'false refusals');
      higher(now.opt_out_recall, before.opt_out_recall, 'opt-out recall');
      higher(now.opt_in_recall, before.opt_in_recall, 'opt-in recall');
      assert.ok(now.false_opt_outs <= before.false_opt_outs, `${name} false opt-outs: ${now.false_opt_outs} > recorded ${before.false_opt_outs}`);
    });
  }
});
