import { moduleLogger } from './logger.ts';

const log = moduleLogger('memory');

/** Timers for MemoryRelease (real ones by default; tests pass a manual scheduler). */
export interface ReleaseTimers {
  now: () => number;
  set: (fn: () => void, ms: number) => unknown;
  clear: (handle: unknown) => void;
}

const realTimers: ReleaseTimers = {
  now: () => Date.now(),
  set: (fn, ms) => setTimeout(fn, ms).unref(),
  clear: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/**
 * After large request bodies, give their memory back to the operating system promptly. V8 frees
 * large strings only at a full collection, which an idle process may not run for a long while;
 * when the process runs with `--expose-gc` (npm start does) one full collection is requested once
 * the burst is over: `quietMs` after the last large body, at most once per `minIntervalMs`.
 */
export class MemoryRelease {
  private timer: unknown = null;
  private lastRun = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly quietMs = 1000,
    private readonly minIntervalMs = 5_000,
    private readonly gc: (() => void) | undefined = (globalThis as { gc?: () => void }).gc,
    private readonly timers: ReleaseTimers = realTimers,
  ) {}

  /** A large body was released; `busy()` says whether others are still in flight. */
  afterLargeBody(busy: () => boolean): void {
    if (!this.gc) return;
    this.schedule(busy, this.quietMs);
  }

  private schedule(busy: () => boolean, delayMs: number): void {
    if (this.timer !== null) this.timers.clear(this.timer);
    this.timer = this.timers.set(() => {
      this.timer = null;
      // Still busy: the release of the last large body schedules again.
      if (busy()) return;
      const wait = this.lastRun + this.minIntervalMs - this.timers.now();
      if (wait > 0) return this.schedule(busy, wait);
      this.lastRun = this.timers.now();
      const started = performance.now();
      this.gc?.();
      log.debug('full collection after large request bodies', { ms: Math.round(performance.now() - started) });
    }, delayMs);
  }
}
