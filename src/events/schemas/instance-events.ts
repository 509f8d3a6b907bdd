/** The `instance.*` events: connection state, QR codes, and pauses for responsible-messaging review. */
import { INSTANCE_STATES } from '../../transport/transport.ts';
import type { EventType } from '../event-types.ts';
import {
  closed,
  dateTime,
  EXAMPLE_TIMESTAMP,
  nullable,
  str,
  type EventDefinition,
} from './event-schema-builders.ts';

export const INSTANCE_EVENTS = {
  'instance.connected': {
    description: 'The instance is linked and online.',
    payload: closed(['state', 'phone'], {
      state: { const: 'connected' },
      phone: nullable('string', { description: 'The instance’s own number.' }),
    }),
    example: { state: 'connected', phone: '+966501234567' },
  },
  'instance.disconnected': {
    description: 'The instance went offline (logged_out: the session was removed from the phone).',
    payload: closed(['state', 'reason', 'logged_out'], {
      state: { const: 'disconnected' },
      reason: str(),
      logged_out: { type: 'boolean' },
    }),
    example: { state: 'disconnected', reason: 'connection_lost', logged_out: false },
  },
  'instance.connection_updated': {
    description: 'Any change of the instance’s connection state.',
    payload: closed(['state', 'previous_state'], {
      state: { enum: [...INSTANCE_STATES] },
      previous_state: { enum: [...INSTANCE_STATES] },
      reason: str(),
    }),
    example: { state: 'connected', previous_state: 'qr_generated' },
  },
  'instance.qr_updated': {
    description: 'A new QR code is waiting to be scanned.',
    payload: closed(['state', 'expires_at'], { state: { const: 'qr_generated' }, expires_at: dateTime() }),
    example: { state: 'qr_generated', expires_at: '2026-05-08T10:01:00Z' },
  },
  'instance.paused': {
    description:
      'The instance was paused for responsible-messaging review (automatically or by a compliance admin).',
    payload: closed(['paused', 'reason', 'paused_by', 'paused_at'], {
      paused: { const: true },
      reason: str(),
      paused_by: { enum: ['policy_engine', 'compliance_admin'] },
      paused_at: dateTime(),
    }),
    example: {
      paused: true,
      reason: 'Repeated policy violations within 24 hours',
      paused_by: 'policy_engine',
      paused_at: EXAMPLE_TIMESTAMP,
    },
  },
  'instance.resumed': {
    description: 'A compliance admin resumed the instance.',
    payload: closed(['paused', 'resumed_at'], { paused: { const: false }, resumed_at: dateTime() }),
    example: { paused: false, resumed_at: EXAMPLE_TIMESTAMP },
  },
} as const satisfies Partial<Record<EventType, EventDefinition>>;
