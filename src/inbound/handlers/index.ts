import type { TransportEvent } from '../../transport/transport.ts';
import type { InboundHandler } from '../inbound-context.ts';
import { onCall } from './call.ts';
import { onGroupUpdate } from './group-update.ts';
import { onMessage } from './message.ts';
import { onReceipt } from './receipt.ts';
import { onRestriction } from './restriction.ts';
import { onRevoked } from './revoked.ts';

/**
 * The inbound side of the transport (SPEC §6, §7), one handler per event kind. Lifecycle events
 * (`qr`, `connected`, `disconnected`, …) are the instance service's and have no entry here.
 */
export const INBOUND_HANDLERS: { readonly [K in TransportEvent['type']]?: InboundHandler<K> } = {
  message: onMessage,
  receipt: (event, instance, ctx) => onReceipt(event, instance, ctx),
  revoked: onRevoked,
  call: onCall,
  group_update: onGroupUpdate,
  restriction: onRestriction,
};
