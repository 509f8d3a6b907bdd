/**
 * The JSON Schema of what the `present*` function beside it returns; its return type is derived
 * from it, and the OpenAPI document publishes it as a component. Objects stay open (clients
 * ignore fields they do not know); the test suite holds every live response strictly.
 */
import type { FromSchema } from 'json-schema-to-ts';

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
    source: { type: 'string', description: '`api`, `threecx` or `confirmation`.' },
    failure_reason: { type: ['string', 'null'] },
    created_at: { type: 'string', format: 'date-time' },
    updated_at: { type: 'string', format: 'date-time' },
  },
} as const;

export type MessageLogEntryResponse = FromSchema<typeof messageLogEntrySchema>;
