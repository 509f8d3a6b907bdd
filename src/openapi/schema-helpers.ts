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

/** `#/components/schemas/<name>`. */
export const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });

export const str = (description?: string, extra: Schema = {}): Schema => ({
  type: 'string',
  ...(description ? { description } : {}),
  ...extra,
});
export const nullableStr = (description?: string, extra: Schema = {}): Schema => ({
  type: ['string', 'null'],
  ...(description ? { description } : {}),
  ...extra,
});
export const dateTime = (description?: string): Schema => str(description, { format: 'date-time' });
export const nullableDateTime = (description?: string): Schema =>
  nullableStr(description, { format: 'date-time' });
export const int = (description?: string, extra: Schema = {}): Schema => ({
  type: 'integer',
  ...(description ? { description } : {}),
  ...extra,
});
export const nullableInt = (description?: string): Schema => ({
  type: ['integer', 'null'],
  ...(description ? { description } : {}),
});
export const bool = (description?: string): Schema => ({ type: 'boolean', ...(description ? { description } : {}) });
export const obj = (required: string[], properties: Record<string, Schema>, description?: string): Schema => ({
  type: 'object',
  ...(description ? { description } : {}),
  required,
  properties,
});
/** `{success: true, ...}` */
export const ok = (required: string[], properties: Record<string, Schema>, description?: string): Schema =>
  obj(['success', ...required], { success: { const: true }, ...properties }, description);
/** "`a`, `b` or `c`": a list of codes as a description reads them. */
export const codeList = (codes: readonly string[]): string => {
  const quoted = codes.map((c) => `\`${c}\``);
  return quoted.length < 2 ? quoted.join('') : `${quoted.slice(0, -1).join(', ')} or ${quoted.at(-1)}`;
};
export const arrayOf = (item: Schema): Schema => ({ type: 'array', items: item });

/** The cursor of the pages listed newest first. */
export const nextBefore = {
  type: ['integer', 'null'],
  description: 'Pass as `before` to get the next (older) page; null on the last page.',
} as const;

/** The timestamp the examples use. */
export const exampleTime = '2026-05-08T10:00:00.000Z';
