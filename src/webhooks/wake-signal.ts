/**
 * How the delivery worker's claim loops sleep: until the poll interval ends or something
 * (a commit that wrote deliveries, a freed slot, stop) says there may be work now.
 */
export class WakeSignal {
  private readonly waiters = new Set<() => void>();

  /** Wakes every loop waiting right now. */
  notify(): void {
    if (this.waiters.size === 0) return;
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const waiter of waiters) waiter();
  }

  /** Resolves on the next notify, or after `ms` at the latest (the timer never holds the process open). */
  wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const waiter = () => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
        resolve();
      };
      const timer = setTimeout(waiter, ms);
      timer.unref();
      this.waiters.add(waiter);
    });
  }
}
