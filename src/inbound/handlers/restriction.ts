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
  await ctx.deps.db('instance_restriction_signals').insert({
    account_id: instance.accountId,
    instance_id: instance.id,
    signal: String(event.signal).slice(0, 60),
    detail: JSON.stringify(plain(event.detail ?? {})),
    created_at: at,
  });
  log.warn('whatsapp restriction signal', { instance_id: instance.id, signal: event.signal });
}
