import type { NewStrike, StrikeRecord, StrikeStore } from './strike-store.ts';

/** `StrikeStore` in memory, for unit tests of the services that use it. */
export class FakeStrikeStore implements StrikeStore {
  readonly rows: (StrikeRecord & { accountId: string })[] = [];

  async insert(s: NewStrike): Promise<void> {
    this.rows.push({ ...s, id: this.rows.length + 1 });
  }

  async lastAt(instanceId: string, triggerId: string): Promise<number | null> {
    const at = this.of(instanceId)
      .filter((s) => s.triggerId === triggerId)
      .map((s) => s.createdAt);
    return at.length ? Math.max(...at) : null;
  }

  async countSince(instanceId: string, since: number): Promise<number> {
    return this.of(instanceId).filter((s) => s.createdAt >= since).length;
  }

  async listSince(instanceId: string, since: number, limit: number): Promise<StrikeRecord[]> {
    return this.of(instanceId)
      .filter((s) => s.createdAt >= since)
      .slice(0, limit);
  }

  async latest(instanceId: string, limit: number): Promise<StrikeRecord[]> {
    return this.of(instanceId).reverse().slice(0, limit);
  }

  private of(instanceId: string): (StrikeRecord & { accountId: string })[] {
    return this.rows.filter((s) => s.instanceId === instanceId);
  }
}
