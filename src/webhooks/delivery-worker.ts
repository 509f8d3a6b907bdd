/**
 * The outbox relay: claims due webhook deliveries with a database lease, signs and POSTs them,
 * logs every attempt and moves each delivery on (succeeded, retry later, failed).
 *
 * Guarantees: at-least-once (a crash between the POST and the finalize means the row comes due
 * again when its lease expires, with the same request id); no two nodes run the same attempt
 * (the claim is a conditional UPDATE, the finalize is fenced by the claim's token); a slow
 * receiver only ever occupies its own slots, never the loop.
 */
import { randomBytes } from 'node:crypto';
import type { Dispatcher } from 'undici';
import type { Container } from '../container.ts';
import { dialectOf } from '../db/database.ts';
import type { EventOutbox } from '../events/event-outbox.ts';
import { moduleLogger } from '../lib/logger.ts';
import { parseCidrList } from './address-policy.ts';
import { cycleAttemptOf, nextState, sendDelivery } from './delivery-attempt.ts';
import type { ClaimedDelivery } from './delivery-claim.ts';
import { applyOutcome } from './delivery-outcome.ts';
import { portOf } from './destination-url.ts';
import { FinalizeBatcher } from './finalize-batcher.ts';
import { createGuardedAgent, originKey, type Resolver } from './ssrf-guard.ts';
import { WakeSignal } from './wake-signal.ts';
import type { WebhookDeliveryStore } from './webhook-delivery-store.ts';
import type { WebhookEndpointStore } from './webhook-endpoint-store.ts';
import { createWebhookMetrics, observeAttempt, type WebhookMetrics } from './webhook-metrics.ts';

const log = moduleLogger('webhooks');

/** How much longer than the HTTP timeout a lease lasts: DB round trips, GC pauses, slow finalize. */
export const LEASE_MARGIN_MS = 30_000;
export const DEFAULT_CONCURRENCY = 16;
export const DEFAULT_POLL_INTERVAL_MS = 500;
/** Finished-but-unrecorded attempts allowed, as a multiple of the concurrency, before claiming pauses. */
const MAX_UNRECORDED_FACTOR = 2;

/** Claimed rows kept waiting for a free slot, as a multiple of the concurrency (in flight included). */
const PREFETCH_FACTOR = 2;
/** A claimed row that waited this long for its endpoint's slots is given back to the database. */
const READY_MAX_WAIT_MS = 5_000;

interface ReadyItem {
  delivery: ClaimedDelivery;
  owner: string;
  at: number;
}

function bump(map: Map<string, number>, key: string, by: number): void {
  const value = (map.get(key) ?? 0) + by;
  if (value <= 0) map.delete(key);
  else map.set(key, value);
}

export interface DeliveryWorkerOptions {
  deliveries: WebhookDeliveryStore;
  endpoints: WebhookEndpointStore;
  /** Wakes the worker right after a commit that wrote deliveries (no wait for the next poll). */
  outbox?: EventOutbox | undefined;
  /** Delays between attempts (N delays = N + 1 attempts). */
  retrySchedule: readonly number[];
  /** Whole exchange per attempt. */
  timeoutMs: number;
  /** Lease per claim; must exceed timeoutMs. Default timeoutMs + 30 s. */
  leaseMs?: number | undefined;
  /** Attempts in flight at once. Default 16. */
  concurrency?: number | undefined;
  /**
   * Attempts in flight at once for any one endpoint. Default ¾ of `concurrency`, so a slow or
   * hanging receiver with a backlog can never take every slot from the others.
   */
  perEndpointConcurrency?: number | undefined;
  pollIntervalMs?: number | undefined;
  /** `WEBHOOK_ALLOWED_CIDRS`; ignored when `dispatcher` is given. */
  allowedCidrs?: string | undefined;
  /** DNS for the guarded agent (tests inject a loopback-only resolver). */
  resolver?: Resolver | undefined;
  /** Replaces the guarded agent entirely (the caller owns and closes it). */
  dispatcher?: Dispatcher | undefined;
  /** Claim loops / finalize transactions at once. Default: what the store suggests (SQLite 1, MySQL 2). */
  parallelism?: number | undefined;
  /** Identifies this node in lease owners (`NODE_ID`). */
  nodeId?: string | null | undefined;
  /**
   * Give back, at start, leases held by this node's previous process instead of waiting for them
   * to expire. Only safe when the node id is unique among live processes.
   */
  releaseOwnStaleLeases?: boolean | undefined;
  /** Epoch ms; injected in tests. */
  now?: (() => number) | undefined;
  /** ± fraction applied to the retry schedule. Default 0.1. */
  jitter?: number | undefined;
  metrics?: WebhookMetrics | undefined;
  maxResponseBytes?: number | undefined;
}

export class DeliveryWorker {
  readonly metrics: WebhookMetrics;
  private readonly concurrency: number;
  private readonly perEndpoint: number;
  private readonly minClaimBatch: number;
  /** Attempts whose HTTP exchange is in progress (the concurrency limit applies to these). */
  private busy = 0;
  private readonly busyByEndpoint = new Map<string, number>();
  private readonly readyByEndpoint = new Map<string, number>();
  private ready: ReadyItem[] = [];
  private readonly leaseMs: number;
  private readonly pollIntervalMs: number;
  private readonly now: () => number;
  private readonly dispatcher: Dispatcher;
  /** Origins connected at addresses only WEBHOOK_ALLOWED_CIDRS allows (filled by the guarded agent). */
  private readonly privateOrigins = new Set<string>();
  private readonly ownsDispatcher: boolean;
  private readonly nodePrefix: string;
  private readonly ownerPrefix: string;
  private claimSeq = 0;
  private running = false;
  private loopDone: Promise<void> | null = null;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly wakeup = new WakeSignal();
  private wakeRequested = false;
  private idleWaiters: (() => void)[] = [];
  private readonly finalizer: FinalizeBatcher;
  /** Claim loops and finalize flushers that may run at once (the store's connection parallelism). */
  private readonly parallelism: number;
  /** Rows being claimed right now (counted against the prefetch room by every claim loop). */
  private claiming = 0;
  /** Terminal failures this worker recorded, per endpoint (see FinalizeItem.resetStreak). */
  private readonly failuresRecorded = new Map<string, number>();

  constructor(private readonly options: DeliveryWorkerOptions) {
    this.metrics = options.metrics ?? createWebhookMetrics();
    this.concurrency = Math.max(1, options.concurrency ?? DEFAULT_CONCURRENCY);
    this.perEndpoint = Math.max(
      1,
      Math.min(this.concurrency, options.perEndpointConcurrency ?? Math.ceil((this.concurrency * 3) / 4)),
    );
    this.minClaimBatch = this.concurrency;
    this.parallelism = Math.max(1, options.parallelism ?? options.deliveries.parallelism ?? 1);
    this.finalizer = new FinalizeBatcher({
      deliveries: options.deliveries,
      parallelism: this.parallelism,
      fullBatch: this.minClaimBatch,
      attemptsInProgress: () => this.busy > 0,
    });
    this.leaseMs = options.leaseMs ?? options.timeoutMs + LEASE_MARGIN_MS;
    if (this.leaseMs <= options.timeoutMs) {
      throw new Error(
        `webhook lease (${this.leaseMs} ms) must be longer than the timeout (${options.timeoutMs} ms)`,
      );
    }
    this.pollIntervalMs = options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
    this.now = options.now ?? Date.now;
    if (options.dispatcher) {
      this.dispatcher = options.dispatcher;
      this.ownsDispatcher = false;
    } else {
      this.dispatcher = createGuardedAgent({
        allowed: parseCidrList(options.allowedCidrs ?? ''),
        resolver: options.resolver,
        connectTimeoutMs: options.timeoutMs,
        privateOrigins: this.privateOrigins,
      });
      this.ownsDispatcher = true;
    }
    // lease_owner is 64 characters: node (≤ 32) : boot (11) : claim sequence.
    this.nodePrefix = `${(options.nodeId ?? 'local').slice(0, 32)}:`;
    this.ownerPrefix = `${this.nodePrefix}${randomBytes(8).toString('base64url')}:`;
    options.outbox?.onCommitted(() => this.wake());
  }

  /** Whether this URL's origin was reached at an address only WEBHOOK_ALLOWED_CIDRS allows. */
  private isPrivateDestination(destination: string): boolean {
    try {
      const url = new URL(destination);
      return this.privateOrigins.has(originKey(url.protocol, url.hostname, portOf(url)));
    } catch {
      return false;
    }
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loopDone = this.run();
  }

  private async run(): Promise<void> {
    if (this.options.releaseOwnStaleLeases) {
      try {
        const released = await this.options.deliveries.releaseStaleLeases(
          this.nodePrefix,
          this.ownerPrefix,
          this.now(),
        );
        if (released > 0)
          log.warn('took back deliveries leased before a restart', {
            count: released,
          });
      } catch (error) {
        log.warn('could not release stale leases', { error });
      }
    }
    // Several claim loops when the database serves several connections (MySQL): a claim is a few
    // round trips, and with one loop those would cap the throughput.
    await Promise.all(Array.from({ length: this.parallelism }, () => this.loop()));
    await this.releaseReady(this.ready.splice(0));
  }

  /** New rows may be due: claim now instead of at the next poll. */
  wake(): void {
    if (!this.running) return;
    this.wakeRequested = true;
    this.wakeup.notify();
  }

  /** Stops claiming and waits for the attempts in flight to finish and be recorded. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.wakeup.notify();
    await this.loopDone;
    await Promise.allSettled([...this.inFlight]);
    for (const resolve of this.idleWaiters.splice(0)) resolve();
    if (this.ownsDispatcher) await (this.dispatcher as Dispatcher & { close(): Promise<void> }).close();
  }

  /** Resolves once nothing is due and nothing is in flight (tests and benchmarks). */
  whenIdle(): Promise<void> {
    this.wake();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async loop(): Promise<void> {
    while (this.running) {
      await this.startReady();
      // Claimed rows wait in `ready` for a slot: up to PREFETCH_FACTOR × concurrency leased at once,
      // claimed (while busy) in batches of at least `concurrency` rows, so one claim serves many
      // deliveries instead of one claim transaction per finished attempt.
      const room = this.concurrency * PREFETCH_FACTOR - this.busy - this.ready.length - this.claiming;
      const idle = this.busy === 0 && this.ready.length === 0 && this.claiming === 0;
      // After startReady, a free slot means nothing waiting can use it (empty, or only rows of
      // endpoints at their share): claim now, however small, rather than leave the slot idle.
      const slotsIdle = this.busy < this.concurrency && this.claiming === 0;
      const unrecorded = this.inFlight.size - this.busy;
      if (
        room <= 0 ||
        (room < this.minClaimBatch && !idle && !slotsIdle) ||
        // Many finished attempts still wait for their finalize: the database is the bottleneck.
        unrecorded >= this.concurrency * MAX_UNRECORDED_FACTOR
      ) {
        await this.wakeup.wait(this.pollIntervalMs);
        continue;
      }
      this.wakeRequested = false;
      const owner = `${this.ownerPrefix}${(this.claimSeq++).toString(36)}`;
      let batch: ClaimedDelivery[];
      this.claiming += room;
      try {
        batch = await this.options.deliveries.claim({
          owner,
          now: this.now(),
          leaseMs: this.leaseMs,
          limit: room,
          excludeEndpoints: this.saturatedEndpoints(),
        });
      } catch (error) {
        log.warn('claiming webhook deliveries failed', { error });
        await this.wakeup.wait(this.pollIntervalMs);
        continue;
      } finally {
        this.claiming -= room;
      }
      const at = this.now();
      for (const delivery of batch) {
        this.ready.push({ delivery, owner, at });
        bump(this.readyByEndpoint, delivery.endpointId, 1);
      }
      await this.startReady();
      if (batch.length === room || this.wakeRequested) continue;
      if (batch.length === 0 && this.inFlight.size === 0 && this.ready.length === 0 && this.claiming === 0) {
        this.notifyIdle();
      }
      await this.wakeup.wait(this.pollIntervalMs);
    }
  }

  /**
   * Starts claimed deliveries while slots are free, skipping (not blocking on) endpoints already
   * at their share of the slots. Rows that waited too long for their endpoint go back to the
   * database, so a hanging receiver cannot sit on leases.
   */
  private async startReady(): Promise<void> {
    if (this.ready.length === 0) return;
    const now = this.now();
    const waiting: ReadyItem[] = [];
    const stale: ReadyItem[] = [];
    for (const item of this.ready) {
      const endpointId = item.delivery.endpointId;
      if (this.running && this.busy < this.concurrency && (this.busyByEndpoint.get(endpointId) ?? 0) < this.perEndpoint) {
        bump(this.readyByEndpoint, endpointId, -1);
        this.spawn(item.delivery, item.owner);
      } else if (now - item.at > READY_MAX_WAIT_MS) {
        stale.push(item);
      } else {
        waiting.push(item);
      }
    }
    this.ready = waiting;
    await this.releaseReady(stale);
  }

  private async releaseReady(items: ReadyItem[]): Promise<void> {
    for (const item of items) {
      bump(this.readyByEndpoint, item.delivery.endpointId, -1);
      await this.options.deliveries
        .release(item.delivery.id, item.owner, this.now())
        .catch((error) => log.warn('could not release a delivery; it returns after its lease', { error }));
    }
  }

  /** Endpoints with a full share of slots and a full share waiting: claim nothing more for them. */
  private saturatedEndpoints(): string[] {
    const out: string[] = [];
    for (const [endpointId, waiting] of this.readyByEndpoint) {
      if (waiting >= this.perEndpoint && (this.busyByEndpoint.get(endpointId) ?? 0) >= this.perEndpoint) {
        out.push(endpointId);
      }
    }
    return out;
  }

  private notifyIdle(): void {
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  private spawn(delivery: ClaimedDelivery, owner: string): void {
    this.metrics.inFlight += 1;
    this.busy += 1;
    const endpointId = delivery.endpointId;
    bump(this.busyByEndpoint, endpointId, 1);
    let slotHeld = true;
    // The HTTP slot is given back as soon as the exchange is over; recording it (group commit)
    // happens in the background, so slots never wait on the database.
    const releaseSlot = () => {
      if (!slotHeld) return;
      slotHeld = false;
      this.metrics.inFlight -= 1;
      this.busy -= 1;
      bump(this.busyByEndpoint, endpointId, -1);
      this.wakeup.notify();
    };
    const task = this.attempt(delivery, owner, releaseSlot)
      .catch((error) => {
        // The lease will expire and the row comes due again: nothing is lost.
        log.warn('webhook attempt could not be recorded; it will be retried after the lease', {
          delivery_id: delivery.id,
          error,
        });
      })
      .finally(() => {
        releaseSlot();
        this.inFlight.delete(task);
        this.wakeup.notify();
      });
    this.inFlight.add(task);
  }

  private async attempt(delivery: ClaimedDelivery, owner: string, releaseSlot: () => void): Promise<void> {
    const failuresAtStart = this.failuresRecorded.get(delivery.endpointId) ?? 0;
    const outcome = await sendDelivery(delivery, {
      startedAt: this.now(),
      timeoutMs: this.options.timeoutMs,
      dispatcher: this.dispatcher,
      maxResponseBytes: this.options.maxResponseBytes,
    });
    releaseSlot();
    observeAttempt(this.metrics, outcome);

    const at = this.now();
    const state = nextState(outcome, delivery, this.options, at);
    const fenced = await this.finalizer.finalize({
      delivery,
      owner,
      state,
      resetStreak:
        delivery.endpointFailures > 0 ||
        (this.failuresRecorded.get(delivery.endpointId) ?? 0) > failuresAtStart,
      attempt: {
        url: delivery.destinationUrl,
        statusCode: outcome.statusCode,
        latencyMs: outcome.latencyMs,
        responseBody: outcome.responseBody,
        privateDestination: this.isPrivateDestination(delivery.destinationUrl),
        error: outcome.error,
        trigger: delivery.scheduleOffset > 0 && cycleAttemptOf(delivery) === 1 ? 'manual' : 'scheduled',
        at,
      },
    });
    if (!fenced) {
      this.metrics.lostLeases += 1;
      log.warn('webhook lease lost before the attempt was recorded; another node owns the delivery now', {
        delivery_id: delivery.id,
      });
      return;
    }

    await applyOutcome(
      {
        metrics: this.metrics,
        endpoints: this.options.endpoints,
        onTerminalFailure: (endpointId) =>
          this.failuresRecorded.set(endpointId, (this.failuresRecorded.get(endpointId) ?? 0) + 1),
      },
      delivery,
      outcome,
      state,
      at,
    );
  }
}

export type WorkerOverrides = Partial<Omit<DeliveryWorkerOptions, 'deliveries' | 'endpoints'>>;

/**
 * The worker wired from a container's config (what `startBackgroundJobs` runs). Tests pass
 * overrides: a short schedule, a loopback-only resolver, an injected `now`.
 */
export function createDeliveryWorker(c: Container, overrides: WorkerOverrides = {}): DeliveryWorker {
  return new DeliveryWorker({
    deliveries: c.webhookDeliveries,
    endpoints: c.webhookEndpoints,
    outbox: c.outbox,
    retrySchedule: c.config.webhookRetrySchedule,
    timeoutMs: c.config.webhookTimeoutMs,
    concurrency: c.config.webhookConcurrency,
    leaseMs: c.config.webhookLeaseMs,
    allowedCidrs: c.config.webhookAllowedCidrs,
    nodeId: c.config.nodeId,
    // One process per SQLite file, or an operator-assigned NODE_ID: either way this node's old
    // leases can only belong to a dead process.
    releaseOwnStaleLeases: c.config.nodeId !== null || dialectOf(c.db) === 'sqlite',
    now: () => c.clock.now().getTime(),
    metrics: c.webhookMetrics,
    ...overrides,
  });
}
