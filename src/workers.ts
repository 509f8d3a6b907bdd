import type { RouterFactory } from './app.ts';
import type { Container } from './container.ts';
import { moduleLogger } from './lib/logger.ts';
import { reclaimStaleReservations as reclaimExpired } from './sending/reservation-recovery.ts';
import { createDeliveryWorker } from './webhooks/delivery-worker.ts';

const log = moduleLogger('workers');

export interface BackgroundJobs {
  routers: RouterFactory[];
  stop: () => Promise<void>;
}

/**
 * Housekeeping that keeps promises true after crashes: quota held by a send that never finished
 * (the process died mid-send) is given back once the send's deadline (SEND_DEADLINE) has passed,
 * and expired idempotency keys are purged.
 */
export function reclaimStaleReservations(c: Container): Promise<number> {
  return reclaimExpired({
    transact: c.sendDeps.transact,
    clock: c.clock,
    messages: c.messages,
    quota: c.quota,
    sendDeadlineMs: c.config.sendDeadlineMs,
  });
}

export function startBackgroundJobs(c: Container): BackgroundJobs {
  const timers: NodeJS.Timeout[] = [];
  const every = (ms: number, name: string, fn: () => Promise<unknown>) => {
    const run = () => fn().catch((error) => log.warn(`${name} failed`, { error }));
    void run();
    const t = setInterval(run, ms);
    t.unref();
    timers.push(t);
  };
  // A quarter of the deadline (at most a minute): an interrupted reservation is back soon after it.
  every(Math.min(60_000, Math.max(1000, Math.floor(c.config.sendDeadlineMs / 4))), 'reclaim stale reservations', () =>
    reclaimStaleReservations(c),
  );
  every(3600_000, 'purge idempotency keys', () => c.idempotency.purgeExpired());
  // Pause triggers that can only be judged over time (opt-out and failure rates, WhatsApp
  // restriction signals); refusals, flags and failures are also evaluated as they happen.
  every(c.policies.pause.evaluation.sweep_interval_seconds * 1000, 'pause-trigger sweep', () => c.autoPause.sweep());
  every(3600_000, 'purge admin sessions', () => c.adminSessions.purgeExpired());
  // Webhook outbox relay: woken by outbox commits, polling as a fallback (other nodes' commits).
  const webhookWorker = createDeliveryWorker(c);
  webhookWorker.start();
  return {
    routers: [],
    stop: async () => {
      for (const t of timers) clearInterval(t);
      await webhookWorker.stop();
    },
  };
}
