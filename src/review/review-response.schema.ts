/**
 * The JSON Schemas of the success responses of the admin review routes (instances as the reviewer
 * sees them).
 * The OpenAPI document publishes them; the test suite holds live responses against them.
 */
import {
  arrayOf,
  bool,
  dateTime,
  exampleTime,
  int,
  nullableDateTime,
  nullableStr,
  obj,
  ok,
  ref,
  str,
  type NamedResponse,
} from '../openapi/schema-helpers.ts';
import { instanceExample } from '../instances/instance-response.schema.ts';
import { accountExample } from '../accounts/account-response.schema.ts';

/**
 * Named success responses (schema + example) of the admin review routes (instances as the reviewer
 * sees them).
 */
export const reviewResponses = {
  adminInstances: {
    schema: ok(['instances'], {
      instances: arrayOf({
        allOf: [ref('Instance')],
        required: ['account_id'],
        properties: { account_id: str(), pause_evidence: {}, paused_by: nullableStr() },
      }),
    }),
    example: {
      success: true,
      instances: [
        {
          ...instanceExample,
          paused: true,
          pause: { reason: 'Automatic: 5 policy violations in 24 h', paused_at: exampleTime },
          account_id: accountExample.id,
          pause_evidence: { violations_24h: 5, rules: ['marketing_terms', 'url_shortener'] },
          paused_by: 'policy',
        },
      ],
    },
  },
  adminInstance: {
    schema: ok(['instance'], {
      instance: { allOf: [ref('Instance')], required: ['account_id'], properties: { account_id: str() } },
    }),
    example: {
      success: true,
      instance: {
        ...instanceExample,
        paused: true,
        pause: { reason: 'Complaint from a recipient; checking the sender', paused_at: exampleTime },
        account_id: accountExample.id,
      },
    },
  },
  adminInstanceReview: {
    schema: ok(['instance', 'review'], {
      instance: {
        allOf: [ref('Instance')],
        required: ['account_id'],
        properties: {
          account_id: str(),
          paused_by: nullableStr(),
          pause_evidence: {},
          owner_node: nullableStr(
            'The node that runs this instance\'s WhatsApp session now (several nodes); null while it fails over.',
          ),
        },
      },
      review: obj(['pause_count', 'strikes', 'triggers'], {
        pause_count: int('Pauses in the repeat-offender lookback.'),
        last_resumed_at: nullableDateTime(),
        throttle: {
          type: ['object', 'null'],
          description: 'A review-imposed slowdown in force.',
          properties: { multiplier: { type: 'number' }, until: dateTime() },
        },
        strikes: arrayOf(ref('Strike')),
        triggers: arrayOf(
          obj(['id', 'over_threshold'], {
            id: str(),
            signal: str(),
            value: { type: ['number', 'null'] },
            threshold: { type: 'number' },
            unit: { enum: ['count', 'rate'], description: '`count` of events, or a `rate` of events per sample.' },
            events: int('Matching events in the window.'),
            sample: { type: ['integer', 'null'], description: 'The denominator of a rate (e.g. messages sent); null for counts.' },
            window_seconds: int('The look-back window.'),
            over_threshold: bool(),
            explanation: str(),
          }),
        ),
      }),
    }),
    example: {
      success: true,
      instance: {
        ...instanceExample,
        account_id: accountExample.id,
        paused_by: null,
        pause_evidence: null,
        owner_node: 'gw-1',
      },
      review: {
        pause_count: 0,
        last_resumed_at: null,
        throttle: null,
        strikes: [],
        triggers: [
          {
            id: 'policy_violations',
            signal: 'policy_violations',
            value: 1,
            threshold: 3,
            unit: 'count',
            events: 1,
            sample: null,
            window_seconds: 86400,
            over_threshold: false,
            explanation: '1 policy violation in the last 24 h (threshold 3).',
          },
        ],
      },
    },
  },
} satisfies Record<string, NamedResponse>;
