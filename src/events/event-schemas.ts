import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { withFormats } from '../lib/ajv-formats.ts';
import type { FromSchema, JSONSchema } from 'json-schema-to-ts';
import { EVENT_TYPES, type EventType } from './event-types.ts';
import {
  EXAMPLE_TIMESTAMP,
  nullable,
  str,
  type EventDefinition,
  type Schema,
} from './schemas/event-schema-builders.ts';
import { INSTANCE_EVENTS } from './schemas/instance-events.ts';
import { MESSAGE_EVENTS } from './schemas/message-events.ts';
import { OTHER_EVENTS } from './schemas/other-events.ts';
import { RECIPIENT_EVENTS } from './schemas/recipient-events.ts';

/**
 * One JSON Schema (2020-12) per event (SPEC §7.2), each a complete envelope with the payload of
 * that event, plus the bare envelope. They are published at `GET /api/event-schemas` (and by the
 * OpenAPI document) and every emitter is tested against them, so the schema is the contract.
 *
 * Payloads are closed (`additionalProperties: false`) so an emitter cannot drift from the
 * published contract unnoticed; receivers should still ignore fields they do not know, because
 * new optional fields are added in minor releases (and the schemas with them).
 */

export const EVENT_SCHEMA_DIALECT = 'https://json-schema.org/draft/2020-12/schema';
export const EVENT_SCHEMA_BASE = 'urn:warden:events';

const EX_BASE = {
  request_id: '6f1c2a52-7d3e-4c1b-9a8e-2f0d6b3c4e51',
  timestamp: EXAMPLE_TIMESTAMP,
  account_id: 'acc_Yx3k9QmP2vT8sR1a',
  instance_id: 'inst_d3Mo5uPp0rT1LiNe',
  instance_name: 'Demo Support Line',
};

/** Every event, family by family (`schemas/`). */
const DEFINITIONS = {
  ...MESSAGE_EVENTS,
  ...RECIPIENT_EVENTS,
  ...INSTANCE_EVENTS,
  ...OTHER_EVENTS,
} as const satisfies Record<EventType, EventDefinition>;

type PayloadsOf<D extends Record<EventType, { payload: JSONSchema }>> = {
  [T in EventType]: FromSchema<D[T]['payload']>;
};
/** An interface, so each payload type is computed once and named (not re-expanded at every use). */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- the interface is the point (see above)
interface EventPayloads extends PayloadsOf<typeof DEFINITIONS> {}

/** The payload of an event type, as its published schema describes it. */
export type EventPayload<T extends EventType> = EventPayloads[T];

// ---------------------------------------------------------------------------------------------
// Published schemas
// ---------------------------------------------------------------------------------------------

const envelopeProperties = (event: Schema, payload: JSONSchema): Record<string, JSONSchema> => ({
  event,
  request_id: str({
    format: 'uuid',
    description:
      'One id per event and endpoint; equals X-WA-Request-ID and webhook-id and stays the same across retries.',
  }),
  timestamp: str({
    format: 'date-time',
    pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}Z$',
    description: 'RFC 3339 UTC, second precision.',
  }),
  account_id: str(),
  instance_id: nullable('string'),
  instance_name: nullable('string'),
  payload,
});

const ENVELOPE_REQUIRED = [
  'event',
  'request_id',
  'timestamp',
  'account_id',
  'instance_id',
  'instance_name',
  'payload',
];

/** The envelope every event shares (payload left open). */
export const ENVELOPE_SCHEMA: Schema = {
  $schema: EVENT_SCHEMA_DIALECT,
  $id: `${EVENT_SCHEMA_BASE}:envelope`,
  title: 'Warden event envelope',
  type: 'object',
  required: ENVELOPE_REQUIRED,
  additionalProperties: false,
  properties: envelopeProperties({ enum: [...EVENT_TYPES] }, { type: 'object' }),
  examples: [
    { event: 'recipient.opted_out', ...EX_BASE, payload: DEFINITIONS['recipient.opted_out'].example },
  ],
};

function eventSchema(type: EventType, def: EventDefinition): Schema {
  return {
    $schema: EVENT_SCHEMA_DIALECT,
    $id: `${EVENT_SCHEMA_BASE}:${type}`,
    title: type,
    description: def.description,
    type: 'object',
    required: ENVELOPE_REQUIRED,
    additionalProperties: false,
    properties: envelopeProperties({ const: type }, def.payload),
    examples: [{ event: type, ...EX_BASE, payload: def.example }],
  };
}

export const EVENT_SCHEMAS: Readonly<Record<EventType, Schema>> = Object.freeze(
  Object.fromEntries(EVENT_TYPES.map((type) => [type, eventSchema(type, DEFINITIONS[type])])) as Record<
    EventType,
    Schema
  >,
);

/** The example envelope of an event type (docs, tests). */
export function exampleEvent(type: EventType): Record<string, unknown> {
  return structuredClone(
    (EVENT_SCHEMAS[type].examples as Record<string, unknown>[])[0] as Record<string, unknown>,
  );
}

// ---------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------

let compiled: { envelope: ValidateFunction; events: Map<string, ValidateFunction> } | null = null;

function validators(): NonNullable<typeof compiled> {
  if (compiled) return compiled;
  const ajv = withFormats(new Ajv2020({ strict: true, allErrors: true }));
  compiled = {
    envelope: ajv.compile(ENVELOPE_SCHEMA),
    events: new Map(EVENT_TYPES.map((t) => [t, ajv.compile(EVENT_SCHEMAS[t])])),
  };
  return compiled;
}

export interface EventValidationResult {
  valid: boolean;
  errors: { path: string; message: string }[];
}

function toResult(errors: ErrorObject[] | null | undefined): EventValidationResult {
  const list = (errors ?? []).map((e) => ({
    path: e.instancePath || '/',
    message: `${e.message ?? 'is invalid'}${e.keyword === 'additionalProperties' ? ` (${String(e.params.additionalProperty)})` : ''}`,
  }));
  return { valid: list.length === 0, errors: list };
}

/** A stand-in request id for envelopes read from the `events` table (the id is per delivery). */
export const STORED_EVENT_REQUEST_ID = '00000000-0000-4000-8000-000000000000';

/**
 * Validate a delivered envelope against the envelope schema and the schema of its event type.
 * With `stored: true` the envelope may lack `request_id` (rows in `events` get theirs per delivery).
 */
export function validateEvent(envelope: unknown, options: { stored?: boolean } = {}): EventValidationResult {
  let candidate = envelope;
  if (options.stored && candidate && typeof candidate === 'object' && !('request_id' in candidate)) {
    candidate = { ...(candidate as Record<string, unknown>), request_id: STORED_EVENT_REQUEST_ID };
  }
  const v = validators();
  if (!v.envelope(candidate)) return toResult(v.envelope.errors);
  const type = (candidate as { event: string }).event;
  const fn = v.events.get(type) as ValidateFunction;
  return fn(candidate) ? { valid: true, errors: [] } : toResult(fn.errors);
}

/** Throwing variant for tests: the message lists every problem. */
export function assertValidEvent(envelope: unknown, options: { stored?: boolean } = {}): void {
  const result = validateEvent(envelope, options);
  if (!result.valid) {
    const type = (envelope as { event?: unknown })?.event;
    throw new Error(
      `event ${String(type)} does not match its schema:\n${result.errors.map((e) => `  ${e.path}: ${e.message}`).join('\n')}\n${JSON.stringify(envelope)}`,
    );
  }
}

/** What `GET /api/event-schemas` publishes. */
export function publishedEventSchemas(): {
  dialect: string;
  envelope: Schema;
  events: Record<string, Schema>;
} {
  return { dialect: EVENT_SCHEMA_DIALECT, envelope: ENVELOPE_SCHEMA, events: { ...EVENT_SCHEMAS } };
}
