import type { Knex } from 'knex';
import { isUniqueViolation } from '../db/database.ts';

const TABLE = 'conversation_windows';

export interface WindowTouch {
  instanceId: string;
  accountId: string;
  contact: string;
  /** When the contact's message was sent. */
  at: number;
  /** How long a window stays open after the contact's last message. */
  windowMs: number;
}

/** The conversation window (SPEC §6) after a contact's message: its start, and whether it (re)opened. */
export interface TouchedWindow {
  lastInboundAt: number;
  opened: boolean;
}

/** `conversation_windows`: each contact's last inbound message, per instance. */
export interface ConversationWindowStore {
  /** Upsert the window; `last_inbound_at` never moves backwards (late, offline messages). */
  touch(input: WindowTouch, trx?: Knex): Promise<TouchedWindow>;
}

export class DbConversationWindowStore implements ConversationWindowStore {
  constructor(private readonly db: Knex) {}

  async touch(input: WindowTouch, trx: Knex = this.db): Promise<TouchedWindow> {
    const { at } = input;
    const key = { instance_id: input.instanceId, contact: input.contact };
    const row = await trx(TABLE).where(key).first('last_inbound_at');
    const previous = row ? Number(row.last_inbound_at) : null;
    const opened = previous === null || previous + input.windowMs <= at;
    if (previous === null) {
      try {
        await trx(TABLE).insert({ ...key, account_id: input.accountId, last_inbound_at: at });
        return { lastInboundAt: at, opened };
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
      }
    }
    await trx(TABLE).where(key).andWhere('last_inbound_at', '<', at).update({ last_inbound_at: at });
    return { lastInboundAt: Math.max(previous ?? at, at), opened };
  }
}
