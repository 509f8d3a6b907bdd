import type { Instance } from '../../instances/instance-store.ts';
import { isoSeconds } from '../../lib/clock.ts';
import { type EventOf, eventTime, type InboundContext, phoneOf } from '../inbound-context.ts';

/** A message deleted for everyone → `message.revoked`, with the direction and the log row it was. */
export async function onRevoked(event: EventOf<'revoked'>, instance: Instance, ctx: InboundContext): Promise<void> {
  if (ctx.once(`revoked:${instance.id}:${event.messageId}`)) return;
  const outbound = await ctx.deps.messages.findByWaId(instance.id, event.messageId);
  const inbound = outbound ? null : await ctx.deps.inboundLog.findByWaId(instance.id, event.messageId);
  const by = phoneOf(event.by) ?? event.by ?? null;
  const direction = outbound
    ? 'outbound'
    : inbound
      ? 'inbound'
      : by !== null && by === instance.phone
        ? 'outbound'
        : 'inbound';
  const at = eventTime(event.at, ctx.deps.clock.now().getTime());
  await ctx.emitNow(
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
