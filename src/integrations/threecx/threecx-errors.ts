import {
  ActivePlanRequiredError,
  CallEventsDisabledError,
  ConversationWindowClosedError,
  DailyMessageLimitExceededError,
  GatewaySendFailedError,
  InstancePausedForReviewError,
  InvalidInstanceError,
  InvalidJsonError,
  InvalidThreeCxWebhookError,
  MessagePurposeNotAllowedError,
  MissingMessageTextError,
  MissingPhoneError,
  ModuleNotEnabledError,
  MonthlyMessageLimitExceededError,
  OutboundDisabledError,
  PayloadTooLargeError,
  PolicyViolationError,
  RecipientSuppressedError,
  SendingThrottledError,
  ValidationError,
  WebhookRateLimitedError,
} from '../../errors/errors.ts';

/**
 * Every error the 3CX webhook can answer with (docs, OpenAPI, tests). The first is the only one
 * before authentication; the rest are the troubleshooting table of reference/003 plus the
 * pipeline refusals that table does not list.
 */
export const THREECX_PUBLIC_ERRORS = [
  InvalidThreeCxWebhookError,
  PayloadTooLargeError,
  WebhookRateLimitedError,
  InvalidJsonError,
  ValidationError,
  ModuleNotEnabledError,
  ConversationWindowClosedError,
  OutboundDisabledError,
  CallEventsDisabledError,
  MissingPhoneError,
  MissingMessageTextError,
  MessagePurposeNotAllowedError,
  RecipientSuppressedError,
  SendingThrottledError,
  GatewaySendFailedError,
  DailyMessageLimitExceededError,
  MonthlyMessageLimitExceededError,
  PolicyViolationError,
  InstancePausedForReviewError,
  ActivePlanRequiredError,
  InvalidInstanceError,
] as const;
