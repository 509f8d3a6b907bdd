import { foldArabic, normalizeText } from '../../lib/text-normalize.ts';
import { blendModels, readBySentence } from './classifier-reading.ts';
import { describeFeature, type LinearModel } from './linear-model.ts';
import type { Prepared } from './risk-text.ts';
import type {
  LexiconRule,
  RiskBehaviour,
  RiskClassification,
  RiskInput,
  RiskMetric,
  RiskRule,
  RiskTier,
} from './risk-policy.ts';

/** Each rule of the policy compiled once into a function of the message and its behaviour. */

// ---------------------------------------------------------------------------------------------
// Lexicons
// ---------------------------------------------------------------------------------------------

interface Term {
  term: string;
  tokens: string[];
  key: string;
}

/** Terms indexed by first word: one Map lookup per word of the message. */
export type LexiconIndex = Map<string, Term[]>;

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

export interface EvalContext {
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
  /**
   * False when the rule weighs in without having fired: the classifier's trust tiers lower the
   * score, but later rules asking whether the classifier fired (`unless_rules`, `all_of`) mean
   * "flagged the message".
   */
  fired?: boolean;
}

type Evaluator = (ctx: EvalContext) => Outcome | null;

export interface CompiledRule {
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
      // What `subject.matchAll(re)` yields, without the copy of the RegExp it makes per call.
      re.lastIndex = 0;
      for (let m = re.exec(subject); m !== null; m = re.exec(subject)) {
        if (m[0] === '') re.lastIndex = advanceIndex(subject, re.lastIndex);
        matches++;
        first ??= { first: m[0], subject };
        if (matches >= enough) return { matches, ...first };
      }
    }
  }
  return null;
}

/** Past an empty match, as a global unicode RegExp steps: one code point on. */
function advanceIndex(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
    const d = s.charCodeAt(i + 1);
    if (d >= 0xdc00 && d <= 0xdfff) return i + 2;
  }
  return i + 1;
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

export function compileRule(
  rule: RiskRule,
  lexicons: Map<string, LexiconIndex>,
  where: string,
  models: Readonly<Record<string, LinearModel>>,
): Evaluator {
  switch (rule.kind) {
    case 'classifier': {
      const loaded = (name: string) => {
        const m = models[name];
        if (m === undefined) throw new Error(`risk policy: ${where}: model "${name}" is not loaded`);
        return m;
      };
      const main = loaded(rule.model);
      const companions = (rule.companions ?? []).map((c) => ({ model: loaded(c.model), weight: c.weight }));
      let model: LinearModel;
      try {
        model = blendModels(main, companions);
      } catch (error) {
        throw new Error(`risk policy: ${where}: ${(error as Error).message}`);
      }
      if (rule.sentences) model = readBySentence(model, { mix: rule.sentences.mix, minWords: rule.sentences.min_words ?? 5 });
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
        return { weight: tier.weight, evidence, fired: tier.weight > 0 };
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
export function references(rule: RiskRule): string[] {
  const refs = [...(rule.unless_rules ?? [])];
  if (rule.kind === 'obfuscation') refs.push(...rule.lexicons);
  if (rule.kind === 'combination') refs.push(...(rule.all_of ?? []), ...(rule.any_of ?? []));
  if (rule.kind === 'purpose_mismatch') refs.push(...(rule.signals ?? []));
  return refs;
}

export function compileWhen(rule: RiskRule): (ctx: EvalContext) => boolean {
  const when = rule.when ?? {};
  const unless = rule.unless_rules ?? [];
  return (ctx) =>
    (when.purposes === undefined || when.purposes.includes(ctx.input.purpose)) &&
    (when.is_group === undefined || when.is_group === ctx.input.isGroup) &&
    (when.has_media === undefined || when.has_media === ctx.input.hasMedia) &&
    (when.is_new_recipient === undefined || when.is_new_recipient === ctx.behaviour.isNewRecipient) &&
    !unless.some((id) => ctx.fired.has(id));
}

