import assert from 'node:assert/strict';
import { MemoryRelease, type ReleaseTimers } from '../../src/lib/memory-release.ts';

/** A manual scheduler: time moves only when the test says so. */
function manualTimers(): ReleaseTimers & { advance: (ms: number) => void } {
  let now = 0;
  let seq = 0;
  const pending = new Map<number, { at: number; fn: () => void }>();
  return {
    now: () => now,
    set: (fn, ms) => {
      seq += 1;
      pending.set(seq, { at: now + ms, fn });
      return seq;
    },
    clear: (handle) => pending.delete(handle as number),
    advance(ms) {
      const until = now + ms;
      for (;;) {
        const next = [...pending.entries()].filter(([, t]) => t.at <= until).sort((a, b) => a[1].at - b[1].at)[0];
        if (!next) break;
        pending.delete(next[0]);
        now = next[1].at;
        next[1].fn();
      }
      now = until;
    },
  };
}

describe('MemoryRelease (full collection after large request bodies)', () => {
  it('collects once the burst is quiet, never while large bodies are in flight, at most once per interval', () => {
    const timers = manualTimers();
    let runs = 0;
    let busy = true;
    const release = new MemoryRelease(1000, 10_000, () => {
      runs += 1;
    }, timers);
    for (let i = 0; i < 5; i++) release.afterLargeBody(() => busy);
    timers.advance(5000);
    assert.equal(runs, 0, 'bodies still in flight');
    busy = false;
    release.afterLargeBody(() => busy);
    timers.advance(999);
    assert.equal(runs, 0, 'waits for a quiet second');
    timers.advance(1);
    assert.equal(runs, 1, 'one collection after the burst');
    release.afterLargeBody(() => busy);
    timers.advance(5000);
    assert.equal(runs, 1, 'not again inside the interval');
    timers.advance(5000);
    assert.equal(runs, 2, 'deferred to the end of the interval, not dropped');
  });

  it('without an exposed gc nothing is scheduled', () => {
    const timers = manualTimers();
    let scheduled = 0;
    const release = new MemoryRelease(1000, 10_000, undefined, {
      ...timers,
      set: (fn, ms) => {
        scheduled += 1;
        return timers.set(fn, ms);
      },
    });
    release.afterLargeBody(() => false);
    assert.equal(scheduled, 0);
  });
});
