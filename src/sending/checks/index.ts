import type { SendCheck } from '../send-context.ts';
import { activePlan } from './active-plan.ts';
import { instanceOwned } from './instance-owned.ts';
import { moduleEnabled } from './module-enabled.ts';
import { notPaused } from './not-paused.ts';
import { notSuppressed } from './not-suppressed.ts';
import { purposeAllowed } from './purpose-allowed.ts';
import { purposePresent } from './purpose-present.ts';
import { quotaReservation } from './quota-reservation.ts';
import { recipientValid } from './recipient-valid.ts';
import { riskScore } from './risk-score.ts';
import { throttle } from './throttle.ts';
import { transportSend } from './transport-send.ts';

/**
 * The ResponsibleMessageSender pipeline, in order. The first refusal decides the response.
 *
 * Steps 1–4 run as HTTP middleware before the sender is called, because they are about the
 * request rather than the message: 1 content type (`requireJson`), 2 API key (`apiKeyAuth`),
 * 3 JSON parse (`jsonBody`), 4 schema validation and media checks (`validateBody`).
 *
 * Why this order: cheap, account-level gates first (module, plan, instance) so a misconfigured
 * caller learns that before anything else; purpose before any per-message work because it is
 * the product's core promise; the pause flag before suppression so a paused instance says so
 * whatever the recipient; suppression before quota so a refused recipient never spends quota;
 * quota reserved atomically before throttles and risk so concurrency can never oversend, and
 * released if those refuse; risk last among checks because it reads the most history; the
 * transport only once everything agreed.
 */
export const SEND_CHECKS: readonly SendCheck[] = [
  moduleEnabled, // 5
  activePlan, // 6
  instanceOwned, // 7
  recipientValid, // 4, needs the instance's default country
  purposePresent, // 8
  purposeAllowed, // 9
  notPaused, // 10
  notSuppressed, // 11
  quotaReservation, // 12–13
  throttle, // 14
  riskScore, // 15
  transportSend, // 16
];
