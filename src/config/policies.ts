import fs from 'node:fs';
import path from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { withFormats } from '../lib/ajv-formats.ts';
import { checkPausePolicy, type PausePolicy } from '../review/pause-policy.ts';
import { loadLinearModel, type LinearModel, type LinearModelFile } from '../sending/risk/linear-model.ts';
import { createRiskEngine, type RiskPolicy } from '../sending/risk/risk-engine.ts';
import { createOptOutMatcher, type OptOutPolicy } from '../suppression/opt-out-matcher.ts';

/**
 * Policy is data: JSON files under POLICIES_DIR, each validated against its JSON Schema in
 * `policies/schema/`. A bad file stops start-up (and `warden policies check`) naming the file,
 * the JSON pointer and the reason.
 */

export interface PurposesPolicy {
  allowed: { id: string; description: string }[];
  disallowed: { id: string; description: string }[];
  group_purposes?: string[];
}

export interface PlanPolicy {
  name: string;
  daily_limit: number;
  monthly_limit: number;
  throttle_multiplier?: number;
}

export interface PlansPolicy {
  plans: Record<string, PlanPolicy>;
}

export interface ThrottleWindow {
  points: number;
  duration_seconds: number;
}

export interface ThrottlePolicy {
  per_instance: ThrottleWindow & { burst?: number; burst_duration_seconds?: number };
  per_recipient: ThrottleWindow;
  new_recipients: ThrottleWindow;
  exempt_purposes_from_recipient_limit?: string[];
}

export interface Policies {
  purposes: PurposesPolicy;
  plans: PlansPolicy;
  throttle: ThrottlePolicy;
  optOut: OptOutPolicy;
  risk: RiskPolicy;
  /** Automatic pause-for-review triggers and the strike ladder (compliance review). */
  pause: PausePolicy;
  /** Trained classifiers named by the risk rules and the opt-out policy, by file name. */
  models: Readonly<Record<string, LinearModel>>;
}

const FILES: { key: keyof Policies; file: string; required: boolean }[] = [
  { key: 'purposes', file: 'purposes.json', required: true },
  { key: 'plans', file: 'plans.json', required: true },
  { key: 'throttle', file: 'throttle.json', required: true },
  { key: 'optOut', file: 'opt-out.json', required: true },
  { key: 'risk', file: 'risk-rules.json', required: true },
  { key: 'pause', file: 'pause.json', required: true },
];

export class PolicyError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid policy files:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'PolicyError';
  }
}

function compile(schemaPath: string): ValidateFunction {
  const schema = JSON.parse(fs.readFileSync(schemaPath, 'utf8')) as { $schema?: string };
  const ajv = String(schema.$schema ?? '').includes('2020-12')
    ? withFormats(new Ajv2020({ strict: true, allErrors: true }))
    : withFormats(new Ajv({ strict: true, allErrors: true }));
  return ajv.compile(schema);
}

function describe(file: string, errors: ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map((e) => {
    const pointer = e.instancePath === '' ? '/' : e.instancePath;
    const extra =
      e.keyword === 'additionalProperties'
        ? ` (${String(e.params.additionalProperty)})`
        : e.keyword === 'unevaluatedProperties'
          ? ` (${String(e.params.unevaluatedProperty)})`
          : '';
    return `${file}: ${pointer}: ${e.message ?? 'is invalid'}${extra}`;
  });
}

/** Model files the risk rules and the opt-out policy name. */
export function referencedModels(policies: Partial<Policies>): string[] {
  const names = new Set<string>();
  for (const rule of policies.risk?.rules ?? []) {
    if (rule.kind !== 'classifier') continue;
    names.add(rule.model);
    for (const c of rule.companions ?? []) names.add(c.model);
  }
  if (policies.optOut?.classifier) names.add(policies.optOut.classifier.model);
  return [...names].sort();
}

/** Loads each model file (format, shape and sha256 checked); problems name the file. */
function loadModels(dir: string, names: string[], problems: string[]): Record<string, LinearModel> {
  const models: Record<string, LinearModel> = {};
  for (const name of names) {
    const file = path.join(dir, name);
    if (!fs.existsSync(file)) {
      problems.push(`${name}: model file not found in ${dir} (npm run policy:train writes it)`);
      continue;
    }
    try {
      models[name] = loadLinearModel(JSON.parse(fs.readFileSync(file, 'utf8')) as LinearModelFile);
    } catch (error) {
      problems.push(`${name}: /: ${(error as Error).message}`);
    }
  }
  return models;
}

/** Cross-file rules a schema cannot express. */
function crossCheck(policies: Partial<Policies>, models: Record<string, LinearModel>): string[] {
  const problems: string[] = [];
  const allowed = new Set(policies.purposes?.allowed.map((p) => p.id) ?? []);
  for (const p of policies.purposes?.disallowed ?? []) {
    if (allowed.has(p.id)) problems.push(`purposes.json: /disallowed: "${p.id}" is also listed as allowed`);
  }
  for (const p of policies.purposes?.group_purposes ?? []) {
    if (!allowed.has(p)) problems.push(`purposes.json: /group_purposes: "${p}" is not an allowed purpose`);
  }
  if (policies.pause) {
    const ruleIds = policies.risk ? new Set(policies.risk.rules.map((r) => r.id)) : null;
    problems.push(...checkPausePolicy(policies.pause, ruleIds));
  }
  // The engines check what a schema cannot (duplicate rule ids, regexes, thresholds, keyword clashes).
  const build: [string, (() => unknown) | null][] = [
    ['risk-rules.json', policies.risk ? () => createRiskEngine(policies.risk as RiskPolicy, models) : null],
    ['opt-out.json', policies.optOut ? () => createOptOutMatcher(policies.optOut as OptOutPolicy, models) : null],
  ];
  for (const [file, fn] of build) {
    if (!fn) continue;
    try {
      fn();
    } catch (error) {
      problems.push(`${file}: /: ${(error as Error).message}`);
    }
  }
  return problems;
}

export function loadPolicies(dir: string, schemaDir = path.join(dir, 'schema')): Readonly<Policies> {
  const problems: string[] = [];
  const loaded: Partial<Record<keyof Policies, unknown>> = {};
  for (const { key, file, required } of FILES) {
    const filePath = path.join(dir, file);
    if (!fs.existsSync(filePath)) {
      if (required) problems.push(`${file}: file not found in ${dir}`);
      continue;
    }
    let data: unknown;
    try {
      data = JSON.parse(fs.readFileSync(filePath, 'utf8'));
    } catch (error) {
      problems.push(`${file}: /: not valid JSON (${(error as Error).message})`);
      continue;
    }
    const schemaPath = path.join(schemaDir, file.replace(/\.json$/, '.schema.json'));
    if (!fs.existsSync(schemaPath)) {
      problems.push(`${file}: no schema at ${schemaPath}`);
      continue;
    }
    const validate = compile(schemaPath);
    if (!validate(data)) {
      problems.push(...describe(file, validate.errors));
      continue;
    }
    loaded[key] = data;
  }
  const models = loadModels(dir, referencedModels(loaded as Partial<Policies>), problems);
  problems.push(...crossCheck(loaded as Partial<Policies>, models));
  if (problems.length > 0) throw new PolicyError(problems);
  return Object.freeze({ pause: null, ...loaded, models: Object.freeze(models) } as Policies);
}
