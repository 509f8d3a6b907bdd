import {
  deobfuscate,
  foldArabic,
  hasInvisible,
  mightBeObfuscated,
  normalizeText,
  stripEmoji,
  stripInvisible,
  stripLatinAccents,
  toAsciiDigits,
  collapseWhitespace,
} from '../../lib/text-normalize.ts';
import { deobfuscateLinks, hostOf } from './text-features.ts';

/**
 * How the risk rules read a message: the text forms they match against, the links in it and the
 * skeleton that groups one template's sends.
 */

// ---------------------------------------------------------------------------------------------
// Text preparation
// ---------------------------------------------------------------------------------------------

/** Everything the rules look at, computed once per message. */
export interface Prepared {
  raw: string;
  folded: string;
  normalized: string;
  /** Word readings: plain, Arabic proclitics stripped (when different). */
  plainReadings: string[][];
  /** Readings with evasion undone, only those that differ from the plain one. */
  deobReadings: string[][];
  hosts: string[];
}

/** Lowercase, Arabic folded, ASCII digits, accents gone, punctuation and emoji kept. */
function fold(text: string): string {
  const s = toAsciiDigits(stripInvisible(text.normalize('NFKC'))).toLowerCase();
  return collapseWhitespace(foldArabic(stripLatinAccents(s)));
}

const ARABIC_RE = /[\u0600-\u06FF]/u;
// Clitics written together with the next word ("والهدايا", "بخصم", "للبيع"). Longest first.
const ARABIC_PROCLITICS = ['وال', 'بال', 'كال', 'فال', 'لل', 'ال', 'و', 'ب', 'ل'];

/** Light, one-prefix stemming so lexicon terms need not list every clitic form. */
function stripProclitic(token: string): string {
  if (!ARABIC_RE.test(token)) return token;
  for (const prefix of ARABIC_PROCLITICS) {
    if (token.startsWith(prefix) && token.length - prefix.length >= 3) return token.slice(prefix.length);
  }
  return token;
}

/**
 * A skeleton token (already NFKC, folded, lowercase) in normalized form: inner apostrophes
 * dropped, joining punctuation turned into spaces, as {@link normalizeText} would.
 */
function tokenWord(token: string): string {
  return token
    .replace(/['’]/g, '')
    .replace(/[._:/,-]+/g, ' ')
    .trim();
}

function words(text: string): string[] {
  return text === '' ? [] : text.split(' ');
}

// Every pattern starts with a lookbehind so a match can only begin where a run of its
// characters begins: without it a long run ("aaaa…", 64 KB) is rescanned from every position,
// which is quadratic on the send path.
const EMAIL_SOURCE = '(?<![\\p{L}\\p{N}._%+-])[\\p{L}\\p{N}._%+-]+@[\\p{L}\\p{N}-]+(?:\\.[\\p{L}\\p{N}-]+)+';
const SCHEME_URL_SOURCE = `(?<![\\p{L}\\p{N}])(?:https?:\\/\\/|www\\.)[^\\s<>"'«»]+`;
const BARE_URL_SOURCE =
  `(?<![\\p{L}\\p{N}@.\\-])(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\\.)+(?:[a-z]{2,24}|xn--[a-z0-9-]{1,59})` +
  `(?![\\p{L}\\p{N}\\-])(?::\\d{2,5})?(?:\\/[^\\s<>"'«»]*)?`;

export interface LinkFinder {
  /** Hosts of the links in `text`, in order (lowercase, without `www.`). */
  hosts(text: string): string[];
  /** `text` with every link and e-mail address replaced by `replacement(kind)`. */
  replace(text: string, replacement: (kind: 'url' | 'email') => string): string;
}

/**
 * Links with a scheme or `www.` always count. Bare `name.tld/...` counts only for known TLDs
 * (or a listed shortener), so file names ("INV-2041.pdf") and abbreviations ("Dr.Sari") do not.
 * One left-to-right scan: a scheme URL is taken whole before its `user@host` part could be read
 * as an e-mail address, and an e-mail's domain is never counted as a link.
 */
export function createLinkFinder(bareTlds: Set<string>, knownHosts: string[]): LinkFinder {
  const scanner = new RegExp(`(${SCHEME_URL_SOURCE})|(${EMAIL_SOURCE})|(${BARE_URL_SOURCE})`, 'giu');
  const isKnownHost = (host: string) => knownHosts.some((d) => host === d || host.endsWith(`.${d}`));

  /** The link's host, or null for an e-mail address or a bare word that is not a link. */
  function classify(
    match: string,
    scheme: string | undefined,
    email: string | undefined,
  ): { kind: 'url' | 'email'; host: string | null } {
    if (email !== undefined) return { kind: 'email', host: null };
    const host = hostOf(match);
    if (host === '') return { kind: 'url', host: null };
    if (scheme !== undefined) return { kind: 'url', host };
    const tld = host.slice(host.lastIndexOf('.') + 1);
    return { kind: 'url', host: bareTlds.has(tld) || isKnownHost(host) ? host : null };
  }

  return {
    hosts(text) {
      const out: string[] = [];
      for (const m of text.matchAll(scanner)) {
        const { host } = classify(m[0], m[1], m[2]);
        if (host !== null) out.push(host);
      }
      return out;
    },
    replace(text, replacement) {
      return text.replace(scanner, (match: string, scheme?: string, email?: string) => {
        const { kind, host } = classify(match, scheme, email);
        if (kind === 'email') return replacement('email');
        return host === null ? match : replacement('url');
      });
    },
  };
}


export interface TextReader {
  /** Everything the rules look at, computed once per message. */
  prepare(text: string): Prepared;
  /** The message with names, numbers, links and e-mail addresses replaced by placeholders. */
  skeleton(text: string): string;
}

/** The reader for one policy's link finder and salutations (`skeleton.name_prefixes`). */
export function createTextReader(links: LinkFinder, namePrefixList: readonly string[]): TextReader {
  const namePrefixes = new Set(namePrefixList.map((p) => normalizeText(p)));

  function prepare(text: string): Prepared {
    const folded = fold(text);
    const hidden = hasInvisible(text);
    const normalized = normalizeText(text);
    // The plain reading turns hidden characters into spaces so "pro\u200Bmo" only matches once
    // deobfuscated, which is what the obfuscation rule wants to notice.
    const plainText = hidden ? normalizeText(text, { invisibleAsSpace: true }) : normalized;
    const plain = words(plainText);
    const stemmed = plain.map(stripProclitic);
    const plainReadings = stemmed.some((w, i) => w !== plain[i]) ? [plain, stemmed] : [plain];
    const deobReadings = mightBeObfuscated(text)
      ? deobfuscate(text)
          .filter((reading) => reading !== plainText)
          .map((reading) => words(reading))
      : [];
    return {
      raw: text.normalize('NFKC'),
      folded,
      normalized,
      plainReadings,
      deobReadings,
      hosts: links.hosts(deobfuscateLinks(folded)),
    };
  }

  function skeleton(text: string): string {
    // Keep case for now: a capitalised word after a salutation is a name.
    let s = stripEmoji(foldArabic(stripLatinAccents(toAsciiDigits(stripInvisible(text.normalize('NFKC'))))));
    s = links.replace(s, (kind) => (kind === 'url' ? ' \uE000 ' : ' \uE001 '));
    const tokens =
      s.match(/[\uE000\uE001]|[\p{L}\p{M}\p{N}]+(?:['’._:/,-][\p{L}\p{M}\p{N}]+)*|\p{P}/gu) ?? [];
    const out: string[] = [];
    let expectName = false;
    let nameRun = 0;
    for (const token of tokens) {
      let piece: string | null;
      const lower = token.toLowerCase();
      if (token === '\uE000') piece = '<url>';
      else if (token === '\uE001') piece = '<email>';
      else if (/^\p{P}$/u.test(token)) {
        // "Dr. Sari": a full stop right after a salutation does not end the name slot.
        if (!(token === '.' && expectName)) {
          expectName = false;
          nameRun = 0;
        }
        continue;
      } else if (/\p{N}/u.test(token)) piece = '<n>';
      else if (namePrefixes.has(tokenWord(lower))) {
        piece = tokenWord(lower);
        expectName = true;
        nameRun = 0;
      } else if (expectName) {
        piece = '<name>';
        expectName = false;
        nameRun = 1;
      } else if (nameRun > 0 && nameRun < 3 && /^\p{Lu}\p{Ll}/u.test(token)) {
        piece = '<name>'; // "Hi Sari Dewi Lestari"
        nameRun++;
      } else {
        piece = tokenWord(lower);
        nameRun = 0;
      }
      if (piece === '' || (piece.startsWith('<') && piece === out[out.length - 1])) continue;
      out.push(piece);
    }
    return out.join(' ');
  }

  return { prepare, skeleton };
}
