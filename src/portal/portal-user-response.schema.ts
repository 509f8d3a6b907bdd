/**
 * The JSON Schemas of a portal user and an invitation as `presentUser` and `presentInvitation`
 * (portal-users.ts) return them, and their return types. Published as OpenAPI components.
 *
 * After them: the named success responses (envelope schema + example) of the routes that return
 * them, which the OpenAPI registry (src/openapi/response-schemas.ts) gathers.
 */
import type { FromSchema } from 'json-schema-to-ts';
import { arrayOf, exampleTime, ok, ref, str, type NamedResponse } from '../openapi/schema-helpers.ts';

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

/** Named success responses (schema + example) of the admin portal-user routes. */
export const portalUserResponses = {
  portalInvitation: {
    schema: ok(['invitation', 'invite_path', 'invite_url'], {
      invitation: ref('PortalInvitation'),
      invite_path: str('`/portal/invite/<token>`: single use, shown only in this response.'),
      invite_url: str('The same link with the address this request reached the gateway on.'),
      note: str(),
    }),
    example: {
      success: true,
      invitation: {
        id: 'inv_f3V9aQ2x1bLk0P7e',
        email: 'dewi@tokomaju.example',
        role: 'owner',
        created_by: 'admin-token',
        created_at: exampleTime,
        expires_at: exampleTime,
      },
      invite_path: '/portal/invite/Xq3…',
      invite_url: 'https://wa.example.com/portal/invite/Xq3…',
      note: 'The link is shown only in this response and works once.',
    },
  },
  portalUsers: {
    schema: ok(['users', 'invitations'], {
      users: arrayOf(ref('PortalUser')),
      invitations: arrayOf(ref('PortalInvitation')),
    }),
    example: {
      success: true,
      users: [
        {
          id: 'usr_Qm1x8cT0aZ4kLr2s',
          email: 'dewi@tokomaju.example',
          name: 'Dewi',
          role: 'owner',
          totp_enabled: true,
          created_at: exampleTime,
          last_login_at: exampleTime,
        },
      ],
      invitations: [],
    },
  },
} satisfies Record<string, NamedResponse>;
