import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadPolicies } from '../../config/policies.ts';
import { createOptOutMatcher } from '../../suppression/opt-out-matcher.ts';
import { loadCorpus, parseCorpusFile, type CorpusRow, type Split } from './corpus.ts';
import { evaluate, formatReport, headline } from './policy-eval.ts';
import { writePolicyModels } from './policy-training.ts';
import { createRiskEngine } from './risk-engine.ts';

export const POLICY_USAGE = `  policies train                            retrain the classifiers from policies/corpus (train + dev splits)
  policies eval FILE.jsonl [--json] [--no-misses]
                                            run labelled sends/replies through the gateway's engines
  policies eval --split test|dev|train      the same on a split of the project's corpus
                [--record FILE]             also write the headline figures (policies/corpus/figures.json)`;

/**
 * \`warden policies train\` and \`warden policies eval\`. Eval builds the engines exactly as the
 * gateway does (same policy files, same models) and prints refusal recall, false refusals,
 * opt-out recall, false opt-outs and opt-in recall per language and per category.
 */
export function runPolicyCommand(action: string, args: string[], policiesDir: string): string {
  if (action === 'train') {
    const { files, rows } = writePolicyModels(policiesDir);
    return `trained on ${rows} rows (train + dev splits):\n${files.map((f) => `  ${f}`).join('\n')}`;
  }
  const { values, positionals } = parseArgs({
    args,
    options: {
      split: { type: 'string' },
      json: { type: 'boolean' },
      'no-misses': { type: 'boolean' },
      record: { type: 'string' },
    },
    allowPositionals: true,
  });
  let rows: CorpusRow[];
  if (values.split !== undefined) {
    if (!['train', 'dev', 'test'].includes(values.split)) throw new Error('--split must be train, dev or test');
    const split = values.split as Split;
    rows = loadCorpus(path.join(policiesDir, 'corpus')).rows.filter((r) => r.split === split);
  } else {
    const file = positionals[0];
    if (file === undefined) throw new Error(`policies eval needs a FILE.jsonl or --split\n\n${POLICY_USAGE}`);
    rows = parseCorpusFile(file);
  }
  const policies = loadPolicies(policiesDir);
  const report = evaluate(rows, {
    risk: createRiskEngine(policies.risk, policies.models),
    optOut: createOptOutMatcher(policies.optOut, policies.models),
  });
  if (values.record !== undefined) {
    // The figures the quality regression test holds future changes to (policies/corpus/figures.json).
    const figures = {
      split: values.split ?? path.basename(positionals[0] ?? ''),
      rows: report.rows,
      overall: headline(report.all),
      by_language: Object.fromEntries(Object.entries(report.byLanguage).sort().map(([k, g]) => [k, headline(g)])),
    };
    fs.writeFileSync(values.record, `${JSON.stringify(figures, null, 2)}\n`);
  }
  if (values.json === true) {
    return JSON.stringify(
      {
        overall: headline(report.all),
        by_language: Object.fromEntries(Object.entries(report.byLanguage).map(([k, g]) => [k, headline(g)])),
        by_category: Object.fromEntries(Object.entries(report.byCategory).map(([k, g]) => [k, headline(g)])),
        send_scoring_micros: report.sendMicros,
        misses: report.misses,
      },
      null,
      2,
    );
  }
  return formatReport(report, { misses: values['no-misses'] !== true });
}
