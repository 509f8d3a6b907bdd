import { deobfuscate, normalizeText } from '../lib/text-normalize.ts';
import type { LinearModel } from '../sending/risk/linear-model.ts';

/** `policies/opt-out.json`, as validated by `policies/schema/opt-out.schema.json`. */
export interface OptOutPolicy {
  version: string;
  default_language: string;
  /** Longer messages (in words, after normalization) are never classified. */
  max_words: number;
  notes?: string[];
  /** Order matters: when a keyword is listed in two languages, the first one is reported. */
  languages: OptOutLanguage[];
  /** The natural-language detector for short replies that no keyword or phrase matched. */
  classifier?: OptOutClassifierPolicy;
}

export interface OptOutClassifierPolicy {
  /** Model file in the policies folder (classes `none`, `opt_out`, `opt_in`). */
  model: string;
  /** Replies longer than this (in words, normalized) are never judged by the model. */
  max_words: number;
  /** Minimum probability of `opt_out` for the model alone to suppress a contact. */
  opt_out_min: number;
  /** Minimum probability of `opt_in` for the model alone to lift a contact's own stop. */
  opt_in_min: number;
  /**
   * Word stems of which a reply must contain at least one before the model may act on it
   * (messages, texting, contacting, the list, subscribing…): a refusal of messages names them.
   * Latin stems match the start of a word ("messag" → "messages"), Arabic stems anywhere in a
   * word (clitics and dialect negation wrap the stem: "ماتبعتوليش").
   */
  require_terms: string[];
  /**
   * Stems that veto a model decision: a reply about an order, a payment or a delivery is a
   * customer talking to the business, not a refusal of its messages.
   */
  veto_terms?: string[];
  /** A reply that ends in a question (`?`, `؟`) is never an opt-out on the model's word alone. */
  veto_questions?: boolean;
  /**
   * With `veto_questions`, the minimum probability of `opt_out` for a reply that asks something
   * before it demands ("who gave you my number? delete it"); without it, such replies never count.
   */
  question_opt_out_min?: number;
  /**
   * Replies of at most this many words may be judged without a cue word ("sttop", "استوب",
   * "band karo ji"): a short reply spells its refusal in ways no list foresees. They need the
   * model surer (`cue_free_opt_out_min`, `cue_free_opt_in_min`) and vetoes still apply.
   */
  cue_free_max_words?: number;
  cue_free_opt_out_min?: number;
  cue_free_opt_in_min?: number;
  /**
   * Whole replies (fillers aside) that mean "stop" in one language and something ordinary in
   * another ("acha": Swahili "stop", Hindi "OK"; "خلاص": "enough" and "done"), and bare "no" or
   * "thanks": the model never acts on them, however sure it is. A false opt-out silently cuts a
   * customer off.
   */
  ambiguous_words?: string[];
}

export interface OptOutLanguage {
  code: string;
  name?: string;
  opt_out: { keywords: string[]; phrases?: string[] };
  opt_in: { keywords: string[]; phrases?: string[]; after_confirmation_keywords?: string[] };
  fillers?: string[];
  /** More words typical of the language, used only to name the language of a model match. */
  vocabulary?: string[];
  confirmations: { opt_out: string; opt_in: string };
}

export type OptOutKind = 'opt_out' | 'opt_in';

export interface OptOutMatch {
  kind: OptOutKind;
  /** The keyword or phrase pattern exactly as written in the policy (for the consent record). */
  keyword: string;
  /** Language code of the list that matched. */
  language: string;
  /**
   * `keyword`: the message is a keyword; `phrase`: a short revocation/subscription phrase;
   * `classifier`: the natural-language detector recognised a refusal (or a request to resume).
   */
  tier: 'keyword' | 'phrase' | 'classifier';
  /** Model probability of `kind`, for `classifier` matches. */
  probability?: number;
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

/**
 * Whether the reply ends by asking something ("stop the gym membership?"), emoji and spaces
 * aside. "Who gave you my number? Delete it." asks, then demands: the demand is what it says.
 */
export function endsInQuestion(text: string): boolean {
  return /[?？؟][\s\p{Extended_Pictographic}\p{Emoji_Modifier}\u200D\uFE0F]*$/u.test(text);
}

/** At most this many code words may follow a keyword ("BLOCK 1,2,3"). */
const MAX_SERVICE_CODES = 3;

/**
 * The message's words without the service codes that end it, one reading per number of codes
 * set aside (fewest first; none when it does not end in a code): a code is a number ("1", "٣")
 * or a word typed in capitals ("NAYLA", "ALL") after at least one other word. Lower-case words
 * are never codes, so "stop by" keeps its "by"; "REG OFF ALL" reads as "reg off" and "reg".
 */
export function withoutServiceCodes(text: string): string[][] {
  const raw = text.normalize('NFKC').split(/[\s,.;:!?،؛]+/u).filter((w) => w !== '');
  // "STOP1", "الغاء1": a number typed against the last word is a code too.
  const glued = /^(\p{L}{2,})(\p{Nd}{1,3})$/u.exec(raw[raw.length - 1] ?? '');
  if (glued) raw.splice(raw.length - 1, 1, glued[1] as string, glued[2] as string);
  const readings: string[][] = [];
  for (let end = raw.length - 1; end >= 1 && raw.length - end <= MAX_SERVICE_CODES; end--) {
    if (!/^(?:\p{Nd}{1,6}|\p{Lu}[\p{Lu}\p{Nd}]{1,11})$/u.test(raw[end] as string)) break;
    const rest = normalizeText(raw.slice(0, end).join(' ')).split(' ').filter((w) => w !== '');
    if (rest.length > 0) readings.push(rest);
  }
  return readings;
}

/** Words without empties and without immediate repeats. */
function dedupe(words: string[]): string[] {
  const out: string[] = [];
  for (const w of words) if (w !== '' && w !== out[out.length - 1]) out.push(w);
  return out;
}

/** The keyword recorded for a match made by the model rather than a listed word. */
export const CLASSIFIER_KEYWORD = 'classifier';

export function createOptOutMatcher(
  policy: OptOutPolicy,
  models: Readonly<Record<string, LinearModel>> = {},
): OptOutMatcher {
  const detector = policy.classifier;
  const model = detector === undefined ? undefined : models[detector.model];
  const stems = (list: string[] | undefined, name: string) =>
    (list ?? []).map((t, i) => normalizeTerm(t, `classifier.${name}[${i}]`));
  const cues = stems(detector?.require_terms, 'require_terms');
  const vetoes = stems(detector?.veto_terms, 'veto_terms');
  const ambiguous = new Set(stems(detector?.ambiguous_words, 'ambiguous_words'));
  /** Whether any token contains one of the stems (see {@link OptOutClassifierPolicy.require_terms}). */
  const mentions = (tokens: string[], list: string[]) =>
    list.some((stem) => {
      if (stem.includes(' ')) return ` ${tokens.join(' ')} `.includes(` ${stem}`);
      const arabic = /\p{Script=Arabic}/u.test(stem);
      return tokens.some((t) => (arabic ? t.includes(stem) : t.startsWith(stem)));
    });
  // Words of each language's lists, to name the language of a model match.
  const vocabulary = new Map<string, Set<string>>();

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
    const words = new Set<string>();
    for (const list of [lang.opt_out.keywords, lang.opt_in.keywords, lang.fillers ?? [], lang.vocabulary ?? []]) {
      for (const w of list) for (const t of normalizeText(w).split(' ')) if (t !== '') words.add(t);
    }
    vocabulary.set(lang.code, words);
  }

  /** The list language sharing most words with the message (Arabic script decides alone). */
  function languageOf(tokens: string[], text: string): string {
    if (/\p{Script=Arabic}/u.test(text) && vocabulary.has('ar')) return 'ar';
    let best = policy.default_language;
    let bestHits = 0;
    for (const [code, words] of vocabulary) {
      const hits = tokens.filter((t) => words.has(t)).length;
      if (hits > bestHits) {
        best = code;
        bestHits = hits;
      }
    }
    return best;
  }

  /** The model's reading of a reply no list matched, or null when it is not sure enough. */
  function fromModel(tokens: string[], text: string): OptOutMatch | null {
    if (model === undefined || detector === undefined || tokens.length > detector.max_words) return null;
    const cued = mentions(tokens, cues);
    if (!cued && tokens.length > (detector.cue_free_max_words ?? 0)) return null;
    const p = model.predict(text);
    const pOut = p.probabilities[model.classes.indexOf('opt_out')] as number;
    const pIn = p.probabilities[model.classes.indexOf('opt_in')] as number;
    const language = languageOf(tokens, text);
    // Vetoes guard the costly mistake only: cutting a customer off who was talking about an order.
    // A reply that ends by asking is never an opt-out on the model's word alone; one that asks
    // on the way ("who gave you my number? delete it") needs the model surer.
    const asks = detector.veto_questions === true && /[?？؟]/u.test(text);
    const question = asks && endsInQuestion(text);
    const baseOut = cued ? detector.opt_out_min : (detector.cue_free_opt_out_min ?? 1);
    const inMin = cued ? detector.opt_in_min : (detector.cue_free_opt_in_min ?? 1);
    const outMin = asks ? Math.max(baseOut, detector.question_opt_out_min ?? 1) : baseOut;
    // Without a cue word, a reply that asks anything ("who are you? I don't know you") is not a refusal.
    if (pOut >= outMin && !question && !(asks && !cued) && !mentions(tokens, vetoes)) {
      return { kind: 'opt_out', keyword: CLASSIFIER_KEYWORD, language, tier: 'classifier', probability: Math.round(pOut * 1000) / 1000 };
    }
    if (pIn >= inMin) {
      return { kind: 'opt_in', keyword: CLASSIFIER_KEYWORD, language, tier: 'classifier', probability: Math.round(pIn * 1000) / 1000 };
    }
    return null;
  }
  for (const [key, entry] of keywords) {
    if (afterConfirmation.has(key) && entry.kind === 'opt_out') {
      throw new Error(
        `opt-out policy: "${key}" is an opt_out keyword and an after-confirmation opt-in keyword`,
      );
    }
  }

  if (detector !== undefined && model === undefined) {
    throw new Error(`opt-out policy: classifier model "${detector.model}" is not loaded`);
  }
  if (model !== undefined && !['none', 'opt_out', 'opt_in'].every((c) => model.classes.includes(c))) {
    throw new Error(`opt-out policy: classifier model "${detector?.model}" must have the classes none, opt_out and opt_in`);
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
      // "STOP STOP STOP" is still STOP.
      const tokens = dedupe(normalizeText(text).split(' '));
      if (tokens.length === 0) return null;
      if (tokens.length > policy.max_words) return fromModel(tokens, text);
      const candidates = cores(tokens);
      // "st0p", "S T O P", "ѕtop", "stoppppp": a keyword in disguise is still the keyword.
      const stretched = normalizeText(text).replace(/(\p{L})\1{2,}/gu, '$1');
      for (const reading of [...deobfuscate(text), stretched]) {
        if (reading === tokens.join(' ')) continue;
        for (const core of cores(dedupe(reading.split(' ')))) {
          const entry = keywords.get(core);
          if (entry?.kind === 'opt_out') return toMatch(entry, 'keyword');
        }
      }
      // "UNREG NAYLA", "STOP 4", "REG OFF ALL", "الغاء 1": an opt-out keyword followed by the
      // service code operators' SMS menus taught people to add. Never an opt-in ("START 0" is
      // India's opt-out from all promotions).
      for (const reading of withoutServiceCodes(text)) {
        for (const core of cores(dedupe(reading))) {
          const entry = keywords.get(core);
          if (entry?.kind === 'opt_out') return toMatch(entry, 'keyword');
        }
      }
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
      for (const core of candidates) {
        const entry = afterConfirmation.get(core);
        if (entry === undefined) continue;
        // "YES" answers the opt-out confirmation, or else something we cannot see: never the
        // model's guess.
        return context.answersOptOutConfirmation === true ? toMatch(entry, 'keyword') : null;
      }
      if (candidates.some((core) => ambiguous.has(core))) return null;
      return fromModel(tokens, text);
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
