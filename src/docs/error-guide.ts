/**
 * Cause and fix of every error code, for the docs (send, troubleshooting, endpoints). Status and
 * message come from the error classes (`errorCatalog()`), never from here.
 * `test/e2e/docs.test.ts` fails when a public code has no entry.
 */
export interface ErrorGuide {
  cause: string;
  fix: string;
}

export const ERROR_GUIDE: Record<string, ErrorGuide> = {
  unsupported_media_type: {
    cause:
      'The request has a body but its Content-Type is not application/json (a form post, text/plain, or no header at all).',
    fix: 'Send Content-Type: application/json with a JSON body. Action endpoints such as /disconnect accept no body at all.',
  },
  invalid_api_key: {
    cause:
      'The Authorization header is missing, is not "Bearer <key>", or holds an unknown key. The admin token is not an API key, and an API key does not open admin routes.',
    fix: 'Send Authorization: Bearer <key> with the key exactly as it was shown (watch for a trailing newline when copying). Lost keys cannot be shown again: ask an administrator for a new one.',
  },
  revoked_api_key: {
    cause: 'The key was revoked, usually after a rotation.',
    fix: 'Switch to the new key. Revocation is final; an administrator can create another key.',
  },
  invalid_json: {
    cause: 'The body is not valid JSON: trailing commas, single quotes, or a shell that mangled the quoting.',
    fix: 'Validate the body with a JSON parser before sending; with curl, put it in a file and use --data-binary @body.json.',
  },
  validation_error: {
    cause:
      'A field is missing, has the wrong type or is unknown; the phone number cannot be read; or media break the type, MIME or size rules.',
    fix: 'Read details.errors: each entry names the field (a JSON pointer such as /phone) and the reason.',
  },
  module_not_enabled: {
    cause: 'The account does not have the module this route needs (api for the HTTP API, threecx for 3CX).',
    fix: 'An administrator adds the module: PATCH /admin/api/accounts/{id} with "modules": ["api"].',
  },
  active_plan_required: {
    cause: 'The account plan is not active (for example suspended or unpaid).',
    fix: 'An administrator reactivates it: PATCH /admin/api/accounts/{id} with "plan_active": true.',
  },
  invalid_instance: {
    cause:
      'The instance id does not exist, was destroyed, or belongs to another account (those look the same on purpose).',
    fix: 'List your instances with GET /api/instances using the same API key and use the id it returns.',
  },
  message_purpose_required: {
    cause: 'message_purpose is missing, null or empty.',
    fix: 'Add message_purpose with one of the allowed values.',
  },
  message_purpose_not_allowed: {
    cause:
      'The purpose is disallowed (marketing, promotion, cold_outreach, bulk_campaign, political), an unknown word, or not a string.',
    fix: 'Use an allowed purpose that matches the message. Marketing belongs on an approved official channel, not on this gateway.',
  },
  daily_message_limit_exceeded: {
    cause: "The plan's daily limit is used up (the day follows the account time zone). details has limit and used.",
    fix: 'Wait until daily.resets_at (GET /api/quota; Retry-After says how long), or ask for a reviewed higher limit.',
  },
  monthly_message_limit_exceeded: {
    cause: "The plan's monthly fair-use limit is used up.",
    fix: 'Wait until monthly.resets_at or contact support for a reviewed higher limit.',
  },
  recipient_suppressed: {
    cause: 'The recipient opted out (for example replied STOP), or you or an administrator blocked the number.',
    fix: 'Do not retry. The recipient can reply START to opt in again; a block you added can be lifted with DELETE /api/suppressed-recipients/{phone}.',
  },
  sending_throttled: {
    cause:
      'Too fast: the per-instance rate, the per-recipient rate or the new-recipient (first contact) rate was exceeded.',
    fix: 'Wait Retry-After seconds (also details.retry_after) and send again; spread sends out with a queue on your side.',
  },
  instance_paused_for_review: {
    cause:
      'The instance is paused for responsible-messaging review, automatically (repeated violations, opt-outs or failures) or by an administrator.',
    fix: 'Every send on it is refused until a reviewer resumes it. GET /api/instances/{id} shows pause.reason; contact support and fix the cause. The instance.resumed event tells you when it is back.',
  },
  policy_violation: {
    cause:
      'The risk score reached the block threshold: promotional wording, link shorteners, many links, identical content to many new recipients, and similar. details.rules lists what fired.',
    fix: 'Rewrite the message as a plain transactional notice, use your own domain instead of shorteners, and make sure the purpose matches the content.',
  },
  gateway_send_failed: {
    cause:
      'All checks passed but WhatsApp did not take the message: the instance is not connected (details.reason instance_not_connected), the session was logged out, or WhatsApp refused it. No quota is used.',
    fix: 'Check the instance state (GET /api/instances/{id}), reconnect if needed, then retry with the same Idempotency-Key.',
  },
  internal_error: {
    cause: 'An unexpected error in the gateway. It is logged with the X-Request-ID of the response.',
    fix: 'Retry (with an Idempotency-Key for sends). If it persists, give the operator the X-Request-ID.',
  },
  not_found: {
    cause: 'The route does not exist (check method and path), or the resource (webhook, log entry, suppression) is not yours or is gone.',
    fix: 'Compare the method and path with the endpoint reference; list the resources to find the right id.',
  },
  invalid_admin_token: {
    cause: 'An admin route (or /metrics) was called without the admin token (or METRICS_TOKEN for /metrics).',
    fix: 'Send Authorization: Bearer <admin token>. The token is in ADMIN_TOKEN or was printed on first start; rotate it with npm run cli -- admin token.',
  },
  payload_too_large: {
    cause: 'The body is over 24 MB on /api/send-message or over 1 MB elsewhere. Base64 makes media a third larger.',
    fix: 'Send smaller media (images up to 5 MB, other media up to 16 MB once decoded) and keep other bodies small.',
  },
  idempotency_key_reused: {
    cause: 'The same Idempotency-Key was sent within 24 hours with a different body.',
    fix: 'Use one key per logical message and resend the byte-identical body when retrying.',
  },
  qr_still_valid: {
    cause: 'A new QR code was asked for while the current one has not expired.',
    fix: 'Scan the current QR (GET /api/instances/{id}) or wait until details.expires_at.',
  },
  instance_connected: {
    cause: 'A QR or pairing code was asked for while the instance is connected.',
    fix: 'Nothing to do: it is linked. To link another phone, disconnect first.',
  },
  suppression_locked: {
    cause: "You tried to lift a recipient's own opt-out (STOP).",
    fix: 'Only the recipient (by replying START) or an administrator can lift it.',
  },
  conflict: {
    cause: 'The resource is not in a state that allows this action (already paused, not paused, delivery already queued).',
    fix: 'Reload the resource and act on its current state.',
  },
  rate_limited: {
    cause:
      'Too many requests to this route in a short time (e.g. more than 10 webhook test events per account per minute).',
    fix: 'Slow down and retry after Retry-After seconds.',
  },
  service_unavailable: {
    cause:
      'The gateway cannot reach its database: it refuses connections, does not answer within the configured deadlines (DB_CONNECT_TIMEOUT, DB_ACQUIRE_TIMEOUT, DB_QUERY_TIMEOUT) or lacks its schema. GET /health then answers 503 too.',
    fix: 'Retry after Retry-After seconds; an operator checks the database server and GET /health.',
  },
  whatsapp_unreachable: {
    cause:
      'Creating an instance (or a new QR) needs WhatsApp, and the gateway could not reach it: the DNS lookup failed, the connection was refused or timed out, or the network is unreachable. The message and details.cause say which. GET /health shows the transport as degraded meanwhile.',
    fix: 'Check the gateway host’s internet access, DNS and firewall (outbound HTTPS/WebSocket to web.whatsapp.com), then try again: nothing was left behind, so the same name can be used.',
  },
  invalid_3cx_webhook: {
    cause:
      'The 3CX webhook request could not be authenticated: unknown or disabled integration, missing or wrong secret, IP not on the allowlist, stale timestamp or bad HMAC signature. The answer is the same for all of them on purpose.',
    fix: 'Check the integration URL, the X-WhatsApp-Gateway-3CX-Secret header, the IP allowlist, and (with HMAC) the timestamp and signature.',
  },
  webhook_rate_limited: {
    cause: 'More than 60 requests per minute for one 3CX integration.',
    fix: 'Slow down the event sender in 3CX.',
  },
  missing_phone: {
    cause: 'The 3CX event has no usable customer phone.',
    fix: 'Include to, from, customer_phone, caller or phone.',
  },
  missing_message_text: {
    cause: 'An outbound 3CX event has no message text.',
    fix: 'Include message_text or message.',
  },
  conversation_window_closed: {
    cause:
      'The customer has not messaged first, or their last inbound message is older than the conversation window.',
    fix: 'Ask the customer to message the WhatsApp number first, then reply within the window.',
  },
  outbound_disabled: {
    cause: 'Outbound messaging is switched off in the 3CX integration settings.',
    fix: 'Enable outbound_enabled on the integration.',
  },
  call_events_disabled: {
    cause: 'Call events are switched off, or this call event type is not enabled, in the integration settings.',
    fix: 'Enable call_events_enabled and the event type in enabled_call_events.',
  },
};
