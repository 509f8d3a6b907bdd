import { RecipientSuppressedError } from '../../errors/errors.ts';
import type { SendCheck } from '../send-context.ts';

/** Step 11: the recipient is not on the account's (or the gateway-wide) suppression list. */
export const notSuppressed: SendCheck = {
  name: 'not_suppressed',
  async run(command, state, deps) {
    if (state.isGroup || !state.recipient) return;
    // The confirmation of an opt-out is the one message that may follow a STOP: it acknowledges it.
    if (command.source === 'confirmation') return;
    const suppression = await deps.suppressions.find(command.account.id, state.recipient);
    if (suppression) throw new RecipientSuppressedError({ action: 'block', reason: suppression.reason });
  },
};
