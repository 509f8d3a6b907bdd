import assert from 'node:assert/strict';
import { loadPolicies } from '../../src/config/policies.ts';
import fs from 'node:fs';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { withFormats } from '../../src/lib/ajv-formats.ts';
import { createRiskEngine, type RiskPolicy } from '../../src/sending/risk/risk-engine.ts';
import { RISK_RULE_KINDS, riskRulesSchemaText } from '../../src/sending/risk/risk-rules.schema.ts';
import { createOptOutMatcher, type OptOutPolicy } from '../../src/suppression/opt-out-matcher.ts';

function readJson(relative: string): unknown {
  return JSON.parse(fs.readFileSync(new URL(`../../policies/${relative}`, import.meta.url), 'utf8'));
}

function compile(schemaFile: string): ValidateFunction {
  const ajv = withFormats(new Ajv2020({ strict: true, allErrors: true }));
  return ajv.compile(readJson(`schema/${schemaFile}`) as object);
}

/** Validates `data` and returns `instancePath: message` for each error. */
function problems(validate: ValidateFunction, data: unknown): string[] {
  validate(data);
  return (validate.errors ?? []).map((e: ErrorObject) => `${e.instancePath}: ${e.message}`);
}

const models = loadPolicies('./policies').models;

describe('opt-out and risk policy files against their schemas', () => {
  describe('opt-out.json', () => {
    const validate = compile('opt-out.schema.json');
    const shipped = readJson('opt-out.json') as OptOutPolicy;

    it('the shipped file is valid, and the matcher accepts it', () => {
      assert.deepEqual(problems(validate, shipped), []);
      assert.doesNotThrow(() => createOptOutMatcher(shipped, models));
    });

    it('covers English, Indonesian and Arabic, each with both confirmations', () => {
      assert.deepEqual(
        shipped.languages.map((l) => l.code),
        ['en', 'id', 'ar'],
      );
      for (const l of shipped.languages) {
        assert.ok(l.confirmations.opt_out.length > 0 && l.confirmations.opt_in.length > 0, l.code);
      }
      const en = shipped.languages[0]?.opt_out.keywords ?? [];
      for (const k of ['stop', 'stopall', 'unsubscribe', 'cancel', 'end', 'quit', 'revoke', 'optout']) {
        assert.ok(en.includes(k), k);
      }
    });

    it('rejects a broken copy with the JSON pointer of the problem', () => {
      const broken = structuredClone(shipped) as unknown as Record<string, unknown> & {
        languages: { confirmations: Record<string, unknown>; [key: string]: unknown }[];
      };
      broken.max_words = 'ten';
      const indonesian = broken.languages[1];
      const arabic = broken.languages[2];
      assert.ok(indonesian && arabic);
      delete indonesian.confirmations.opt_in;
      arabic.keywords = ['stop'];
      const found = problems(validate, broken);
      assert.ok(found.includes('/max_words: must be integer'), found.join('\n'));
      assert.ok(
        found.includes("/languages/1/confirmations: must have required property 'opt_in'"),
        found.join('\n'),
      );
      assert.ok(found.includes('/languages/2: must NOT have additional properties'), found.join('\n'));
    });

    it('rejects duplicate keywords and malformed language codes', () => {
      const broken = structuredClone(shipped);
      broken.languages[0]?.opt_out.keywords.push('stop');
      if (broken.languages[1]) broken.languages[1].code = 'Indonesian';
      const found = problems(validate, broken);
      assert.ok(
        found.some((p) => p.startsWith('/languages/0/opt_out/keywords: must NOT have duplicate items')),
        found.join('\n'),
      );
      assert.ok(
        found.some((p) => p.startsWith('/languages/1/code: must match pattern')),
        found.join('\n'),
      );
    });
  });

  describe('risk-rules.json', () => {
    const validate = compile('risk-rules.schema.json');
    const shipped = readJson('risk-rules.json') as RiskPolicy;

    it('the shipped file is valid, and the engine accepts it', () => {
      assert.deepEqual(problems(validate, shipped), []);
      assert.doesNotThrow(() => createRiskEngine(shipped, models));
    });

    it('is the schema risk-rules.schema.ts generates (npm run policy:schema writes it)', () => {
      const file = fs.readFileSync(new URL('../../policies/schema/risk-rules.schema.json', import.meta.url), 'utf8');
      assert.equal(file, riskRulesSchemaText());
    });

    it('uses every rule kind at least once, with unique ids', () => {
      const kinds = new Set(shipped.rules.map((r) => r.kind));
      assert.deepEqual([...kinds].sort(), [...RISK_RULE_KINDS].sort());
      const ids = shipped.rules.map((r) => r.id);
      assert.equal(new Set(ids).size, ids.length);
    });

    it('rejects a weight given as a string, with its instancePath', () => {
      const broken = structuredClone(shipped) as unknown as { rules: Record<string, unknown>[] };
      const lexicon = broken.rules.findIndex((r) => r.kind === 'lexicon');
      (broken.rules[lexicon] as Record<string, unknown>).weight = '12';
      const found = problems(validate, broken);
      assert.ok(found.includes(`/rules/${lexicon}/weight: must be integer`), found.join('\n'));
    });

    it('rejects unknown kinds, unknown properties, bad thresholds and bad tiers', () => {
      const broken = structuredClone(shipped) as unknown as {
        thresholds: Record<string, unknown>;
        rules: Record<string, unknown>[];
      };
      broken.thresholds.block = 150;
      (broken.rules[1] as Record<string, unknown>).kind = 'vibes';
      (broken.rules[2] as Record<string, unknown>).weigth = 20;
      const tiered = broken.rules.findIndex((r) => r.kind === 'behaviour_threshold');
      (broken.rules[tiered] as { tiers: Record<string, unknown>[] }).tiers[0] = { min: 'ten', weight: 5 };
      const trust = broken.rules.findIndex((r) => r.kind === 'trust_offset');
      (broken.rules[trust] as Record<string, unknown>).weight = 20;
      const found = problems(validate, broken);
      const expected = [
        '/thresholds/block: must be <= 100',
        '/rules/1/kind: must be equal to one of the allowed values',
        '/rules/2: must NOT have unevaluated properties',
        `/rules/${tiered}/tiers/0/min: must be integer`,
        `/rules/${trust}/weight: must be <= -1`,
      ];
      for (const e of expected) assert.ok(found.includes(e), `${e}\nnot in\n${found.join('\n')}`);
    });

    it('rejects a rule missing what its kind needs', () => {
      const broken = structuredClone(shipped) as unknown as { rules: Record<string, unknown>[] };
      const shortener = broken.rules.findIndex((r) => r.kind === 'shortener');
      delete (broken.rules[shortener] as Record<string, unknown>).domains;
      const mismatch = broken.rules.findIndex((r) => r.kind === 'purpose_mismatch');
      delete (broken.rules[mismatch] as Record<string, unknown>).signals;
      const found = problems(validate, broken);
      assert.ok(
        found.includes(`/rules/${shortener}: must have required property 'domains'`),
        found.join('\n'),
      );
      assert.ok(
        found.includes(`/rules/${mismatch}: must have required property 'signals'`),
        found.join('\n'),
      );
    });
  });
});
