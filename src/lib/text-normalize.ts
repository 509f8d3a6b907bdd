/**
 * Text normalization shared by the opt-out matcher and the risk engine.
 *
 * Both compare what a person typed against word lists, so both must see the same canonical
 * form: "ＳＴＯＰ!!", " stop 🛑" and "Stop." are one word; "إلغاء" and "الغاء" are one word;
 * "١٢٣٤٥٦" is a six-digit code. Each step is exported on its own so callers can build the
 * variants they need (the risk engine keeps punctuation for URL and "70%" detection).
 */

export interface NormalizeOptions {
  /** Lowercase (locale-independent). Default true. */
  lowercase?: boolean;
  /** Remove Latin diacritics ("más" → "mas"). Default true. */
  stripAccents?: boolean;
  /** Arabic folding, see {@link foldArabic}. Default true. */
  foldArabic?: boolean;
  /** Arabic-Indic and Eastern Arabic-Indic digits → ASCII. Default true. */
  asciiDigits?: boolean;
  /** Replace emoji (pictographs, skin tones, flags, keycaps) with a space. Default true. */
  stripEmoji?: boolean;
  /** Replace punctuation and symbols with a space; apostrophes inside words are dropped. Default true. */
  stripPunctuation?: boolean;
  /**
   * Turn zero-width and bidi-control characters into a space instead of deleting them.
   * Default false (deleting is right for keyword matching: "STOP\u200B" is STOP). The risk
   * engine uses `true` for its plain reading so "pro\u200Bmo" only matches after deobfuscation
   * and is therefore recognized as an evasion attempt.
   */
  invisibleAsSpace?: boolean;
}

// Zero-width, bidi controls, soft hyphen, Arabic letter mark, Hangul fillers (used for "blank"
// WhatsApp names), BOM. Phones insert bidi marks around Arabic text; they must not split words.
// Combining invisibles (grapheme joiner, Khmer inherent vowels) sit outside the class so a
// class never pairs a base character with a combining mark.
const INVISIBLE_RE =
  /[\u00AD\u061C\u115F\u1160\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u206F\u3164\uFEFF\uFFA0]|\u034F|\u17B4|\u17B5/gu;

const INVISIBLE_TEST_RE = new RegExp(INVISIBLE_RE.source, 'u');

// Variation selectors and the keycap mark are combining characters: alternation, not class.
const EMOJI_RE =
  /[\p{Extended_Pictographic}\p{Emoji_Modifier}\p{Regional_Indicator}\u{E0020}-\u{E007F}]|\u{FE0E}|\u{FE0F}|\u{20E3}/gu;

// Apostrophes between letters vanish so "don't" becomes "dont" rather than "don t".
const INNER_APOSTROPHE_RE = /(?<=[\p{L}\p{N}])['’ʼ‘`´](?=\p{L})/gu;

// Punctuation and symbols, but not pictographs: stripping emoji is a separate choice.
const PUNCT_RE = /(?![\p{Extended_Pictographic}])[\p{P}\p{S}]/gu;

const LATIN_ACCENT_RE = /[\u0300-\u036F]/g;

// Tashkeel (harakat, tanween, shadda, sukun), Quranic annotation marks, superscript alef.
const ARABIC_MARKS_RE = /[\u0610-\u061A\u064B-\u065F\u0670\u06D6-\u06DC\u06DF-\u06E8\u06EA-\u06ED]/g;
const TATWEEL_RE = /\u0640/g;
const ALEF_FORMS_RE = /[\u0622\u0623\u0625\u0671\u0672\u0673]/g;
const YEH_FORMS_RE = /[\u0649\u06CC]/g;
const TEH_MARBUTA_RE = /\u0629/g;
const KEHEH_RE = /\u06A9/g;

const DIGITS_RE = /[\u0660-\u0669\u06F0-\u06F9\u066A-\u066C]/g;

/** Removes zero-width and bidi-control characters (or replaces them, see `replacement`). */
export function stripInvisible(text: string, replacement = ''): string {
  return text.replace(INVISIBLE_RE, replacement);
}

/** True when the text contains zero-width or bidi-control characters. */
export function hasInvisible(text: string): boolean {
  return INVISIBLE_TEST_RE.test(text);
}

/**
 * Arabic-Indic (U+0660–0669) and Eastern Arabic-Indic / Persian (U+06F0–06F9) digits → ASCII,
 * and the Arabic percent, decimal and thousands signs → `%`, `.`, `,`. NFKC does not do this,
 * and an OTP typed on an Arabic keyboard must still look like an OTP.
 */
export function toAsciiDigits(text: string): string {
  return text.replace(DIGITS_RE, (ch) => {
    const code = ch.charCodeAt(0);
    if (code >= 0x0660 && code <= 0x0669) return String(code - 0x0660);
    if (code >= 0x06f0 && code <= 0x06f9) return String(code - 0x06f0);
    if (code === 0x066a) return '%';
    if (code === 0x066b) return '.';
    return ',';
  });
}

/**
 * Orthographic folding as search engines do it: drop tashkeel and tatweel, unify alef forms
 * (أ إ آ ٱ → ا), alef maksura and Farsi yeh → ي, taa marbuta → ه, keheh → ك. People type the
 * same word with and without hamza or diacritics; only the folded form compares reliably.
 */
export function foldArabic(text: string): string {
  return text
    .replace(ARABIC_MARKS_RE, '')
    .replace(TATWEEL_RE, '')
    .replace(ALEF_FORMS_RE, '\u0627')
    .replace(YEH_FORMS_RE, '\u064A')
    .replace(TEH_MARBUTA_RE, '\u0647')
    .replace(KEHEH_RE, '\u0643');
}

/** Removes Latin combining accents only; Arabic marks are handled by {@link foldArabic}. */
export function stripLatinAccents(text: string): string {
  return text.normalize('NFD').replace(LATIN_ACCENT_RE, '').normalize('NFC');
}

/** Replaces emoji (including flags, keycaps and skin tones) with `replacement`. */
export function stripEmoji(text: string, replacement = ' '): string {
  return text.replace(EMOJI_RE, replacement);
}

/** Punctuation and symbols → space; apostrophes inside words are removed first. */
export function stripPunctuation(text: string): string {
  return text.replace(INNER_APOSTROPHE_RE, '').replace(PUNCT_RE, ' ');
}

/** Collapses any run of whitespace to one space and trims. */
export function collapseWhitespace(text: string): string {
  return text.replace(/\s+/gu, ' ').trim();
}

/**
 * The canonical form used for keyword and lexicon matching: NFKC (full-width and presentation
 * forms), invisible characters removed, ASCII digits, lowercase, no Latin accents, Arabic
 * folded, emoji and punctuation replaced by spaces, whitespace collapsed.
 */
export function normalizeText(text: string, options: NormalizeOptions = {}): string {
  let s = text.normalize('NFKC');
  s = stripInvisible(s, options.invisibleAsSpace ? ' ' : '');
  if (options.asciiDigits !== false) s = toAsciiDigits(s);
  if (options.lowercase !== false) s = s.toLowerCase();
  if (options.stripAccents !== false) s = stripLatinAccents(s);
  if (options.foldArabic !== false) s = foldArabic(s);
  if (options.stripEmoji !== false) s = stripEmoji(s);
  if (options.stripPunctuation !== false) s = stripPunctuation(s);
  return collapseWhitespace(s);
}

// Digits and signs that stand in for letters in filter evasion. 2 and 6 are absent on purpose:
// a token containing them is almost always a code, never a word.
const LEET_MAP: Readonly<Record<string, string>> = {
  '0': 'o',
  '3': 'e',
  '4': 'a',
  '5': 's',
  '7': 't',
  '8': 'b',
  '9': 'g',
  '@': 'a',
  $: 's',
};
const LEET_TOKEN_RE = /[\p{L}\p{N}@$]+/gu;
// A letter touching a leet character: without one there is nothing to undo.
const LEET_CANDIDATE_RE = /\p{L}[013457-9@$]|[013457-9@$]\p{L}/u;

/**
 * Undoes leetspeak inside words: "pr0m0" → "promo", "d1skon" → "diskon", "c@sh" → "cash".
 * Only tokens that contain a letter, contain no 2 or 6 and have no more digits than letters
 * are touched, so order numbers ("A-1029", "INV2041"), amounts and OTPs stay as they are.
 * `1` is ambiguous (i or l): pass `one: 'l'` for the second reading ("s1ot" → "slot").
 */
export function deLeet(text: string, one: 'i' | 'l' = 'i'): string {
  if (!LEET_CANDIDATE_RE.test(text)) return text;
  return text.replace(LEET_TOKEN_RE, (token) => {
    if (!/\p{L}/u.test(token) || /[26]/.test(token)) return token;
    const digits = token.replace(/\D/g, '').length;
    const letters = token.replace(/[^\p{L}]/gu, '').length;
    if (digits > letters) return token;
    let out = '';
    let changed = false;
    for (const ch of token) {
      const mapped = ch === '1' ? one : LEET_MAP[ch];
      if (mapped !== undefined) {
        out += mapped;
        changed = true;
      } else out += ch;
    }
    return changed ? out : token;
  });
}

// Cyrillic and Greek letters that render like Latin ones (lowercase; callers lowercase first).
const HOMOGLYPHS: Readonly<Record<string, string>> = {
  а: 'a',
  е: 'e',
  о: 'o',
  р: 'p',
  с: 'c',
  у: 'y',
  х: 'x',
  і: 'i',
  ј: 'j',
  ѕ: 's',
  ԁ: 'd',
  ӏ: 'l',
  к: 'k',
  ο: 'o',
  α: 'a',
  ε: 'e',
  ι: 'i',
  κ: 'k',
  ν: 'v',
  ρ: 'p',
  υ: 'u',
};
const HOMOGLYPH_RE = new RegExp(`[${Object.keys(HOMOGLYPHS).join('')}]`, 'u');
const WORD_RE = /[\p{L}\p{M}\p{N}]+/gu;

/**
 * Folds Cyrillic/Greek look-alikes to Latin inside words that also contain Latin letters
 * ("prоmо" with Cyrillic о → "promo"). Words written wholly in Cyrillic or Greek are left
 * alone: they are real words, not disguises.
 */
export function foldHomoglyphs(text: string): string {
  if (!HOMOGLYPH_RE.test(text)) return text;
  return text.replace(WORD_RE, (word) => {
    if (!HOMOGLYPH_RE.test(word) || !/\p{Script=Latin}/u.test(word)) return word;
    let out = '';
    for (const ch of word) out += HOMOGLYPHS[ch] ?? ch;
    return out;
  });
}

/**
 * Joins runs of three or more single letters: "p r o m o" → "promo". Expects normalized
 * (space-separated) text, so "P.R.O.M.O" is handled once punctuation became spaces.
 */
export function joinSpacedLetters(text: string): string {
  return text.replace(/(?<!\S)\p{L}(?: \p{L}){2,}(?!\S)/gu, (run) => run.replace(/ /g, ''));
}

const SPACED_LETTERS_RE = /(?<![\p{L}\p{N}])\p{L}(?:[^\p{L}\p{N}]+\p{L}(?![\p{L}\p{N}])){2}/u;
const HOMOGLYPH_ANY_CASE_RE = new RegExp(HOMOGLYPH_RE.source, 'iu');

/**
 * Cheap test: could {@link deobfuscate} find anything in `text`? False means its readings
 * equal `normalizeText(text)`, so a hot path can skip the work.
 */
export function mightBeObfuscated(text: string): boolean {
  return (
    LEET_CANDIDATE_RE.test(text) ||
    hasInvisible(text) ||
    HOMOGLYPH_ANY_CASE_RE.test(text) ||
    SPACED_LETTERS_RE.test(text)
  );
}

/**
 * Normalized readings of `text` with filter evasion undone: invisible characters removed,
 * homoglyphs folded, leetspeak undone (both readings of `1`), spaced letters joined.
 * Returns one or two distinct strings; compare them with the plain normalized text to tell
 * whether a word only appears once the disguise is removed.
 */
export function deobfuscate(text: string): string[] {
  const base = foldHomoglyphs(normalizeText(text, { stripPunctuation: false, stripEmoji: false }));
  const readings = new Set<string>();
  for (const one of ['i', 'l'] as const) {
    const unleeted = deLeet(base, one);
    readings.add(joinSpacedLetters(normalizeText(unleeted)));
    if (unleeted === base) break; // no 1 was touched either: the second reading is the same
  }
  return [...readings];
}
