import type { FromSchema } from 'json-schema-to-ts';
import { MODULES } from '../../accounts/account-store.ts';

const modules = {
  type: 'array',
  items: { type: 'string', enum: MODULES },
  uniqueItems: true,
} as const;
const limitOverride = { type: ['integer', 'null'], minimum: 0, maximum: 10_000_000 } as const;

/** The fields an account is created with, and may later be changed. */
const accountFields = {
  name: { type: 'string', minLength: 1, maxLength: 200 },
  plan: { type: 'string', minLength: 1, maxLength: 40 },
  plan_active: { type: 'boolean' },
  modules,
  timezone: { type: 'string', minLength: 1, maxLength: 64 },
  default_country: { type: ['string', 'null'], pattern: '^[A-Za-z]{2}$' },
  optout_confirmation: { type: 'boolean' },
} as const;

/** A reviewer's reason or note: at least three characters, not only white space. */
const reviewText = { type: 'string', minLength: 3, maxLength: 1000, pattern: '\\S' } as const;

export const createAccountSchema = {
  $id: 'CreateAccountRequest',
  type: 'object',
  required: ['name', 'plan'],
  additionalProperties: false,
  properties: accountFields,
} as const;

export const updateAccountSchema = {
  $id: 'UpdateAccountRequest',
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: {
    ...accountFields,
    daily_limit_override: limitOverride,
    monthly_limit_override: limitOverride,
    override_reason: { type: 'string', maxLength: 500 },
    override_approved_by: { type: 'string', maxLength: 200 },
  },
} as const;

export type CreateAccountBody = FromSchema<typeof createAccountSchema>;
export type UpdateAccountBody = FromSchema<typeof updateAccountSchema>;

export const createApiKeySchema = {
  $id: 'CreateApiKeyRequest',
  type: 'object',
  required: ['name'],
  additionalProperties: false,
  properties: { name: { type: 'string', minLength: 1, maxLength: 200 } },
} as const;

export const pauseSchema = {
  $id: 'PauseInstanceRequest',
  type: 'object',
  required: ['reason'],
  additionalProperties: false,
  properties: { reason: reviewText },
} as const;

export const resumeSchema = {
  $id: 'ResumeInstanceRequest',
  type: 'object',
  required: ['note'],
  additionalProperties: false,
  properties: { note: reviewText },
} as const;

export type PauseBody = FromSchema<typeof pauseSchema>;
export type ResumeBody = FromSchema<typeof resumeSchema>;
