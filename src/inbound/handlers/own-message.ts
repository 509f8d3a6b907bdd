import type { EventPayload } from '../../events/event-schemas.ts';
import type { Instance } from '../../instances/instance-store.ts';
import { isoSeconds } from '../../lib/clock.ts';
import { PHONE_SOURCE } from '../../sending/send-source.ts';
import type { TransportMessage } from '../../transport/transport.ts';
import { type InboundContext, phoneOf } from '../inbound-context.ts';

/**
 * A message typed on the linked phone (`fromMe`) → `message.sent` with `source: "phone"` and
 * `log_id: null`, unless it is the echo of a send Warden made itself. It is not an inbound
 * message: no inbound row, no window, no opt-out classification, no quota.
 */
export async function onOwnMessage(msg: TransportMessage, instance: Instance, ctx: InboundContext): Promise<void> {
  if (ctx.once(`own:${instance.id}:${msg.messageId}`)) return;
  // The echo of a send made through Warden: its message.sent was emitted by the pipeline.
  if (await ctx.deps.messages.findByWaId(instance.id, msg.messageId)) return;
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
    source: PHONE_SOURCE,
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
  await ctx.emitNow(instance, 'message.sent', payload, msg.messageId);
}
