import type { FromSchema } from 'json-schema-to-ts';
import { MEDIA_TYPES, type MediaType } from '../../transport/transport.ts';
import type { SchemaErrors } from './validator.ts';

/** `POST /api/send-message`. `message_purpose` is deliberately untyped: steps 8–9 judge it. */
export const sendMessageSchema = {
  $id: 'SendMessageRequest',
  type: 'object',
  required: ['instance_id', 'phone'],
  additionalProperties: false,
  properties: {
    instance_id: { type: 'string', minLength: 1, maxLength: 64 },
    phone: {
      type: 'string',
      minLength: 3,
      maxLength: 64,
      description: 'E.164 (+9665…), digits (6281…), local form, or a group JID for internal_team',
    },
    message: { type: 'string', maxLength: 4096 },
    message_purpose: { description: 'transactional, operational, support, internal_team or authentication' },
    media_type: { type: 'string', enum: MEDIA_TYPES },
    mime_type: { type: 'string', minLength: 3, maxLength: 100 },
    file_name: { type: 'string', minLength: 1, maxLength: 200 },
    media: { type: 'string', description: 'base64-encoded file' },
    reference: { type: 'string', maxLength: 200 },
  },
} as const;

export type SendMessageBody = FromSchema<typeof sendMessageSchema>;

const MB = 1024 * 1024;

/** MIME allowlist and decoded size limit per media type (WhatsApp's own limits). */
export const MEDIA_RULES: Record<MediaType, { mimes: string[]; maxBytes: number }> = {
  image: { mimes: ['image/jpeg', 'image/png', 'image/webp'], maxBytes: 5 * MB },
  video: { mimes: ['video/mp4', 'video/3gpp'], maxBytes: 16 * MB },
  audio: { mimes: ['audio/aac', 'audio/mp4', 'audio/mpeg', 'audio/amr', 'audio/ogg'], maxBytes: 16 * MB },
  document: {
    mimes: [
      'application/pdf',
      'text/plain',
      'text/csv',
      'application/msword',
      'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
      'application/vnd.ms-excel',
      'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
      'application/vnd.ms-powerpoint',
      'application/vnd.openxmlformats-officedocument.presentationml.presentation',
    ],
    maxBytes: 16 * MB,
  },
};

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * The checks a schema cannot express: message or media required, media fields together, MIME
 * allowlist and decoded size. Runs at step 4, before any quota is touched.
 */
export function checkSendMessageBody(body: Record<string, unknown>): SchemaErrors {
  const b = body as unknown as SendMessageBody;
  const errors: SchemaErrors = [];
  const hasMedia = b.media !== undefined;
  if (!hasMedia && (b.message === undefined || b.message.trim() === '')) {
    errors.push({ field: '/message', reason: 'is required unless media is sent' });
  }
  if (!hasMedia) {
    for (const f of ['media_type', 'mime_type', 'file_name'] as const) {
      if (b[f] !== undefined) errors.push({ field: `/${f}`, reason: 'only allowed together with media' });
    }
    return errors;
  }
  if (!b.media_type) errors.push({ field: '/media_type', reason: 'is required with media' });
  if (!b.mime_type) errors.push({ field: '/mime_type', reason: 'is required with media' });
  if (b.media_type === 'document' && !b.file_name)
    errors.push({ field: '/file_name', reason: 'is required for documents' });
  if (errors.length > 0 || !b.media_type || !b.mime_type) return errors;
  const rule = MEDIA_RULES[b.media_type];
  const mime = b.mime_type.toLowerCase();
  if (!rule.mimes.includes(mime)) {
    errors.push({ field: '/mime_type', reason: `${b.media_type} must be one of ${rule.mimes.join(', ')}` });
  }
  const compact = (b.media as string).replace(/\s+/g, '');
  if (compact.length === 0 || compact.length % 4 !== 0 || !BASE64.test(compact)) {
    errors.push({ field: '/media', reason: 'must be base64-encoded' });
    return errors;
  }
  const padding = compact.endsWith('==') ? 2 : compact.endsWith('=') ? 1 : 0;
  const size = (compact.length / 4) * 3 - padding;
  if (size > rule.maxBytes)
    errors.push({
      field: '/media',
      reason: `decoded size ${size} bytes exceeds ${rule.maxBytes} bytes for ${b.media_type}`,
    });
  return errors;
}
