import { MessagePurposeRequiredError } from '../../errors/errors.ts';
import type { SendCheck } from '../send-context.ts';

/** Step 8: `message_purpose` is given (missing, null and "" all count as missing). */
export const purposePresent: SendCheck = {
  name: 'purpose_present',
  async run(command) {
    if (command.purpose === undefined || command.purpose === null || command.purpose === '')
      throw new MessagePurposeRequiredError();
  },
};
