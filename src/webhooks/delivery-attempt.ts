/**
 * One attempt of one claimed delivery, without the worker's bookkeeping: build and sign the
 * body, POST it (http-attempt.ts), and decide where the delivery goes next (succeeded, retry
 * at a time from the retry schedule, or failed).
 */
import type { Dispatcher } from 'undici';
import { deliverOnce, isDestinationRefused, type AttemptOutcome } from './http-attempt.ts';
import { nextAttemptDelay } from './retry-schedule.ts';
import type { ClaimedDelivery } from './delivery-claim.ts';
import type { FinalState } from './delivery-finalize.ts';
import { signingSecrets } from './webhook-endpoint-store.ts';
import { signWebhook } from './webhook-signer.ts';

/** ± fraction applied to the retry schedule, so a burst of failures does not retry in lockstep. */
const DEFAULT_JITTER = 0.1;

/** The JSON body: the stored envelope plus `request_id` (= the delivery id), in the documented order. */
export function buildDeliveryBody(envelopeJson: string, requestId: string): string {
  // The outbox stores JSON.stringify({event, timestamp, …}) without request_id: splice it in
  // after `event` instead of parsing and re-serializing every body.
  const prefix = /^\{"event":"[A-Za-z0-9_.]+",(?="timestamp":)/.exec(envelopeJson);
  if (prefix) {
    return `${prefix[0]}"request_id":${JSON.stringify(requestId)},${envelopeJson.slice(prefix[0].length)}`;
  }
  const envelope = JSON.parse(envelopeJson) as Record<string, unknown>;
  const { event, timestamp, ...rest } = envelope;
  delete rest.request_id;
  return JSON.stringify({ event, request_id: requestId, timestamp, ...rest });
}

export interface SendOptions {
  /** Epoch ms the attempt starts (signature timestamp, secret rotation window). */
  startedAt: number;
  timeoutMs: number;
  dispatcher: Dispatcher;
  maxResponseBytes?: number | undefined;
}

/** Signs and POSTs the delivery once. Never throws: a delivery that cannot be built is an outcome too. */
export async function sendDelivery(delivery: ClaimedDelivery, options: SendOptions): Promise<AttemptOutcome> {
  try {
    const body = buildDeliveryBody(delivery.envelope, delivery.id);
    const headers = signWebhook({
      secrets: signingSecrets(delivery, options.startedAt),
      requestId: delivery.id,
      timestamp: new Date(options.startedAt),
      body,
      event: delivery.eventType,
    });
    return await deliverOnce({
      url: delivery.destinationUrl,
      body,
      headers,
      timeoutMs: options.timeoutMs,
      dispatcher: options.dispatcher,
      maxResponseBytes: options.maxResponseBytes,
    });
  } catch (error) {
    // A corrupt envelope or unsignable id: retrying will not help.
    return {
      ok: false,
      statusCode: null,
      latencyMs: 0,
      responseBody: '',
      error: `invalid_delivery: ${(error as Error).message}`,
      retryAfterSeconds: null,
      gone: false,
    };
  }
}

/** The attempt's number within the current cycle (a manual redelivery starts a new cycle at 1). */
export function cycleAttemptOf(delivery: ClaimedDelivery): number {
  return Math.max(1, delivery.attemptNumber - delivery.scheduleOffset);
}

export interface RetryPolicy {
  /** Delays between attempts (N delays = N + 1 attempts). */
  retrySchedule: readonly number[];
  /** ± fraction applied to the retry schedule. Default 0.1. */
  jitter?: number | undefined;
}

/** Where the delivery goes after this outcome, recorded at `at` (epoch ms). */
export function nextState(
  outcome: AttemptOutcome,
  delivery: ClaimedDelivery,
  policy: RetryPolicy,
  at: number,
): FinalState {
  if (outcome.ok) return { status: 'succeeded' };
  if (outcome.gone || isDestinationRefused(outcome) || outcome.error?.startsWith('invalid_')) {
    return { status: 'failed' };
  }
  const delay = nextAttemptDelay(policy.retrySchedule, cycleAttemptOf(delivery), {
    jitter: policy.jitter ?? DEFAULT_JITTER,
    retryAfterSeconds: outcome.retryAfterSeconds,
  });
  return delay === null ? { status: 'failed' } : { status: 'pending', nextAttemptAt: at + delay };
}
