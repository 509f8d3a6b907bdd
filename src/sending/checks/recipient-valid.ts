import { ValidationError } from '../../errors/errors.ts';
import { isGroupJid, normalizePhone } from '../../lib/phone.ts';
import type { SendCheck } from '../send-context.ts';
import { recipientHash } from '../message-log.ts';

/**
 * Still step 4 (validation) in meaning, but it needs the instance: local numbers resolve with the
 * instance's (or account's) default country. Group JIDs only for purposes allowed in groups.
 */
export const recipientValid: SendCheck = {
  name: 'recipient_valid',
  async run(command, state, deps) {
    const instance = state.instance;
    if (isGroupJid(command.phone)) {
      const groupPurposes = deps.policies.purposes.group_purposes ?? ['internal_team'];
      if (typeof command.purpose !== 'string' || !groupPurposes.includes(command.purpose)) {
        throw new ValidationError({
          errors: [{ field: '/phone', reason: 'group chats can only receive internal_team messages' }],
        });
      }
      state.recipient = command.phone.trim();
      state.isGroup = true;
    } else {
      const normalized = normalizePhone(
        command.phone,
        instance?.defaultCountry ?? command.account.defaultCountry,
      );
      if (!normalized) {
        throw new ValidationError({
          errors: [{ field: '/phone', reason: 'not a valid phone number (use E.164, e.g. +6281234567890)' }],
        });
      }
      state.recipient = normalized;
      state.isGroup = false;
    }
    state.recipientHash = recipientHash(command.account.id, state.recipient);
  },
};
