import { isoSeconds } from '../../lib/clock.ts';

/** The event types a 3CX webhook may send (in `event_type`, or `event`). */

export const THREECX_EVENT_TYPES = [
  'test',
  'outbound_message',
  'inbound_reply',
  'missed_call',
  'call_started',
  'call_ended',
  'voicemail',
  'queue_event',
  'queue_callback',
  'after_hours',
] as const;
export type ThreeCxEventType = (typeof THREECX_EVENT_TYPES)[number];

/**
 * Where the customer's number is read from, first present field wins. `customer_phone` always
 * comes first; after it, a reply goes `to` the customer, while on a call the customer is the
 * `caller` / `from` side (and `to` is usually the business's own number).
 */
export const REPLY_PHONE_FIELDS = ['customer_phone', 'to', 'phone', 'from', 'caller'] as const;
export const CALL_PHONE_FIELDS = ['customer_phone', 'caller', 'from', 'phone', 'to'] as const;

/** One call-event reply per integration, event type and phone per 15 minutes. */
export const CALL_EVENT_COOLDOWN_MS = 15 * 60_000;
export const MAX_MESSAGE_LENGTH = 4096;
/** Default purpose of gateway-rendered call-event replies. */
export const CALL_EVENT_PURPOSE = 'support';

/** A payload field as trimmed text: non-empty strings and finite numbers, else null. */
export function text(value: unknown): string | null {
  if (typeof value === 'string') return value.trim() === '' ? null : value.trim();
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return null;
}

/** `YYYY-MM-DD HH:mm` in the account's time zone. */
function formatLocal(ms: number, timeZone: string): string {
  try {
    const parts = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    }).formatToParts(new Date(ms));
    const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
    return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')}`;
  } catch {
    return isoSeconds(ms);
  }
}

/** `call_time` as the account reads it: dates (RFC 3339, unix s/ms) are formatted, other text kept. */
export function callTimeValue(raw: unknown, timeZone: string, now: number): string {
  const value = text(raw);
  if (value === null) return formatLocal(now, timeZone);
  let ms: number | null = null;
  if (/^\d{9,11}$/.test(value)) ms = Number(value) * 1000;
  else if (/^\d{12,14}$/.test(value)) ms = Number(value);
  else if (/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/.test(value)) {
    const parsed = Date.parse(value.replace(' ', 'T'));
    ms = Number.isNaN(parsed) ? null : parsed;
  }
  return ms === null ? value : formatLocal(ms, timeZone);
}
