/**
 * The JSON Schemas of what the `present*` functions beside them return; their return types are
 * derived from these, and the OpenAPI document publishes them as components. Objects stay open
 * (clients ignore fields they do not know); the test suite holds every live response strictly.
 *
 * After them: the named success responses (envelope schema + example) of the routes that return
 * them, which the OpenAPI registry (src/openapi/response-schemas.ts) gathers.
 */
import type { FromSchema } from 'json-schema-to-ts';
import {
  arrayOf,
  dateTime,
  exampleTime,
  ok,
  ref,
  str,
  type NamedResponse,
} from '../openapi/schema-helpers.ts';

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

export const accountExample = {
  id: 'acc_cLDkJkgqqXm2u3BA',
  name: 'Acme',
  plan: 'starter',
  plan_active: true,
  modules: ['api'],
  timezone: 'Asia/Jakarta',
  default_country: 'ID',
  optout_confirmation: false,
  daily_limit_override: null,
  monthly_limit_override: null,
  override_reason: null,
  override_approved_by: null,
  override_approved_at: null,
  limits: { daily: 100, monthly: 2000 },
  created_at: exampleTime,
  updated_at: exampleTime,
};

/** Named success responses (schema + example) of the admin account and API-key routes. */
export const accountResponses = {
  accountCreated: {
    schema: ok(['id', 'account'], { id: str(), account: ref('Account') }),
    example: { success: true, id: accountExample.id, account: accountExample },
  },
  accounts: {
    schema: ok(['accounts'], { accounts: arrayOf(ref('Account')) }),
    example: { success: true, accounts: [accountExample] },
  },
  accountWithKeys: {
    schema: ok(['account', 'api_keys'], { account: ref('Account'), api_keys: arrayOf(ref('ApiKeyInfo')) }),
    example: {
      success: true,
      account: accountExample,
      api_keys: [
        {
          id: 'key_AOFBc4bHFvYaCcUt',
          name: 'erp',
          prefix: 'wdn_Wp8WjS-E',
          created_at: exampleTime,
          last_used_at: exampleTime,
          revoked_at: null,
        },
      ],
    },
  },
  account: {
    schema: ok(['account'], { account: ref('Account') }),
    example: { success: true, account: accountExample },
  },
  apiKeyCreated: {
    schema: ok(['id', 'key', 'prefix', 'name'], {
      id: str(),
      key: str('The API key. Shown once; only a hash is stored.'),
      prefix: str(),
      name: str(),
      created_at: dateTime(),
    }),
    example: {
      success: true,
      id: 'key_AOFBc4bHFvYaCcUt',
      key: 'wdn_Wp8WjS-E3mJc0Qm9vTt2oE2Yb4x1aVq8Lr5sKd7Ng6Hc',
      prefix: 'wdn_Wp8WjS-E',
      name: 'erp',
      created_at: exampleTime,
    },
  },
  apiKeyRevoked: {
    schema: ok(['revoked', 'id'], { revoked: { const: true }, id: str() }),
    example: { success: true, revoked: true, id: 'key_AOFBc4bHFvYaCcUt' },
  },
} satisfies Record<string, NamedResponse>;
