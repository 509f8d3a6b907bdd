import { ActivePlanRequiredError } from '../../errors/errors.ts';
import type { SendCheck } from '../send-context.ts';

/** Step 6: the account's plan is active. */
export const activePlan: SendCheck = {
  name: 'active_plan',
  async run(command) {
    if (!command.account.planActive) throw new ActivePlanRequiredError();
  },
};
