/**
 * The JSON Schemas of the success responses of GET /api/quota.
 * The OpenAPI document publishes them; the test suite holds live responses against them.
 */
import { dateTime, int, obj, ok, ref, str, type NamedResponse } from '../openapi/schema-helpers.ts';

/** `QuotaWindow`: one window (day or month) of GET /api/quota. */
export const quotaWindowSchema = obj(['limit', 'used', 'remaining', 'resets_at'], {
    limit: int(),
    used: int('Messages actually sent in this window.'),
    remaining: int(),
    resets_at: dateTime('Start of the next window, in the account time zone.'),
});

/** Named success responses (schema + example) of GET /api/quota. */
export const quotaResponses = {
  quota: {
    schema: ok(['daily', 'monthly'], {
      plan: str(),
      timezone: str(),
      daily: ref('QuotaWindow'),
      monthly: ref('QuotaWindow'),
    }),
    example: {
      success: true,
      plan: 'starter',
      timezone: 'Asia/Jakarta',
      daily: { limit: 100, used: 37, remaining: 63, resets_at: '2026-05-08T17:00:00.000Z' },
      monthly: { limit: 2000, used: 412, remaining: 1588, resets_at: '2026-05-31T17:00:00.000Z' },
    },
  },
} satisfies Record<string, NamedResponse>;
