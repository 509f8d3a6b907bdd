/** Every normalized event Warden emits (SPEC §7.1). */
export const EVENT_TYPES = [
  'message.received',
  'message.sent',
  'message.failed',
  'message.delivered',
  'message.read',
  'message.status_updated',
  'message.revoked',
  'recipient.opted_out',
  'recipient.opted_in',
  'conversation.updated',
  'instance.connected',
  'instance.disconnected',
  'instance.connection_updated',
  'instance.qr_updated',
  'instance.paused',
  'instance.resumed',
  'call.received',
  'call.missed',
  'group.message_received',
  'group.updated',
  'webhook.test',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

export interface EventEnvelope<P = Record<string, unknown>> {
  event: EventType;
  request_id: string;
  timestamp: string;
  account_id: string;
  instance_id: string | null;
  instance_name: string | null;
  payload: P;
}

export function isEventType(value: string): value is EventType {
  return (EVENT_TYPES as readonly string[]).includes(value);
}
