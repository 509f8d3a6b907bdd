/**
 * Retry timing for webhook deliveries. A schedule of N delays means N + 1 attempts: the first
 * attempt is immediate, each failure waits the next delay, and after the last delay's attempt
 * fails the delivery is `failed` (kept and replayable).
 */

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Retry-After is honoured but never beyond this, so a receiver cannot park a delivery for days. */
export const MAX_RETRY_AFTER_MS = 3_600_000;

/** `500ms`, `10s`, `2m`, `1h` (decimals allowed: `1.5s`) → milliseconds. A unit is required. */
export function parseDuration(value: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)\s*$/.exec(value);
  if (!match?.[1] || !match[2]) {
    throw new Error(
      `"${value}" is not a duration: use a number followed by ms, s, m or h (e.g. 500ms, 10s, 2m, 1h)`,
    );
  }
  const ms = Math.round(Number(match[1]) * (UNIT_MS[match[2]] ?? Number.NaN));
  if (!Number.isSafeInteger(ms)) throw new Error(`"${value}" is not a duration: the number is too large`);
  return ms;
}

/** `10s,30s,90s` → `[10000, 30000, 90000]`. A blank value means no retries (one attempt). */
export function parseRetrySchedule(value: string): number[] {
  if (value.trim() === '') return [];
  return value.split(',').map((entry, index) => {
    try {
      return parseDuration(entry);
    } catch (err) {
      throw new Error(`retry schedule "${value}", entry ${index + 1}: ${(err as Error).message}`);
    }
  });
}

export interface NextDelayOptions {
  /** Fraction for uniform ± jitter, e.g. 0.1 for ±10 %. Default 0 (deterministic). */
  jitter?: number | undefined;
  /** From the receiver's Retry-After header; used when it asks for longer than the schedule. */
  retryAfterSeconds?: number | null | undefined;
  /** Ceiling for Retry-After; defaults to MAX_RETRY_AFTER_MS. */
  maxRetryAfterMs?: number | undefined;
  /** Injected in tests; returns [0, 1). */
  random?: (() => number) | undefined;
}

/**
 * Delay in ms before the next attempt, given the number of the attempt that just failed
 * (1 = the first, immediate attempt), or null when the schedule is exhausted.
 * Jitter spreads retries of a burst so a recovering receiver is not hit all at once; it applies
 * to the schedule only, never shortening a Retry-After.
 */
export function nextAttemptDelay(
  schedule: readonly number[],
  attemptNumber: number,
  options: NextDelayOptions = {},
): number | null {
  if (!Number.isInteger(attemptNumber) || attemptNumber < 1) {
    throw new RangeError(`attemptNumber must be an integer >= 1, got ${attemptNumber}`);
  }
  const base = schedule[attemptNumber - 1];
  if (base === undefined) return null;

  const jitter = options.jitter ?? 0;
  if (!(jitter >= 0 && jitter < 1)) throw new RangeError(`jitter must be in [0, 1), got ${jitter}`);
  const random = options.random ?? Math.random;
  let delay = jitter > 0 ? base * (1 + jitter * (2 * random() - 1)) : base;

  const retryAfter = options.retryAfterSeconds;
  if (typeof retryAfter === 'number' && Number.isFinite(retryAfter) && retryAfter > 0) {
    const asked = Math.min(retryAfter * 1000, options.maxRetryAfterMs ?? MAX_RETRY_AFTER_MS);
    delay = Math.max(delay, asked);
  }
  return Math.max(0, Math.round(delay));
}
