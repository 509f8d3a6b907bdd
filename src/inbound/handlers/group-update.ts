import type { Instance } from '../../instances/instance-store.ts';
import { type EventOf, type InboundContext, plain } from '../inbound-context.ts';

/** A group's subject, settings or membership changed → `group.updated`. */
export async function onGroupUpdate(
  event: EventOf<'group_update'>,
  instance: Instance,
  ctx: InboundContext,
): Promise<void> {
  await ctx.emitNow(instance, 'group.updated', {
    group: event.groupJid,
    subject: event.subject ?? null,
    change: plain(event.change),
  });
}
