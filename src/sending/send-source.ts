/**
 * Where a send came from, written once: the `source` of a SendCommand, of its message-log row
 * (`GET /api/messages`) and of its `message.*` events (which add `phone` for messages typed on the
 * linked phone, see PHONE_SOURCE).
 */
export const SEND_SOURCES = ['api', 'threecx', 'confirmation'] as const;

/** The public API, a 3CX integration, or an opt-out/opt-in confirmation. */
export type SendSource = (typeof SEND_SOURCES)[number];

/** The `source` of a `message.sent` event for a message typed on the linked phone (not a send). */
export const PHONE_SOURCE = 'phone';
