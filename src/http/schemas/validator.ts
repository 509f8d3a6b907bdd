import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import { withFormats } from '../../lib/ajv-formats.ts';

export type SchemaErrors = { field: string; reason: string }[];

/** One Ajv for request schemas (JSON Schema 2020-12, the dialect of OpenAPI 3.1). */
export const ajv = withFormats(new Ajv2020({ strict: true, allErrors: true, discriminator: false }));
ajv.addKeyword({ keyword: 'example' });

function toField(e: ErrorObject): { field: string; reason: string } {
  if (e.keyword === 'required')
    return { field: `${e.instancePath}/${String(e.params.missingProperty)}`, reason: 'is required' };
  if (e.keyword === 'additionalProperties')
    return {
      field: `${e.instancePath}/${String(e.params.additionalProperty)}`,
      reason: 'is not a known field',
    };
  if (e.keyword === 'enum')
    return {
      field: e.instancePath || '/',
      reason: `must be one of ${(e.params.allowedValues as unknown[]).join(', ')}`,
    };
  return { field: e.instancePath || '/', reason: e.message ?? 'is invalid' };
}

const cache = new WeakMap<object, (data: unknown) => SchemaErrors>();

export function compileSchema(schema: object): (data: unknown) => SchemaErrors {
  const cached = cache.get(schema);
  if (cached) return cached;
  const validate = ajv.compile(schema);
  const fn = (data: unknown): SchemaErrors => {
    if (validate(data)) return [];
    const seen = new Set<string>();
    return (validate.errors ?? []).map(toField).filter((e) => {
      const k = `${e.field}|${e.reason}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
  };
  cache.set(schema, fn);
  return fn;
}
