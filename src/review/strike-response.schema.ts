/**
 * The JSON Schema of a strike as `presentStrike` (auto-pause-service.ts) returns it, and its
 * return type. Published as the OpenAPI component `Strike`.
 */
import type { FromSchema } from 'json-schema-to-ts';

export const strikeSchema = {
  type: 'object',
  description: 'One strike on the ladder: a trigger that fired, and what it did.',
  required: ['id', 'trigger', 'signal', 'strike_number', 'ladder_step', 'action', 'explanation', 'created_at'],
  properties: {
    id: { type: 'integer' },
    trigger: { type: 'string', description: 'The pause trigger that fired.' },
    signal: { type: 'string' },
    value: { type: 'number' },
    threshold: { type: 'number' },
    strike_number: { type: 'integer', description: 'Strikes in the look-back window, this one included.' },
    ladder_step: { type: 'integer', description: 'The step of the strike ladder applied (1-based).' },
    action: { enum: ['slow', 'pause'] },
    throttle_multiplier: { type: ['number', 'null'], description: 'For `slow`: the sending rate multiplier.' },
    expires_at: { type: ['string', 'null'], format: 'date-time' },
    explanation: { type: 'string' },
    created_at: { type: 'string', format: 'date-time' },
  },
} as const;

export type StrikeResponse = FromSchema<typeof strikeSchema>;
