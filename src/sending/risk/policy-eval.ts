import type { RiskEngine } from './risk-engine.ts';
import type { OptOutMatcher } from '../../suppression/opt-out-matcher.ts';
import type { CorpusRow } from './corpus.ts';

/**
 * Runs labelled rows through the engines the gateway uses and counts what a user relies on:
 * refused sends that should be refused (recall), legitimate sends refused (false refusals),
 * opt-outs honoured, ordinary replies taken as opt-outs, opt-ins honoured.
 *
 * Sends are scored as the first message to a new recipient with quiet behaviour (one
 * recipient, nothing else sent this hour), so the figures measure content, not throttles.
 */

export interface Tally {
  n: number;
  hit: number;
}

export interface GroupFigures {
  refuse: Tally;
  allow: Tally;
  optOut: Tally;
  optIn: Tally;
  none: Tally;
  /** Ordinary replies taken as opt-ins (hit = wrongly opted in). */
  noneOptIn: Tally;
}

export interface Miss {
  id: string;
  lang: string;
  category: string;
  expected: string;
  got: string;
  detail?: string;
}

export interface EvalReport {
  rows: number;
  all: GroupFigures;
  byLanguage: Record<string, GroupFigures>;
  byCategory: Record<string, GroupFigures>;
  misses: Miss[];
  /** Median and worst scoring time per send, microseconds. */
  sendMicros: { p50: number; max: number };
}

function emptyGroup(): GroupFigures {
  return {
    refuse: { n: 0, hit: 0 },
    allow: { n: 0, hit: 0 },
    optOut: { n: 0, hit: 0 },
    optIn: { n: 0, hit: 0 },
    none: { n: 0, hit: 0 },
    noneOptIn: { n: 0, hit: 0 },
  };
}

export interface Engines {
  risk: RiskEngine;
  optOut: OptOutMatcher;
}

/** `hit` means: refused (refuse, allow), opted out (optOut, none), opted in (optIn). */
export function evaluate(rows: CorpusRow[], engines: Engines): EvalReport {
  const all = emptyGroup();
  const byLanguage: Record<string, GroupFigures> = {};
  const byCategory: Record<string, GroupFigures> = {};
  const misses: Miss[] = [];
  const timings: number[] = [];
  const count = (row: CorpusRow, key: keyof GroupFigures, hit: boolean) => {
    for (const g of [all, (byLanguage[row.lang] ??= emptyGroup()), (byCategory[`${row.kind}/${row.category}`] ??= emptyGroup())]) {
      g[key].n++;
      if (hit) g[key].hit++;
    }
  };

  for (const row of rows) {
    if (row.kind === 'send') {
      const started = process.hrtime.bigint();
      const result = engines.risk.score(
        { text: row.text, purpose: row.purpose, isGroup: false, hasMedia: false },
        { sameSkeletonRecipients: 1, newRecipientsLastHour: 1, recentOptOuts: 0, isNewRecipient: true },
      );
      timings.push(Number(process.hrtime.bigint() - started) / 1000);
      const refused = result.action === 'block';
      count(row, row.label === 'refuse' ? 'refuse' : 'allow', refused);
      if (refused !== (row.label === 'refuse')) {
        misses.push({
          id: row.id,
          lang: row.lang,
          category: row.category,
          expected: row.label,
          got: refused ? 'refused' : 'sent',
          detail: `score ${result.score}: ${result.rules.map((r) => `${r.id}(${r.weight})`).join(' ')}`,
        });
      }
    } else {
      const match = engines.optOut.classify(row.text);
      const got = match?.kind ?? 'none';
      const key = row.label === 'opt_out' ? 'optOut' : row.label === 'opt_in' ? 'optIn' : 'none';
      count(row, key, key === 'optIn' ? got === 'opt_in' : got === 'opt_out');
      if (key === 'none') count(row, 'noneOptIn', got === 'opt_in');
      if (got !== row.label) {
        misses.push({
          id: row.id,
          lang: row.lang,
          category: row.category,
          expected: row.label,
          got,
          ...(match ? { detail: `${match.tier} ${match.keyword}${match.probability !== undefined ? ` ${match.probability}` : ''}` } : {}),
        });
      }
    }
  }
  timings.sort((a, b) => a - b);
  return {
    rows: rows.length,
    all,
    byLanguage,
    byCategory,
    misses,
    sendMicros: {
      p50: Math.round(timings[Math.floor(timings.length / 2)] ?? 0),
      max: Math.round(timings[timings.length - 1] ?? 0),
    },
  };
}

/** Percent with one decimal, or null when there is nothing to measure. */
export function rate(t: Tally): number | null {
  return t.n === 0 ? null : Math.round((t.hit / t.n) * 1000) / 10;
}

export interface Headline {
  refusal_recall: number | null;
  false_refusals: number | null;
  opt_out_recall: number | null;
  false_opt_outs: number;
  opt_in_recall: number | null;
  false_opt_ins: number;
}

export function headline(g: GroupFigures): Headline {
  return {
    refusal_recall: rate(g.refuse),
    false_refusals: rate(g.allow),
    opt_out_recall: rate(g.optOut),
    false_opt_outs: g.none.hit,
    opt_in_recall: rate(g.optIn),
    false_opt_ins: g.noneOptIn.hit,
  };
}

function cell(t: Tally): string {
  if (t.n === 0) return '—';
  return `${(rate(t) as number).toFixed(1)}% (${t.hit}/${t.n})`;
}

/** The printed report: per language, per category, then the misses by id. */
export function formatReport(report: EvalReport, options: { misses?: boolean } = {}): string {
  const lines: string[] = [];
  const header = ['', 'refusal recall', 'false refusals', 'opt-out recall', 'false opt-outs', 'opt-in recall', 'false opt-ins'];
  const row = (name: string, g: GroupFigures) => [
    name,
    cell(g.refuse),
    cell(g.allow),
    cell(g.optOut),
    g.none.n === 0 ? '—' : `${g.none.hit}/${g.none.n}`,
    cell(g.optIn),
    g.none.n === 0 ? '—' : `${g.noneOptIn.hit}/${g.noneOptIn.n}`,
  ];
  const table = (title: string, groups: [string, GroupFigures][]) => {
    const body = [header, ...groups.map(([n, g]) => row(n, g))];
    const widths = header.map((_, i) => Math.max(...body.map((r) => (r[i] as string).length)));
    lines.push(title);
    for (const r of body) lines.push(`  ${r.map((c, i) => c.padEnd(widths[i] as number)).join('  ')}`);
    lines.push('');
  };
  table(
    `Per language (${report.rows} rows)`,
    [...Object.entries(report.byLanguage).sort(), ['all', report.all]],
  );
  table('Per category', Object.entries(report.byCategory).sort());
  lines.push(`Send scoring time: p50 ${report.sendMicros.p50} µs, max ${report.sendMicros.max} µs`);
  if (options.misses !== false && report.misses.length > 0) {
    lines.push('', `Misses (${report.misses.length}):`);
    for (const m of report.misses) {
      lines.push(`  ${m.id} [${m.lang} ${m.category}] expected ${m.expected}, got ${m.got}${m.detail ? ` — ${m.detail}` : ''}`);
    }
  }
  return lines.join('\n');
}
