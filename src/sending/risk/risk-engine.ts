import type { LinearModel } from './linear-model.ts';
import type { RiskBehaviour, RiskEngine, RiskPolicy, RiskResult, RiskRule, RiskRuleHit } from './risk-policy.ts';
import { compileRule, compileWhen, references, ruleFeatures, type CompiledRule, type EvalContext, type LexiconIndex } from './risk-rule-compiler.ts';
import { createLinkFinder, createTextReader } from './risk-text.ts';

export type * from './risk-policy.ts';

/** One new recipient, nothing else going on: the behaviour the classifier is trained for. */
export const QUIET_BEHAVIOUR: RiskBehaviour = {
  sameSkeletonRecipients: 1,
  newRecipientsLastHour: 1,
  recentOptOuts: 0,
  isNewRecipient: true,
};

/**
 * The deterministic layer alone: every rule but the trained classifiers, and no rule waiting on
 * one (`unless_rules`, `all_of`, `any_of` drop their references to them).
 */
export function withoutClassifiers(policy: RiskPolicy): RiskPolicy {
  const classifiers = new Set(policy.rules.filter((r) => r.kind === 'classifier').map((r) => r.id));
  const keep = (ids: string[] | undefined) => ids?.filter((id) => !classifiers.has(id));
  const rules = policy.rules
    .filter((r) => !classifiers.has(r.id))
    .map((r) => {
      const out = { ...r } as RiskRule & { unless_rules?: string[]; all_of?: string[]; any_of?: string[] };
      for (const key of ['unless_rules', 'all_of', 'any_of'] as const) {
        const ids = keep(out[key]);
        if (ids !== undefined) out[key] = ids;
      }
      return out as RiskRule;
    });
  return { ...policy, rules };
}

/**
 * Compiles the policy once (regexes, lexicon indexes, link finder) and returns a pure scorer.
 * Throws on what the JSON Schema cannot express: duplicate ids, references to unknown or later
 * rules, invalid regexes, review >= block.
 *
 * Text forms seen by rules: `raw` (NFKC of the message), `folded` (lowercase, no accents,
 * Arabic folded, ASCII digits, punctuation and emoji kept), `normalized` (folded with emoji and
 * punctuation replaced by spaces) and `hosts` (each link's host, lowercase, no `www.`).
 */
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
  const { prepare, skeleton } = createTextReader(links, policy.skeleton.name_prefixes);

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
      // Trust (negative weights) offsets what the content looks like, never how the instance
      // behaves: an order update the model is sure of still counts when it fans out to strangers.
      let content = 0;
      let behaving = 0;
      for (const { rule, applies, evaluate } of compiled) {
        if (!applies(ctx)) continue;
        const outcome = evaluate(ctx);
        if (outcome === null) continue;
        if (outcome.fired !== false) ctx.fired.set(rule.id, { count: outcome.count ?? 1 });
        if (rule.kind === 'behaviour_threshold') behaving += outcome.weight;
        else content += outcome.weight;
        const hit: RiskRuleHit = { id: rule.id, weight: outcome.weight };
        if (outcome.evidence !== undefined) hit.evidence = outcome.evidence;
        hits.push(hit);
      }
      const score = Math.max(0, Math.min(100, Math.round(Math.max(0, content) + behaving)));
      const action = score >= block ? 'block' : score >= review ? 'review' : 'allow';
      const result: RiskResult = { score, rules: hits, action };
      if (ctx.classification !== undefined) result.classifier = ctx.classification;
      return result;
    },
  };
}
