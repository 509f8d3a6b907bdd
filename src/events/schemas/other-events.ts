/** The remaining events: calls (`call.*`), `group.updated` and `webhook.test`. */
import type { EventType } from '../event-types.ts';
import { closed, dateTime, EXAMPLE_TIMESTAMP, nullable, phone, str, type EventDefinition } from './event-schema-builders.ts';

export const OTHER_EVENTS = {
  'call.received': {
    description: 'A contact is calling the instance.',
    payload: closed(['call_id', 'from', 'status', 'is_video', 'at'], {
      call_id: str(),
      from: phone('Caller.'),
      status: { const: 'offer' },
      is_video: { type: 'boolean' },
      at: dateTime(),
    }),
    example: {
      call_id: 'A1B2C3D4E5F6A7B8C9D0',
      from: '+6281234567890',
      status: 'offer',
      is_video: false,
      at: EXAMPLE_TIMESTAMP,
    },
  },
  'call.missed': {
    description: 'A call to the instance was not answered (missed, timed out or rejected).',
    payload: closed(['call_id', 'from', 'status', 'is_video', 'at'], {
      call_id: str(),
      from: phone('Caller.'),
      status: { enum: ['missed', 'timeout', 'reject'] },
      is_video: { type: 'boolean' },
      at: dateTime(),
    }),
    example: {
      call_id: 'A1B2C3D4E5F6A7B8C9D0',
      from: '+6281234567890',
      status: 'missed',
      is_video: false,
      at: EXAMPLE_TIMESTAMP,
    },
  },
  'group.updated': {
    description: 'A group the instance belongs to changed (subject, settings, participants).',
    payload: closed(['group', 'subject', 'change'], {
      group: str({ description: 'Group JID (…@g.us).' }),
      subject: nullable('string'),
      change: { type: 'object', description: 'What changed, as WhatsApp reported it.' },
    }),
    example: {
      group: '120363426240756992@g.us',
      subject: 'Warehouse team',
      change: { subject: 'Warehouse team' },
    },
  },
  'webhook.test': {
    description: 'Sent by `POST /api/webhooks/{id}/test` to check an endpoint.',
    payload: closed(['webhook_id', 'message'], {
      webhook_id: str({ description: 'The endpoint being tested.' }),
      message: str(),
    }),
    example: {
      webhook_id: 'whk_2Nf8sQ1xZr0LmPq7',
      message: 'This is a test event from Warden. Verify its signature and answer with any 2xx status.',
    },
  },
} as const satisfies Partial<Record<EventType, EventDefinition>>;
