/**
 * Policy-engine benchmark: quality and cost of the engine in one run, beside a baseline.
 *
 *   baseline: the deterministic layer alone (risk-rules.json without its classifier rule,
 *             opt-out.json without its reply detector) — what Warden shipped before v2;
 *   v2:       the engine the gateway builds (rules + intent classifier + reply detector).
 *
 * Prints, for the held-out test split of policies/corpus: refusal recall, false refusals,
 * opt-out recall, false opt-outs, opt-in recall; then the scoring cost per send (µs, p50/p99/mean)
 * over every send of the corpus, each engine timed alone after a warm-up.
 */
import { loadPolicies } from '../src/config/policies.ts';
import { loadCorpus, type CorpusSend } from '../src/sending/risk/corpus.ts';
import { evaluate, headline } from '../src/sending/risk/policy-eval.ts';
import { createRiskEngine, QUIET_BEHAVIOUR, withoutClassifiers, type RiskEngine } from '../src/sending/risk/risk-engine.ts';
import { createOptOutMatcher } from '../src/suppression/opt-out-matcher.ts';

const policies = loadPolicies('./policies');
const { classifier: _detector, ...optOutRules } = policies.optOut;
const engines = {
  baseline: {
    risk: createRiskEngine(withoutClassifiers(policies.risk)),
    optOut: createOptOutMatcher(optOutRules),
  },
  v2: {
    risk: createRiskEngine(policies.risk, policies.models),
    optOut: createOptOutMatcher(policies.optOut, policies.models),
  },
};

const corpus = loadCorpus('policies/corpus');
const test = corpus.rows.filter((r) => r.split === 'test');
const fmt = (v: number | null, suffix = '%') => (v === null ? '—' : `${v.toFixed(1)}${suffix}`);

console.log(`Held-out test split: ${test.length} rows (authors never used for training or tuning)\n`);
const header = ['engine', 'lang', 'refusal recall', 'false refusals', 'opt-out recall', 'false opt-outs', 'opt-in recall'];
const lines: string[][] = [header];
for (const [name, e] of Object.entries(engines)) {
  const report = evaluate(test, e);
  for (const [lang, g] of [...Object.entries(report.byLanguage).sort(), ['all', report.all] as const]) {
    const h = headline(g);
    lines.push([name, lang, fmt(h.refusal_recall), fmt(h.false_refusals), fmt(h.opt_out_recall), String(h.false_opt_outs), fmt(h.opt_in_recall)]);
  }
}
const widths = header.map((_, i) => Math.max(...lines.map((l) => (l[i] as string).length)));
for (const l of lines) console.log(l.map((c, i) => c.padEnd(widths[i] as number)).join('  '));

function time(engine: RiskEngine, sends: CorpusSend[]): { p50: number; p99: number; mean: number } {
  const run = (s: CorpusSend) => engine.score({ text: s.text, purpose: s.purpose, isGroup: false, hasMedia: false }, QUIET_BEHAVIOUR);
  for (const s of sends) run(s); // warm-up: JIT and caches
  const micros: number[] = [];
  for (let round = 0; round < 3; round++) {
    for (const s of sends) {
      const t0 = process.hrtime.bigint();
      run(s);
      micros.push(Number(process.hrtime.bigint() - t0) / 1000);
    }
  }
  micros.sort((a, b) => a - b);
  const at = (q: number) => micros[Math.min(micros.length - 1, Math.floor(q * micros.length))] as number;
  return { p50: at(0.5), p99: at(0.99), mean: micros.reduce((a, b) => a + b, 0) / micros.length };
}

const sends = corpus.rows.filter((r): r is CorpusSend & (typeof corpus.rows)[number] => r.kind === 'send');
console.log(`\nScoring cost per send over ${sends.length} corpus sends × 3 (µs):`);
for (const [name, e] of Object.entries(engines)) {
  const t = time(e.risk, sends);
  console.log(`  ${name.padEnd(8)}  p50 ${t.p50.toFixed(0).padStart(4)}  p99 ${t.p99.toFixed(0).padStart(5)}  mean ${t.mean.toFixed(0).padStart(4)}`);
}
