import {
  deLeet,
  foldArabic,
  foldHomoglyphs,
  joinSpacedLetters,
  normalizeText,
  stripInvisible,
  stripLatinAccents,
  toAsciiDigits,
} from '../../lib/text-normalize.ts';

/**
 * Layer 1 of the policy engine: the evasion-undoing reading of a message and the features the
 * statistical classifier sees. Everything here is deterministic and allocation-light, because it
 * runs on every send (and every inbound reply).
 *
 * The reading undoes what spammers do to slip past word lists: full-width forms (NFKC),
 * zero-width characters, homoglyphs, leetspeak, s p a c e d or d.o.t.t.e.d letters, emoji used
 * as separators, Arabic tatweel and diacritics, and obfuscated links ("hxxp", "bit[.]ly",
 * "wa . me", "example(dot)com").
 */

export interface FeatureOptions {
  /** Character n-gram sizes taken inside each (padded) word. */
  charNgrams: [number, number];
  /** Add word bigrams. */
  wordBigrams: boolean;
  /** Shape features (length, links, emoji, caps, codes, amounts) and, with a purpose, purpose × shape. */
  shape?: 'none' | 'plain' | 'with_purpose';
  /** Value of prior-knowledge features (`cue:`, `r:`) relative to text features (default 1). */
  priorBoost?: number;
  /** Add light stems of Arabic and Indonesian words (`s:`), so "dikirimin" and "kirimkan" meet. */
  stems?: boolean;
}

const ID_PREFIXES = ['memper', 'mem', 'men', 'meng', 'meny', 'me', 'di', 'ber', 'ter', 'per', 'ke', 'se', 'pe', 'ng', 'nge'];
const ID_SUFFIXES = ['nya', 'kan', 'in', 'lah', 'kah', 'an', 'i'];
const AR_SUFFIXES = ['كما', 'هما', 'كم', 'هم', 'هن', 'نا', 'ها', 'ات', 'ين', 'ون', 'وا', 'ه', 'ك', 'ي'];

/**
 * A light stem: Arabic proclitics and pronoun/plural suffixes, Indonesian affixes. Crude on
 * purpose (no dictionary): it only has to make variants of a word meet, not be right.
 */
export function lightStem(word: string): string {
  if (ARABIC_RE.test(word)) {
    let w = stripClitic(word);
    for (const suffix of AR_SUFFIXES) {
      if (w.endsWith(suffix) && w.length - suffix.length >= 3) {
        w = w.slice(0, -suffix.length);
        break;
      }
    }
    return w;
  }
  if (!/^[a-z]+$/.test(word) || word.length < 6) return word;
  let w = word;
  for (const suffix of ID_SUFFIXES) {
    if (w.endsWith(suffix) && w.length - suffix.length >= 4) {
      w = w.slice(0, -suffix.length);
      break;
    }
  }
  for (const prefix of ID_PREFIXES) {
    if (w.startsWith(prefix) && w.length - prefix.length >= 4) {
      w = w.slice(prefix.length);
      break;
    }
  }
  return w;
}

/** The value of one binary feature in a message with `n` features (see {@link FeatureOptions.priorBoost}). */
export function featureValue(name: string, n: number, options: FeatureOptions): number {
  const boost = options.priorBoost ?? 1;
  const base = 1 / Math.sqrt(n);
  return boost !== 1 && (name.startsWith('cue:') || name.startsWith('r:')) ? base * boost : base;
}

export interface TextFeatures {
  /** Feature names, each present once (binary features). */
  names: string[];
  /** Links found once the text was de-obfuscated (host, lowercase, without `www.`). */
  hosts: string[];
  /** The de-obfuscated, normalized reading the word features came from. */
  reading: string;
}

// "hxxp://", "bit[.]ly", "example(dot)com", "wa . me", "www .example .com".
const URL_DEOBFUSCATIONS: [RegExp, string][] = [
  [/\bh[x*]{2}p(s?)(?=:\/\/|\[:\]|:)/giu, 'http$1'],
  [/\[:\]\/\//gu, '://'],
  [/\s?[[({]\s?(?:\.|dot|titik|نقطه|نقطة)\s?[\])}]\s?/giu, '.'],
  [/(?<=[a-z0-9])\s+(?:dot|titik)\s+(?=[a-z0-9]{2,})/giu, '.'],
  [/(?<=[a-z0-9])\s+\.\s*(?=(?:com|net|org|me|ly|id|co|xyz|info|top|link|site|online|app|io|cc|sa|ae|eg|in|ng|my)\b)/giu, '.'],
  [/(?<=[a-z0-9])\.\s+(?=(?:com|net|org|me|ly|id|co|xyz|info|top|link|site|online|app|io|cc|sa|ae|eg|in|ng|my)\b)/giu, '.'],
];

const URL_RE =
  /(?:https?:\/\/|www\.)[^\s<>"'«»]+|(?<![\p{L}\p{N}@.-])(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:com|net|org|info|biz|xyz|top|site|online|club|shop|store|link|live|app|io|co|me|ly|gl|to|cc|tk|ml|ga|cf|gq|id|sa|ae|eg|qa|kw|bh|om|jo|lb|ma|dz|tn|in|ng|ke|za|pk|my|sg|ph|au|uk|us|ca|vip|win|bet|asia|buzz|icu|cyou|cn|ru|pw|ws|bit|su|apk|page|click|today|world|news|fun|one|pro|tv|id)(?![\p{L}\p{N}-])(?::\d{2,5})?(?:\/[^\s<>"'«»]*)?/giu;

const SHORTENERS = new Set([
  'bit.ly', 'tinyurl.com', 't.co', 'goo.gl', 'cutt.ly', 'rb.gy', 's.id', 'shorturl.at', 'is.gd',
  'ow.ly', 'tiny.cc', 'rebrand.ly', 'shorte.st', 'bitly.com', 'lnkd.in', 'v.gd', 'bit.do', 't.ly',
  'wa.link', 'linktr.ee', 'heylink.me', 'msha.ke', 'urlz.fr', 'qr.ae', 'x.co', 'tny.im',
]);

const CURRENCY_RE =
  /(?:rp\.?|idr|usd|sar|aed|egp|qar|kwd|inr|rs\.?|ngn|kes|myr|sgd|php|aud|\$|₹|₦|£|€|ريال|ر\.س|درهم|جنيه|دينار)\s?\d|\d\s?(?:rb|ribu|jt|juta|k|ريال|درهم|جنيه|دينار|usd|sar|aed|egp)(?![\p{L}])/iu;
const PERCENT_RE = /\d\s?%|%\s?\d|persen|بالمئه|بالمائه/iu;
const CODE_RE = /(?<![\p{L}\p{N}#])\d{4,8}(?![\p{L}\p{N}])/u;
const SPLIT_CODE_RE = /(?<![\p{L}\p{N}])\d{3}[ -]\d{3}(?![\p{L}\p{N}])/u;
const EMOJI_RE = /\p{Extended_Pictographic}/gu;
const ARABIC_RE = /\p{Script=Arabic}/u;
const DOTTED_WORD_RE = /(?<![\p{L}\p{N}])\p{L}(?:[.·•*_-]\p{L}){2,}[.·•*_-]?(?![\p{L}\p{N}])/gu;

export const DEFAULT_FEATURE_OPTIONS: FeatureOptions = { charNgrams: [3, 5], wordBigrams: true };

function bucket(n: number, edges: number[]): string {
  let i = 0;
  while (i < edges.length && n >= (edges[i] as number)) i++;
  return String(i);
}

/** Undoes link obfuscation so the link finder sees the real host. */
export function deobfuscateLinks(text: string): string {
  let s = text;
  for (const [re, replacement] of URL_DEOBFUSCATIONS) s = s.replace(re, replacement);
  return s;
}

/** A link's host: lowercase, without scheme, path, port, `user@` or `www.` (used by the rules too). */
export function hostOf(url: string): string {
  let rest = url.replace(/^https?:\/\//i, '');
  rest = rest.split(/[/?#]/)[0] ?? '';
  rest = rest.slice(rest.lastIndexOf('@') + 1); // user@host tricks: the host is after the @
  rest = rest.replace(/:\d*$/, '').replace(/[.,;:!?)\]}'"»،؛؟]+$/u, '');
  return rest.toLowerCase().replace(/^www\./, '');
}

function digitShape(run: string): string {
  return run.length <= 2 ? ' d ' : run.length <= 3 ? ' ddd ' : run.length <= 8 ? ` d${run.length} ` : ' dlong ';
}

/**
 * The reading the classifier learns from: lowercase, evasions undone, links replaced by a
 * marker, digit runs replaced by their shape ("order 4411" and "order 9820" are one pattern).
 */
export function classifierReading(text: string): ClassifierReading {
  // A blended classifier reads the same text with each of its models in a row.
  if (lastReading?.text === text) return lastReading.result;
  const result = readForClassifier(text);
  lastReading = { text, result };
  return result;
}

interface ClassifierReading {
  reading: string;
  hosts: string[];
  urlFeatures: string[];
}

let lastReading: { text: string; result: ClassifierReading } | undefined;

function readForClassifier(text: string): ClassifierReading {
  let s = stripInvisible(text.normalize('NFKC'));
  s = toAsciiDigits(s).toLowerCase();
  s = foldArabic(stripLatinAccents(s));
  s = deobfuscateLinks(s);
  const hosts: string[] = [];
  const urlFeatures: string[] = [];
  s = s.replace(URL_RE, (url) => {
    const host = hostOf(url);
    hosts.push(host);
    const labels = host.split('.');
    const tld = labels[labels.length - 1] ?? '';
    urlFeatures.push(`tld:${tld}`);
    if (SHORTENERS.has(host)) urlFeatures.push('url:shortener');
    if (/^\d{1,3}(?:\.\d{1,3}){3}$/.test(host)) urlFeatures.push('url:raw_ip');
    if (/-/.test(host)) urlFeatures.push('url:hyphen_host');
    if (/\d/.test(host.replace(/\.[a-z]+$/, ''))) urlFeatures.push('url:digit_host');
    if (labels.length >= 4) urlFeatures.push('url:deep_subdomain');
    if (/\.apk(?:$|[?#])/i.test(url)) urlFeatures.push('url:apk');
    if (/wa\.me|whatsapp\.com|chat\.whatsapp/i.test(host)) urlFeatures.push('url:whatsapp');
    if (/t\.me|telegram/i.test(host)) urlFeatures.push('url:telegram');
    if (/login|verif|secure|update|account|akun|konfirmasi|claim|klaim|hadiah|bonus|promo|free|gratis/i.test(url))
      urlFeatures.push('url:bait_word');
    return ' urlx ';
  });
  // "k.e.r.j.a  d.a.r.i", "F.o.r.w.a.r.d": dotted letters become words before punctuation goes.
  s = s.replace(DOTTED_WORD_RE, (run) => run.replace(/[.·•*_-]/g, ''));
  // Undo leetspeak and homoglyphs on the words, then join spaced letters.
  s = deLeet(foldHomoglyphs(s), 'i');
  s = s.replace(EMOJI_RE, ' ');
  s = normalizeText(s);
  s = joinSpacedLetters(s);
  s = s.replace(/\d+/g, digitShape).replace(/\s+/g, ' ').trim();
  return { reading: s, hosts, urlFeatures };
}

/**
 * Binary features of one message. `purpose` is the declared purpose of a send (absent for
 * inbound replies). Names are stable strings so the classifier can explain itself.
 */
export function extractFeatures(
  text: string,
  purpose: string | undefined,
  options: FeatureOptions = DEFAULT_FEATURE_OPTIONS,
  extra: readonly string[] = [],
  cues?: CueMatcher,
): TextFeatures {
  const names = new Set<string>(extra);
  const { reading, hosts, urlFeatures } = classifierReading(text);
  const words = reading === '' ? [] : reading.split(' ');
  const [minN, maxN] = options.charNgrams;

  for (let i = 0; i < words.length; i++) {
    const w = words[i] as string;
    names.add(`w:${w}`);
    if (options.wordBigrams && i + 1 < words.length) names.add(`b:${w} ${words[i + 1] as string}`);
    if (options.stems === true) {
      const stem = lightStem(w);
      if (stem !== w) names.add(`s:${stem}`);
    }
    if (minN === 0 || w.length < 2 || w === 'urlx' || /^d(?:\d|dd|long)?$/.test(w)) continue;
    const padded = `_${w}_`;
    for (let n = minN; n <= maxN; n++) {
      for (let k = 0; k + n <= padded.length; k++) names.add(`c:${padded.slice(k, k + n)}`);
    }
  }
  for (const f of urlFeatures) names.add(f);
  if (cues !== undefined) {
    for (const [intent, n] of cues.count(words)) {
      names.add(`cue:${intent}`);
      if (n >= 2) names.add(`cue:${intent}:2+`);
      if (n >= 4) names.add(`cue:${intent}:4+`);
    }
  }

  // Shape of the message: what a reviewer would notice before reading it.
  const raw = text.normalize('NFKC');
  const folded = toAsciiDigits(raw).toLowerCase();
  const shape: string[] = [
    `len:${bucket(words.length, [4, 8, 16, 32, 64])}`,
    `links:${bucket(hosts.length, [1, 2, 3])}`,
    `emoji:${bucket((raw.match(EMOJI_RE) ?? []).length, [1, 3, 6])}`,
    `bang:${bucket((raw.match(/[!！]/g) ?? []).length, [1, 3])}`,
  ];
  const hasCode = CODE_RE.test(folded) || SPLIT_CODE_RE.test(folded);
  if (hasCode) shape.push('has:code');
  if (CURRENCY_RE.test(folded)) shape.push('has:amount');
  if (PERCENT_RE.test(folded)) shape.push('has:percent');
  if (/[\u200B-\u200F\u2060-\u2064\uFEFF]/u.test(text)) shape.push('has:invisible');
  if (/\u0640{2,}/u.test(text)) shape.push('has:tatweel');
  if (ARABIC_RE.test(raw) && /\p{Script=Latin}{3,}/u.test(raw)) shape.push('has:mixed_script');
  const latin = raw.match(/\p{Script=Latin}/gu) ?? [];
  if (latin.length >= 12) {
    const upper = latin.filter((ch) => ch !== ch.toLowerCase()).length / latin.length;
    shape.push(`caps:${bucket(upper, [0.3, 0.6, 0.85])}`);
  }
  const shapes = options.shape ?? 'with_purpose';
  if (shapes !== 'none') for (const f of shape) names.add(f);
  if (purpose !== undefined) {
    names.add(`p:${purpose}`);
    if (shapes === 'with_purpose') for (const f of shape) names.add(`p:${purpose}&${f}`);
    if (!hasCode) names.add(`p:${purpose}&no_code`);
  }
  names.add('bias');
  return { names: [...names], hosts, reading };
}

/** Cue words per intent and language (`policies/corpus/intent-cues.json`), embedded in a model. */
export type IntentCues = Record<string, Record<string, string[]>>;

export interface CueMatcher {
  /** Number of distinct cues of each intent found in the reading's words. */
  count(words: readonly string[]): Map<string, number>;
}

const ARABIC_CLITICS = ['وال', 'بال', 'فال', 'لل', 'ال', 'و', 'ب', 'ل', 'ف'];

/** A word without its Arabic proclitic ("والخصومات" → "خصومات"), or the word itself. */
function stripClitic(word: string): string {
  if (!ARABIC_RE.test(word)) return word;
  for (const c of ARABIC_CLITICS) if (word.startsWith(c) && word.length - c.length >= 3) return word.slice(c.length);
  return word;
}

/** Compiles cue lists once: each cue is read exactly as a message would be. */
export function compileCues(cues: IntentCues): CueMatcher {
  const index = new Map<string, { intent: string; key: string; words: string[] }[]>();
  for (const intent of Object.keys(cues).sort()) {
    for (const lang of Object.keys(cues[intent] ?? {}).sort()) {
      for (const cue of cues[intent]?.[lang] ?? []) {
        const words = classifierReading(cue).reading.split(' ').filter((w) => w !== '').map(stripClitic);
        if (words.length === 0) continue;
        const first = words[0] as string;
        const bucketList = index.get(first) ?? [];
        bucketList.push({ intent, key: `${intent}\u0000${words.join(' ')}`, words });
        index.set(first, bucketList);
      }
    }
  }
  return {
    count(words) {
      const stripped = words.map(stripClitic);
      const found = new Set<string>();
      const counts = new Map<string, number>();
      for (let i = 0; i < stripped.length; i++) {
        for (const cue of index.get(stripped[i] as string) ?? []) {
          if (found.has(cue.key) || i + cue.words.length > stripped.length) continue;
          let ok = true;
          for (let k = 1; ok && k < cue.words.length; k++) ok = stripped[i + k] === cue.words[k];
          if (!ok) continue;
          found.add(cue.key);
          counts.set(cue.intent, (counts.get(cue.intent) ?? 0) + 1);
        }
      }
      return counts;
    },
  };
}

/** FNV-1a over UTF-16 code units, folded into `buckets` (a power of two). */
export function hashFeature(name: string, buckets: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) & (buckets - 1);
}
