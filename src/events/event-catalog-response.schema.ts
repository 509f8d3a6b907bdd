/**
 * The JSON Schemas of the success responses of the published event schemas (event-
 * schemas.routes.ts).
 * The OpenAPI document publishes them; the test suite holds live responses against them.
 */
import { arrayOf, bool, ok, str, type NamedResponse } from '../openapi/schema-helpers.ts';

/** Named success responses (schema + example) of the published event schemas (event-schemas.routes.ts). */
export const eventCatalogResponses = {
  eventSchemas: {
    schema: ok(['dialect', 'envelope', 'events'], {
      dialect: str(),
      envelope: { type: 'object' },
      events: { type: 'object', additionalProperties: { type: 'object' } },
    }),
    example: {
      success: true,
      dialect: 'https://json-schema.org/draft/2020-12/schema',
      envelope: { title: 'Warden event envelope', type: 'object' },
      events: { 'message.received': { title: 'message.received', type: 'object' } },
    },
  },
  eventSchema: {
    schema: {
      type: 'object',
      description: 'The JSON Schema (2020-12) of one event.',
      required: ['title', 'type', 'properties'],
      properties: {
        $schema: str(),
        $id: str(),
        title: str('The event name.'),
        description: str(),
        type: { const: 'object' },
        required: arrayOf(str()),
        additionalProperties: bool(),
        properties: { type: 'object', description: 'The envelope fields and the event’s `payload`.' },
        examples: arrayOf({ type: 'object' }),
      },
    },
    example: { $id: 'urn:warden:events:message.sent', title: 'message.sent', type: 'object', properties: {} },
  },
} satisfies Record<string, NamedResponse>;
