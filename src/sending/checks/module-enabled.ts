import { ModuleNotEnabledError } from '../../errors/errors.ts';
import type { SendCheck } from '../send-context.ts';

/** Step 5: the account has the module this send comes through (`api`, or `threecx`). */
export const moduleEnabled: SendCheck = {
  name: 'module_enabled',
  async run(command) {
    if (!command.account.modules.includes(command.module)) {
      throw command.module === 'api'
        ? new ModuleNotEnabledError()
        : new ModuleNotEnabledError(
            { module: command.module },
            '3CX integration is not enabled for this account.',
          );
    }
  },
};
