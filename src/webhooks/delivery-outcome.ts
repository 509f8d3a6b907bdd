/**
 * What a recorded attempt means beyond its delivery row: the worker's metrics, the warning logs,
 * and the endpoint's health (disabled on 410 Gone or after too many consecutive failures).
 */
import { moduleLogger } from '../lib/logger.ts';
import type { AttemptOutcome } from './http-attempt.ts';
import type { ClaimedDelivery } from './delivery-claim.ts';
import type { FinalState } from './delivery-finalize.ts';
import type { WebhookEndpointStore } from './webhook-endpoint-store.ts';
import type { WebhookMetrics } from './webhook-metrics.ts';

const log = moduleLogger('webhooks');

export interface OutcomeContext {
  metrics: WebhookMetrics;
  endpoints: Pick<WebhookEndpointStore, 'disableGone' | 'recordFailure'>;
  /** Called once a terminal failure is about to count against the endpoint's streak. */
  onTerminalFailure: (endpointId: string) => void;
}

/** Applies an attempt already recorded (fenced) in state `state` at `at` (epoch ms). */
export async function applyOutcome(
  ctx: OutcomeContext,
  delivery: ClaimedDelivery,
  outcome: AttemptOutcome,
  state: FinalState,
  at: number,
): Promise<void> {
  const context = {
    delivery_id: delivery.id,
    endpoint_id: delivery.endpointId,
    event: delivery.eventType,
    attempt: delivery.attemptNumber,
    status_code: outcome.statusCode,
    error: outcome.error,
  };
  if (state.status === 'succeeded') {
    // (The endpoint's failure streak was reset by finalizeMany.)
    ctx.metrics.deliveries.succeeded += 1;
    return;
  }
  if (state.status === 'pending') {
    ctx.metrics.deliveries.retried += 1;
    log.warn('webhook attempt failed; will retry', { ...context, next_attempt_at: state.nextAttemptAt });
    return;
  }
  ctx.metrics.deliveries.failed += 1;
  log.warn('webhook delivery failed', context);
  if (outcome.gone && (await ctx.endpoints.disableGone(delivery.endpointId, at))) {
    ctx.metrics.endpointsDisabled.gone += 1;
    log.warn('webhook endpoint disabled: the receiver answered 410 Gone', {
      endpoint_id: delivery.endpointId,
    });
  }
  ctx.onTerminalFailure(delivery.endpointId);
  const disabled = await ctx.endpoints.recordFailure(delivery.endpointId, at);
  if (disabled) {
    ctx.metrics.endpointsDisabled.consecutive_failures += 1;
    log.warn('webhook endpoint disabled after consecutive failed deliveries', {
      endpoint_id: delivery.endpointId,
    });
  }
}
