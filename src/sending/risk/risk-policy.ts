// ---------------------------------------------------------------------------------------------
// Policy shape (`policies/risk-rules.json`): the types come from its schema, risk-rules.schema.ts
// ---------------------------------------------------------------------------------------------

import type { RiskRuleOf } from './risk-rules.schema.ts';

export type { RiskPolicy, RiskRule, RiskRuleKind, RiskRuleOf } from './risk-rules.schema.ts';

/** Whole-word terms per language; `weight` per distinct term, capped at `max_weight`. */
export type LexiconRule = RiskRuleOf<'lexicon'>;

/** Behaviour counters a `behaviour_threshold` rule can read (snake_case of {@link RiskBehaviour}). */
export type RiskMetric = RiskRuleOf<'behaviour_threshold'>['metric'];

/** A `{min, weight}` step of a `link_count` or `behaviour_threshold` rule. */
export type RiskTier = RiskRuleOf<'link_count'>['tiers'][number];

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

