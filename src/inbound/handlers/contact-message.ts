import type { Knex } from 'knex';
import { isUniqueViolation } from '../../db/database.ts';
import type { EventPayload } from '../../events/event-schemas.ts';
import type { EventType } from '../../events/event-types.ts';
import type { Instance } from '../../instances/instance-store.ts';
import { isoSeconds } from '../../lib/clock.ts';
import { moduleLogger } from '../../lib/logger.ts';
import type { StoredMedia } from '../../media/media-store.ts';
import type { OptOutMatch } from '../../suppression/opt-out-matcher.ts';
import type { TransportMessage } from '../../transport/transport.ts';
import { eventTime, type InboundContext, phoneOf } from '../inbound-context.ts';
import type { Classification } from '../inbound-log.ts';

const log = moduleLogger('inbound');

/** Thrown inside the transaction to roll back a message we already have (redelivery). */
class DuplicateInbound extends Error {}

/**
 * A message from a contact → media stored, inbound log row, conversation window, opt-out /
 * opt-in (1:1 text messages only), `message.received` or `group.message_received`,
 * `recipient.opted_out|in`, `conversation.updated`, all in one transaction; then the optional
 * confirmation reply.
 */
export async function onContactMessage(msg: TransportMessage, instance: Instance, ctx: InboundContext): Promise<void> {
  const { transact, clock, inboundLog, outbox } = ctx.deps;
  if (await inboundLog.exists(instance.id, msg.messageId)) return;

  const media = await storeMedia(ctx, msg, instance);
  const now = clock.now().getTime();
  const sentAt = Math.min(eventTime(msg.timestamp, now), now);
  const fromPhone = phoneOf(msg.from);
  const from = fromPhone ?? msg.from ?? msg.fromLid ?? null;
  const chat = msg.isGroup ? msg.chat : (phoneOf(msg.chat) ?? msg.chat);
  const contact = msg.isGroup ? null : (fromPhone ?? msg.fromLid ?? msg.from ?? null);
  const match = msg.isGroup ? null : await classify(ctx, msg, instance, fromPhone);
  const classification: Classification | null = match?.kind ?? null;
  const payload = messagePayload(msg, { from, chat, media, sentAt, classification });

  let outcome: { deliveries: number; confirm: OptOutMatch | null };
  try {
    outcome = await transact(async (trx) => {
      let deliveries = 0;
      const emit = async <T extends EventType>(type: T, p: EventPayload<T>) => {
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
      if (payload.is_group) await emit('group.message_received', { ...payload, inbound_log_id: inboundLogId });
      else await emit('message.received', { ...payload, inbound_log_id: inboundLogId });

      let confirm: OptOutMatch | null = null;
      if (match && fromPhone)
        confirm = (await applyConsent(ctx, trx, instance, fromPhone, msg, match, emit)) ? match : null;

      if (contact) {
        const window = await ctx.deps.windows.touch(
          { instanceId: instance.id, accountId: instance.accountId, contact, at: sentAt, windowMs: ctx.windowMs },
          trx,
        );
        await emit('conversation.updated', {
          contact,
          chat,
          last_inbound_at: isoSeconds(window.lastInboundAt),
          window_expires_at: isoSeconds(window.lastInboundAt + ctx.windowMs),
          window_hours: Math.round(ctx.windowMs / 3600_000),
          window_opened: window.opened,
          message_id: msg.messageId,
        });
      }
      return { deliveries, confirm };
    });
  } catch (error) {
    if (media) await ctx.deps.media.remove(media).catch(() => {});
    if (error instanceof DuplicateInbound) return;
    throw error;
  }
  if (outcome.deliveries > 0) outbox.notify();
  if (outcome.confirm && fromPhone) await confirm(ctx, instance, fromPhone, outcome.confirm);
}

async function storeMedia(ctx: InboundContext, msg: TransportMessage, instance: Instance): Promise<StoredMedia | null> {
  if (!msg.media) return null;
  try {
    return await ctx.deps.media.put({
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
async function classify(
  ctx: InboundContext,
  msg: TransportMessage,
  instance: Instance,
  fromPhone: string | null,
): Promise<OptOutMatch | null> {
  if (!fromPhone || msg.messageType !== 'text' || !msg.text) return null;
  const direct = ctx.deps.optOut.classify(msg.text);
  if (direct) return direct;
  // "YES" opts back in only as the answer to our opt-out confirmation.
  if (msg.text.length > 40) return null;
  return (await answersOptOutConfirmation(ctx, instance.accountId, fromPhone))
    ? ctx.deps.optOut.classify(msg.text, { answersOptOutConfirmation: true })
    : null;
}

async function answersOptOutConfirmation(ctx: InboundContext, accountId: string, phone: string): Promise<boolean> {
  const { messages, suppressions } = ctx.deps;
  const suppression = await suppressions.find(accountId, phone);
  if (suppression?.reason !== 'recipient_requested_stop' || suppression.scope !== accountId) return false;
  return (await messages.lastSentSource(accountId, phone)) === 'confirmation';
}

/**
 * The consent change of an opt-out/opt-in message, inside the message's transaction.
 * Returns true when the state changed (then, and only then, a confirmation may be sent).
 */
async function applyConsent(
  ctx: InboundContext,
  trx: Knex.Transaction,
  instance: Instance,
  phone: string,
  msg: TransportMessage,
  match: OptOutMatch,
  emit: <T extends EventType>(type: T, payload: EventPayload<T>) => Promise<void>,
): Promise<boolean> {
  const { suppressions } = ctx.deps;
  const scope = instance.accountId;
  const existing = await suppressions.reasonIn(trx, scope, phone);
  const text = msg.text ?? '';
  if (match.kind === 'opt_out') {
    const already = existing === 'recipient_requested_stop';
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
  const lift = existing === 'recipient_requested_stop';
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

/** The payload of `message.received` or `group.message_received` (by `is_group`), before its inbound log row exists. */
type InboundPayload = {
  [T in 'message.received' | 'group.message_received']: Omit<EventPayload<T>, 'inbound_log_id'>;
}['message.received' | 'group.message_received'];

function messagePayload(
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
async function confirm(ctx: InboundContext, instance: Instance, phone: string, match: OptOutMatch): Promise<void> {
  const account = await ctx.deps.accounts.get(instance.accountId);
  if (!account?.optoutConfirmation) return;
  const text = ctx.deps.optOut.confirmation(match.kind, match.language);
  if (!text) return;
  // Not awaited by the transport's event loop: a send waits for WhatsApp, which may be the very
  // socket whose event we are handling.
  ctx.track(
    ctx.deps.sender
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
