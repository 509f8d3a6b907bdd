import { ErrorTable } from './error-table.ts';

/**
 * The public error table (SPEC §3.1, then the 3CX codes of SPEC §10): one row per code. Each row
 * is its error class, the docs' cause and fix, and the OpenAPI example; adding a code is adding a
 * row. Messages are exact strings of the public contract.
 */
export const ERROR_TABLE = new ErrorTable();

export class UnsupportedMediaTypeError extends ERROR_TABLE.row({
  status: 415,
  code: 'unsupported_media_type',
  message: 'This endpoint requires application/json.',
  cause: 'The request has a body but its Content-Type is not application/json (a form post, text/plain, or no header at all).',
  fix: 'Send Content-Type: application/json with a JSON body. Action endpoints such as /disconnect accept no body at all.',
}) {}

export class InvalidApiKeyError extends ERROR_TABLE.row({
  status: 401,
  code: 'invalid_api_key',
  message: 'A valid API key is required.',
  cause: 'The Authorization header is missing, is not "Bearer <key>", or holds an unknown key. The admin token is not an API key, and an API key does not open admin routes.',
  fix: 'Send Authorization: Bearer <key> with the key exactly as it was shown (watch for a trailing newline when copying). Lost keys cannot be shown again: ask an administrator for a new one.',
}) {}

export class RevokedApiKeyError extends ERROR_TABLE.row({
  status: 401,
  code: 'revoked_api_key',
  message: 'This API key has been revoked.',
  cause: 'The key was revoked, usually after a rotation.',
  fix: 'Switch to the new key. Revocation is final; an administrator can create another key.',
}) {}

export class InvalidJsonError extends ERROR_TABLE.row({
  status: 400,
  code: 'invalid_json',
  message: 'Request body must be valid JSON.',
  cause: 'The body is not valid JSON: trailing commas, single quotes, or a shell that mangled the quoting.',
  fix: 'Validate the body with a JSON parser before sending; with curl, put it in a file and use --data-binary @body.json.',
}) {}

export class ValidationError extends ERROR_TABLE.row({
  status: 422,
  code: 'validation_error',
  message: 'The request payload is missing required fields.',
  cause: 'A field is missing, has the wrong type or is unknown; the phone number cannot be read; or media break the type, MIME or size rules.',
  fix: 'Read details.errors: each entry names the field (a JSON pointer such as /phone) and the reason.',
}) {}

export class ModuleNotEnabledError extends ERROR_TABLE.row({
  status: 403,
  code: 'module_not_enabled',
  message: 'API access is not enabled for this account.',
  cause: 'The account does not have the module this route needs (api for the HTTP API, threecx for 3CX).',
  fix: 'An administrator adds the module: PATCH /admin/api/accounts/{id} with "modules": ["api"].',
}) {}

export class ActivePlanRequiredError extends ERROR_TABLE.row({
  status: 403,
  code: 'active_plan_required',
  message: 'An active plan is required before sending messages.',
  cause: 'The account plan is not active (for example suspended or unpaid).',
  fix: 'An administrator reactivates it: PATCH /admin/api/accounts/{id} with "plan_active": true.',
}) {}

export class InvalidInstanceError extends ERROR_TABLE.row({
  status: 404,
  code: 'invalid_instance',
  message: 'The requested instance was not found for this API key.',
  cause: 'The instance id does not exist, was destroyed, or belongs to another account (those look the same on purpose).',
  fix: 'List your instances with GET /api/instances using the same API key and use the id it returns.',
}) {}

export class MessagePurposeRequiredError extends ERROR_TABLE.row({
  status: 422,
  code: 'message_purpose_required',
  message: 'message_purpose is required. Allowed values are transactional, operational, support, internal_team, and authentication.',
  cause: 'message_purpose is missing, null or empty.',
  fix: 'Add message_purpose with one of the allowed values.',
}) {}

export class MessagePurposeNotAllowedError extends ERROR_TABLE.row({
  status: 422,
  code: 'message_purpose_not_allowed',
  message: 'WA Gateway does not support marketing, cold outreach, political, or bulk campaign messaging.',
  cause: 'The purpose is disallowed (marketing, promotion, cold_outreach, bulk_campaign, political), an unknown word, or not a string.',
  fix: 'Use an allowed purpose that matches the message. Marketing belongs on an approved official channel, not on this gateway.',
}) {}

export class DailyMessageLimitExceededError extends ERROR_TABLE.row({
  status: 429,
  code: 'daily_message_limit_exceeded',
  message: 'Your daily transactional message limit has been reached. Please try again tomorrow or request a higher reviewed limit.',
  cause: "The plan's daily limit is used up (the day follows the account time zone). details has limit and used.",
  fix: 'Wait until daily.resets_at (GET /api/quota; Retry-After says how long), or ask for a reviewed higher limit.',
}) {}

export class MonthlyMessageLimitExceededError extends ERROR_TABLE.row({
  status: 429,
  code: 'monthly_message_limit_exceeded',
  message: 'Your monthly fair-use message limit has been reached. Please contact support for a reviewed higher limit.',
  cause: "The plan's monthly fair-use limit is used up.",
  fix: 'Wait until monthly.resets_at or contact support for a reviewed higher limit.',
}) {}

export class RecipientSuppressedError extends ERROR_TABLE.row({
  status: 403,
  code: 'recipient_suppressed',
  message: 'This recipient has opted out or has been blocked from non-essential messages.',
  cause: 'The recipient opted out (for example replied STOP), or you or an administrator blocked the number.',
  fix: 'Do not retry. The recipient can reply START to opt in again; a block you added can be lifted with DELETE /api/suppressed-recipients/{phone}.',
}) {}

export class SendingThrottledError extends ERROR_TABLE.row({
  status: 429,
  code: 'sending_throttled',
  message: 'Sending speed has been temporarily limited to protect gateway reliability and prevent bulk messaging.',
  cause: 'Too fast: the per-instance rate, the per-recipient rate or the new-recipient (first contact) rate was exceeded.',
  fix: 'Wait Retry-After seconds (also details.retry_after) and send again; spread sends out with a queue on your side.',
}) {}

export class InstancePausedForReviewError extends ERROR_TABLE.row({
  status: 423,
  code: 'instance_paused_for_review',
  message: 'This instance has been paused for responsible messaging review',
  cause: 'The instance is paused for responsible-messaging review, automatically (repeated violations, opt-outs or failures) or by an administrator.',
  fix: 'Every send on it is refused until a reviewer resumes it. GET /api/instances/{id} shows pause.reason; contact support and fix the cause. The instance.resumed event tells you when it is back.',
}) {}

export class PolicyViolationError extends ERROR_TABLE.row({
  status: 403,
  code: 'policy_violation',
  message: 'This message appears to violate WA Gateway responsible messaging rules. Bulk marketing, spam, and cold outreach are not allowed.',
  cause: 'The risk score reached the block threshold: promotional wording, link shorteners, many links, identical content to many new recipients, and similar. details.rules lists what fired.',
  fix: 'Rewrite the message as a plain transactional notice, use your own domain instead of shorteners, and make sure the purpose matches the content.',
}) {}

export class GatewaySendFailedError extends ERROR_TABLE.row({
  status: 502,
  code: 'gateway_send_failed',
  message: 'The message passed responsible messaging checks, but delivery could not be completed. Please try again or contact support.',
  cause: 'All checks passed but WhatsApp did not take the message: the instance is not connected (details.reason instance_not_connected), the session was logged out, or WhatsApp refused it. No quota is used.',
  fix: 'Check the instance state (GET /api/instances/{id}), reconnect if needed, then retry with the same Idempotency-Key.',
}) {}

export class InternalError extends ERROR_TABLE.row({
  status: 500,
  code: 'internal_error',
  message: 'The request could not be processed. Please try again or contact support.',
  cause: 'An unexpected error in the gateway. It is logged with the X-Request-ID of the response.',
  fix: 'Retry (with an Idempotency-Key for sends). If it persists, give the operator the X-Request-ID.',
}) {}

export class NotFoundError extends ERROR_TABLE.row({
  status: 404,
  code: 'not_found',
  message: 'The requested resource was not found.',
  cause: 'The route does not exist (check method and path), or the resource (webhook, log entry, suppression) is not yours or is gone.',
  fix: 'Compare the method and path with the endpoint reference; list the resources to find the right id.',
}) {}

export class InvalidAdminTokenError extends ERROR_TABLE.row({
  status: 401,
  code: 'invalid_admin_token',
  message: 'A valid admin token is required.',
  cause: 'An admin route (or /metrics) was called without the admin token (or METRICS_TOKEN for /metrics).',
  fix: 'Send Authorization: Bearer <admin token>. The token is in ADMIN_TOKEN or was printed on first start; rotate it with npm run cli -- admin token.',
}) {}

export class PayloadTooLargeError extends ERROR_TABLE.row({
  status: 413,
  code: 'payload_too_large',
  message: 'Request body is too large.',
  cause: 'The body is over 24 MB on /api/send-message or over 1 MB elsewhere. Base64 makes media a third larger.',
  fix: 'Send smaller media (images up to 5 MB, other media up to 16 MB once decoded) and keep other bodies small.',
}) {}

export class IdempotencyKeyReusedError extends ERROR_TABLE.row({
  status: 409,
  code: 'idempotency_key_reused',
  message: 'This Idempotency-Key was already used with a different request body.',
  cause: 'The same Idempotency-Key was sent within 24 hours with a different body.',
  fix: 'Use one key per logical message and resend the byte-identical body when retrying.',
}) {}

export class QrStillValidError extends ERROR_TABLE.row({
  status: 409,
  code: 'qr_still_valid',
  message: 'The current QR code is still valid. Scan it or wait until it expires.',
  cause: 'A new QR code was asked for while the current one has not expired.',
  fix: 'Scan the current QR (GET /api/instances/{id}) or wait until details.expires_at.',
}) {}

export class InstanceConnectedError extends ERROR_TABLE.row({
  status: 409,
  code: 'instance_connected',
  message: 'The instance is already connected.',
  cause: 'A QR or pairing code was asked for while the instance is connected.',
  fix: 'Nothing to do: it is linked. To link another phone, disconnect first.',
}) {}

export class SuppressionLockedError extends ERROR_TABLE.row({
  status: 403,
  code: 'suppression_locked',
  message: 'This recipient opted out themselves; only the recipient (by sending START) or an administrator can lift it.',
  cause: "You tried to lift a recipient's own opt-out (STOP).",
  fix: 'Only the recipient (by replying START) or an administrator can lift it.',
}) {}

export class ConflictError extends ERROR_TABLE.row({
  status: 409,
  code: 'conflict',
  message: 'The request conflicts with the current state of the resource.',
  cause: 'The resource is not in a state that allows this action (already paused, not paused, delivery already queued).',
  fix: 'Reload the resource and act on its current state.',
}) {}

export class TooManyRequestsError extends ERROR_TABLE.row({
  status: 429,
  code: 'rate_limited',
  message: 'Too many requests. Please slow down.',
  cause: 'Too many requests to this route in a short time (e.g. more than 10 webhook test events per account per minute).',
  fix: 'Slow down and retry after Retry-After seconds.',
}) {}

export class ServiceUnavailableError extends ERROR_TABLE.row({
  status: 503,
  code: 'service_unavailable',
  message: 'The gateway cannot reach its database right now. Please try again shortly.',
  cause: 'The gateway cannot reach its database: it refuses connections, does not answer within the configured deadlines (DB_CONNECT_TIMEOUT, DB_ACQUIRE_TIMEOUT, DB_QUERY_TIMEOUT) or lacks its schema. GET /health then answers 503 too.',
  fix: 'Retry after Retry-After seconds; an operator checks the database server and GET /health.',
  headers: { 'Retry-After': '5' },
}) {}

export class WhatsAppUnreachableError extends ERROR_TABLE.row({
  status: 503,
  code: 'whatsapp_unreachable',
  message: 'The gateway cannot reach WhatsApp right now. Check its network connection and try again.',
  cause: 'Creating an instance (or a new QR) needs WhatsApp, and the gateway could not reach it: the DNS lookup failed, the connection was refused or timed out, or the network is unreachable. The message and details.cause say which. GET /health shows the transport as degraded meanwhile.',
  fix: 'Check the gateway host’s internet access, DNS and firewall (outbound HTTPS/WebSocket to web.whatsapp.com), then try again: nothing was left behind, so the same name can be used.',
  headers: { 'Retry-After': '30' },
}) {}


// --- 3CX middleware (SPEC §10, reference/003 troubleshooting table) ---

export class InvalidThreeCxWebhookError extends ERROR_TABLE.row({
  status: 401,
  code: 'invalid_3cx_webhook',
  message: 'Invalid 3CX webhook request.',
  cause: 'The 3CX webhook request could not be authenticated: unknown or disabled integration, missing or wrong secret, IP not on the allowlist, stale timestamp or bad HMAC signature. The answer is the same for all of them on purpose.',
  fix: 'Check the integration URL, the X-WhatsApp-Gateway-3CX-Secret header, the IP allowlist, and (with HMAC) the timestamp and signature.',
  table: 'threecx',
}) {}

export class WebhookRateLimitedError extends ERROR_TABLE.row({
  status: 429,
  code: 'webhook_rate_limited',
  message: 'More than 60 requests per minute were sent for this 3CX integration. Slow down the event sender.',
  cause: 'More than 60 requests per minute for one 3CX integration.',
  fix: 'Slow down the event sender in 3CX.',
  table: 'threecx',
}) {}

export class MissingPhoneError extends ERROR_TABLE.row({
  status: 422,
  code: 'missing_phone',
  message: 'The 3CX event does not include a valid customer phone. Include to, from, customer_phone, caller, or phone.',
  cause: 'The 3CX event has no usable customer phone.',
  fix: 'Include to, from, customer_phone, caller or phone.',
  table: 'threecx',
}) {}

export class MissingMessageTextError extends ERROR_TABLE.row({
  status: 422,
  code: 'missing_message_text',
  message: 'The 3CX event does not include message text. Include message_text or message in the event payload.',
  cause: 'An outbound 3CX event has no message text.',
  fix: 'Include message_text or message.',
  table: 'threecx',
}) {}

export class ConversationWindowClosedError extends ERROR_TABLE.row({
  status: 403,
  code: 'conversation_window_closed',
  message: 'The recipient has not messaged first or the last inbound WhatsApp message is outside the active conversation window.',
  cause: 'The customer has not messaged first, or their last inbound message is older than the conversation window.',
  fix: 'Ask the customer to message the WhatsApp number first, then reply within the window.',
  table: 'threecx',
}) {}

export class OutboundDisabledError extends ERROR_TABLE.row({
  status: 403,
  code: 'outbound_disabled',
  message: 'Outbound messaging is disabled in the 3CX integration settings.',
  cause: 'Outbound messaging is switched off in the 3CX integration settings.',
  fix: 'Enable outbound_enabled on the integration.',
  table: 'threecx',
}) {}

export class CallEventsDisabledError extends ERROR_TABLE.row({
  status: 403,
  code: 'call_events_disabled',
  message: 'Call events are disabled in the 3CX integration settings.',
  cause: 'Call events are switched off, or this call event type is not enabled, in the integration settings.',
  fix: 'Enable call_events_enabled and the event type in enabled_call_events.',
  table: 'threecx',
}) {}

/** `{status, code, message}` of every code of the public table (SPEC §3.1 order). */
export function describePublicErrors(): { status: number; code: string; message: string }[] {
  return ERROR_TABLE.of('public').map(({ status, code, message }) => ({ status, code, message }));
}
