import type { NewRestrictionSignal, RestrictionSignal, RestrictionSignalStore } from './restriction-signal-store.ts';

/** `RestrictionSignalStore` in memory, for unit tests of the services that use it. */
export class FakeRestrictionSignalStore implements RestrictionSignalStore {
  readonly rows: (RestrictionSignal & { accountId: string; instanceId: string })[] = [];

  async record(input: NewRestrictionSignal): Promise<void> {
    this.rows.push({
      accountId: input.accountId,
      instanceId: input.instanceId,
      signal: input.signal.slice(0, 60),
      detail: JSON.stringify(input.detail),
      createdAt: input.at,
    });
  }

  async instanceIdsSince(since: number): Promise<string[]> {
    return [...new Set(this.rows.filter((r) => r.createdAt >= since).map((r) => r.instanceId))];
  }

  async listSince(instanceId: string, signals: string[], since: number, limit: number): Promise<RestrictionSignal[]> {
    return this.rows
      .filter((r) => r.instanceId === instanceId && signals.includes(r.signal) && r.createdAt >= since)
      .reverse()
      .slice(0, limit)
      .map(({ signal, detail, createdAt }) => ({ signal, detail, createdAt }));
  }
}
