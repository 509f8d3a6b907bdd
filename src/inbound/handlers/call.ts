import type { Instance } from '../../instances/instance-store.ts';
import { isoSeconds } from '../../lib/clock.ts';
import { type EventOf, eventTime, type InboundContext, phoneOf } from '../inbound-context.ts';

/** An incoming call → `call.received` (offer) or `call.missed`; an accepted call says nothing. */
export async function onCall(event: EventOf<'call'>, instance: Instance, ctx: InboundContext): Promise<void> {
  if (event.status === 'accept') return;
  const type = event.status === 'offer' ? 'call.received' : 'call.missed';
  // Every linked device reports the same call; one event per call and outcome.
  if (ctx.once(`call:${instance.id}:${event.callId}:${type}`)) return;
  const at = eventTime(event.at, ctx.deps.clock.now().getTime());
  await ctx.emitNow(instance, type, {
    call_id: event.callId,
    from: phoneOf(event.from) ?? event.from ?? null,
    status: event.status,
    is_video: Boolean(event.isVideo),
    at: isoSeconds(at),
  });
}
