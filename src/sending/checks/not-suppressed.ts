import { RecipientSuppressedError } from '../../errors/errors.ts';
import type { SendCheck } from '../send-context.ts';

/** Step 11: the recipient is not on the account's (or the gateway-wide) suppression list. */
export const notSuppressed: SendCheck = {
  name: 'not_suppressed',
  async run(command, state, deps) {
    if (state.isGroup || !state.recipient) return;
    // The confirmation of an opt-out is the one message that may follow a STOP: it acknowledges it.
    if (command.source === 'confirmation') return;
    // Whether the instance reached this recipient before (read by the quota step) comes along.
    const { suppression, hasHistory } = await deps.suppressions.findWithHistory(
      command.account.id,
      state.recipient,
      { instanceId: state.instance?.id as string, recipientHash: state.recipientHash as string },
    );
    state.contacted = hasHistory;
    if (suppression) throw new RecipientSuppressedError({ action: 'block', reason: suppression.reason });
  },
};
