import { type InboundLog, type InboundRecord, inboundFromRow } from './inbound-log.ts';

/** `InboundLog` in memory (writes and lookups), for unit tests; a redelivered message is a unique violation. */
export class FakeInboundLog implements Pick<InboundLog, 'insert' | 'exists' | 'findByWaId'> {
  readonly records: InboundRecord[] = [];

  async insert(_trx: unknown, row: Record<string, unknown>): Promise<number> {
    if (await this.exists(String(row.instance_id), String(row.wa_message_id)))
      throw Object.assign(new Error('UNIQUE constraint failed: inbound_messages'), { code: 'SQLITE_CONSTRAINT_UNIQUE' });
    const id = this.records.length + 1;
    this.records.push(inboundFromRow({ ...row, id }));
    return id;
  }

  async exists(instanceId: string, waMessageId: string): Promise<boolean> {
    return (await this.findByWaId(instanceId, waMessageId)) !== null;
  }

  async findByWaId(instanceId: string, waMessageId: string): Promise<InboundRecord | null> {
    return this.records.find((r) => r.instanceId === instanceId && r.waMessageId === waMessageId) ?? null;
  }
}
