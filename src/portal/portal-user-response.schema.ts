/**
 * The JSON Schemas of a portal user and an invitation as `presentUser` and `presentInvitation`
 * (portal-users.ts) return them, and their return types. Published as OpenAPI components.
 */
import type { FromSchema } from 'json-schema-to-ts';

const ROLE = { enum: ['owner', 'developer', 'viewer'] } as const;

/** `PortalUser`. */
export const portalUserSchema = {
  type: 'object',
  description: 'A person who signs in to the customer portal for one account.',
  required: ['id', 'email', 'name', 'role', 'totp_enabled'],
  properties: {
    id: { type: 'string' },
    email: { type: 'string' },
    name: { type: 'string' },
    role: ROLE,
    totp_enabled: { type: 'boolean', description: 'Two-step sign-in (TOTP) is on.' },
    created_at: { type: 'string', format: 'date-time' },
    last_login_at: { type: ['string', 'null'], format: 'date-time' },
  },
} as const;

export type PortalUserResponse = FromSchema<typeof portalUserSchema>;

/** `PortalInvitation`. */
export const portalInvitationSchema = {
  type: 'object',
  description: 'A pending, single-use invitation to the customer portal.',
  required: ['id', 'email', 'role', 'expires_at'],
  properties: {
    id: { type: 'string' },
    email: { type: 'string' },
    role: ROLE,
    created_by: { type: 'string' },
    created_at: { type: 'string', format: 'date-time' },
    expires_at: { type: 'string', format: 'date-time' },
  },
} as const;

export type PortalInvitationResponse = FromSchema<typeof portalInvitationSchema>;
