/** The `recipient.*` events (opt-out, opt-in) and `conversation.updated`. */
import type { EventType } from '../event-types.ts';
import { closed, dateTime, EXAMPLE_TIMESTAMP, str, type EventDefinition } from './event-schema-builders.ts';

export const RECIPIENT_EVENTS = {
  'recipient.opted_out': {
    description:
      'A contact sent an opt-out keyword; the number is now on the account’s suppression list (recipient_requested_stop).',
    payload: closed(
      ['from', 'reason', 'message_text'],
      {
        from: str({ description: 'E.164 with "+".' }),
        reason: { const: 'recipient_requested_stop' },
        message_text: str(),
        keyword: str({
          description:
            'The opt-out keyword or phrase from policies/opt-out.json that matched, or `classifier` when the natural-language detector recognised a refusal.',
        }),
        language: str({ description: 'Language of the list that matched.' }),
        message_id: str({ description: 'WhatsApp id of the opt-out message.' }),
        already_suppressed: {
          type: 'boolean',
          description: 'The number had already opted out before this message.',
        },
      },
      'The opt-out.',
    ),
    example: {
      from: '+966501234567',
      reason: 'recipient_requested_stop',
      message_text: 'STOP',
      keyword: 'stop',
      language: 'en',
      message_id: '3EB0C431C26A1916E07C',
      already_suppressed: false,
    },
  },
  'recipient.opted_in': {
    description:
      'A contact sent an opt-in keyword; a suppression from their own earlier STOP was lifted (suppression_removed).',
    payload: closed(
      ['from', 'message_text'],
      {
        from: str({ description: 'E.164 with "+".' }),
        message_text: str(),
        keyword: str(),
        language: str(),
        message_id: str(),
        suppression_removed: {
          type: 'boolean',
          description:
            'false when the number was not suppressed by its own STOP (a customer or admin block is never lifted by the recipient).',
        },
      },
      'The opt-in.',
    ),
    example: {
      from: '+966501234567',
      message_text: 'START',
      keyword: 'start',
      language: 'en',
      message_id: '3EB0C431C26A1916E07D',
      suppression_removed: true,
    },
  },
  'conversation.updated': {
    description: 'The conversation window with a contact was opened or extended by an inbound 1:1 message.',
    payload: closed(
      ['contact', 'chat', 'last_inbound_at', 'window_expires_at', 'window_hours', 'window_opened'],
      {
        contact: str({ description: 'E.164 when known, else the sender LID.' }),
        chat: str(),
        last_inbound_at: dateTime(),
        window_expires_at: dateTime(),
        window_hours: { type: 'integer', minimum: 1 },
        window_opened: { type: 'boolean', description: 'true when no window was open before this message.' },
        message_id: str(),
      },
      'The conversation window.',
    ),
    example: {
      contact: '+6281234567890',
      chat: '+6281234567890',
      last_inbound_at: EXAMPLE_TIMESTAMP,
      window_expires_at: '2026-05-09T10:00:00Z',
      window_hours: 24,
      window_opened: true,
      message_id: '3EB0C431C26A1916E07C',
    },
  },
} as const satisfies Partial<Record<EventType, EventDefinition>>;
