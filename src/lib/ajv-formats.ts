import type { Ajv } from 'ajv';
import type { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

// ajv-formats is CommonJS; under NodeNext its default export is the module object.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (
  ajv: Ajv,
) => Ajv;

/** Adds the standard formats (date-time, uri, email…) to an Ajv instance of either dialect. */
export function withFormats<A extends Ajv | Ajv2020>(ajv: A): A {
  addFormats(ajv as Ajv);
  return ajv;
}
