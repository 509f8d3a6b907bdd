import { moduleLogger } from './logger.ts';

const log = moduleLogger('memory');

/**
 * After large request bodies, give their memory back to the operating system promptly. V8 frees
 * large strings only at a full collection, which an idle process may not run for a long while;
 * when the process runs with `--expose-gc` (npm start does) one full collection is requested once
 * the burst is over: `quietMs` after the last large body, at most once per `minIntervalMs`.
 */
export class MemoryRelease {
  private timer: NodeJS.Timeout | null = null;
  private lastRun = 0;

  constructor(
    private readonly quietMs = 1000,
    private readonly minIntervalMs = 10_000,
    private readonly gc: (() => void) | undefined = (globalThis as { gc?: () => void }).gc,
  ) {}

  /** A large body was released; `busy()` says whether others are still in flight. */
  afterLargeBody(busy: () => boolean): void {
    if (!this.gc) return;
    this.schedule(busy, this.quietMs);
  }

  private schedule(busy: () => boolean, delayMs: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      // Still busy: the release of the last large body schedules again.
      if (busy()) return;
      const wait = this.lastRun + this.minIntervalMs - Date.now();
      if (wait > 0) return this.schedule(busy, wait);
      this.lastRun = Date.now();
      const started = performance.now();
      this.gc?.();
      log.debug('full collection after large request bodies', { ms: Math.round(performance.now() - started) });
    }, delayMs);
    this.timer.unref();
  }
}
