import type { InMemoryParticipant } from '../db/transactions.ts';
import { sentResponse, type IdempotencyLinks } from './idempotency-store.ts';

interface Claim {
  logId: number | null;
  state: 'in_flight' | 'done';
  response: Record<string, unknown> | null;
}

/** The send pipeline's side of `IdempotencyStore` in memory: claims (added by `claim`), linked and completed. */
export class FakeIdempotencyStore implements IdempotencyLinks, InMemoryParticipant {
  claims = new Map<string, Claim>();

  snapshot(): () => void {
    const claims = new Map([...this.claims].map(([key, claim]) => [key, { ...claim }]));
    return () => {
      this.claims = claims;
    };
  }

  /** What `begin` does for a new key: an in-flight claim with no message yet. */
  claim(accountId: string, key: string): void {
    this.claims.set(`${accountId}|${key}`, { logId: null, state: 'in_flight', response: null });
  }

  get(accountId: string, key: string): Claim | undefined {
    return this.claims.get(`${accountId}|${key}`);
  }

  async link(_trx: unknown, accountId: string, key: string, logId: number): Promise<void> {
    const claim = this.get(accountId, key);
    if (claim?.state === 'in_flight') claim.logId = logId;
  }

  async completeSent(_trx: unknown, accountId: string, key: string, logId: number, waMessageId: string): Promise<void> {
    const claim = this.get(accountId, key);
    if (claim?.logId !== logId) return;
    claim.state = 'done';
    claim.response = sentResponse(logId, waMessageId);
  }
}
