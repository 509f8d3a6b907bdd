import { performance } from 'node:perf_hooks';
import type { Knex } from 'knex';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { InstanceStore } from '../instances/instance-store.ts';
import { moduleLogger } from '../lib/logger.ts';
import type { SendRequest, SendResult, Transport } from '../transport/transport.ts';
import type { ClusterSettings } from './cluster-settings.ts';
import { LeaseLostError, LeaseStore } from './lease-store.ts';

const log = moduleLogger('cluster');

interface Held {
  generation: number;
  /** performance.now() when this node took the instance. */
  since: number;
}

export interface ClusterMetrics {
  takeovers: Counter;
  lost: Counter<'reason'>;
  forwarded: Counter<'op' | 'result'>;
}

function clusterMetrics(registry: Registry, node: () => ClusterNode): ClusterMetrics {
  const registers = [registry];
  new Gauge({
    name: 'warden_cluster_leases_held',
    help: 'Instance leases this node holds (it runs their WhatsApp sessions).',
    registers,
    collect() {
      this.set(node().heldCount());
    },
  });
  return {
    takeovers: new Counter({
      name: 'warden_cluster_takeovers_total',
      help: 'Instances this node took over (claimed a free or expired lease, or created one).',
      registers,
    }),
    lost: new Counter({
      name: 'warden_cluster_leases_released_total',
      help: 'Leases this node stopped holding, by reason (rebalance, drain, lost, replaced).',
      labelNames: ['reason'],
      registers,
    }),
    forwarded: new Counter({
      name: 'warden_cluster_forwarded_calls_total',
      help: 'Calls forwarded to the owning node, by operation and result.',
      labelNames: ['op', 'result'],
      registers,
    }),
  };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/**
 * One node of a cluster (SPEC §12). It heartbeats, renews the leases it holds, claims its fair
 * share of free instances (ceil(instances / live nodes), after a random jitter), hands extras
 * back when a node joins, and runs WhatsApp sessions only for instances whose lease it holds.
 *
 * Two guards keep a paused or partitioned ex-owner harmless:
 * - locally, `holds()` is false once the time since the last successful renewal is longer than
 *   the lease minus one heartbeat (measured with the monotonic clock, so a SIGSTOP counts);
 * - in the database, every fenced write locks the lease row and checks owner and generation
 *   (`LeaseStore.assertHeld`), so a write after a takeover is refused.
 */
export class ClusterNode {
  readonly leases: LeaseStore;
  readonly metrics: ClusterMetrics;
  private settings: ClusterSettings | null = null;
  private secretValue = '';
  private readonly held = new Map<string, Held>();
  /** performance.now() until which the leases renewed last are safe to act on. */
  private deadline = 0;
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<void> | null = null;
  private wakeRequested = false;
  private stopped = false;
  private draining = false;
  private readonly startWaiters: (() => void)[] = [];

  constructor(
    private readonly db: Knex,
    private readonly inner: Transport,
    private readonly instances: InstanceStore,
    registry: Registry,
  ) {
    this.leases = new LeaseStore(db);
    this.metrics = clusterMetrics(registry, () => this);
  }

  get id(): string {
    return this.settings?.nodeId ?? '';
  }

  get started(): boolean {
    return this.settings !== null;
  }

  get config(): ClusterSettings {
    if (!this.settings) throw new Error('cluster node not started');
    return this.settings;
  }

  get secret(): string {
    return this.secretValue;
  }

  heldCount(): number {
    return this.held.size;
  }

  /** Join the cluster: first heartbeat, first claims, then the heartbeat loop. */
  async start(settings: ClusterSettings): Promise<void> {
    this.settings = settings;
    this.secretValue = await this.leases.clusterSecret(settings.secret, Date.now());
    for (const fn of this.startWaiters.splice(0)) fn();
    await this.runTick();
    this.schedule();
    log.info('cluster node joined', {
      node_id: settings.nodeId,
      node_url: settings.nodeUrl,
      lease_ms: settings.leaseMs,
      heartbeat_ms: settings.heartbeatMs,
      instances: this.held.size,
    });
  }

  /** Resolves once `start` has been called (calls arriving before wait for it). */
  whenStarted(): Promise<void> {
    if (this.settings) return Promise.resolve();
    return new Promise((resolve) => this.startWaiters.push(resolve));
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.runTick().finally(() => this.schedule());
    }, this.config.heartbeatMs);
    this.timer.unref();
  }

  /** Run a tick now (another node handed instances over); coalesces with a running one. */
  wake(): void {
    if (this.stopped || !this.settings) return;
    if (this.ticking) {
      this.wakeRequested = true;
      return;
    }
    void this.runTick();
  }

  private async runTick(): Promise<void> {
    if (this.ticking) return this.ticking;
    this.ticking = (async () => {
      do {
        this.wakeRequested = false;
        try {
          await this.tick();
        } catch (error) {
          log.warn('cluster heartbeat failed', { error });
          // Cut off from the database past the lease: another node may own these instances by
          // now, so stop their sessions rather than fight over the numbers.
          if (performance.now() >= this.deadline)
            for (const id of [...this.held.keys()]) await this.drop(id, 'lost');
        }
      } while (this.wakeRequested && !this.stopped);
    })();
    try {
      await this.ticking;
    } finally {
      this.ticking = null;
    }
  }

  /** True while this node may act for the instance (lease held and renewed recently enough). */
  holds(instanceId: string): boolean {
    return this.held.has(instanceId) && performance.now() < this.deadline;
  }

  /** Held, but taken over so recently that its session may still be connecting. */
  recentlyAcquired(instanceId: string): boolean {
    const h = this.held.get(instanceId);
    return !!h && this.settings !== null && performance.now() - h.since < this.settings.failoverWaitMs;
  }

  private async tick(): Promise<void> {
    const s = this.config;
    const t0 = performance.now();
    await this.leases.heartbeat({ id: s.nodeId, url: s.nodeUrl, draining: this.draining });
    const renewed = await this.leases.renew(s.nodeId, s.leaseMs);
    this.deadline = t0 + s.leaseMs - s.heartbeatMs;
    for (const [id, h] of [...this.held]) {
      // (an instance created through this node after the renewal read is not lost)
      if (h.since < t0 && renewed.get(id) !== h.generation) await this.drop(id, 'lost');
    }
    // Leases this node holds but runs no session for (e.g. claimed just before a crash of the
    // session start): start them now.
    for (const [id, generation] of renewed) {
      if (!this.held.has(id) && !this.draining) await this.adopt(id, generation);
    }
    if (this.draining || this.stopped) return;
    await this.leases.ensureLeaseRows();
    const [live, total] = await Promise.all([this.leases.countLiveNodes(s.leaseMs), this.leases.countInstances()]);
    const target = Math.ceil(total / Math.max(1, live));
    if (this.held.size > target) {
      for (const id of [...this.held.keys()].slice(target)) await this.handBack(id, 'rebalance');
      return;
    }
    const want = target - this.held.size;
    if (want <= 0) return;
    const free = await this.leases.claimable(want * 2);
    if (free.length === 0) return;
    if (s.claimJitterMs > 0) await sleep(Math.random() * s.claimJitterMs);
    let taken = 0;
    for (const id of shuffle(free)) {
      if (taken >= want || this.stopped || this.draining) break;
      const generation = await this.leases.claim(id, s.nodeId, s.leaseMs);
      if (generation === null) continue;
      taken += 1;
      this.metrics.takeovers.inc();
      log.info('instance taken over', { instance_id: id, generation });
      await this.adopt(id, generation);
    }
  }

  /** Start the session of an instance this node now owns, the way its row says. */
  private async adopt(id: string, generation: number): Promise<void> {
    this.held.set(id, { generation, since: performance.now() });
    const instance = await this.instances.get(id);
    if (!instance || instance.destroyedAt !== null) {
      this.held.delete(id);
      await this.leases.release(id, this.config.nodeId, generation);
      return;
    }
    try {
      if (instance.hasSession) await this.inner.start({ instanceId: id, restore: true, phone: instance.phone });
      else if (instance.state === 'qr_generated') await this.inner.start({ instanceId: id, restore: false });
    } catch (error) {
      log.warn('session start after takeover failed', { instance_id: id, error });
    }
  }

  /** A new instance created through this node: it owns it from the start. */
  async claimNew(instanceId: string): Promise<void> {
    await this.whenStarted();
    const generation = await this.leases.claimNew(instanceId, this.config.nodeId, this.config.leaseMs);
    if (generation === null) throw new LeaseLostError(instanceId);
    this.held.set(instanceId, { generation, since: performance.now() });
    this.metrics.takeovers.inc();
  }

  /** Stop the local session without logging out (the credentials stay for the next owner). */
  private async drop(id: string, reason: string): Promise<void> {
    if (!this.held.delete(id)) return;
    this.metrics.lost.inc({ reason });
    log.info('instance lease released', { instance_id: id, reason });
    try {
      await this.inner.release?.(id);
    } catch (error) {
      log.warn('stopping the session failed', { instance_id: id, error });
    }
  }

  /** Graceful hand-over: stop the session first, then free the lease for another node. */
  private async handBack(id: string, reason: string): Promise<void> {
    const h = this.held.get(id);
    if (!h) return;
    await this.drop(id, reason);
    await this.leases.release(id, this.config.nodeId, h.generation);
  }

  /** The instance was destroyed or logged out for good here: forget it locally. */
  forget(instanceId: string): void {
    this.held.delete(instanceId);
  }

  /**
   * The database fence for writes made on behalf of an instance (auth state, state changes):
   * call inside the write transaction; throws `LeaseLostError` when not the owner any more.
   */
  async fence(trx: Knex, instanceId: string): Promise<void> {
    const h = this.held.get(instanceId);
    if (!h || !this.settings || performance.now() >= this.deadline) throw new LeaseLostError(instanceId);
    await this.leases.assertHeld(trx, instanceId, this.settings.nodeId, h.generation);
  }

  /** A send by the owner: fenced by the lease in the database, then handed to the transport. */
  async localSend(request: SendRequest): Promise<SendResult> {
    // Just taken over: the session is still logging in; wait for it (within the failover wait).
    while (!this.inner.isConnected(request.instanceId) && this.recentlyAcquired(request.instanceId))
      await sleep(100);
    await this.fence(this.db, request.instanceId);
    return this.inner.send(request);
  }

  /**
   * WhatsApp replaced this node's connection (440): re-read the lease. Not the owner any more →
   * stop the session and let the owner have the number (no reconnect loop).
   */
  async keepAfterReplaced(instanceId: string): Promise<boolean> {
    const h = this.held.get(instanceId);
    if (!h || !this.settings) return false;
    const owner = await this.leases.ownerOf(instanceId).catch(() => null);
    const renewed = owner === this.settings.nodeId ? await this.leases.renew(this.settings.nodeId, this.settings.leaseMs) : null;
    if (renewed?.get(instanceId) === h.generation) return true;
    await this.drop(instanceId, 'replaced');
    return false;
  }

  /** SIGTERM: hand every instance over, tell the other nodes, stop heartbeating. */
  async drain(): Promise<number> {
    if (!this.settings || this.stopped) return 0;
    this.draining = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.ticking) await this.ticking.catch(() => {});
    const ids = [...this.held.keys()];
    await Promise.all(ids.map((id) => this.handBack(id, 'drain').catch((error) => log.warn('hand-over failed', { instance_id: id, error }))));
    this.stopped = true;
    try {
      await this.leases.heartbeat({ id: this.settings.nodeId, url: this.settings.nodeUrl, draining: true });
      await this.wakePeers();
    } catch (error) {
      log.warn('announcing the hand-over failed', { error });
    }
    log.info('cluster node drained', { node_id: this.settings.nodeId, instances: ids.length });
    return ids.length;
  }

  /** Ask every other live node to run its claim round now (a hand-over in well under a heartbeat). */
  private async wakePeers(): Promise<void> {
    const nodes = await this.leases.listNodes(this.config.leaseMs);
    await Promise.all(
      nodes
        .filter((n) => n.alive && n.id !== this.config.nodeId)
        .map((n) =>
          fetch(`${n.url}/internal/cluster/wake`, {
            method: 'POST',
            headers: { 'x-warden-cluster-secret': this.secretValue, 'x-warden-node': this.config.nodeId },
            signal: AbortSignal.timeout(500),
          }).then(
            (r) => r.body?.cancel(),
            () => undefined,
          ),
        ),
    );
  }

  /** Stop the loop without handing over (the process is going away anyway, or tests). */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}

function shuffle<T>(items: T[]): T[] {
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j] as T, a[i] as T];
  }
  return a;
}
