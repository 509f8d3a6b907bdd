import assert from 'node:assert/strict';
import {
  MAX_RETRY_AFTER_MS,
  nextAttemptDelay,
  parseDuration,
  parseRetrySchedule,
} from '../../src/webhooks/retry-schedule.ts';

describe('retry-schedule', () => {
  describe('parseDuration', () => {
    const cases: [string, number][] = [
      ['500ms', 500],
      ['10s', 10_000],
      ['2m', 120_000],
      ['1h', 3_600_000],
      ['0s', 0],
      ['1.5s', 1500],
      [' 30s ', 30_000],
      ['90 s', 90_000],
    ];
    for (const [input, expected] of cases) {
      it(`"${input}" → ${expected} ms`, () => assert.equal(parseDuration(input), expected));
    }

    for (const bad of ['', '10', '10x', 's', '-5s', '1d', '10S', '1e3ms', 'ten s', '10s5', '1h30m']) {
      it(`rejects "${bad}" with a clear message`, () => {
        assert.throws(
          () => parseDuration(bad),
          (err: Error) => {
            assert.match(err.message, /is not a duration/);
            assert.ok(err.message.includes(`"${bad}"`));
            return true;
          },
        );
      });
    }

    it('rejects absurdly large numbers', () => {
      assert.throws(() => parseDuration(`${'9'.repeat(30)}h`), /too large/);
    });
  });

  describe('parseRetrySchedule', () => {
    it('parses the default schedule', () => {
      assert.deepEqual(parseRetrySchedule('10s,30s,90s'), [10_000, 30_000, 90_000]);
    });
    it('accepts mixed units and spaces', () => {
      assert.deepEqual(parseRetrySchedule('500ms, 2m ,1h'), [500, 120_000, 3_600_000]);
    });
    it('blank means no retries', () => {
      assert.deepEqual(parseRetrySchedule(''), []);
      assert.deepEqual(parseRetrySchedule('  '), []);
    });
    it('names the bad entry', () => {
      assert.throws(() => parseRetrySchedule('10s,3O s,90s'), /entry 2: "3O s" is not a duration/);
      assert.throws(() => parseRetrySchedule('10s,,90s'), /entry 2/);
      assert.throws(() => parseRetrySchedule('10s,30s,'), /entry 3/);
    });
  });

  describe('nextAttemptDelay', () => {
    const schedule = [10_000, 30_000, 90_000];

    it('N delays mean N + 1 attempts', () => {
      assert.equal(nextAttemptDelay(schedule, 1), 10_000);
      assert.equal(nextAttemptDelay(schedule, 2), 30_000);
      assert.equal(nextAttemptDelay(schedule, 3), 90_000);
      assert.equal(nextAttemptDelay(schedule, 4), null);
      assert.equal(nextAttemptDelay(schedule, 50), null);
    });

    it('an empty schedule means a single attempt', () => {
      assert.equal(nextAttemptDelay([], 1), null);
    });

    it('rejects attempt numbers that are not positive integers', () => {
      assert.throws(() => nextAttemptDelay(schedule, 0), RangeError);
      assert.throws(() => nextAttemptDelay(schedule, 1.5), RangeError);
      assert.throws(() => nextAttemptDelay(schedule, Number.NaN), RangeError);
    });

    it('jitter stays within ± the fraction (bounds checked with extreme random values)', () => {
      assert.equal(nextAttemptDelay(schedule, 1, { jitter: 0.1, random: () => 0 }), 9_000);
      assert.equal(nextAttemptDelay(schedule, 1, { jitter: 0.1, random: () => 0.999999 }), 11_000);
      assert.equal(nextAttemptDelay(schedule, 1, { jitter: 0.1, random: () => 0.5 }), 10_000);
      for (let i = 0; i < 200; i++) {
        const d = nextAttemptDelay(schedule, 2, { jitter: 0.1 })!;
        assert.ok(d >= 27_000 && d <= 33_000, `delay ${d} out of bounds`);
      }
    });

    it('rejects a nonsensical jitter', () => {
      assert.throws(() => nextAttemptDelay(schedule, 1, { jitter: -0.1 }), RangeError);
      assert.throws(() => nextAttemptDelay(schedule, 1, { jitter: 1 }), RangeError);
    });

    it('honours a longer Retry-After', () => {
      assert.equal(nextAttemptDelay(schedule, 1, { retryAfterSeconds: 120 }), 120_000);
    });

    it('never lets a shorter Retry-After shorten the schedule', () => {
      assert.equal(nextAttemptDelay(schedule, 2, { retryAfterSeconds: 5 }), 30_000);
      assert.equal(nextAttemptDelay(schedule, 2, { retryAfterSeconds: 0 }), 30_000);
    });

    it('caps Retry-After (default 1 h, configurable)', () => {
      assert.equal(nextAttemptDelay(schedule, 1, { retryAfterSeconds: 86_400 }), MAX_RETRY_AFTER_MS);
      assert.equal(MAX_RETRY_AFTER_MS, 3_600_000);
      assert.equal(
        nextAttemptDelay(schedule, 1, { retryAfterSeconds: 600, maxRetryAfterMs: 60_000 }),
        60_000,
      );
    });

    it('Retry-After does not revive an exhausted schedule', () => {
      assert.equal(nextAttemptDelay(schedule, 4, { retryAfterSeconds: 30 }), null);
    });

    it('ignores a null or non-finite Retry-After', () => {
      assert.equal(nextAttemptDelay(schedule, 1, { retryAfterSeconds: null }), 10_000);
      assert.equal(nextAttemptDelay(schedule, 1, { retryAfterSeconds: Number.POSITIVE_INFINITY }), 10_000);
    });

    it('jitter never shortens a Retry-After', () => {
      assert.equal(
        nextAttemptDelay(schedule, 1, { jitter: 0.1, random: () => 0, retryAfterSeconds: 60 }),
        60_000,
      );
    });
  });
});
