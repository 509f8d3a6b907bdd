/**
 * Counters the delivery worker keeps, in a plain object the metrics feature (`/metrics`) can read
 * and turn into Prometheus series without the worker knowing about prom-client.
 */
import type { AttemptOutcome } from './http-attempt.ts';

export type AttemptOutcomeLabel =
  | 'success'
  | 'http_error'
  | 'gone'
  | 'redirect'
  | 'timeout'
  | 'network_error'
  | 'refused';

/** Upper bounds (ms) of the latency histogram buckets; the last bucket is +Inf. */
export const LATENCY_BUCKETS_MS: readonly number[] = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];

export interface WebhookMetrics {
  /** One count per HTTP attempt, by outcome. */
  attempts: Record<AttemptOutcomeLabel, number>;
  /** Deliveries that reached a final state, plus retries scheduled. */
  deliveries: { succeeded: number; failed: number; retried: number };
  /** Endpoints this process switched off, by reason. */
  endpointsDisabled: { gone: number; consecutive_failures: number };
  /** Attempt latency histogram (cumulative counts per bucket, like Prometheus). */
  latency: { count: number; sumMs: number; buckets: number[] };
  /** Attempts in flight right now. */
  inFlight: number;
  /** Claims that lost their lease before finishing (another node took the row over). */
  lostLeases: number;
}

export function createWebhookMetrics(): WebhookMetrics {
  return {
    attempts: { success: 0, http_error: 0, gone: 0, redirect: 0, timeout: 0, network_error: 0, refused: 0 },
    deliveries: { succeeded: 0, failed: 0, retried: 0 },
    endpointsDisabled: { gone: 0, consecutive_failures: 0 },
    latency: { count: 0, sumMs: 0, buckets: LATENCY_BUCKETS_MS.map(() => 0).concat(0) },
    inFlight: 0,
    lostLeases: 0,
  };
}

export function outcomeLabel(outcome: AttemptOutcome): AttemptOutcomeLabel {
  if (outcome.ok) return 'success';
  const error = outcome.error ?? '';
  if (outcome.gone) return 'gone';
  if (error.startsWith('destination_refused')) return 'refused';
  if (error === 'timeout') return 'timeout';
  if (error === 'redirect_not_followed') return 'redirect';
  if (error.startsWith('http_status_')) return 'http_error';
  return 'network_error';
}

export function observeAttempt(metrics: WebhookMetrics, outcome: AttemptOutcome): void {
  metrics.attempts[outcomeLabel(outcome)] += 1;
  metrics.latency.count += 1;
  metrics.latency.sumMs += outcome.latencyMs;
  for (let i = 0; i < metrics.latency.buckets.length; i++) {
    const bound = LATENCY_BUCKETS_MS[i];
    if (bound === undefined || outcome.latencyMs <= bound) {
      metrics.latency.buckets[i] = (metrics.latency.buckets[i] ?? 0) + 1;
    }
  }
}
