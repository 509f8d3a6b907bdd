/**
 * The JSON Schema (2020-12) of `policies/risk-rules.json`, and the TypeScript types of a risk
 * policy derived from it: each rule kind is written once, here. `policies/schema/risk-rules.schema.json`
 * (what the policy loader validates with, and what editors read) is generated from
 * {@link riskRulesSchema} by `npm run policy:schema`; a unit test holds the two equal.
 */
import type { FromSchema, JSONSchema } from 'json-schema-to-ts';

/** Shared definitions (`#/$defs/<name>`). */
const DEFS = {
  score: { type: 'integer', minimum: 0, maximum: 100 },
  weight: { type: 'integer', minimum: 1, maximum: 100 },
  ruleId: { type: 'string', pattern: '^[a-z][a-z0-9_]{1,63}$' },
  ruleIds: { type: 'array', minItems: 1, uniqueItems: true, items: { $ref: '#/$defs/ruleId' } },
  stringList: { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'string', minLength: 1 } },
  pattern: {
    type: 'string',
    minLength: 1,
    format: 'regex',
    description: 'JavaScript regex source, compiled with the u flag.',
  },
  modelFile: {
    type: 'string',
    pattern: '^[a-z0-9][a-z0-9._-]*\\.json$',
    description:
      'A model file in the policies folder, written by npm run policy:train and verified by its sha256 when loaded.',
  },
  purposes: {
    type: 'array',
    minItems: 1,
    uniqueItems: true,
    items: { type: 'string', pattern: '^[a-z][a-z0-9_]*$' },
  },
  tiers: {
    type: 'array',
    minItems: 1,
    items: {
      type: 'object',
      required: ['min', 'weight'],
      additionalProperties: false,
      properties: {
        min: { type: 'integer', minimum: 1 },
        weight: { $ref: '#/$defs/weight' },
      },
    },
  },
} as const;

/** What every rule has, whatever its kind (`kind` itself is added per kind). */
const RULE_BASE = {
  id: { $ref: '#/$defs/ruleId' },
  description: { type: 'string' },
  when: {
    type: 'object',
    minProperties: 1,
    additionalProperties: false,
    properties: {
      purposes: { $ref: '#/$defs/purposes' },
      is_group: { type: 'boolean' },
      has_media: { type: 'boolean' },
      is_new_recipient: { type: 'boolean' },
    },
  },
  /** Skip this rule when any of these (earlier) rules fired. */
  unless_rules: { $ref: '#/$defs/ruleIds' },
} as const;

/**
 * The rule kinds, in the order the schema lists them, each with what it requires and allows
 * beyond {@link RULE_BASE}. The kinds are a closed set interpreted by risk-rule-compiler.ts.
 */
const RULE_KINDS = {
  /** Whole-word terms per language; `weight` per distinct term, capped at `max_weight`. */
  lexicon: {
    required: ['weight', 'terms'],
    properties: {
      weight: { $ref: '#/$defs/weight' },
      max_weight: { $ref: '#/$defs/weight' },
      terms: {
        type: 'object',
        minProperties: 1,
        propertyNames: { pattern: '^[a-z]{2,3}$' },
        additionalProperties: { $ref: '#/$defs/stringList' },
      },
    },
  },
  /** Fires when any pattern matches the target (at least `min_matches` times in total). */
  regex: {
    required: ['weight', 'target', 'patterns'],
    properties: {
      weight: { $ref: '#/$defs/weight' },
      target: { enum: ['raw', 'folded', 'normalized', 'hosts'] },
      patterns: { type: 'array', minItems: 1, items: { $ref: '#/$defs/pattern' } },
      min_matches: { type: 'integer', minimum: 1 },
    },
  },
  /** Fires when a link's host is one of `domains` or a subdomain of one. */
  shortener: {
    required: ['weight', 'domains'],
    properties: {
      weight: { $ref: '#/$defs/weight' },
      domains: {
        type: 'array',
        minItems: 1,
        uniqueItems: true,
        items: { type: 'string', pattern: '^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\\.)+[a-z]{2,}$' },
      },
    },
  },
  /** Weight of the highest tier whose `min` the number of links reaches. */
  link_count: { required: ['tiers'], properties: { tiers: { $ref: '#/$defs/tiers' } } },
  /** Share of uppercase among Latin letters, ignoring words that contain digits. */
  caps_ratio: {
    required: ['weight', 'min_letters', 'min_ratio'],
    properties: {
      weight: { $ref: '#/$defs/weight' },
      min_letters: { type: 'integer', minimum: 1 },
      min_ratio: { type: 'number', exclusiveMinimum: 0, maximum: 1 },
    },
  },
  /** Fires when a term of the named lexicon rules was only found after deobfuscation. */
  obfuscation: {
    required: ['weight', 'lexicons'],
    properties: { weight: { $ref: '#/$defs/weight' }, lexicons: { $ref: '#/$defs/ruleIds' } },
  },
  /** Fires when all of `all_of` and at least one of `any_of` fired (and a link is present, if required). */
  combination: {
    required: ['weight'],
    anyOf: [
      { properties: { all_of: true }, required: ['all_of'] },
      { properties: { any_of: true }, required: ['any_of'] },
    ],
    properties: {
      weight: { $ref: '#/$defs/weight' },
      all_of: { $ref: '#/$defs/ruleIds' },
      any_of: { $ref: '#/$defs/ruleIds' },
      requires_link: { type: 'boolean' },
    },
  },
  /**
   * For the listed purposes: fires when the `signals` rules together found at least
   * `min_signals` hits (terms count one each), or when `require_pattern` is absent from the
   * folded text.
   */
  purpose_mismatch: {
    required: ['weight', 'purposes'],
    anyOf: [
      { properties: { signals: true }, required: ['signals'] },
      { properties: { require_pattern: true }, required: ['require_pattern'] },
    ],
    properties: {
      weight: { $ref: '#/$defs/weight' },
      purposes: { $ref: '#/$defs/purposes' },
      signals: { $ref: '#/$defs/ruleIds' },
      min_signals: { type: 'integer', minimum: 1 },
      require_pattern: { $ref: '#/$defs/pattern' },
    },
  },
  /** Weight of the highest tier whose `min` the metric reaches. */
  behaviour_threshold: {
    required: ['metric', 'tiers'],
    properties: {
      metric: { enum: ['same_skeleton_recipients', 'new_recipients_last_hour', 'recent_opt_outs'] },
      tiers: { $ref: '#/$defs/tiers' },
    },
  },
  /** A negative weight for messages that look like what the purpose promises. */
  trust_offset: {
    required: ['weight', 'purposes', 'require_pattern'],
    properties: {
      weight: { type: 'integer', minimum: -100, maximum: -1, description: 'Negative: lowers the score.' },
      purposes: { $ref: '#/$defs/purposes' },
      require_pattern: { $ref: '#/$defs/pattern' },
      max_length: { type: 'integer', minimum: 1 },
      max_links: { type: 'integer', minimum: 0 },
    },
  },
  /** The trained intent classifier: weight of the highest tier its refuse probability reaches. */
  classifier: {
    required: ['model', 'tiers'],
    properties: {
      model: { $ref: '#/$defs/modelFile' },
      companions: {
        type: 'array',
        description:
          'Further models that read the same message (a second view of it, e.g. character n-grams): the probability is the weighted mean, the main model weighing 1 minus the sum of these weights. The evidence names the main model\'s features.',
        items: {
          type: 'object',
          required: ['model', 'weight'],
          additionalProperties: false,
          properties: {
            model: { $ref: '#/$defs/modelFile' },
            weight: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 },
          },
        },
      },
      sentences: {
        type: 'object',
        required: ['mix'],
        additionalProperties: false,
        description:
          "Also reads each sentence of a message of two or more on its own, so a promotion appended to a genuine update is judged as what it is: the probability is mix × the most suspicious sentence's + (1 − mix) × the whole message's, whichever is higher.",
        properties: {
          mix: { type: 'number', minimum: 0, maximum: 1 },
          min_words: { type: 'integer', minimum: 1, description: 'Shorter sentences are not read alone (default 5).' },
        },
      },
      explain: {
        type: 'integer',
        minimum: 0,
        maximum: 10,
        description: 'Top contributing features named in the evidence (default 3).',
      },
      tiers: {
        type: 'array',
        minItems: 1,
        description:
          "Weight of the highest tier whose min the model's refuse probability (0-1) reaches. A negative weight is trust earned by a message the model is sure is legitimate.",
        items: {
          type: 'object',
          required: ['min', 'weight'],
          additionalProperties: false,
          properties: {
            min: { type: 'number', minimum: 0, maximum: 1 },
            weight: { type: 'integer', minimum: -100, maximum: 100 },
          },
        },
      },
    },
  },
} as const;

export type RiskRuleKind = keyof typeof RULE_KINDS;
/** Every rule kind, in schema order. */
export const RISK_RULE_KINDS = Object.keys(RULE_KINDS) as RiskRuleKind[];
type KindSchema = (typeof RULE_KINDS)[RiskRuleKind];

/** The schema of one rule kind as a closed object, for `FromSchema` (the published schema says the same with if/then). */
interface RuleSchemaOf<K extends RiskRuleKind> {
  type: 'object';
  required: readonly ['id', 'kind', ...(typeof RULE_KINDS)[K]['required']];
  additionalProperties: false;
  properties: typeof RULE_BASE & { kind: { const: K } } & (typeof RULE_KINDS)[K]['properties'];
  $defs: typeof DEFS;
}

/** One rule, by kind: the union of the kinds' shapes, discriminated by `kind`. */
export type RiskRule = {
  [K in RiskRuleKind]: RuleSchemaOf<K> extends infer S extends JSONSchema ? FromSchema<S> : never;
}[RiskRuleKind];
export type RiskRuleOf<K extends RiskRuleKind> = Extract<RiskRule, { kind: K }>;

const POLICY_REQUIRED = ['version', 'thresholds', 'behaviour_window_seconds', 'link_detection', 'skeleton', 'rules'] as const;

/** The policy's own fields; `rules` holds {@link RiskRule}s. */
const POLICY_PROPERTIES = {
  version: { type: 'string', minLength: 1, description: 'Recorded with every decision.' },
  thresholds: {
    type: 'object',
    required: ['review', 'block'],
    additionalProperties: false,
    properties: {
      review: { $ref: '#/$defs/score', description: 'At or above: sent, but flagged for review.' },
      block: { $ref: '#/$defs/score', description: 'At or above: refused with policy_violation.' },
    },
  },
  behaviour_window_seconds: {
    type: 'integer',
    minimum: 60,
    maximum: 604800,
    description: 'Window the caller uses to count same-skeleton recipients and recent opt-outs.',
  },
  notes: { type: 'array', items: { type: 'string', minLength: 1 } },
  link_detection: {
    type: 'object',
    required: ['bare_tlds'],
    additionalProperties: false,
    properties: {
      bare_tlds: {
        description:
          'A link without scheme or www. ("s.id/abc") counts only if its TLD is listed here or its host is a listed shortener; this keeps file names and abbreviations out.',
        type: 'array',
        minItems: 1,
        uniqueItems: true,
        items: { type: 'string', pattern: '^(?:[a-z]{2,24}|xn--[a-z0-9-]{1,59})$' },
      },
    },
  },
  skeleton: {
    type: 'object',
    required: ['name_prefixes'],
    additionalProperties: false,
    properties: {
      name_prefixes: {
        description:
          'Salutations and titles; the word after one (and up to two more capitalised words) becomes <name> in a skeleton.',
        $ref: '#/$defs/stringList',
      },
    },
  },
  rules: { type: 'array', minItems: 1, items: { $ref: '#/$defs/rule' } },
} as const;

/** The policy's fields as `FromSchema` reads them, `rules` left as an array it does not look into. */
type PolicyFields = FromSchema<{
  type: 'object';
  required: typeof POLICY_REQUIRED;
  additionalProperties: false;
  properties: Omit<typeof POLICY_PROPERTIES, 'rules'> & { rules: { type: 'array' } };
  $defs: typeof DEFS;
}>;

/** `policies/risk-rules.json`. */
export type RiskPolicy = Omit<PolicyFields, 'rules'> & { rules: RiskRule[] };

/** `#/$defs/rule`: the common fields, then one if/then per kind; nothing else is allowed. */
const ruleSchema = {
  type: 'object',
  required: ['id', 'kind'],
  properties: {
    id: RULE_BASE.id,
    kind: { enum: RISK_RULE_KINDS },
    description: RULE_BASE.description,
    when: RULE_BASE.when,
    unless_rules: RULE_BASE.unless_rules,
  },
  allOf: Object.entries(RULE_KINDS).map(([kind, then]: [string, KindSchema]) => ({
    if: { properties: { kind: { const: kind } }, required: ['kind'] },
    then,
  })),
  unevaluatedProperties: false,
};

/** The JSON Schema of `policies/risk-rules.json` (written to `policies/schema/risk-rules.schema.json`). */
export const riskRulesSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://warden.local/policies/risk-rules.schema.json',
  title: 'Risk scoring rules',
  description:
    'Weighted rules producing a 0-100 risk score. Rule kinds are a closed set interpreted by src/sending/risk/risk-engine.ts. Rules run in file order and may only refer to rules listed before them (checked when the engine is built, as are regex syntax and review < block).',
  type: 'object',
  required: POLICY_REQUIRED,
  additionalProperties: false,
  properties: POLICY_PROPERTIES,
  $defs: { ...DEFS, rule: ruleSchema },
};

/** The text of `policies/schema/risk-rules.schema.json`. */
export const riskRulesSchemaText = (): string => `${JSON.stringify(riskRulesSchema, null, 2)}\n`;
