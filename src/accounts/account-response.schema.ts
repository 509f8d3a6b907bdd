/**
 * The JSON Schemas of what the `present*` functions beside them return; their return types are
 * derived from these, and the OpenAPI document publishes them as components. Objects stay open
 * (clients ignore fields they do not know); the test suite holds every live response strictly.
 */
import type { FromSchema } from 'json-schema-to-ts';

/** `Account`: built by `presentAccount` (account-service.ts). */
export const accountSchema = {
  type: 'object',
  description: 'A customer account.',
  required: ['id', 'name', 'plan', 'plan_active', 'modules', 'timezone', 'limits'],
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    plan: { type: 'string' },
    plan_active: { type: 'boolean' },
    modules: { type: 'array', items: { enum: ['api', 'threecx'] } },
    timezone: { type: 'string' },
    default_country: { type: ['string', 'null'] },
    optout_confirmation: { type: 'boolean' },
    daily_limit_override: { type: ['integer', 'null'] },
    monthly_limit_override: { type: ['integer', 'null'] },
    override_reason: { type: ['string', 'null'] },
    override_approved_by: { type: ['string', 'null'] },
    override_approved_at: { type: ['string', 'null'], format: 'date-time' },
    limits: {
      type: 'object',
      description: 'Effective limits.',
      required: ['daily', 'monthly'],
      properties: { daily: { type: 'integer' }, monthly: { type: 'integer' } },
    },
    created_at: { type: 'string', format: 'date-time' },
    updated_at: { type: 'string', format: 'date-time' },
  },
} as const;

export type AccountResponse = FromSchema<typeof accountSchema>;

/** `ApiKeyInfo`: built by the admin API. */
export const apiKeyInfoSchema = {
  type: 'object',
  required: ['id', 'name', 'prefix', 'created_at'],
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    prefix: { type: 'string', description: 'The visible start of the key.' },
    created_at: { type: 'string', format: 'date-time' },
    last_used_at: { type: ['string', 'null'], format: 'date-time' },
    revoked_at: { type: ['string', 'null'], format: 'date-time' },
  },
} as const;

export type ApiKeyInfoResponse = FromSchema<typeof apiKeyInfoSchema>;
