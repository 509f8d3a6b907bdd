import type { EventPayload } from '../events/event-schemas.ts';
import type { EventType } from '../events/event-types.ts';
import type { AccountStore } from '../accounts/account-store.ts';
import type { EventOutbox } from '../events/event-outbox.ts';
import type { Instance } from '../instances/instance-store.ts';
import type { Transact } from '../db/transactions.ts';
import type { Clock } from '../lib/clock.ts';
import { normalizePhone } from '../lib/phone.ts';
import type { MediaStore } from '../media/media-store.ts';
import type { RestrictionSignalStore } from '../review/restriction-signal-store.ts';
import type { InboundMessageLog } from '../sending/message-log.ts';
import type { SendCommand } from '../sending/send-context.ts';
import type { OptOutMatcher } from '../suppression/opt-out-matcher.ts';
import type { SuppressionService } from '../suppression/suppression-service.ts';
import type { TransportEvent } from '../transport/transport.ts';
import type { ConversationWindowStore } from './conversation-window-store.ts';
import type { InboundLog } from './inbound-log.ts';

/** Default conversation window (SPEC §6): 24 h after the contact's last inbound message. */
export const CONVERSATION_WINDOW_HOURS = 24;

export type EventOf<T extends TransportEvent['type']> = Extract<TransportEvent, { type: T }>;

export interface InboundServiceDeps {
  transact: Transact;
  clock: Clock;
  outbox: EventOutbox;
  inboundLog: InboundLog;
  messages: InboundMessageLog;
  suppressions: SuppressionService;
  optOut: OptOutMatcher;
  accounts: AccountStore;
  media: MediaStore;
  windows: ConversationWindowStore;
  restrictionSignals: RestrictionSignalStore;
  /** The ResponsibleMessageSender (only `send` is used, for the optional confirmation). */
  sender: { send(command: SendCommand): Promise<unknown> };
  windowHours?: number;
  /**
   * How long to wait before deciding a `fromMe` message was typed on the phone. Baileys echoes
   * Warden's own sends as `fromMe` upserts, sometimes before the send call has returned and the
   * message log knows the id; waiting lets the log catch up so they are not reported twice.
   */
  fromMeGraceMs?: number;
  /** Retries (delays in ms) for a receipt whose message id is not in the log yet (same race). */
  receiptRetryMs?: number[];
}

/** What every inbound handler is given besides its event: the dependencies and the plumbing. */
export interface InboundContext {
  readonly deps: InboundServiceDeps;
  /** The conversation window in milliseconds. */
  readonly windowMs: number;
  /** Emit one event outside any transaction, and wake the delivery worker. */
  emitNow<T extends EventType>(instance: Instance, type: T, payload: EventPayload<T>, messageId?: string): Promise<void>;
  /** True when `key` was seen in the last 10 minutes (bounded memory). */
  once(key: string): boolean;
  /** Keep `promise` among the work `drain()` waits for. */
  track(promise: Promise<unknown>): void;
  /** Run `fn` after `ms` (unless the service closes first); `drain()` waits for it. */
  later(ms: number, fn: () => Promise<void>): void;
}

/** One kind of transport event, handled. */
export type InboundHandler<K extends TransportEvent['type']> = (
  event: EventOf<K>,
  instance: Instance,
  ctx: InboundContext,
) => Promise<void>;

/** E.164 for a phone number, or null (LIDs, JIDs, garbage). */
export function phoneOf(value: string | null | undefined): string | null {
  if (!value) return null;
  if (!/^\+?\d[\d\s().-]{3,24}$/.test(value.trim())) return null;
  return normalizePhone(value.startsWith('+') ? value : `+${value}`);
}

/** JSON-safe copy (transport `change` objects may hold Buffers, Dates, undefined). */
export function plain(value: Record<string, unknown>): Record<string, unknown> {
  try {
    return JSON.parse(JSON.stringify(value)) as Record<string, unknown>;
  } catch {
    return {};
  }
}

/** When the event says it happened (a valid date), else `now`. */
export function eventTime(at: Date | undefined, now: number): number {
  return at instanceof Date && !Number.isNaN(at.getTime()) ? at.getTime() : now;
}
