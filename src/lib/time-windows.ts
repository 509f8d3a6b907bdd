/**
 * Daily and monthly quota windows follow the account's time zone. Keys are the local calendar
 * date (`2026-05-08`) and month (`2026-05`); `resetsAt` is the next local midnight as an instant.
 */

// Building an Intl.DateTimeFormat is expensive (it loads zone data); one per zone is kept.
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

// The parts have a resolution of one second: the last instant's second per zone is remembered
// (a busy send path asks for the day and the month keys of the same second many times).
const lastParts = new Map<string, { epochSecond: number; parts: Readonly<LocalParts> }>();

function localParts(at: Date, timeZone: string): Readonly<LocalParts> {
  const epochSecond = Math.floor(at.getTime() / 1000);
  const last = lastParts.get(timeZone);
  if (last?.epochSecond === epochSecond) return last.parts;
  const parts = computeLocalParts(at, timeZone);
  lastParts.set(timeZone, { epochSecond, parts });
  return parts;
}

function computeLocalParts(at: Date, timeZone: string): LocalParts {
  const parts = formatterFor(timeZone).formatToParts(at);
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  return {
    year: get('year'),
    month: get('month'),
    day: get('day'),
    hour: get('hour'),
    minute: get('minute'),
    second: get('second'),
  };
}

const pad = (n: number) => String(n).padStart(2, '0');

export function dayKey(at: Date, timeZone: string): string {
  const p = localParts(at, timeZone);
  return `${p.year}-${pad(p.month)}-${pad(p.day)}`;
}

export function monthKey(at: Date, timeZone: string): string {
  const p = localParts(at, timeZone);
  return `${p.year}-${pad(p.month)}`;
}

/** Offset (ms) of the zone from UTC at an instant. */
function offsetMs(at: Date, timeZone: string): number {
  const p = localParts(at, timeZone);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return asUtc - Math.floor(at.getTime() / 1000) * 1000;
}

/** The instant of local midnight on a local calendar date (handles DST shifts). */
function localMidnight(year: number, month: number, day: number, timeZone: string): Date {
  const guess = Date.UTC(year, month - 1, day);
  let instant = guess - offsetMs(new Date(guess), timeZone);
  instant = guess - offsetMs(new Date(instant), timeZone);
  return new Date(instant);
}

export function nextDayStart(at: Date, timeZone: string): Date {
  const p = localParts(at, timeZone);
  const next = new Date(Date.UTC(p.year, p.month - 1, p.day + 1));
  return localMidnight(next.getUTCFullYear(), next.getUTCMonth() + 1, next.getUTCDate(), timeZone);
}

export function nextMonthStart(at: Date, timeZone: string): Date {
  const p = localParts(at, timeZone);
  const next = new Date(Date.UTC(p.year, p.month, 1));
  return localMidnight(next.getUTCFullYear(), next.getUTCMonth() + 1, 1, timeZone);
}
