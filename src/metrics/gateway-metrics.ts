/**
 * Prometheus metrics of one gateway process, in its own prom-client Registry (never the global
 * one, so several containers in one test process do not collide).
 *
 * Two kinds of series:
 * - pushed as things happen: send decisions (via `SendDeps.onDecision`), pipeline latency and
 *   transport latency (the transport the sender uses is wrapped by `instrumentTransport`);
 * - read at scrape time (`scrape-metrics.ts`): webhook delivery counters the worker keeps in
 *   `container.webhookMetrics`, outbox depth and age, instances by state and paused instances.
 *
 * Counters are per process; the database-backed gauges describe the whole cluster, so every node
 * reports the same value (aggregate them with max(), not sum()).
 */
import { type Metric, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { packageVersion } from '../openapi/package-version.ts';
import type { DecisionHandler, SendDecision } from '../sending/send-context.ts';
import type { Transport } from '../transport/transport.ts';

/** Seconds. The pipeline is mostly database work; the transport adds the WhatsApp round trip. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export type SendOutcome = 'sent' | 'blocked' | 'failed';

/** One label set and value of a series whose values are replaced at every scrape. */
export interface SnapshotValue {
  labels: Record<string, string | number>;
  value: number;
  /** For histograms: `<name>_bucket`, `<name>_sum`, `<name>_count`. */
  metricName?: string;
}

/**
 * A metric whose values are set from a snapshot right before the registry renders (the webhook
 * worker keeps plain counters; prom-client has no "set a counter" or "load a histogram").
 */
export class SnapshotMetric {
  values: SnapshotValue[] = [];
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'counter' | 'gauge' | 'histogram',
  ) {}
  get(): Promise<{
    name: string;
    help: string;
    type: string;
    values: SnapshotValue[];
    aggregator: 'sum';
  }> {
    return Promise.resolve({
      name: this.name,
      help: this.help,
      type: this.type,
      values: this.values,
      aggregator: 'sum',
    });
  }
  reset(): void {
    this.values = [];
  }
}

export interface GatewayMetrics {
  readonly registry: Registry;
  /** `SendDeps.onDecision` listener: counts and times every decision. */
  readonly observeDecision: DecisionHandler;
  /** The same transport, with `send` timed. */
  instrumentTransport(transport: Transport): Transport;
  /** Series filled at scrape time. */
  readonly scrape: {
    instances: Gauge<'state'>;
    paused: Gauge;
    outboxPending: Gauge;
    outboxOldestAge: Gauge;
    webhookEndpoints: Gauge<'state'>;
    databaseUp: Gauge;
    scrapeErrors: Counter<'source'>;
    webhookAttempts: SnapshotMetric;
    webhookDeliveries: SnapshotMetric;
    webhookEndpointsDisabled: SnapshotMetric;
    webhookLatency: SnapshotMetric;
    webhookInFlight: SnapshotMetric;
    webhookLostLeases: SnapshotMetric;
  };
}

export function sendOutcome(d: SendDecision): SendOutcome {
  if (d.outcome === 'blocked') return 'blocked';
  return d.errorCode ? 'failed' : 'sent';
}

export function createGatewayMetrics(options: { version?: string; transport?: string } = {}): GatewayMetrics {
  const registry = new Registry();
  const registers = [registry];

  new Gauge({
    name: 'warden_build_info',
    help: 'Always 1; labels carry the version and the transport.',
    labelNames: ['version', 'transport'],
    registers,
  }).set({ version: options.version ?? packageVersion(), transport: options.transport ?? 'unknown' }, 1);

  const sends = new Counter({
    name: 'warden_sends_total',
    help: 'Send decisions by outcome (sent, blocked, failed), error code and deciding check.',
    labelNames: ['outcome', 'error_code', 'check'],
    registers,
  });
  const flagged = new Counter({
    name: 'warden_sends_flagged_total',
    help: 'Messages sent but scored at or above the review threshold.',
    registers,
  });
  const pipeline = new Histogram({
    name: 'warden_send_pipeline_duration_seconds',
    help: 'Time from the first pipeline check to the decision (transport included), by outcome.',
    labelNames: ['outcome'],
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const transportLatency = new Histogram({
    name: 'warden_transport_send_duration_seconds',
    help: 'Time the transport took to hand a message to WhatsApp, by result.',
    labelNames: ['transport', 'result'],
    buckets: LATENCY_BUCKETS,
    registers,
  });

  const snapshot = (name: string, help: string, type: 'counter' | 'gauge' | 'histogram') => {
    const m = new SnapshotMetric(name, help, type);
    registry.registerMetric(m as unknown as Metric);
    return m;
  };

  const scrape: GatewayMetrics['scrape'] = {
    instances: new Gauge({
      name: 'warden_instances',
      help: 'Instances (not destroyed) by connection state, across the cluster.',
      labelNames: ['state'],
      registers,
    }),
    paused: new Gauge({
      name: 'warden_instances_paused',
      help: 'Instances paused for responsible-messaging review, across the cluster.',
      registers,
    }),
    outboxPending: new Gauge({
      name: 'warden_webhook_outbox_pending',
      help: 'Webhook deliveries waiting to be sent (due or scheduled for a retry), across the cluster.',
      registers,
    }),
    outboxOldestAge: new Gauge({
      name: 'warden_webhook_outbox_oldest_pending_age_seconds',
      help: 'Age of the oldest pending webhook delivery (0 when none is pending).',
      registers,
    }),
    webhookEndpoints: new Gauge({
      name: 'warden_webhook_endpoints',
      help: 'Webhook endpoints (not deleted) by state.',
      labelNames: ['state'],
      registers,
    }),
    databaseUp: new Gauge({
      name: 'warden_database_up',
      help: '1 when the scrape-time database queries succeeded.',
      registers,
    }),
    scrapeErrors: new Counter({
      name: 'warden_metrics_scrape_errors_total',
      help: 'Scrape-time collectors that failed, by source.',
      labelNames: ['source'],
      registers,
    }),
    webhookAttempts: snapshot(
      'warden_webhook_attempts_total',
      'Webhook HTTP attempts made by this process, by outcome.',
      'counter',
    ),
    webhookDeliveries: snapshot(
      'warden_webhook_deliveries_total',
      'Webhook deliveries by result: succeeded, failed (retries exhausted) and retried (a retry was scheduled).',
      'counter',
    ),
    webhookEndpointsDisabled: snapshot(
      'warden_webhook_endpoints_disabled_total',
      'Endpoints this process disabled, by reason (gone = 410, consecutive_failures).',
      'counter',
    ),
    webhookLatency: snapshot(
      'warden_webhook_attempt_duration_seconds',
      'Duration of webhook HTTP attempts (whole exchange).',
      'histogram',
    ),
    webhookInFlight: snapshot(
      'warden_webhook_attempts_in_flight',
      'Webhook attempts in progress in this process.',
      'gauge',
    ),
    webhookLostLeases: snapshot(
      'warden_webhook_lost_leases_total',
      'Claimed deliveries whose lease expired before the attempt finished (another node took over).',
      'counter',
    ),
  };

  const observeDecision: DecisionHandler = (d) => {
    const outcome = sendOutcome(d);
    sends.inc({ outcome, error_code: d.errorCode ?? 'none', check: d.check ?? 'none' });
    if (d.flagged) flagged.inc();
    pipeline.observe({ outcome }, Math.max(0, d.durationMs) / 1000);
  };

  const instrumentTransport = (transport: Transport): Transport =>
    new Proxy(transport, {
      get(target, prop) {
        if (prop === 'send') {
          const send: Transport['send'] = async (request) => {
            const end = transportLatency.startTimer({ transport: target.kind });
            try {
              const result = await target.send(request);
              end({ result: 'ok' });
              return result;
            } catch (error) {
              end({ result: 'error' });
              throw error;
            }
          };
          return send;
        }
        const value = Reflect.get(target, prop, target) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });

  return { registry, observeDecision, instrumentTransport, scrape };
}
