import type { EventPayload } from '../../events/event-schemas.ts';
import type { EventType } from '../../events/event-types.ts';
import type { Instance } from '../../instances/instance-store.ts';
import { isoSeconds } from '../../lib/clock.ts';
import type { MessageRecord } from '../../sending/message-log.ts';
import { type EventOf, eventTime, type InboundContext } from '../inbound-context.ts';

const STATUS_RANK: Record<string, number> = { reserved: 0, sent: 1, delivered: 2, read: 3, played: 4 };

/** How long a receipt waits for its send's row (ms between tries), unless configured. */
const RECEIPT_RETRY_MS = [250, 1000, 3000, 10_000];

/**
 * Receipts of one message waiting for its row, in arrival order, per inbound service. While a
 * message has a queue, its later receipts join it, so "read" never overtakes "delivered".
 */
const waiting = new WeakMap<InboundContext, Map<string, EventOf<'receipt'>[]>>();

/**
 * A receipt → the outbound row's status moves forward only (sent → delivered → read → played;
 * failed only from sent) and `message.delivered|read|status_updated|failed` is emitted.
 * A receipt can arrive before the send that caused it has written the WhatsApp id into the log
 * (the phone is fast, the database busy); it then waits for the row, with the receipts of the
 * same message queued behind it, and is dropped only when no row appears (a message typed on
 * the phone, which Warden does not track).
 */
export async function onReceipt(event: EventOf<'receipt'>, instance: Instance, ctx: InboundContext): Promise<void> {
  const queues = waiting.get(ctx) ?? new Map<string, EventOf<'receipt'>[]>();
  waiting.set(ctx, queues);
  const key = `${instance.id}:${event.messageId}`;
  const queue = queues.get(key);
  if (queue !== undefined) {
    queue.push(event);
    return;
  }
  const mine = [event];
  queues.set(key, mine);
  if (await applyReceipt(event, instance, ctx)) await applyRest(mine, key, queues, instance, ctx);
  else retry(mine, key, queues, instance, ctx, 0);
}

function retry(
  queue: EventOf<'receipt'>[],
  key: string,
  queues: Map<string, EventOf<'receipt'>[]>,
  instance: Instance,
  ctx: InboundContext,
  attempt: number,
): void {
  const delay = (ctx.deps.receiptRetryMs ?? RECEIPT_RETRY_MS)[attempt];
  if (delay === undefined) {
    queues.delete(key);
    return;
  }
  ctx.later(delay, async () => {
    if (await applyReceipt(queue[0] as EventOf<'receipt'>, instance, ctx)) await applyRest(queue, key, queues, instance, ctx);
    else retry(queue, key, queues, instance, ctx, attempt + 1);
  });
}

/** The queue's other receipts, in order (including any that arrive meanwhile), then no queue. */
async function applyRest(
  queue: EventOf<'receipt'>[],
  key: string,
  queues: Map<string, EventOf<'receipt'>[]>,
  instance: Instance,
  ctx: InboundContext,
): Promise<void> {
  try {
    for (let i = 1; i < queue.length; i++) await applyReceipt(queue[i] as EventOf<'receipt'>, instance, ctx);
  } finally {
    queues.delete(key);
  }
}

/** Applies one receipt to its row; false when the log has no row for the message (yet). */
async function applyReceipt(event: EventOf<'receipt'>, instance: Instance, ctx: InboundContext): Promise<boolean> {
  const { clock, messages, outbox } = ctx.deps;
  const row = await messages.findByWaId(instance.id, event.messageId);
  if (!row) return false;
  // Only a message Warden sent has a WhatsApp id, and a sent message always has its recipient.
  const recipient = row.recipient;
  if (row.accountId !== instance.accountId || recipient === null) return true;
  const target = event.status;
  const rank = STATUS_RANK[target];
  const from =
    target === 'failed'
      ? ['sent']
      : Object.entries(STATUS_RANK)
          .filter(([, r]) => r >= 1 && rank !== undefined && r < rank)
          .map(([s]) => s);
  if (from.length === 0) return true;
  const now = clock.now().getTime();
  const failureReason =
    event.errorCode !== undefined ? `whatsapp_error_${event.errorCode}` : 'whatsapp_error';
  const deliveries = await ctx.deps.transact(async (trx) => {
    // The status this receipt moves the row from, read where it is changed.
    const previous = (await messages.statusOf(trx, row.id)) ?? row.status;
    if (!from.includes(previous)) return -1;
    const patch: Record<string, unknown> = { status: target, updated_at: now };
    if (target === 'failed') patch.failure_reason = failureReason;
    const n = await messages.updateIf(trx, row.id, previous, patch);
    if (n === 0) return -1;
    const emit = async <T extends EventType>(type: T, payload: EventPayload<T>) =>
      (
        await outbox.emit(trx, {
          type,
          accountId: instance.accountId,
          instanceId: instance.id,
          instanceName: instance.name,
          payload,
          messageId: event.messageId,
        })
      ).deliveries;
    if (target === 'failed') return emit('message.failed', failedPayload(row, recipient, instance, event, failureReason));
    const receipt = { row, recipient, messageId: event.messageId, previousStatus: previous, at: eventTime(event.at, now) };
    if (target === 'delivered') return emit('message.delivered', receiptPayload(receipt, 'delivered'));
    if (target === 'read') return emit('message.read', receiptPayload(receipt, 'read'));
    return emit('message.status_updated', receiptPayload(receipt, target));
  });
  if (deliveries > 0) outbox.notify();
  return true;
}

/** The receipt events' payloads differ only in `status` (each schema pins its own). */
type ReceiptEvent = 'message.delivered' | 'message.read' | 'message.status_updated';

function receiptPayload<S extends EventPayload<ReceiptEvent>['status']>(
  receipt: { row: MessageRecord; recipient: string; messageId: string; previousStatus: string; at: number },
  status: S,
) {
  return {
    // The row was found by this WhatsApp id.
    message_id: receipt.messageId,
    log_id: receipt.row.id,
    status,
    previous_status: receipt.previousStatus,
    to: receipt.recipient,
    chat: receipt.recipient,
    reference: receipt.row.reference,
    at: isoSeconds(receipt.at),
  };
}

function failedPayload(
  row: MessageRecord,
  recipient: string,
  instance: Instance,
  event: EventOf<'receipt'>,
  reason: string,
): EventPayload<'message.failed'> {
  return {
    direction: 'outbound',
    message_id: row.waMessageId,
    from: instance.phone,
    to: recipient,
    chat: recipient,
    message_type: row.mediaType ?? 'text',
    text: row.text,
    purpose: row.purpose,
    is_group: recipient.endsWith('@g.us'),
    reference: row.reference,
    log_id: row.id,
    source: row.source,
    status: 'failed',
    error: 'whatsapp_error',
    reason,
    error_code: event.errorCode ?? null,
  };
}
