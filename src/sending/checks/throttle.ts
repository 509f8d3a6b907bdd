import { SendingThrottledError } from '../../errors/errors.ts';
import type { SendCheck } from '../send-context.ts';

/** Step 14: per-instance rate (with burst), per-recipient rate, first-contact rate. */
export const throttle: SendCheck = {
  name: 'throttle',
  async run(command, state, deps) {
    const instance = state.instance;
    if (!instance) return;
    const planMultiplier = deps.accounts.throttleMultiplier(command.account);
    const reviewMultiplier = deps.throttleMultiplierFor ? await deps.throttleMultiplierFor(instance) : 1;
    const result = await deps.throttle.consume({
      instanceId: instance.id,
      recipientHash: state.recipientHash as string,
      purpose: command.purpose as string,
      isNewRecipient: Boolean(state.isNewRecipient),
      multiplier: planMultiplier * reviewMultiplier,
    });
    if (!result.ok) {
      const error = new SendingThrottledError({
        action: 'throttle',
        limit: result.refusal.limit,
        retry_after: result.refusal.retryAfterSeconds,
      });
      error.headers['Retry-After'] = String(result.refusal.retryAfterSeconds);
      throw error;
    }
    state.throttle = result.ticket;
  },
};
