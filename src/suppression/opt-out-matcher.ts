import { normalizeText } from '../lib/text-normalize.ts';

/** `policies/opt-out.json`, as validated by `policies/schema/opt-out.schema.json`. */
export interface OptOutPolicy {
  version: string;
  default_language: string;
  /** Longer messages (in words, after normalization) are never classified. */
  max_words: number;
  notes?: string[];
  /** Order matters: when a keyword is listed in two languages, the first one is reported. */
  languages: OptOutLanguage[];
}

export interface OptOutLanguage {
  code: string;
  name?: string;
  opt_out: { keywords: string[]; phrases?: string[] };
  opt_in: { keywords: string[]; phrases?: string[]; after_confirmation_keywords?: string[] };
  fillers?: string[];
  confirmations: { opt_out: string; opt_in: string };
}

export type OptOutKind = 'opt_out' | 'opt_in';

export interface OptOutMatch {
  kind: OptOutKind;
  /** The keyword or phrase pattern exactly as written in the policy (for the consent record). */
  keyword: string;
  /** Language code of the list that matched. */
  language: string;
  /** `keyword`: the message is a keyword; `phrase`: a short revocation/subscription phrase. */
  tier: 'keyword' | 'phrase';
}

export interface OptOutClassifyContext {
  /**
   * The contact is opted out and the last message we sent them was the opt-out confirmation.
   * Only then do words such as YES / YA / نعم count as opting back in.
   */
  answersOptOutConfirmation?: boolean;
}

export interface OptOutMatcher {
  classify(text: string, context?: OptOutClassifyContext): OptOutMatch | null;
  /**
   * Confirmation reply for `kind` in `language` (`id-ID` falls back to `id`, unknown languages
   * to the policy's default language). Null only if the policy has no text at all.
   */
  confirmation(kind: OptOutKind, language: string): string | null;
}

interface Entry {
  kind: OptOutKind;
  keyword: string;
  language: string;
}

interface PhraseEntry extends Entry {
  regex: RegExp;
}

const KINDS: readonly OptOutKind[] = ['opt_out', 'opt_in'];

function normalizeTerm(term: string, where: string): string {
  const normalized = normalizeText(term);
  if (normalized === '') throw new Error(`opt-out policy: ${where}: "${term}" is empty once normalized`);
  return normalized;
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// One element of the phrase grammar: [required|choice], (optional|choice) or a bare word.
const PHRASE_ELEMENT_RE = /\s*(?:\[([^[\]()]*)\]|\(([^[\]()]*)\)|([^\s[\]()]+))\s*/y;

/**
 * Compiles the small phrase grammar into an anchored regex over the normalized message plus a
 * trailing space. Every alternative is normalized like a message, so policy authors write
 * "don't" or "مرة أخرى" naturally. Each alternative carries its own trailing space, which keeps
 * optional elements from leaving double spaces behind.
 */
function compilePhrase(pattern: string, where: string): RegExp {
  let source = '';
  PHRASE_ELEMENT_RE.lastIndex = 0;
  while (PHRASE_ELEMENT_RE.lastIndex < pattern.length) {
    const at = PHRASE_ELEMENT_RE.lastIndex;
    const m = PHRASE_ELEMENT_RE.exec(pattern);
    if (m === null) throw new Error(`opt-out policy: ${where}: cannot parse "${pattern}" at character ${at}`);
    const [, required, optional, word] = m;
    const alternatives = (required ?? optional ?? word ?? '').split('|');
    const alts = alternatives.map((alt) => `${escapeRegex(normalizeTerm(alt, where))} `);
    source += `(?:${alts.join('|')})${optional !== undefined ? '?' : ''}`;
  }
  if (source === '') throw new Error(`opt-out policy: ${where}: empty phrase`);
  return new RegExp(`^${source}$`, 'u');
}

export function createOptOutMatcher(policy: OptOutPolicy): OptOutMatcher {
  const keywords = new Map<string, Entry>();
  const afterConfirmation = new Map<string, Entry>();
  const phrases: PhraseEntry[] = [];
  const fillers = new Set<string>();
  let longestFiller = 0;

  for (const lang of policy.languages) {
    for (const kind of KINDS) {
      const set = lang[kind];
      set.keywords.forEach((keyword, i) => {
        const where = `${lang.code}.${kind}.keywords[${i}]`;
        const key = normalizeTerm(keyword, where);
        const existing = keywords.get(key);
        // Same word in two lists of the same kind is harmless (first language wins); the same
        // word meaning both "stop" and "start" is a policy bug that must not reach production.
        if (existing !== undefined && existing.kind !== kind) {
          throw new Error(`opt-out policy: ${where}: "${keyword}" is both opt_out and opt_in`);
        }
        if (existing === undefined) keywords.set(key, { kind, keyword, language: lang.code });
      });
      (set.phrases ?? []).forEach((phrase, i) => {
        const where = `${lang.code}.${kind}.phrases[${i}]`;
        phrases.push({ kind, keyword: phrase, language: lang.code, regex: compilePhrase(phrase, where) });
      });
    }
    (lang.opt_in.after_confirmation_keywords ?? []).forEach((keyword, i) => {
      const key = normalizeTerm(keyword, `${lang.code}.opt_in.after_confirmation_keywords[${i}]`);
      if (!afterConfirmation.has(key))
        afterConfirmation.set(key, { kind: 'opt_in', keyword, language: lang.code });
    });
    (lang.fillers ?? []).forEach((filler, i) => {
      const key = normalizeTerm(filler, `${lang.code}.fillers[${i}]`);
      fillers.add(key);
      longestFiller = Math.max(longestFiller, key.split(' ').length);
    });
  }
  for (const [key, entry] of keywords) {
    if (afterConfirmation.has(key) && entry.kind === 'opt_out') {
      throw new Error(
        `opt-out policy: "${key}" is an opt_out keyword and an after-confirmation opt-in keyword`,
      );
    }
  }

  const confirmations = new Map(policy.languages.map((l) => [l.code, l.confirmations]));

  /** reachable[i]: tokens[from..i) (or [i..to)) can be read entirely as filler words. */
  function fillerReach(tokens: string[], forward: boolean): boolean[] {
    const n = tokens.length;
    const ok = new Array<boolean>(n + 1).fill(false);
    if (forward) {
      ok[0] = true;
      for (let i = 1; i <= n; i++) {
        for (let len = 1; len <= Math.min(longestFiller, i) && !ok[i]; len++) {
          ok[i] = ok[i - len] === true && fillers.has(tokens.slice(i - len, i).join(' '));
        }
      }
    } else {
      ok[n] = true;
      for (let j = n - 1; j >= 0; j--) {
        for (let len = 1; len <= Math.min(longestFiller, n - j) && !ok[j]; len++) {
          ok[j] = ok[j + len] === true && fillers.has(tokens.slice(j, j + len).join(' '));
        }
      }
    }
    return ok;
  }

  /**
   * Every way of reading the message as fillers + core + fillers, longest core first. The
   * whole message is always a candidate, so a word that is both a filler and a keyword
   * ("ya") still matches on its own.
   */
  function cores(tokens: string[]): string[] {
    const n = tokens.length;
    const before = fillerReach(tokens, true);
    const after = fillerReach(tokens, false);
    const out: string[] = [];
    for (let size = n; size >= 1; size--) {
      for (let i = 0; i + size <= n; i++) {
        if (before[i] && after[i + size]) out.push(tokens.slice(i, i + size).join(' '));
      }
    }
    return out;
  }

  function toMatch(entry: Entry, tier: OptOutMatch['tier']): OptOutMatch {
    return { kind: entry.kind, keyword: entry.keyword, language: entry.language, tier };
  }

  return {
    classify(text, context = {}) {
      const tokens: string[] = [];
      // "STOP STOP STOP" is still STOP.
      for (const token of normalizeText(text).split(' ')) {
        if (token !== '' && token !== tokens[tokens.length - 1]) tokens.push(token);
      }
      if (tokens.length === 0 || tokens.length > policy.max_words) return null;
      const candidates = cores(tokens);
      // Opt-out before opt-in and keywords before phrases: when in doubt, honour the stop.
      for (const kind of KINDS) {
        for (const core of candidates) {
          const entry = keywords.get(core);
          if (entry?.kind === kind) return toMatch(entry, 'keyword');
        }
      }
      for (const kind of KINDS) {
        for (const core of candidates) {
          const entry = phrases.find((p) => p.kind === kind && p.regex.test(`${core} `));
          if (entry !== undefined) return toMatch(entry, 'phrase');
        }
      }
      if (context.answersOptOutConfirmation === true) {
        for (const core of candidates) {
          const entry = afterConfirmation.get(core);
          if (entry !== undefined) return toMatch(entry, 'keyword');
        }
      }
      return null;
    },

    confirmation(kind, language) {
      const texts =
        confirmations.get(language) ??
        confirmations.get(language.split('-')[0]?.toLowerCase() ?? '') ??
        confirmations.get(policy.default_language);
      return texts?.[kind] ?? null;
    },
  };
}
