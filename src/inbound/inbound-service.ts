import type { EventPayload } from '../events/event-schemas.ts';
import type { EventType } from '../events/event-types.ts';
import type { Instance } from '../instances/instance-store.ts';
import { moduleLogger } from '../lib/logger.ts';
import type { TransportEvent } from '../transport/transport.ts';
import { INBOUND_HANDLERS } from './handlers/index.ts';
import {
  CONVERSATION_WINDOW_HOURS,
  type InboundContext,
  type InboundHandler,
  type InboundServiceDeps,
} from './inbound-context.ts';

export { CONVERSATION_WINDOW_HOURS, type InboundServiceDeps } from './inbound-context.ts';

const log = moduleLogger('inbound');

/**
 * The inbound side of the transport (SPEC §6, §7): every non-lifecycle transport event becomes
 * rows and outbox events, each state change together with its events in one transaction. Each
 * kind of event has its handler in `INBOUND_HANDLERS` (`handlers/`); this service dispatches to
 * them and owns the plumbing they share: deferred work, de-duplication and draining on close.
 */
export class InboundService implements InboundContext {
  private readonly pending = new Set<Promise<unknown>>();
  /** Deferred work: the timer and how to settle its `pending` promise if it never runs. */
  private readonly timers = new Map<NodeJS.Timeout, () => void>();
  private readonly seen = new Map<string, number>();
  private closed = false;
  readonly windowMs: number;

  constructor(readonly deps: InboundServiceDeps) {
    this.windowMs = (deps.windowHours ?? CONVERSATION_WINDOW_HOURS) * 3600_000;
  }

  /** The `instances.addHandler` entry point. */
  readonly handle = async (event: TransportEvent, instance: Instance): Promise<void> => {
    if (instance.state === 'destroyed') return;
    const handler = INBOUND_HANDLERS[event.type] as InboundHandler<typeof event.type> | undefined;
    await handler?.(event, instance, this);
  };

  /** Resolves once deferred work (confirmation replies, delayed receipts, phone echoes) is done. */
  async drain(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const [timer, settle] of this.timers) {
      clearTimeout(timer);
      settle();
    }
    this.timers.clear();
    await this.drain();
  }

  async emitNow<T extends EventType>(
    instance: Instance,
    type: T,
    payload: EventPayload<T>,
    messageId?: string,
  ): Promise<void> {
    await this.deps.outbox.emitNow({
      type,
      accountId: instance.accountId,
      instanceId: instance.id,
      instanceName: instance.name,
      payload,
      messageId: messageId ?? null,
    });
  }

  /** True when `key` was seen in the last 10 minutes (bounded memory). */
  once(key: string): boolean {
    const now = Date.now();
    if (this.seen.size > 10_000) {
      for (const [k, t] of this.seen) if (now - t > 600_000 || this.seen.size > 5_000) this.seen.delete(k);
    }
    const t = this.seen.get(key);
    if (t !== undefined && now - t < 600_000) return true;
    this.seen.set(key, now);
    return false;
  }

  track(promise: Promise<unknown>): void {
    const p = promise.finally(() => this.pending.delete(p));
    this.pending.add(p);
  }

  later(ms: number, fn: () => Promise<void>): void {
    if (this.closed) return;
    let settle!: () => void;
    this.track(
      new Promise<void>((resolve) => {
        settle = resolve;
      }),
    );
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn()
        .catch((error) => log.error('deferred inbound work failed', { error }))
        .finally(settle);
    }, ms);
    timer.unref();
    this.timers.set(timer, settle);
  }
}
