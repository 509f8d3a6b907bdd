/**
 * The JSON Schema of what the `present*` function beside it returns; its return type is derived
 * from it, and the OpenAPI document publishes it as a component. Objects stay open (clients
 * ignore fields they do not know); the test suite holds every live response strictly.
 *
 * After them: the named success responses (envelope schema + example) of the routes that return
 * them, which the OpenAPI registry (src/openapi/response-schemas.ts) gathers.
 */
import type { FromSchema } from 'json-schema-to-ts';
import {
  arrayOf,
  codeList,
  exampleTime,
  int,
  nextBefore,
  ok,
  ref,
  str,
  type NamedResponse,
} from '../openapi/schema-helpers.ts';
import { instanceExample } from '../instances/instance-response.schema.ts';
import { accountExample } from '../accounts/account-response.schema.ts';
import { SEND_SOURCES } from './send-source.ts';

/** `MessageLogEntry`: built by `presentMessage` (message-log.ts). */
export const messageLogEntrySchema = {
  type: 'object',
  description: 'One send attempt and the decision taken on it.',
  required: ['log_id', 'status', 'outcome', 'created_at'],
  properties: {
    log_id: { type: 'integer', description: 'The `log_id` returned by /api/send-message.' },
    instance_id: { type: ['string', 'null'] },
    recipient: { type: ['string', 'null'], description: 'E.164 (or group JID).' },
    purpose: { type: ['string', 'null'] },
    text: { type: ['string', 'null'] },
    media_type: { type: ['string', 'null'] },
    status: {
      type: 'string',
      description: '`sent`, `blocked`, `failed`, `reserved` (in progress), or a receipt status.',
    },
    outcome: { enum: ['allowed', 'blocked'] },
    deciding_check: {
      type: ['string', 'null'],
      description: 'The pipeline check that refused the send (null when sent).',
    },
    error: { type: ['string', 'null'], description: 'Error code of a refusal or failure.' },
    risk_score: { type: ['integer', 'null'], description: '0–100.' },
    risk_rules: { type: ['array', 'null'], description: 'Risk rules that fired.' },
    flagged: { type: 'boolean', description: 'Sent, but scored at or above the review threshold.' },
    message_id: { type: ['string', 'null'], description: 'WhatsApp message id once sent.' },
    reference: { type: ['string', 'null'], description: 'Your own reference, as sent.' },
    source: { type: 'string', description: `${codeList(SEND_SOURCES)}.` },
    failure_reason: { type: ['string', 'null'] },
    created_at: { type: 'string', format: 'date-time' },
    updated_at: { type: 'string', format: 'date-time' },
  },
} as const;

export type MessageLogEntryResponse = FromSchema<typeof messageLogEntrySchema>;

export const messageExample = {
  log_id: 123,
  instance_id: instanceExample.id,
  recipient: '+966500000001',
  purpose: 'transactional',
  text: 'Your order #2041 has been shipped.',
  media_type: null,
  status: 'sent',
  outcome: 'allowed',
  deciding_check: null,
  error: null,
  risk_score: 0,
  risk_rules: [],
  flagged: false,
  message_id: '3EB07B998A6862B7333383',
  reference: 'order-2041',
  source: 'api',
  failure_reason: null,
  created_at: exampleTime,
  updated_at: exampleTime,
};

/**
 * Named success responses (schema + example) of sending and the message log (send-message,
 * messages and decisions routes).
 */
export const messageResponses = {
  sendMessage: {
    schema: ok(['status', 'message_id', 'log_id'], {
      status: { const: 'sent' },
      message_id: str('The WhatsApp message id (appears again in receipts).'),
      log_id: int('Row in the message log: GET /api/messages/{log_id}.'),
    }),
    example: { success: true, status: 'sent', message_id: '3EB07B998A6862B7333383', log_id: 123 },
  },
  messages: {
    schema: ok(['messages'], { messages: arrayOf(ref('MessageLogEntry')), next_before: nextBefore }),
    example: { success: true, messages: [messageExample], next_before: null },
  },
  message: {
    schema: ok(['message'], { message: ref('MessageLogEntry') }),
    example: { success: true, message: messageExample },
  },
  decisions: {
    schema: ok(['decisions'], {
      decisions: arrayOf({
        allOf: [ref('MessageLogEntry')],
        required: ['account_id'],
        properties: { account_id: str() },
      }),
    }),
    example: {
      success: true,
      decisions: [
        {
          ...messageExample,
          status: 'blocked',
          outcome: 'blocked',
          deciding_check: 'risk_score',
          error: 'policy_violation',
          risk_score: 72,
          risk_rules: ['marketing_terms', 'url_shortener', 'urgency_cta'],
          message_id: null,
          account_id: accountExample.id,
        },
      ],
    },
  },
  customerDecisions: {
    schema: ok(['decisions'], { decisions: arrayOf(ref('MessageLogEntry')), next_before: nextBefore }),
    example: {
      success: true,
      decisions: [
        {
          ...messageExample,
          status: 'blocked',
          outcome: 'blocked',
          deciding_check: 'purpose_allowed',
          error: 'message_purpose_not_allowed',
          message_id: null,
        },
      ],
      next_before: null,
    },
  },
} satisfies Record<string, NamedResponse>;

/** The body of a send's answer (`POST /api/send-message`, 200; replayed for its Idempotency-Key). */
export type SendMessageResponse = FromSchema<typeof messageResponses.sendMessage.schema>;
