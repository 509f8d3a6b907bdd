import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/**
 * The project's labelled corpus (`policies/corpus/`): JSON Lines of sends and inbound replies,
 * written by many authors. Rows are split into train / dev / test **by author**, once, with a
 * fixed seed, so the test split measures writers the model never saw.
 */

export type SendLabel = 'allow' | 'refuse';
export type ReplyLabel = 'opt_out' | 'opt_in' | 'none';

export interface CorpusSend {
  id: string;
  kind: 'send';
  lang: string;
  author?: string;
  purpose: string;
  text: string;
  label: SendLabel;
  category: string;
  hard?: boolean;
}

export interface CorpusReply {
  id: string;
  kind: 'reply';
  lang: string;
  author?: string;
  text: string;
  label: ReplyLabel;
  category: string;
}

export type CorpusRow = CorpusSend | CorpusReply;
export type Split = 'train' | 'dev' | 'test';

/** The seed of the one and only split. Changing it would leak test authors into training. */
export const SPLIT_SEED = 'warden-corpus-2026-12';
const SPLIT_SHARES: [Split, number][] = [
  ['train', 0.6],
  ['dev', 0.2],
  ['test', 0.2],
];

const SEND_LABELS = new Set(['allow', 'refuse']);
const REPLY_LABELS = new Set(['opt_out', 'opt_in', 'none']);

export class CorpusError extends Error {}

/** Parses one JSON Lines file; every problem names the file and line. */
export function parseCorpusFile(file: string, text = fs.readFileSync(file, 'utf8')): CorpusRow[] {
  const rows: CorpusRow[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    const where = `${path.basename(file)}:${i + 1}`;
    let row: Record<string, unknown>;
    try {
      row = JSON.parse(line) as Record<string, unknown>;
    } catch (error) {
      throw new CorpusError(`${where}: not valid JSON (${(error as Error).message})`);
    }
    for (const field of ['id', 'text', 'label']) {
      if (typeof row[field] !== 'string' || row[field] === '') throw new CorpusError(`${where}: "${field}" must be a non-empty string`);
    }
    const kind = row.kind ?? (typeof row.purpose === 'string' ? 'send' : 'reply');
    if (kind === 'send') {
      if (!SEND_LABELS.has(row.label as string)) throw new CorpusError(`${where}: a send's label is allow or refuse`);
      if (typeof row.purpose !== 'string') throw new CorpusError(`${where}: a send needs a purpose`);
    } else if (kind === 'reply') {
      if (!REPLY_LABELS.has(row.label as string)) throw new CorpusError(`${where}: a reply's label is opt_out, opt_in or none`);
    } else {
      throw new CorpusError(`${where}: kind must be send or reply`);
    }
    rows.push({
      ...row,
      kind,
      lang: typeof row.lang === 'string' ? row.lang : 'und',
      category: typeof row.category === 'string' ? row.category : String(row.label),
    } as CorpusRow);
  });
  return rows;
}

function rank(author: string): string {
  return createHash('sha256').update(`${SPLIT_SEED}\u0000${author}`).digest('hex');
}

/**
 * Author → split. Authors are grouped by source file (each file is one writer's set of personas,
 * often one language), ordered by a seeded hash, and cut 60 / 20 / 20 within each group, so every
 * source has authors on every side and no author is on two sides.
 */
export function assignSplits(rows: CorpusRow[], sourceOf: (row: CorpusRow) => string): Map<string, Split> {
  const bySource = new Map<string, Set<string>>();
  for (const row of rows) {
    const author = row.author ?? row.id;
    const source = sourceOf(row);
    const set = bySource.get(source) ?? new Set<string>();
    set.add(author);
    bySource.set(source, set);
  }
  const out = new Map<string, Split>();
  for (const source of [...bySource.keys()].sort()) {
    const authors = [...(bySource.get(source) as Set<string>)].sort((a, b) => (rank(a) < rank(b) ? -1 : 1));
    const n = authors.length;
    const trainEnd = Math.round(n * (SPLIT_SHARES[0] as [Split, number])[1]);
    const devEnd = trainEnd + Math.max(n >= 3 ? 1 : 0, Math.round(n * (SPLIT_SHARES[1] as [Split, number])[1]));
    authors.forEach((author, i) => out.set(author, i < trainEnd ? 'train' : i < devEnd ? 'dev' : 'test'));
  }
  return out;
}

export interface Corpus {
  rows: (CorpusRow & { split: Split; source: string })[];
  /** sha256 of the rows used, recorded in the trained models. */
  sha256: string;
}

/** Every `*.jsonl` under `dir/raw`, split by author. */
export function loadCorpus(dir: string): Corpus {
  const rawDir = path.join(dir, 'raw');
  const files = fs.readdirSync(rawDir).filter((f) => f.endsWith('.jsonl')).sort();
  const rows: (CorpusRow & { source: string })[] = [];
  const hash = createHash('sha256');
  const ids = new Set<string>();
  for (const f of files) {
    const text = fs.readFileSync(path.join(rawDir, f), 'utf8');
    hash.update(f).update('\u0000').update(text);
    for (const row of parseCorpusFile(path.join(rawDir, f), text)) {
      if (ids.has(row.id)) throw new CorpusError(`${f}: duplicate id ${row.id}`);
      ids.add(row.id);
      rows.push({ ...row, source: f.replace(/\.jsonl$/, '') });
    }
  }
  const splits = assignSplits(rows, (r) => (r as CorpusRow & { source: string }).source);
  return {
    rows: rows.map((r) => ({ ...r, split: splits.get(r.author ?? r.id) as Split })),
    sha256: hash.digest('hex'),
  };
}
