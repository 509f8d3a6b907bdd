import { ApiError, type ErrorDetails } from './api-error.ts';

/** One class per public error code. Messages are exact strings from the public error table. */

export class UnsupportedMediaTypeError extends ApiError {
  readonly status = 415;
  readonly code = 'unsupported_media_type';
  constructor(details?: ErrorDetails, message = 'This endpoint requires application/json.') {
    super(message, details);
  }
}

export class InvalidApiKeyError extends ApiError {
  readonly status = 401;
  readonly code = 'invalid_api_key';
  constructor(details?: ErrorDetails, message = 'A valid API key is required.') {
    super(message, details);
  }
}

export class RevokedApiKeyError extends ApiError {
  readonly status = 401;
  readonly code = 'revoked_api_key';
  constructor(details?: ErrorDetails, message = 'This API key has been revoked.') {
    super(message, details);
  }
}

export class InvalidJsonError extends ApiError {
  readonly status = 400;
  readonly code = 'invalid_json';
  constructor(details?: ErrorDetails, message = 'Request body must be valid JSON.') {
    super(message, details);
  }
}

export class ValidationError extends ApiError {
  readonly status = 422;
  readonly code = 'validation_error';
  constructor(details?: ErrorDetails, message = 'The request payload is missing required fields.') {
    super(message, details);
  }
}

export class ModuleNotEnabledError extends ApiError {
  readonly status = 403;
  readonly code = 'module_not_enabled';
  constructor(details?: ErrorDetails, message = 'API access is not enabled for this account.') {
    super(message, details);
  }
}

export class ActivePlanRequiredError extends ApiError {
  readonly status = 403;
  readonly code = 'active_plan_required';
  constructor(details?: ErrorDetails, message = 'An active plan is required before sending messages.') {
    super(message, details);
  }
}

export class InvalidInstanceError extends ApiError {
  readonly status = 404;
  readonly code = 'invalid_instance';
  constructor(details?: ErrorDetails, message = 'The requested instance was not found for this API key.') {
    super(message, details);
  }
}

export class MessagePurposeRequiredError extends ApiError {
  readonly status = 422;
  readonly code = 'message_purpose_required';
  constructor(
    details?: ErrorDetails,
    message = 'message_purpose is required. Allowed values are transactional, operational, support, internal_team, and authentication.',
  ) {
    super(message, details);
  }
}

export class MessagePurposeNotAllowedError extends ApiError {
  readonly status = 422;
  readonly code = 'message_purpose_not_allowed';
  constructor(
    details?: ErrorDetails,
    message = 'WA Gateway does not support marketing, cold outreach, political, or bulk campaign messaging.',
  ) {
    super(message, details);
  }
}

export class DailyMessageLimitExceededError extends ApiError {
  readonly status = 429;
  readonly code = 'daily_message_limit_exceeded';
  constructor(
    details?: ErrorDetails,
    message = 'Your daily transactional message limit has been reached. Please try again tomorrow or request a higher reviewed limit.',
  ) {
    super(message, details);
  }
}

export class MonthlyMessageLimitExceededError extends ApiError {
  readonly status = 429;
  readonly code = 'monthly_message_limit_exceeded';
  constructor(
    details?: ErrorDetails,
    message = 'Your monthly fair-use message limit has been reached. Please contact support for a reviewed higher limit.',
  ) {
    super(message, details);
  }
}

export class RecipientSuppressedError extends ApiError {
  readonly status = 403;
  readonly code = 'recipient_suppressed';
  constructor(
    details?: ErrorDetails,
    message = 'This recipient has opted out or has been blocked from non-essential messages.',
  ) {
    super(message, details);
  }
}

export class SendingThrottledError extends ApiError {
  readonly status = 429;
  readonly code = 'sending_throttled';
  constructor(
    details?: ErrorDetails,
    message = 'Sending speed has been temporarily limited to protect gateway reliability and prevent bulk messaging.',
  ) {
    super(message, details);
  }
}

export class InstancePausedForReviewError extends ApiError {
  readonly status = 423;
  readonly code = 'instance_paused_for_review';
  constructor(
    details?: ErrorDetails,
    message = 'This instance has been paused for responsible messaging review',
  ) {
    super(message, details);
  }
}

export class PolicyViolationError extends ApiError {
  readonly status = 403;
  readonly code = 'policy_violation';
  constructor(
    details?: ErrorDetails,
    message = 'This message appears to violate WA Gateway responsible messaging rules. Bulk marketing, spam, and cold outreach are not allowed.',
  ) {
    super(message, details);
  }
}

export class GatewaySendFailedError extends ApiError {
  readonly status = 502;
  readonly code = 'gateway_send_failed';
  constructor(
    details?: ErrorDetails,
    message = 'The message passed responsible messaging checks, but delivery could not be completed. Please try again or contact support.',
  ) {
    super(message, details);
  }
}

export class InternalError extends ApiError {
  readonly status = 500;
  readonly code = 'internal_error';
  constructor(
    details?: ErrorDetails,
    message = 'The request could not be processed. Please try again or contact support.',
  ) {
    super(message, details);
  }
}

export class NotFoundError extends ApiError {
  readonly status = 404;
  readonly code = 'not_found';
  constructor(details?: ErrorDetails, message = 'The requested resource was not found.') {
    super(message, details);
  }
}

export class InvalidAdminTokenError extends ApiError {
  readonly status = 401;
  readonly code = 'invalid_admin_token';
  constructor(details?: ErrorDetails, message = 'A valid admin token is required.') {
    super(message, details);
  }
}

export class PayloadTooLargeError extends ApiError {
  readonly status = 413;
  readonly code = 'payload_too_large';
  constructor(details?: ErrorDetails, message = 'Request body is too large.') {
    super(message, details);
  }
}

export class IdempotencyKeyReusedError extends ApiError {
  readonly status = 409;
  readonly code = 'idempotency_key_reused';
  constructor(
    details?: ErrorDetails,
    message = 'This Idempotency-Key was already used with a different request body.',
  ) {
    super(message, details);
  }
}

export class QrStillValidError extends ApiError {
  readonly status = 409;
  readonly code = 'qr_still_valid';
  constructor(
    details?: ErrorDetails,
    message = 'The current QR code is still valid. Scan it or wait until it expires.',
  ) {
    super(message, details);
  }
}

export class InstanceConnectedError extends ApiError {
  readonly status = 409;
  readonly code = 'instance_connected';
  constructor(details?: ErrorDetails, message = 'The instance is already connected.') {
    super(message, details);
  }
}

export class SuppressionLockedError extends ApiError {
  readonly status = 403;
  readonly code = 'suppression_locked';
  constructor(
    details?: ErrorDetails,
    message = 'This recipient opted out themselves; only the recipient (by sending START) or an administrator can lift it.',
  ) {
    super(message, details);
  }
}

export class ConflictError extends ApiError {
  readonly status = 409;
  readonly code = 'conflict';
  constructor(
    details?: ErrorDetails,
    message = 'The request conflicts with the current state of the resource.',
  ) {
    super(message, details);
  }
}

export class TooManyRequestsError extends ApiError {
  readonly status = 429;
  readonly code = 'rate_limited';
  constructor(details?: ErrorDetails, message = 'Too many requests. Please slow down.') {
    super(message, details);
  }
}

export class ServiceUnavailableError extends ApiError {
  readonly status = 503;
  readonly code = 'service_unavailable';
  constructor(
    details?: ErrorDetails,
    message = 'The gateway cannot reach its database right now. Please try again shortly.',
  ) {
    super(message, details);
    this.headers['Retry-After'] = '5';
  }
}

export class WhatsAppUnreachableError extends ApiError {
  readonly status = 503;
  readonly code = 'whatsapp_unreachable';
  constructor(
    details?: ErrorDetails,
    message = 'The gateway cannot reach WhatsApp right now. Check its network connection and try again.',
  ) {
    super(message, details);
    this.headers['Retry-After'] = '30';
  }
}

/** The public error table, for docs, OpenAPI and tests. */
export const PUBLIC_ERRORS = [
  UnsupportedMediaTypeError,
  InvalidApiKeyError,
  RevokedApiKeyError,
  InvalidJsonError,
  ValidationError,
  ModuleNotEnabledError,
  ActivePlanRequiredError,
  InvalidInstanceError,
  MessagePurposeRequiredError,
  MessagePurposeNotAllowedError,
  DailyMessageLimitExceededError,
  MonthlyMessageLimitExceededError,
  RecipientSuppressedError,
  SendingThrottledError,
  InstancePausedForReviewError,
  PolicyViolationError,
  GatewaySendFailedError,
  InternalError,
  NotFoundError,
  InvalidAdminTokenError,
  PayloadTooLargeError,
  IdempotencyKeyReusedError,
  QrStillValidError,
  InstanceConnectedError,
  SuppressionLockedError,
  ConflictError,
  TooManyRequestsError,
  ServiceUnavailableError,
  WhatsAppUnreachableError,
] as const;

/** `{status, code, message}` of every public error, derived from the classes above. */
export function describePublicErrors(): { status: number; code: string; message: string }[] {
  return PUBLIC_ERRORS.map((Cls) => {
    const e = new Cls();
    return { status: e.status, code: e.code, message: e.message };
  });
}

// --- 3CX middleware (SPEC §10, reference/003 troubleshooting table) -------------------------

/** Every 3CX webhook failure before authentication: one status, one body, whatever the cause. */
export class InvalidThreeCxWebhookError extends ApiError {
  readonly status = 401;
  readonly code = 'invalid_3cx_webhook';
  constructor(details?: ErrorDetails, message = 'Invalid 3CX webhook request.') {
    super(message, details);
  }
}

export class WebhookRateLimitedError extends ApiError {
  readonly status = 429;
  readonly code = 'webhook_rate_limited';
  constructor(
    details?: ErrorDetails,
    message = 'More than 60 requests per minute were sent for this 3CX integration. Slow down the event sender.',
  ) {
    super(message, details);
  }
}

export class MissingPhoneError extends ApiError {
  readonly status = 422;
  readonly code = 'missing_phone';
  constructor(
    details?: ErrorDetails,
    message = 'The 3CX event does not include a valid customer phone. Include to, from, customer_phone, caller, or phone.',
  ) {
    super(message, details);
  }
}

export class MissingMessageTextError extends ApiError {
  readonly status = 422;
  readonly code = 'missing_message_text';
  constructor(
    details?: ErrorDetails,
    message = 'The 3CX event does not include message text. Include message_text or message in the event payload.',
  ) {
    super(message, details);
  }
}

export class ConversationWindowClosedError extends ApiError {
  readonly status = 403;
  readonly code = 'conversation_window_closed';
  constructor(
    details?: ErrorDetails,
    message = 'The recipient has not messaged first or the last inbound WhatsApp message is outside the active conversation window.',
  ) {
    super(message, details);
  }
}

export class OutboundDisabledError extends ApiError {
  readonly status = 403;
  readonly code = 'outbound_disabled';
  constructor(details?: ErrorDetails, message = 'Outbound messaging is disabled in the 3CX integration settings.') {
    super(message, details);
  }
}

export class CallEventsDisabledError extends ApiError {
  readonly status = 403;
  readonly code = 'call_events_disabled';
  constructor(details?: ErrorDetails, message = 'Call events are disabled in the 3CX integration settings.') {
    super(message, details);
  }
}
