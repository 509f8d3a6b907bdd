import {
  collapseWhitespace,
  deobfuscate,
  foldArabic,
  hasInvisible,
  mightBeObfuscated,
  normalizeText,
  stripEmoji,
  stripInvisible,
  stripLatinAccents,
  toAsciiDigits,
} from '../../lib/text-normalize.ts';
import { describeFeature, type LinearModel } from './linear-model.ts';
import { deobfuscateLinks, hostOf } from './text-features.ts';

// ---------------------------------------------------------------------------------------------
// Policy shape (`policies/risk-rules.json`, validated by `policies/schema/risk-rules.schema.json`)
// ---------------------------------------------------------------------------------------------

/** What a `regex` rule looks at. See {@link createRiskEngine} for the exact forms. */
export type RiskTextTarget = 'raw' | 'folded' | 'normalized' | 'hosts';

/** Behaviour counters a `behaviour_threshold` rule can read (snake_case of {@link RiskBehaviour}). */
export type RiskMetric = 'same_skeleton_recipients' | 'new_recipients_last_hour' | 'recent_opt_outs';

/** Restricts a rule to some sends; every listed condition must hold. */
export interface RiskRuleWhen {
  purposes?: string[];
  is_group?: boolean;
  has_media?: boolean;
  is_new_recipient?: boolean;
}

export interface RiskTier {
  min: number;
  weight: number;
}

interface RiskRuleBase {
  id: string;
  description?: string;
  when?: RiskRuleWhen;
  /** Skip this rule when any of these (earlier) rules fired. */
  unless_rules?: string[];
}

/** Whole-word terms per language; `weight` per distinct term, capped at `max_weight`. */
export interface LexiconRule extends RiskRuleBase {
  kind: 'lexicon';
  weight: number;
  max_weight?: number;
  terms: Record<string, string[]>;
}

/** Fires when any pattern matches the target (at least `min_matches` times in total). */
export interface RegexRule extends RiskRuleBase {
  kind: 'regex';
  weight: number;
  target: RiskTextTarget;
  patterns: string[];
  min_matches?: number;
}

/** Fires when a link's host is one of `domains` or a subdomain of one. */
export interface ShortenerRule extends RiskRuleBase {
  kind: 'shortener';
  weight: number;
  domains: string[];
}

/** Weight of the highest tier whose `min` the number of links reaches. */
export interface LinkCountRule extends RiskRuleBase {
  kind: 'link_count';
  tiers: RiskTier[];
}

/** Share of uppercase among Latin letters, ignoring words that contain digits. */
export interface CapsRatioRule extends RiskRuleBase {
  kind: 'caps_ratio';
  weight: number;
  min_letters: number;
  min_ratio: number;
}

/** Fires when a term of the named lexicon rules was only found after deobfuscation. */
export interface ObfuscationRule extends RiskRuleBase {
  kind: 'obfuscation';
  weight: number;
  lexicons: string[];
}

/** Fires when all of `all_of` and at least one of `any_of` fired (and a link is present, if required). */
export interface CombinationRule extends RiskRuleBase {
  kind: 'combination';
  weight: number;
  all_of?: string[];
  any_of?: string[];
  requires_link?: boolean;
}

/**
 * For the listed purposes: fires when the `signals` rules together found at least
 * `min_signals` hits (terms count one each), or when `require_pattern` is absent from the
 * folded text.
 */
export interface PurposeMismatchRule extends RiskRuleBase {
  kind: 'purpose_mismatch';
  weight: number;
  purposes: string[];
  signals?: string[];
  min_signals?: number;
  require_pattern?: string;
}

/** Weight of the highest tier whose `min` the metric reaches. */
export interface BehaviourThresholdRule extends RiskRuleBase {
  kind: 'behaviour_threshold';
  metric: RiskMetric;
  tiers: RiskTier[];
}

/** A negative weight for messages that look like what the purpose promises. */
export interface TrustOffsetRule extends RiskRuleBase {
  kind: 'trust_offset';
  weight: number;
  purposes: string[];
  require_pattern: string;
  max_length?: number;
  max_links?: number;
}

/** The trained intent classifier: weight of the highest tier its refuse probability reaches. */
export interface ClassifierRule extends RiskRuleBase {
  kind: 'classifier';
  model: string;
  tiers: { min: number; weight: number }[];
  explain?: number;
}

export type RiskRule =
  | ClassifierRule
  | LexiconRule
  | RegexRule
  | ShortenerRule
  | LinkCountRule
  | CapsRatioRule
  | ObfuscationRule
  | CombinationRule
  | PurposeMismatchRule
  | BehaviourThresholdRule
  | TrustOffsetRule;

export interface RiskPolicy {
  version: string;
  thresholds: { review: number; block: number };
  behaviour_window_seconds: number;
  notes?: string[];
  link_detection: { bare_tlds: string[] };
  skeleton: { name_prefixes: string[] };
  rules: RiskRule[];
}

// ---------------------------------------------------------------------------------------------
// Engine API
// ---------------------------------------------------------------------------------------------

export interface RiskInput {
  text: string;
  purpose: string;
  isGroup: boolean;
  hasMedia: boolean;
}

export interface RiskBehaviour {
  /** distinct recipients (including this one) that received the same skeleton within the policy's window */
  sameSkeletonRecipients: number;
  /** first-contact recipients of this instance in the last hour, including this one if new */
  newRecipientsLastHour: number;
  /** opt-outs received by this instance in the policy window */
  recentOptOuts: number;
  isNewRecipient: boolean;
}

export interface RiskRuleHit {
  id: string;
  weight: number;
  evidence?: string;
}

/** What the statistical classifier made of the message (absent when no classifier rule ran). */
export interface RiskClassification {
  /** Most likely intent among the refused ones (e.g. `phishing`), or `legit`. */
  intent: string;
  /** Probability that the message is one the product refuses (0–1, three decimals). */
  probability: number;
  /** Features that pushed hardest toward `intent`, readable ("word \"diskon\""). */
  features: string[];
}

export interface RiskResult {
  score: number;
  rules: RiskRuleHit[];
  action: 'allow' | 'review' | 'block';
  classifier?: RiskClassification;
}

export interface RiskEngine {
  score(input: RiskInput, behaviour: RiskBehaviour): RiskResult;
  /** Normalized skeleton of a message: digits, amounts, codes, names-ish tokens, URLs replaced by placeholders, so "Order #123 shipped" and "Order #456 shipped" share one skeleton. */
  skeleton(text: string): string;
  /** Window (seconds) the caller must use to count sameSkeletonRecipients / recentOptOuts. */
  readonly behaviourWindowSeconds: number;
  /** `version` of the policy, to record with each decision. */
  readonly policyVersion: string;
  /**
   * The model features (`r:<id>`) of the rules listed before the first classifier rule, for a
   * send with quiet behaviour: what training must show the classifier so it sees what it will
   * see in production.
   */
  classifierInputs(input: RiskInput): string[];
}

// ---------------------------------------------------------------------------------------------
// Text preparation
// ---------------------------------------------------------------------------------------------

/** Everything the rules look at, computed once per message. */
interface Prepared {
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

interface LinkFinder {
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
function createLinkFinder(bareTlds: Set<string>, knownHosts: string[]): LinkFinder {
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

// ---------------------------------------------------------------------------------------------
// Lexicons
// ---------------------------------------------------------------------------------------------

interface Term {
  term: string;
  tokens: string[];
  key: string;
}

/** Terms indexed by first word: one Map lookup per word of the message. */
type LexiconIndex = Map<string, Term[]>;

function buildLexicon(rule: LexiconRule): LexiconIndex {
  const index: LexiconIndex = new Map();
  const seen = new Set<string>();
  for (const [language, terms] of Object.entries(rule.terms)) {
    terms.forEach((term, i) => {
      const key = normalizeText(term);
      if (key === '')
        throw new Error(`risk policy: ${rule.id}.terms.${language}[${i}] is empty once normalized`);
      if (seen.has(key)) return; // the same word listed for two languages counts once
      seen.add(key);
      const tokens = key.split(' ');
      const first = tokens[0] ?? key;
      const bucket = index.get(first) ?? [];
      bucket.push({ term, tokens, key });
      index.set(first, bucket);
    });
  }
  return index;
}

function findTerms(index: LexiconIndex, tokens: string[], into: Map<string, Term>): void {
  for (let i = 0; i < tokens.length; i++) {
    const bucket = index.get(tokens[i] ?? '');
    if (bucket === undefined) continue;
    for (const t of bucket) {
      if (into.has(t.key)) continue;
      let ok = i + t.tokens.length <= tokens.length;
      for (let k = 1; ok && k < t.tokens.length; k++) ok = tokens[i + k] === t.tokens[k];
      if (ok) into.set(t.key, t);
    }
  }
}

/** "free" inside "free shipping" is one mention, not two. */
function dropContained(found: Map<string, Term>): Term[] {
  const all = [...found.values()];
  return all.filter((a) => !all.some((b) => b !== a && ` ${b.key} `.includes(` ${a.key} `)));
}

// ---------------------------------------------------------------------------------------------
// Compilation
// ---------------------------------------------------------------------------------------------

interface Fired {
  /** Hits that count as signals: distinct terms for lexicons, 1 otherwise. */
  count: number;
}

interface EvalContext {
  input: RiskInput;
  behaviour: RiskBehaviour;
  text: Prepared;
  fired: Map<string, Fired>;
  /** Terms per lexicon rule that only matched once deobfuscated. */
  obfuscated: Map<string, string[]>;
  classification?: RiskClassification;
}

interface Outcome {
  weight: number;
  evidence?: string;
  count?: number;
}

type Evaluator = (ctx: EvalContext) => Outcome | null;

interface CompiledRule {
  rule: RiskRule;
  applies: (ctx: EvalContext) => boolean;
  evaluate: Evaluator;
}

function compileRegex(source: string, where: string): RegExp {
  try {
    // Arabic in patterns is folded like the text it is matched against.
    return new RegExp(foldArabic(source), 'gu');
  } catch (error) {
    throw new Error(`risk policy: ${where}: invalid pattern (${(error as Error).message})`);
  }
}

/** Evidence must never carry codes, amounts or phone numbers from the message. */
function maskEvidence(text: string): string {
  const masked = text.replace(/\d/g, '#');
  return masked.length > 60 ? `${masked.slice(0, 57)}...` : masked;
}

/** Counts matches across subjects, stopping as soon as `enough` is reached. */
function countMatches(
  patterns: RegExp[],
  subjects: string[],
  enough: number,
): { matches: number; first: string; subject: string } | null {
  let matches = 0;
  let first: { first: string; subject: string } | undefined;
  for (const subject of subjects) {
    for (const re of patterns) {
      for (const m of subject.matchAll(re)) {
        matches++;
        first ??= { first: m[0], subject };
        if (matches >= enough) return { matches, ...first };
      }
    }
  }
  return null;
}

function pickTier(tiers: RiskTier[], value: number): RiskTier | undefined {
  let best: RiskTier | undefined;
  for (const tier of tiers) if (value >= tier.min && (best === undefined || tier.min > best.min)) best = tier;
  return best;
}

const METRICS: Record<RiskMetric, (b: RiskBehaviour) => number> = {
  same_skeleton_recipients: (b) => b.sameSkeletonRecipients,
  new_recipients_last_hour: (b) => b.newRecipientsLastHour,
  recent_opt_outs: (b) => b.recentOptOuts,
};

function caps(raw: string, minLetters: number): { letters: number; ratio: number } | null {
  let letters = 0;
  let upper = 0;
  for (const word of raw.match(/[\p{L}\p{N}]+/gu) ?? []) {
    if (/\p{N}/u.test(word)) continue; // OTP, INV-2041, A1B2: codes are uppercase by convention
    for (const ch of word) {
      if (!/\p{Script=Latin}/u.test(ch)) continue;
      letters++;
      if (ch !== ch.toLowerCase()) upper++;
    }
  }
  return letters < minLetters ? null : { letters, ratio: upper / letters };
}

/** The model features naming the rules that fired before it (`r:<id>`), in a stable order. */
export function ruleFeatures(fired: ReadonlyMap<string, unknown>): string[] {
  return [...fired.keys()].sort().map((id) => `r:${id}`);
}

function compileRule(
  rule: RiskRule,
  lexicons: Map<string, LexiconIndex>,
  where: string,
  models: Readonly<Record<string, LinearModel>>,
): Evaluator {
  switch (rule.kind) {
    case 'classifier': {
      const model = models[rule.model];
      if (model === undefined) throw new Error(`risk policy: ${where}: model "${rule.model}" is not loaded`);
      const tiers = [...rule.tiers].sort((a, b) => a.min - b.min);
      const explain = rule.explain ?? 3;
      return (ctx) => {
        // The rules listed before the classifier are features of it: it learned how far to trust each.
        const p = model.predict(ctx.input.text, ctx.input.purpose, explain, ruleFeatures(ctx.fired));
        const probability = Math.round(p.positive * 1000) / 1000;
        const intent = p.positive >= 0.5 ? p.positiveLabel : (model.classes[0] as string);
        const features = p.top.map((c) => describeFeature(c.feature));
        ctx.classification = { intent, probability, features };
        let tier: { min: number; weight: number } | undefined;
        for (const t of tiers) if (p.positive >= t.min) tier = t;
        if (tier === undefined || tier.weight === 0) return null;
        const evidence =
          tier.weight > 0
            ? `${p.positiveLabel} ${probability.toFixed(2)}: ${features.join(', ')}`
            : `legitimate ${(1 - probability).toFixed(2)}`;
        return { weight: tier.weight, evidence };
      };
    }
    case 'lexicon': {
      const index = buildLexicon(rule);
      lexicons.set(rule.id, index);
      return (ctx) => {
        const plain = new Map<string, Term>();
        for (const reading of ctx.text.plainReadings) findTerms(index, reading, plain);
        const all = new Map(plain);
        for (const reading of ctx.text.deobReadings) findTerms(index, reading, all);
        const terms = dropContained(all);
        const hidden = terms.filter((t) => !plain.has(t.key)).map((t) => t.key);
        if (hidden.length > 0) ctx.obfuscated.set(rule.id, hidden);
        if (terms.length === 0) return null;
        const weight = Math.min(terms.length * rule.weight, rule.max_weight ?? Number.POSITIVE_INFINITY);
        return { weight, count: terms.length, evidence: terms.map((t) => t.term).join(', ') };
      };
    }
    case 'regex': {
      const patterns = rule.patterns.map((p, i) => compileRegex(p, `${where}.patterns[${i}]`));
      const minMatches = rule.min_matches ?? 1;
      return (ctx) => {
        const subjects = rule.target === 'hosts' ? ctx.text.hosts : [ctx.text[rule.target]];
        const found = countMatches(patterns, subjects, minMatches);
        if (found === null) return null;
        const evidence =
          minMatches > 1
            ? `at least ${found.matches} matches`
            : maskEvidence(rule.target === 'hosts' ? found.subject : found.first);
        return { weight: rule.weight, evidence };
      };
    }
    case 'shortener': {
      const domains = rule.domains.map((d) => d.toLowerCase());
      return (ctx) => {
        const hits = ctx.text.hosts.filter((h) => domains.some((d) => h === d || h.endsWith(`.${d}`)));
        return hits.length === 0 ? null : { weight: rule.weight, evidence: [...new Set(hits)].join(', ') };
      };
    }
    case 'link_count':
      return (ctx) => {
        const tier = pickTier(rule.tiers, ctx.text.hosts.length);
        return tier === undefined
          ? null
          : { weight: tier.weight, evidence: `${ctx.text.hosts.length} links` };
      };
    case 'caps_ratio':
      return (ctx) => {
        const c = caps(ctx.text.raw, rule.min_letters);
        if (c === null || c.ratio < rule.min_ratio) return null;
        return {
          weight: rule.weight,
          evidence: `${Math.round(c.ratio * 100)}% of ${c.letters} letters uppercase`,
        };
      };
    case 'obfuscation':
      for (const id of rule.lexicons) {
        if (!lexicons.has(id))
          throw new Error(`risk policy: ${where}: "${id}" is not an earlier lexicon rule`);
      }
      return (ctx) => {
        const hidden = rule.lexicons.flatMap((id) => ctx.obfuscated.get(id) ?? []);
        return hidden.length === 0
          ? null
          : { weight: rule.weight, evidence: [...new Set(hidden)].join(', ') };
      };
    case 'combination':
      if ((rule.all_of ?? []).length === 0 && (rule.any_of ?? []).length === 0) {
        throw new Error(`risk policy: ${where}: needs all_of or any_of`);
      }
      return (ctx) => {
        const all = rule.all_of ?? [];
        const any = rule.any_of ?? [];
        if (!all.every((id) => ctx.fired.has(id))) return null;
        const anyHit = any.filter((id) => ctx.fired.has(id));
        if (any.length > 0 && anyHit.length === 0) return null;
        if (rule.requires_link === true && ctx.text.hosts.length === 0) return null;
        const parts = [...all, ...anyHit, ...(rule.requires_link === true ? ['link'] : [])];
        return { weight: rule.weight, evidence: parts.join(' + ') };
      };
    case 'purpose_mismatch': {
      if (rule.signals === undefined && rule.require_pattern === undefined) {
        throw new Error(`risk policy: ${where}: needs signals or require_pattern`);
      }
      const required =
        rule.require_pattern === undefined
          ? null
          : compileRegex(rule.require_pattern, `${where}.require_pattern`);
      const minSignals = rule.min_signals ?? 1;
      return (ctx) => {
        if (!rule.purposes.includes(ctx.input.purpose)) return null;
        if (rule.signals !== undefined) {
          const n = rule.signals.reduce((sum, id) => sum + (ctx.fired.get(id)?.count ?? 0), 0);
          if (n >= minSignals) {
            return {
              weight: rule.weight,
              evidence: `purpose ${ctx.input.purpose} with ${n} marketing signals`,
            };
          }
        }
        if (required !== null) {
          required.lastIndex = 0;
          if (!required.test(ctx.text.folded)) {
            return {
              weight: rule.weight,
              evidence: `purpose ${ctx.input.purpose} without the expected content`,
            };
          }
        }
        return null;
      };
    }
    case 'behaviour_threshold': {
      const metric = METRICS[rule.metric];
      return (ctx) => {
        const value = metric(ctx.behaviour);
        const tier = pickTier(rule.tiers, value);
        return tier === undefined
          ? null
          : { weight: tier.weight, evidence: `${rule.metric}=${value} (>= ${tier.min})` };
      };
    }
    case 'trust_offset': {
      const required = compileRegex(rule.require_pattern, `${where}.require_pattern`);
      return (ctx) => {
        if (!rule.purposes.includes(ctx.input.purpose)) return null;
        if (rule.max_length !== undefined && ctx.text.raw.length > rule.max_length) return null;
        if (rule.max_links !== undefined && ctx.text.hosts.length > rule.max_links) return null;
        required.lastIndex = 0;
        if (!required.test(ctx.text.folded)) return null;
        // Evidence names the shape, never the code itself.
        return { weight: rule.weight, evidence: `${ctx.input.purpose} message of the expected shape` };
      };
    }
  }
}

/** Ids a rule refers to; they must name rules listed before it. */
function references(rule: RiskRule): string[] {
  const refs = [...(rule.unless_rules ?? [])];
  if (rule.kind === 'obfuscation') refs.push(...rule.lexicons);
  if (rule.kind === 'combination') refs.push(...(rule.all_of ?? []), ...(rule.any_of ?? []));
  if (rule.kind === 'purpose_mismatch') refs.push(...(rule.signals ?? []));
  return refs;
}

function compileWhen(rule: RiskRule): (ctx: EvalContext) => boolean {
  const when = rule.when ?? {};
  const unless = rule.unless_rules ?? [];
  return (ctx) =>
    (when.purposes === undefined || when.purposes.includes(ctx.input.purpose)) &&
    (when.is_group === undefined || when.is_group === ctx.input.isGroup) &&
    (when.has_media === undefined || when.has_media === ctx.input.hasMedia) &&
    (when.is_new_recipient === undefined || when.is_new_recipient === ctx.behaviour.isNewRecipient) &&
    !unless.some((id) => ctx.fired.has(id));
}

// ---------------------------------------------------------------------------------------------
// Factory
// ---------------------------------------------------------------------------------------------

/**
 * Compiles the policy once (regexes, lexicon indexes, link finder) and returns a pure scorer.
 * Throws on what the JSON Schema cannot express: duplicate ids, references to unknown or later
 * rules, invalid regexes, review >= block.
 *
 * Text forms seen by rules: `raw` (NFKC of the message), `folded` (lowercase, no accents,
 * Arabic folded, ASCII digits, punctuation and emoji kept), `normalized` (folded with emoji and
 * punctuation replaced by spaces) and `hosts` (each link's host, lowercase, no `www.`).
 */
/** One new recipient, nothing else going on: the behaviour the classifier is trained for. */
export const QUIET_BEHAVIOUR: RiskBehaviour = {
  sameSkeletonRecipients: 1,
  newRecipientsLastHour: 1,
  recentOptOuts: 0,
  isNewRecipient: true,
};

export function createRiskEngine(
  policy: RiskPolicy,
  models: Readonly<Record<string, LinearModel>> = {},
): RiskEngine {
  const { review, block } = policy.thresholds;
  if (!(review >= 0 && review < block && block <= 100)) {
    throw new Error(
      `risk policy: thresholds must satisfy 0 <= review < block <= 100 (got ${review}, ${block})`,
    );
  }

  const lexicons = new Map<string, LexiconIndex>();
  const known = new Set<string>();
  const compiled: CompiledRule[] = policy.rules.map((rule, i) => {
    const where = `rules[${i}] (${rule.id})`;
    if (known.has(rule.id)) throw new Error(`risk policy: ${where}: duplicate id`);
    for (const ref of references(rule)) {
      if (!known.has(ref)) throw new Error(`risk policy: ${where}: "${ref}" must be a rule listed earlier`);
    }
    known.add(rule.id);
    return { rule, applies: compileWhen(rule), evaluate: compileRule(rule, lexicons, where, models) };
  });

  const shortenerDomains = policy.rules.flatMap((r) =>
    r.kind === 'shortener' ? r.domains.map((d) => d.toLowerCase()) : [],
  );
  const links = createLinkFinder(
    new Set(policy.link_detection.bare_tlds.map((t) => t.toLowerCase())),
    shortenerDomains,
  );
  const namePrefixes = new Set(policy.skeleton.name_prefixes.map((p) => normalizeText(p)));

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

  return {
    behaviourWindowSeconds: policy.behaviour_window_seconds,
    policyVersion: policy.version,
    skeleton,
    classifierInputs(input) {
      const ctx: EvalContext = {
        input,
        behaviour: QUIET_BEHAVIOUR,
        text: prepare(input.text),
        fired: new Map(),
        obfuscated: new Map(),
      };
      for (const { rule, applies, evaluate } of compiled) {
        if (rule.kind === 'classifier') break;
        if (!applies(ctx)) continue;
        const outcome = evaluate(ctx);
        if (outcome !== null) ctx.fired.set(rule.id, { count: outcome.count ?? 1 });
      }
      return ruleFeatures(ctx.fired);
    },
    score(input, behaviour) {
      const ctx: EvalContext = {
        input,
        behaviour,
        text: prepare(input.text),
        fired: new Map(),
        obfuscated: new Map(),
      };
      const hits: RiskRuleHit[] = [];
      let total = 0;
      for (const { rule, applies, evaluate } of compiled) {
        if (!applies(ctx)) continue;
        const outcome = evaluate(ctx);
        if (outcome === null) continue;
        ctx.fired.set(rule.id, { count: outcome.count ?? 1 });
        total += outcome.weight;
        const hit: RiskRuleHit = { id: rule.id, weight: outcome.weight };
        if (outcome.evidence !== undefined) hit.evidence = outcome.evidence;
        hits.push(hit);
      }
      const score = Math.max(0, Math.min(100, Math.round(total)));
      const action = score >= block ? 'block' : score >= review ? 'review' : 'allow';
      const result: RiskResult = { score, rules: hits, action };
      if (ctx.classification !== undefined) result.classifier = ctx.classification;
      return result;
    },
  };
}
