/**
 * Small builders of JSON Schemas (2020-12) for the success responses, shared by the
 * `*-response.schema.ts` files beside each feature's presenters, and the example timestamp their
 * examples use.
 *
 * Objects are open (extra properties allowed): clients must ignore fields they do not know, and a
 * new optional field is not a breaking change. `required` lists what a client may rely on.
 */

export type Schema = Record<string, unknown>;

/** A named success response: its schema and the example the document shows. */
export interface NamedResponse {
  schema: Schema;
  example: unknown;
}

/**
 * The builders keep their arguments' literal types (`const` type parameters), so that a route can
 * type the body it sends with `FromSchema` of its envelope (`ResponseBody`, response-schemas.ts).
 */

/** `{description}` when there is one. */
const described = (description?: string): { description?: string } => (description ? { description } : {});

/** `#/components/schemas/<name>`. */
export const ref = <const N extends string>(name: N) => ({ $ref: `#/components/schemas/${name}` as const });

/** No extra keywords. */
type None = Record<never, never>;

/** `{type, description?, ...extra}`. */
const typed = <const T, const E extends Schema>(type: T, description: string | undefined, extra: E | undefined) => ({
  type,
  ...described(description),
  ...(extra as E),
});

export const str = <const E extends Schema = None>(description?: string, extra?: E) =>
  typed('string', description, extra);
export const nullableStr = <const E extends Schema = None>(description?: string, extra?: E) =>
  typed(['string', 'null'], description, extra);
export const dateTime = (description?: string) => str(description, { format: 'date-time' });
export const nullableDateTime = (description?: string) => nullableStr(description, { format: 'date-time' });
export const int = <const E extends Schema = None>(description?: string, extra?: E) =>
  typed('integer', description, extra);
export const nullableInt = (description?: string) => typed(['integer', 'null'], description, {});
export const bool = (description?: string) => typed('boolean', description, {});
export const obj = <const R extends readonly string[], const P extends Record<string, Schema>>(
  required: R,
  properties: P,
  description?: string,
) => ({
  type: 'object' as const,
  ...described(description),
  required,
  properties,
});
/** `{success: true, ...}` */
export const ok = <const R extends readonly string[], const P extends Record<string, Schema>>(
  required: R,
  properties: P,
  description?: string,
) => obj(['success', ...required] as const, { success: { const: true }, ...properties } as const, description);
/** "`a`, `b` or `c`": a list of codes as a description reads them. */
export const codeList = (codes: readonly string[]): string => {
  const quoted = codes.map((c) => `\`${c}\``);
  return quoted.length < 2 ? quoted.join('') : `${quoted.slice(0, -1).join(', ')} or ${quoted.at(-1)}`;
};
export const arrayOf = <const I extends Schema>(item: I) => ({ type: 'array' as const, items: item });

/** The cursor of the pages listed newest first. */
export const nextBefore = {
  type: ['integer', 'null'],
  description: 'Pass as `before` to get the next (older) page; null on the last page.',
} as const;

/** The timestamp the examples use. */
export const exampleTime = '2026-05-08T10:00:00.000Z';
