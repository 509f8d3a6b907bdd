import { InstancePausedForReviewError } from '../../errors/errors.ts';
import type { SendCheck } from '../send-context.ts';

/** Step 10: an instance paused for responsible-messaging review sends nothing until resumed. */
export const notPaused: SendCheck = {
  name: 'not_paused',
  async run(_command, state) {
    if (state.instance?.paused) {
      throw new InstancePausedForReviewError({
        action: 'review',
        reason: state.instance.pauseReason ?? null,
      });
    }
  },
};
