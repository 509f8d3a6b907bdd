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

