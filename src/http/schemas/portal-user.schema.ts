import { ROLES } from '../../portal/portal-user-store.ts';

export const inviteUserSchema = {
  $id: 'InvitePortalUserRequest',
  type: 'object',
  required: ['email', 'role'],
  additionalProperties: false,
  properties: {
    email: { type: 'string', minLength: 3, maxLength: 254, description: 'Sign-in name of the person.' },
    role: { type: 'string', enum: [...ROLES], description: 'owner, developer or viewer.' },
  },
} as const;
