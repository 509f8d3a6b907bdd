/**
 * The building blocks of the event schemas: each helper keeps the literal type of what it builds,
 * so `FromSchema` can read the payload types of the schemas made with them.
 */
import type { JSONSchema } from 'json-schema-to-ts';

export type Schema = Record<string, unknown>;

export const nullable = <const T extends string, const E extends object = object>(type: T, extra?: E) =>
  ({ type: [type, 'null'], ...extra }) as { readonly type: readonly [T, 'null'] } & E;
export const str = <const E extends object = object>(extra?: E) =>
  ({ type: 'string', ...extra }) as { readonly type: 'string' } & E;
export const dateTime = (description?: string) =>
  ({
    type: 'string',
    format: 'date-time',
    ...(description ? { description } : {}),
  }) as const as { readonly type: 'string'; readonly format: 'date-time'; readonly description?: string };
export const closed = <const R extends readonly string[], const P extends Record<string, JSONSchema>>(
  required: R,
  properties: P,
  description?: string,
) =>
  ({
    type: 'object',
    ...(description ? { description } : {}),
    required,
    additionalProperties: false,
    properties,
  }) as {
    readonly type: 'object';
    readonly description?: string;
    readonly required: R;
    readonly additionalProperties: false;
    readonly properties: P;
  };

/** A phone number, or a WhatsApp JID/LID when the number is unknown. */
export const phone = (description: string) =>
  nullable('string', {
    maxLength: 128,
    description: `${description} E.164 with "+" when the phone number is known, else a WhatsApp JID/LID; null when unknown.`,
  });

/** One event: what it means, the JSON Schema of its payload, and an example payload. */
export interface EventDefinition {
  description: string;
  payload: JSONSchema;
  example: Record<string, unknown>;
}

/** The timestamp the examples use. */
export const EXAMPLE_TIMESTAMP = '2026-05-08T10:00:00Z';
