import { PolicyViolationError } from '../../errors/errors.ts';
import type { SendCheck } from '../send-context.ts';

/**
 * Step 15: weighted content and behaviour rules → 0–100. At or above `block` the send is refused
 * with the rules that fired; at or above `review` it is sent but flagged (pause triggers count
 * flags). Behaviour facts come from the message log of this instance.
 */
export const riskScore: SendCheck = {
  name: 'risk',
  async run(command, state, deps) {
    const instance = state.instance;
    if (!instance) return;
    const now = deps.clock.now().getTime();
    const windowStart = now - deps.risk.behaviourWindowSeconds * 1000;
    const behaviour = await deps.messages.behaviour(
      instance.id,
      state.skeletonHash as string,
      windowStart,
      state.isNewRecipient ? now - 3600_000 : null,
    );
    const skeletonRecipients = behaviour.skeletonRecipients;
    skeletonRecipients.add(state.recipientHash as string);
    const result = deps.risk.score(
      {
        text: command.message ?? '',
        purpose: command.purpose as string,
        isGroup: Boolean(state.isGroup),
        hasMedia: Boolean(command.media),
      },
      {
        sameSkeletonRecipients: skeletonRecipients.size,
        // The reserved row of this send is already counted when the recipient is new.
        newRecipientsLastHour: behaviour.newRecipients,
        recentOptOuts: behaviour.optOuts,
        isNewRecipient: Boolean(state.isNewRecipient),
      },
    );
    state.risk = result;
    if (result.action === 'block') {
      throw new PolicyViolationError({
        action: 'block',
        risk_score: result.score,
        rules: result.rules.map((r) => r.id),
        // Why, in words a developer can act on: what it looks like and what gave it away.
        ...(result.classifier ? { classifier: result.classifier } : {}),
      });
    }
  },
};
