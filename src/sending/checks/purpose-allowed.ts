import { MessagePurposeNotAllowedError } from '../../errors/errors.ts';
import type { SendCheck } from '../send-context.ts';

/** Step 9: fail closed — only purposes on the allowlist pass; disallowed and unknown words do not. */
export const purposeAllowed: SendCheck = {
  name: 'purpose_allowed',
  async run(command, _state, deps) {
    const allowed = deps.policies.purposes.allowed.some((p) => p.id === command.purpose);
    if (!allowed) {
      const disallowed = deps.policies.purposes.disallowed.some((p) => p.id === command.purpose);
      throw new MessagePurposeNotAllowedError({
        action: 'block',
        purpose_status: disallowed ? 'disallowed' : 'unknown',
      });
    }
  },
};
