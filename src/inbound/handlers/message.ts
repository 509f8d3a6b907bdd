import type { Instance } from '../../instances/instance-store.ts';
import type { EventOf, InboundContext } from '../inbound-context.ts';
import { onContactMessage } from './contact-message.ts';
import { onOwnMessage } from './own-message.ts';

/**
 * A message: from a contact, handled now; typed on the linked phone (`fromMe`), handled after a
 * grace period so the echo of Warden's own send is recognised as such.
 */
export async function onMessage(event: EventOf<'message'>, instance: Instance, ctx: InboundContext): Promise<void> {
  if (event.message.fromMe)
    ctx.later(ctx.deps.fromMeGraceMs ?? 1500, () => onOwnMessage(event.message, instance, ctx));
  else await onContactMessage(event.message, instance, ctx);
}
