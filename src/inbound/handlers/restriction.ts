import type { Instance } from '../../instances/instance-store.ts';
import { moduleLogger } from '../../lib/logger.ts';
import { type EventOf, eventTime, type InboundContext, plain } from '../inbound-context.ts';

const log = moduleLogger('inbound');

/** WhatsApp restricted the number → a row in `instance_restriction_signals` (judged by auto-pause). */
export async function onRestriction(
  event: EventOf<'restriction'>,
  instance: Instance,
  ctx: InboundContext,
): Promise<void> {
  const at = eventTime(event.at, ctx.deps.clock.now().getTime());
  await ctx.deps.restrictionSignals.record({
    accountId: instance.accountId,
    instanceId: instance.id,
    signal: String(event.signal),
    detail: plain(event.detail ?? {}),
    at,
  });
  log.warn('whatsapp restriction signal', { instance_id: instance.id, signal: event.signal });
}
