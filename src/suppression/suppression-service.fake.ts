import type { SendMessageLog } from '../sending/message-log.ts';
import {
  GLOBAL_SCOPE,
  type RecipientContact,
  type Suppression,
  type SuppressionReads,
  type SuppressionReason,
} from './suppression-service.ts';

/**
 * The suppression list in memory (the read the send pipeline makes): entries per scope and
 * number, a gateway-wide one first; the contact history comes from the (fake) message log.
 */
export class FakeSuppressions implements SuppressionReads {
  readonly entries: Suppression[] = [];

  constructor(private readonly history: Pick<SendMessageLog, 'hasContacted'>) {}

  add(scope: string, phone: string, reason: SuppressionReason): Suppression {
    const entry: Suppression = {
      id: `sup_${this.entries.length + 1}`,
      scope,
      phone,
      reason,
      note: null,
      createdBy: null,
      createdAt: 0,
    };
    this.entries.push(entry);
    return entry;
  }

  async findWithHistory(
    accountId: string,
    phone: string,
    contact: RecipientContact,
  ): Promise<{ suppression: Suppression | null; hasHistory: boolean }> {
    const found = this.entries.filter((s) => s.phone === phone && (s.scope === accountId || s.scope === GLOBAL_SCOPE));
    return {
      suppression: found.find((s) => s.scope === GLOBAL_SCOPE) ?? found[0] ?? null,
      hasHistory: await this.history.hasContacted(contact.instanceId, contact.recipientHash),
    };
  }
}
