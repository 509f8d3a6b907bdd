import { collectDefaultMetrics, Registry } from 'prom-client';
import type { Container } from '../container.ts';
import { moduleLogger } from '../lib/logger.ts';
import { INSTANCE_STATES } from '../transport/transport.ts';
import { LATENCY_BUCKETS_MS, type WebhookMetrics } from '../webhooks/webhook-metrics.ts';
import type { GatewayMetrics, SnapshotValue } from './gateway-metrics.ts';

const log = moduleLogger('metrics');

/** The states a live (not destroyed) instance can be in: the gauge starts each at 0. */
const LIVE_STATES = INSTANCE_STATES.filter((s) => s !== 'destroyed');

/**
 * Process metrics (CPU, memory, event loop, GC) belong to the process, not to a container: one
 * registry, created on the first scrape so tests that never scrape start no event-loop monitor.
 */
let processRegistry: Registry | null = null;
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

const num = (v: unknown): number => {
  const n = Number(v);
  return Number.isFinite(n) ? n : 0;
};

/** Cluster-wide gauges from the database. Cheap: small tables and the `(status, …)` index. */
async function collectDatabase(c: Container, m: GatewayMetrics['scrape']): Promise<void> {
  const now = c.clock.now().getTime();
  const [instances, pending, endpoints] = await Promise.all([
    c.db('instances')
      .whereNull('destroyed_at')
      .select('state', 'paused')
      .count({ n: '*' })
      .groupBy('state', 'paused') as Promise<{ state: string; paused: unknown; n: unknown }[]>,
    c.db('webhook_deliveries')
      .where({ status: 'pending' })
      .count({ n: '*' })
      .min({ oldest: 'created_at' })
      .first() as Promise<{ n: unknown; oldest: unknown } | undefined>,
    c.db('webhook_endpoints')
      .whereNull('deleted_at')
      .select('enabled')
      .count({ n: '*' })
      .groupBy('enabled') as Promise<{ enabled: unknown; n: unknown }[]>,
  ]);

  const byState = new Map<string, number>(LIVE_STATES.map((s) => [s, 0]));
  let paused = 0;
  for (const row of instances) {
    byState.set(row.state, (byState.get(row.state) ?? 0) + num(row.n));
    if (row.paused === true || num(row.paused) === 1) paused += num(row.n);
  }
  m.instances.reset();
  for (const [state, n] of byState) m.instances.set({ state }, n);
  m.paused.set(paused);

  m.outboxPending.set(num(pending?.n));
  const oldest = pending?.oldest == null ? null : num(pending.oldest);
  m.outboxOldestAge.set(oldest === null ? 0 : Math.max(0, (now - oldest) / 1000));

  let enabled = 0;
  let disabled = 0;
  for (const row of endpoints) {
    if (row.enabled === true || num(row.enabled) === 1) enabled += num(row.n);
    else disabled += num(row.n);
  }
  m.webhookEndpoints.set({ state: 'enabled' }, enabled);
  m.webhookEndpoints.set({ state: 'disabled' }, disabled);
}

/** The delivery worker's plain counters, as Prometheus series. */
function collectWebhookCounters(w: WebhookMetrics, m: GatewayMetrics['scrape']): void {
  m.webhookAttempts.values = Object.entries(w.attempts).map(([outcome, value]) => ({
    labels: { outcome },
    value,
  }));
  m.webhookDeliveries.values = Object.entries(w.deliveries).map(([result, value]) => ({
    labels: { result },
    value,
  }));
  m.webhookEndpointsDisabled.values = Object.entries(w.endpointsDisabled).map(([reason, value]) => ({
    labels: { reason },
    value,
  }));
  const name = m.webhookLatency.name;
  const buckets: SnapshotValue[] = w.latency.buckets.map((count, i) => {
    const bound = LATENCY_BUCKETS_MS[i];
    return {
      metricName: `${name}_bucket`,
      labels: { le: bound === undefined ? '+Inf' : bound / 1000 },
      value: count,
    };
  });
  m.webhookLatency.values = [
    ...buckets,
    { metricName: `${name}_sum`, labels: {}, value: w.latency.sumMs / 1000 },
    { metricName: `${name}_count`, labels: {}, value: w.latency.count },
  ];
  m.webhookInFlight.values = [{ labels: {}, value: w.inFlight }];
  m.webhookLostLeases.values = [{ labels: {}, value: w.lostLeases }];
}

export const METRICS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

/**
 * Fills the scrape-time series and renders process + gateway metrics in the Prometheus text
 * format. A failing database query does not fail the scrape: `warden_database_up` drops to 0
 * and the counters are still served.
 */
export async function renderMetrics(c: Container): Promise<string> {
  const m = c.metrics.scrape;
  collectWebhookCounters(c.webhookMetrics, m);
  try {
    await collectDatabase(c, m);
    m.databaseUp.set(1);
  } catch (error) {
    m.databaseUp.set(0);
    m.scrapeErrors.inc({ source: 'database' });
    log.warn('metrics: database collectors failed', { error });
  }
  const [gateway, proc] = await Promise.all([c.metrics.registry.metrics(), processMetrics().metrics()]);
  return `${gateway.trimEnd()}\n\n${proc}`;
}
