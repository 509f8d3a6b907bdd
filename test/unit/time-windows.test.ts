import assert from 'node:assert/strict';
import { dayKey, monthKey, nextDayStart, nextMonthStart } from '../../src/lib/time-windows.ts';

describe('quota windows follow the account time zone', () => {
  it('a UTC evening is already tomorrow in Jakarta', () => {
    const at = new Date('2026-05-08T17:30:00Z');
    assert.equal(dayKey(at, 'UTC'), '2026-05-08');
    assert.equal(dayKey(at, 'Asia/Jakarta'), '2026-05-09');
    assert.equal(nextDayStart(at, 'Asia/Jakarta').toISOString(), '2026-05-09T17:00:00.000Z');
  });

  it('month boundaries are local', () => {
    const at = new Date('2026-05-31T20:00:00Z');
    assert.equal(monthKey(at, 'UTC'), '2026-05');
    assert.equal(monthKey(at, 'Asia/Riyadh'), '2026-05');
    assert.equal(monthKey(at, 'Asia/Jakarta'), '2026-06');
    assert.equal(nextMonthStart(at, 'UTC').toISOString(), '2026-06-01T00:00:00.000Z');
    assert.equal(nextMonthStart(at, 'Asia/Riyadh').toISOString(), '2026-05-31T21:00:00.000Z');
  });

  it('handles daylight-saving days', () => {
    assert.equal(
      nextDayStart(new Date('2026-03-08T12:00:00Z'), 'America/New_York').toISOString(),
      '2026-03-09T04:00:00.000Z',
    );
    assert.equal(
      nextDayStart(new Date('2026-11-01T12:00:00Z'), 'America/New_York').toISOString(),
      '2026-11-02T05:00:00.000Z',
    );
  });
});
