import type { Knex } from 'knex';
import type { AccountStore } from '../accounts/account-store.ts';
import { affected, isUniqueViolation } from '../db/database.ts';
import type { EventOutbox } from '../events/event-outbox.ts';
import type { EventPayload } from '../events/event-schemas.ts';
import type { EventType } from '../events/event-types.ts';
import type { Instance } from '../instances/instance-store.ts';
import { type Clock, isoSeconds } from '../lib/clock.ts';
import { moduleLogger } from '../lib/logger.ts';
import { normalizePhone } from '../lib/phone.ts';
import type { MediaStore, StoredMedia } from '../media/media-store.ts';
import type { MessageLog, MessageRecord } from '../sending/message-log.ts';
import type { SendCommand } from '../sending/send-context.ts';
import type { OptOutMatch, OptOutMatcher } from '../suppression/opt-out-matcher.ts';
import type { SuppressionService } from '../suppression/suppression-service.ts';
import type { TransportEvent, TransportMessage } from '../transport/transport.ts';
import type { Classification, InboundLog } from './inbound-log.ts';

const log = moduleLogger('inbound');

/** Default conversation window (SPEC §6): 24 h after the contact's last inbound message. */
export const CONVERSATION_WINDOW_HOURS = 24;

type EventOf<T extends TransportEvent['type']> = Extract<TransportEvent, { type: T }>;

/** Emits an event inside the inbound message's transaction. */
type EmitInTrx = <T extends EventType>(type: T, payload: EventPayload<T>) => Promise<void>;

/** An inbound message's payload before it has its inbound log id (1:1 or group). */
type InboundPayload = Omit<EventPayload<'message.received'>, 'inbound_log_id' | 'is_group'> & { is_group: boolean };

export interface InboundServiceDeps {
  db: Knex;
  clock: Clock;
  outbox: EventOutbox;
  inboundLog: InboundLog;
  messages: MessageLog;
  suppressions: SuppressionService;
  optOut: OptOutMatcher;
  accounts: AccountStore;
  media: MediaStore;
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

/** Thrown inside the transaction to roll back a message we already have (redelivery). */
class DuplicateInbound extends Error {}

const STATUS_RANK: Record<string, number> = { reserved: 0, sent: 1, delivered: 2, read: 3, played: 4 };

/** The event of each receipt status (failed acknowledgements are `message.failed`). */
const RECEIPT_EVENTS = {
  delivered: 'message.delivered',
  read: 'message.read',
  played: 'message.status_updated',
} as const;

/** E.164 for a phone number, or null (LIDs, JIDs, garbage). */
function phoneOf(value: string | null | undefined): string | null {
  if (!value) return null;
  if (!/^\+?\d[\d\s().-]{3,24}$/.test(value.trim())) return null;
  return normalizePhone(value.startsWith('+') ? value : `+${value}`);
}

/** JSON-safe copy (transport `change` objects may hold Buffers, Dates, undefined). */
function plain(value: Record<string, unknown>): Record<string, unknown> {
  try {
    return JSON.parse(JSON.stringify(value)) as Record<string, unknown>;
  } catch {
    return {};
  }
}

/**
 * The inbound side of the transport (SPEC §6, §7): every non-lifecycle transport event becomes
 * rows and outbox events, each state change together with its events in one transaction.
 *
 * - `message` from a contact → media stored, inbound log row, conversation window, opt-out /
 *   opt-in (1:1 text messages only), `message.received` or `group.message_received`,
 *   `recipient.opted_out|in`, `conversation.updated`; then the optional confirmation reply.
 * - `message` typed on the linked phone (`fromMe`) → `message.sent` with `source: "phone"` and
 *   `log_id: null`, unless it is the echo of a send Warden made itself. It is not an inbound
 *   message: no inbound row, no window, no opt-out classification, no quota.
 * - `receipt` → the outbound row's status moves forward only (sent → delivered → read → played;
 *   failed only from sent) and `message.delivered|read|status_updated|failed` is emitted.
 * - `revoked` → `message.revoked`; `call` → `call.received` / `call.missed`;
 *   `group_update` → `group.updated`; `restriction` → `instance_restriction_signals`.
 */
export class InboundService {
  private readonly pending = new Set<Promise<unknown>>();
  /** Deferred work: the timer and how to settle its `pending` promise if it never runs. */
  private readonly timers = new Map<NodeJS.Timeout, () => void>();
  private readonly seen = new Map<string, number>();
  private closed = false;
  private readonly windowMs: number;

  constructor(private readonly deps: InboundServiceDeps) {
    this.windowMs = (deps.windowHours ?? CONVERSATION_WINDOW_HOURS) * 3600_000;
  }

  /** The `instances.addHandler` entry point. */
  readonly handle = async (event: TransportEvent, instance: Instance): Promise<void> => {
    if (instance.state === 'destroyed') return;
    switch (event.type) {
      case 'message':
        if (event.message.fromMe)
          this.later(this.deps.fromMeGraceMs ?? 1500, () => this.onOwnMessage(event.message, instance));
        else await this.onMessage(event.message, instance);
        return;
      case 'receipt':
        await this.onReceipt(event, instance, 0);
        return;
      case 'revoked':
        await this.onRevoked(event, instance);
        return;
      case 'call':
        await this.onCall(event, instance);
        return;
      case 'group_update':
        await this.emitNow(instance, 'group.updated', {
          group: event.groupJid,
          subject: event.subject ?? null,
          change: plain(event.change),
        });
        return;
      case 'restriction':
        await this.onRestriction(event, instance);
        return;
      default:
        return;
    }
  };

  /** Resolves once deferred work (confirmation replies, delayed receipts, phone echoes) is done. */
  async drain(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const [timer, settle] of this.timers) {
      clearTimeout(timer);
      settle();
    }
    this.timers.clear();
    await this.drain();
  }

  // -------------------------------------------------------------------------------------------
  // Inbound messages
  // -------------------------------------------------------------------------------------------

  private async onMessage(msg: TransportMessage, instance: Instance): Promise<void> {
    const { db, clock, inboundLog, outbox } = this.deps;
    if (await inboundLog.exists(instance.id, msg.messageId)) return;

    const media = await this.storeMedia(msg, instance);
    const now = clock.now().getTime();
    const sentAt = Math.min(
      msg.timestamp instanceof Date && !Number.isNaN(msg.timestamp.getTime()) ? msg.timestamp.getTime() : now,
      now,
    );
    const fromPhone = phoneOf(msg.from);
    const from = fromPhone ?? msg.from ?? msg.fromLid ?? null;
    const chat = msg.isGroup ? msg.chat : (phoneOf(msg.chat) ?? msg.chat);
    const contact = msg.isGroup ? null : (fromPhone ?? msg.fromLid ?? msg.from ?? null);
    const match = msg.isGroup ? null : await this.classify(msg, instance, fromPhone);
    const classification: Classification | null = match?.kind ?? null;
    const payload = this.messagePayload(msg, { from, chat, media, sentAt, classification });

    let outcome: { deliveries: number; confirm: OptOutMatch | null };
    try {
      outcome = await db.transaction(async (trx) => {
        let deliveries = 0;
        const emit: EmitInTrx = async (type, p) => {
          deliveries += (
            await outbox.emit(trx, {
              type,
              accountId: instance.accountId,
              instanceId: instance.id,
              instanceName: instance.name,
              payload: p,
              messageId: msg.messageId,
            })
          ).deliveries;
        };
        let inboundLogId: number;
        try {
          inboundLogId = await inboundLog.insert(trx, {
            account_id: instance.accountId,
            instance_id: instance.id,
            wa_message_id: msg.messageId,
            from_phone: fromPhone,
            from_lid: msg.fromLid ?? null,
            chat,
            is_group: msg.isGroup,
            message_type: msg.messageType,
            text: msg.text,
            payload: JSON.stringify(payload),
            media_path: media?.path ?? null,
            classification,
            received_at: now,
            created_at: now,
          });
        } catch (error) {
          if (isUniqueViolation(error)) throw new DuplicateInbound();
          throw error;
        }
        if (payload.is_group) await emit('group.message_received', { ...payload, is_group: true, inbound_log_id: inboundLogId });
        else await emit('message.received', { ...payload, is_group: false, inbound_log_id: inboundLogId });

        let confirm: OptOutMatch | null = null;
        if (match && fromPhone)
          confirm = (await this.applyConsent(trx, instance, fromPhone, msg, match, emit)) ? match : null;

        if (contact) {
          const window = await this.touchWindow(trx, instance, contact, sentAt);
          await emit('conversation.updated', {
            contact,
            chat,
            last_inbound_at: isoSeconds(window.lastInboundAt),
            window_expires_at: isoSeconds(window.lastInboundAt + this.windowMs),
            window_hours: Math.round(this.windowMs / 3600_000),
            window_opened: window.opened,
            message_id: msg.messageId,
          });
        }
        return { deliveries, confirm };
      });
    } catch (error) {
      if (media) await this.deps.media.remove(media).catch(() => {});
      if (error instanceof DuplicateInbound) return;
      throw error;
    }
    if (outcome.deliveries > 0) outbox.notify();
    if (outcome.confirm && fromPhone) await this.confirm(instance, fromPhone, outcome.confirm);
  }

  private async storeMedia(msg: TransportMessage, instance: Instance): Promise<StoredMedia | null> {
    if (!msg.media) return null;
    try {
      return await this.deps.media.put({
        accountId: instance.accountId,
        instanceId: instance.id,
        data: msg.media.data,
        mimeType: msg.media.mimeType,
        fileName: msg.media.fileName ?? null,
      });
    } catch (error) {
      // The message still counts (and is logged); only its attachment is missing.
      log.error('could not store inbound media', {
        instance_id: instance.id,
        message_id: msg.messageId,
        error,
      });
      return null;
    }
  }

  /** Opt-out keywords count only in 1:1 text messages from a known phone number. */
  private async classify(
    msg: TransportMessage,
    instance: Instance,
    fromPhone: string | null,
  ): Promise<OptOutMatch | null> {
    if (!fromPhone || msg.messageType !== 'text' || !msg.text) return null;
    const direct = this.deps.optOut.classify(msg.text);
    if (direct) return direct;
    // "YES" opts back in only as the answer to our opt-out confirmation.
    if (msg.text.length > 40) return null;
    return (await this.answersOptOutConfirmation(instance.accountId, fromPhone))
      ? this.deps.optOut.classify(msg.text, { answersOptOutConfirmation: true })
      : null;
  }

  private async answersOptOutConfirmation(accountId: string, phone: string): Promise<boolean> {
    const { db, suppressions } = this.deps;
    const suppression = await suppressions.find(accountId, phone);
    if (suppression?.reason !== 'recipient_requested_stop' || suppression.scope !== accountId) return false;
    const last = await db('messages')
      .where({ account_id: accountId, recipient: phone, outcome: 'allowed' })
      .whereIn('status', ['sent', 'delivered', 'read', 'played'])
      .orderBy('id', 'desc')
      .first('source');
    return last?.source === 'confirmation';
  }

  /**
   * The consent change of an opt-out/opt-in message, inside the message's transaction.
   * Returns true when the state changed (then, and only then, a confirmation may be sent).
   */
  private async applyConsent(
    trx: Knex.Transaction,
    instance: Instance,
    phone: string,
    msg: TransportMessage,
    match: OptOutMatch,
    emit: EmitInTrx,
  ): Promise<boolean> {
    const { suppressions } = this.deps;
    const scope = instance.accountId;
    const existing = await trx('suppressions').where({ scope, phone }).first('reason');
    const text = msg.text ?? '';
    if (match.kind === 'opt_out') {
      const already = existing?.reason === 'recipient_requested_stop';
      if (!already) {
        await suppressions.add(trx, {
          scope,
          phone,
          reason: 'recipient_requested_stop',
          note: `recipient sent "${match.keyword}" (${match.language})`.slice(0, 500),
          createdBy: 'recipient',
        });
      }
      await emit('recipient.opted_out', {
        from: phone,
        reason: 'recipient_requested_stop',
        message_text: text,
        keyword: match.keyword,
        language: match.language,
        message_id: msg.messageId,
        already_suppressed: already,
      });
      return !already;
    }
    // A recipient lifts only their own STOP; a customer's or an admin's block stays.
    const lift = existing?.reason === 'recipient_requested_stop';
    if (lift) await suppressions.remove(trx, { scope, phone, by: 'recipient' });
    await emit('recipient.opted_in', {
      from: phone,
      message_text: text,
      keyword: match.keyword,
      language: match.language,
      message_id: msg.messageId,
      suppression_removed: lift,
    });
    return lift;
  }

  /** Upsert the window; `last_inbound_at` never moves backwards (late, offline messages). */
  private async touchWindow(
    trx: Knex.Transaction,
    instance: Instance,
    contact: string,
    at: number,
  ): Promise<{ lastInboundAt: number; opened: boolean }> {
    const key = { instance_id: instance.id, contact };
    const row = await trx('conversation_windows').where(key).first('last_inbound_at');
    const previous = row ? Number(row.last_inbound_at) : null;
    const opened = previous === null || previous + this.windowMs <= at;
    if (previous === null) {
      try {
        await trx('conversation_windows').insert({
          ...key,
          account_id: instance.accountId,
          last_inbound_at: at,
        });
        return { lastInboundAt: at, opened };
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
      }
    }
    await trx('conversation_windows')
      .where(key)
      .andWhere('last_inbound_at', '<', at)
      .update({ last_inbound_at: at });
    return { lastInboundAt: Math.max(previous ?? at, at), opened };
  }

  private messagePayload(
    msg: TransportMessage,
    facts: {
      from: string | null;
      chat: string;
      media: StoredMedia | null;
      sentAt: number;
      classification: Classification | null;
    },
  ): InboundPayload {
    const p: InboundPayload = {
      direction: 'inbound',
      message_id: msg.messageId,
      from: facts.from,
      chat: facts.chat,
      is_group: msg.isGroup,
      message_type: msg.messageType,
      text: msg.text ?? null,
      is_view_once: Boolean(msg.isViewOnce),
      wa_timestamp: isoSeconds(facts.sentAt),
      classification: facts.classification,
    };
    if (msg.fromLid) p.from_lid = msg.fromLid;
    if (msg.pushName) p.push_name = msg.pushName;
    if (msg.mentions && msg.mentions.length > 0) {
      p.mentions = msg.mentions.map((m) => ({
        jid: m.jid,
        lid: m.lid ?? null,
        display: m.display ?? null,
        start: typeof m.start === 'number' ? m.start : null,
        end: typeof m.end === 'number' ? m.end : null,
      }));
    }
    if (msg.forwarded?.isForwarded) {
      p.wa_forwarded = true;
      p.wa_forwarding_score = Math.max(0, Math.trunc(msg.forwarded.score || 0));
      p.wa_frequently_forwarded = Boolean(msg.forwarded.frequentlyForwarded);
    }
    if (msg.media) {
      p.media_path = facts.media?.path ?? null;
      p.media_mime_type = facts.media?.mimeType ?? msg.media.mimeType ?? null;
      p.media_size = facts.media?.size ?? msg.media.data.length;
      p.media_filename = facts.media?.fileName ?? msg.media.fileName ?? null;
    }
    if (msg.contact) {
      p.contact_name = msg.contact.displayName ?? null;
      p.contact_vcard = msg.contact.vcard ?? null;
    }
    if (msg.location) {
      p.latitude = msg.location.latitude;
      p.longitude = msg.location.longitude;
      p.location_name = msg.location.name ?? null;
      p.location_address = msg.location.address ?? null;
    }
    return p;
  }

  /** The optional confirmation (SPEC §6): quota-exempt, never thrown, after the commit. */
  private async confirm(instance: Instance, phone: string, match: OptOutMatch): Promise<void> {
    const account = await this.deps.accounts.get(instance.accountId);
    if (!account?.optoutConfirmation) return;
    const text = this.deps.optOut.confirmation(match.kind, match.language);
    if (!text) return;
    // Not awaited by the transport's event loop: a send waits for WhatsApp, which may be the very
    // socket whose event we are handling.
    this.track(
      this.deps.sender
        .send({
          account,
          instanceId: instance.id,
          phone,
          message: text,
          purpose: 'support',
          source: 'confirmation',
          module: 'api',
          quotaExempt: true,
        })
        .catch((error) => {
          log.warn('opt-out confirmation not sent', {
            instance_id: instance.id,
            kind: match.kind,
            error_code: (error as { code?: string })?.code,
            error,
          });
        }),
    );
  }

  // -------------------------------------------------------------------------------------------
  // Messages typed on the linked phone
  // -------------------------------------------------------------------------------------------

  private async onOwnMessage(msg: TransportMessage, instance: Instance): Promise<void> {
    if (this.once(`own:${instance.id}:${msg.messageId}`)) return;
    // The echo of a send made through Warden: its message.sent was emitted by the pipeline.
    if (await this.deps.messages.findByWaId(instance.id, msg.messageId)) return;
    const chat = msg.isGroup ? msg.chat : (phoneOf(msg.chat) ?? msg.chat);
    const payload: EventPayload<'message.sent'> = {
      direction: 'outbound',
      message_id: msg.messageId,
      from: instance.phone ?? phoneOf(msg.from) ?? msg.from ?? null,
      to: chat,
      chat,
      is_group: msg.isGroup,
      message_type: msg.messageType,
      text: msg.text ?? null,
      purpose: null,
      reference: null,
      log_id: null,
      source: 'phone',
      status: 'sent',
      is_view_once: Boolean(msg.isViewOnce),
      wa_timestamp: isoSeconds(msg.timestamp.getTime()),
    };
    if (msg.media) {
      // Not stored: only messages contacts send are kept as media.
      payload.media_path = null;
      payload.media_mime_type = msg.media.mimeType ?? null;
      payload.media_size = msg.media.data.length;
      payload.media_filename = msg.media.fileName ?? null;
    }
    await this.emitNow(instance, 'message.sent', payload, msg.messageId);
  }

  // -------------------------------------------------------------------------------------------
  // Receipts
  // -------------------------------------------------------------------------------------------

  private async onReceipt(event: EventOf<'receipt'>, instance: Instance, attempt: number): Promise<void> {
    const { db, clock, messages, outbox } = this.deps;
    const row = await messages.findByWaId(instance.id, event.messageId);
    if (!row) {
      // Either a message typed on the phone (not tracked) or our own send whose row is not
      // updated yet; give the second case a moment.
      const retries = this.deps.receiptRetryMs ?? [250, 1000];
      const delay = retries[attempt];
      if (delay !== undefined) this.later(delay, () => this.onReceipt(event, instance, attempt + 1));
      return;
    }
    if (row.accountId !== instance.accountId) return;
    const target = event.status;
    const rank = STATUS_RANK[target];
    const from =
      target === 'failed'
        ? ['sent']
        : Object.entries(STATUS_RANK)
            .filter(([, r]) => r >= 1 && rank !== undefined && r < rank)
            .map(([s]) => s);
    if (from.length === 0) return;
    const now = clock.now().getTime();
    const failureReason =
      event.errorCode !== undefined ? `whatsapp_error_${event.errorCode}` : 'whatsapp_error';
    const deliveries = await db.transaction(async (trx) => {
      const patch: Record<string, unknown> = { status: target, updated_at: now };
      if (target === 'failed') patch.failure_reason = failureReason;
      const n = affected(await trx('messages').where({ id: row.id }).whereIn('status', from).update(patch));
      if (n === 0) return -1;
      const at = event.at instanceof Date && !Number.isNaN(event.at.getTime()) ? event.at.getTime() : now;
      const about = {
        accountId: instance.accountId,
        instanceId: instance.id,
        instanceName: instance.name,
        messageId: event.messageId,
      };
      const emitted =
        target === 'failed'
          ? await outbox.emit(trx, {
              type: 'message.failed',
              ...about,
              payload: this.failedPayload(row, instance, event, failureReason),
            })
          : await outbox.emit(trx, { type: RECEIPT_EVENTS[target], ...about, payload: this.receiptPayload(row, target, at) });
      return emitted.deliveries;
    });
    if (deliveries > 0) outbox.notify();
  }

  private receiptPayload<S extends keyof typeof RECEIPT_EVENTS>(row: MessageRecord, status: S, at: number) {
    return {
      // the row was found by this id
      message_id: row.waMessageId as string,
      log_id: row.id,
      status,
      previous_status: row.status,
      to: row.recipient,
      chat: row.recipient,
      reference: row.reference,
      at: isoSeconds(at),
    };
  }

  private failedPayload(
    row: MessageRecord,
    instance: Instance,
    event: EventOf<'receipt'>,
    reason: string,
  ) {
    return {
      direction: 'outbound' as const,
      message_id: row.waMessageId,
      from: instance.phone,
      to: row.recipient,
      chat: row.recipient ?? undefined, // a sent message always has one; the schema has no null chat
      // the log holds what the sender wrote: one of the schema's message types and sources
      message_type: (row.mediaType ?? 'text') as EventPayload<'message.failed'>['message_type'],
      text: row.text,
      purpose: row.purpose,
      is_group: Boolean(row.recipient?.endsWith('@g.us')),
      reference: row.reference,
      log_id: row.id,
      source: row.source as EventPayload<'message.failed'>['source'],
      status: 'failed' as const,
      error: 'whatsapp_error',
      reason,
      error_code: event.errorCode ?? null,
    };
  }

  // -------------------------------------------------------------------------------------------
  // Revokes, calls, restrictions
  // -------------------------------------------------------------------------------------------

  private async onRevoked(event: EventOf<'revoked'>, instance: Instance): Promise<void> {
    if (this.once(`revoked:${instance.id}:${event.messageId}`)) return;
    const outbound = await this.deps.messages.findByWaId(instance.id, event.messageId);
    const inbound = outbound ? null : await this.deps.inboundLog.findByWaId(instance.id, event.messageId);
    const by = phoneOf(event.by) ?? event.by ?? null;
    const direction = outbound
      ? 'outbound'
      : inbound
        ? 'inbound'
        : by !== null && by === instance.phone
          ? 'outbound'
          : 'inbound';
    const at =
      event.at instanceof Date && !Number.isNaN(event.at.getTime())
        ? event.at.getTime()
        : this.deps.clock.now().getTime();
    await this.emitNow(
      instance,
      'message.revoked',
      {
        message_id: event.messageId,
        chat: event.chat.endsWith('@g.us') ? event.chat : (phoneOf(event.chat) ?? event.chat),
        by,
        direction,
        log_id: outbound?.id ?? null,
        inbound_log_id: inbound?.id ?? null,
        revoked_at: isoSeconds(at),
      },
      event.messageId,
    );
  }

  private async onCall(event: EventOf<'call'>, instance: Instance): Promise<void> {
    if (event.status === 'accept') return;
    const type = event.status === 'offer' ? 'call.received' : 'call.missed';
    // Every linked device reports the same call; one event per call and outcome.
    if (this.once(`call:${instance.id}:${event.callId}:${type}`)) return;
    const at =
      event.at instanceof Date && !Number.isNaN(event.at.getTime())
        ? event.at.getTime()
        : this.deps.clock.now().getTime();
    await this.emitNow(instance, type, {
      call_id: event.callId,
      from: phoneOf(event.from) ?? event.from ?? null,
      status: event.status,
      is_video: Boolean(event.isVideo),
      at: isoSeconds(at),
    });
  }

  private async onRestriction(event: EventOf<'restriction'>, instance: Instance): Promise<void> {
    const at =
      event.at instanceof Date && !Number.isNaN(event.at.getTime())
        ? event.at.getTime()
        : this.deps.clock.now().getTime();
    await this.deps.db('instance_restriction_signals').insert({
      account_id: instance.accountId,
      instance_id: instance.id,
      signal: String(event.signal).slice(0, 60),
      detail: JSON.stringify(plain(event.detail ?? {})),
      created_at: at,
    });
    log.warn('whatsapp restriction signal', { instance_id: instance.id, signal: event.signal });
  }

  // -------------------------------------------------------------------------------------------
  // Plumbing
  // -------------------------------------------------------------------------------------------

  private async emitNow<T extends EventType>(
    instance: Instance,
    type: T,
    payload: EventPayload<T>,
    messageId?: string,
  ): Promise<void> {
    await this.deps.outbox.emitNow({
      type,
      accountId: instance.accountId,
      instanceId: instance.id,
      instanceName: instance.name,
      payload,
      messageId: messageId ?? null,
    });
  }

  /** True when `key` was seen in the last 10 minutes (bounded memory). */
  private once(key: string): boolean {
    const now = Date.now();
    if (this.seen.size > 10_000) {
      for (const [k, t] of this.seen) if (now - t > 600_000 || this.seen.size > 5_000) this.seen.delete(k);
    }
    const t = this.seen.get(key);
    if (t !== undefined && now - t < 600_000) return true;
    this.seen.set(key, now);
    return false;
  }

  private track(promise: Promise<unknown>): void {
    const p = promise.finally(() => this.pending.delete(p));
    this.pending.add(p);
  }

  private later(ms: number, fn: () => Promise<void>): void {
    if (this.closed) return;
    let settle!: () => void;
    this.track(
      new Promise<void>((resolve) => {
        settle = resolve;
      }),
    );
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn()
        .catch((error) => log.error('deferred inbound work failed', { error }))
        .finally(settle);
    }, ms);
    timer.unref();
    this.timers.set(timer, settle);
  }
}
