import { affected } from '../../db/database.ts';
import type { NewEvent } from '../../events/event-outbox.ts';
import type { Instance } from '../../instances/instance-store.ts';
import { isoSeconds } from '../../lib/clock.ts';
import type { MessageRecord } from '../../sending/message-log.ts';
import { type EventOf, eventTime, type InboundContext } from '../inbound-context.ts';

const STATUS_RANK: Record<string, number> = { reserved: 0, sent: 1, delivered: 2, read: 3, played: 4 };

/**
 * A receipt → the outbound row's status moves forward only (sent → delivered → read → played;
 * failed only from sent) and `message.delivered|read|status_updated|failed` is emitted.
 */
export async function onReceipt(
  event: EventOf<'receipt'>,
  instance: Instance,
  ctx: InboundContext,
  attempt = 0,
): Promise<void> {
  const { clock, messages, outbox } = ctx.deps;
  const row = await messages.findByWaId(instance.id, event.messageId);
  if (!row) {
    // Either a message typed on the phone (not tracked) or our own send whose row is not
    // updated yet; give the second case a moment.
    const retries = ctx.deps.receiptRetryMs ?? [250, 1000];
    const delay = retries[attempt];
    if (delay !== undefined) ctx.later(delay, () => onReceipt(event, instance, ctx, attempt + 1));
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
  const deliveries = await ctx.deps.transact(async (trx) => {
    const patch: Record<string, unknown> = { status: target, updated_at: now };
    if (target === 'failed') patch.failure_reason = failureReason;
      const n = affected(await trx('messages').where({ id: row.id }).whereIn('status', from).update(patch));
    if (n === 0) return -1;
    const type: NewEvent['type'] =
      target === 'delivered'
        ? 'message.delivered'
        : target === 'read'
          ? 'message.read'
          : target === 'failed'
            ? 'message.failed'
            : 'message.status_updated';
    const at = eventTime(event.at, now);
    const payload =
      target === 'failed'
        ? failedPayload(row, instance, event, failureReason)
        : receiptPayload(row, target, at);
    return (
      await outbox.emit(trx, {
        type,
        accountId: instance.accountId,
        instanceId: instance.id,
        instanceName: instance.name,
        payload,
        messageId: event.messageId,
      })
    ).deliveries;
  });
  if (deliveries > 0) outbox.notify();
}

function receiptPayload(row: MessageRecord, status: string, at: number): Record<string, unknown> {
  return {
    message_id: row.waMessageId,
    log_id: row.id,
    status,
    previous_status: row.status,
    to: row.recipient,
    chat: row.recipient,
    reference: row.reference,
    at: isoSeconds(at),
  };
}

function failedPayload(
  row: MessageRecord,
  instance: Instance,
  event: EventOf<'receipt'>,
  reason: string,
): Record<string, unknown> {
  return {
    direction: 'outbound',
    message_id: row.waMessageId,
    from: instance.phone,
    to: row.recipient,
    chat: row.recipient,
    message_type: row.mediaType ?? 'text',
    text: row.text,
    purpose: row.purpose,
    is_group: Boolean(row.recipient?.endsWith('@g.us')),
    reference: row.reference,
    log_id: row.id,
    source: row.source,
    status: 'failed',
    error: 'whatsapp_error',
    reason,
    error_code: event.errorCode ?? null,
  };
}
