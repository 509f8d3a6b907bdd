import { InvalidInstanceError } from '../../errors/errors.ts';
import type { SendCheck } from '../send-context.ts';

/** Step 7: the instance exists and belongs to this account (another account's is "not found"). */
export const instanceOwned: SendCheck = {
  name: 'instance_owned',
  async run(command, state, deps) {
    const instance = await deps.instances.getForAccount(command.account.id, command.instanceId);
    if (!instance) throw new InvalidInstanceError();
    state.instance = instance;
  },
};
