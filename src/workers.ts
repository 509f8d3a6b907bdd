import type { RouterFactory } from './app.ts';
import type { Container } from './container.ts';
import { moduleLogger } from './lib/logger.ts';
import { createDeliveryWorker } from './webhooks/delivery-worker.ts';

const log = moduleLogger('workers');
const STALE_RESERVATION_MS = 5 * 60_000;

export interface BackgroundJobs {
  routers: RouterFactory[];
  stop: () => Promise<void>;
}

/**
 * Housekeeping that keeps promises true after crashes: quota held by a send that never finished
 * (the process died mid-send) is given back, and expired idempotency keys are purged.
 */
export async function reclaimStaleReservations(c: Container): Promise<number> {
  const stale = await c.messages.staleReservations(c.clock.now().getTime() - STALE_RESERVATION_MS);
  for (const m of stale) {
    await c.db.transaction(async (trx) => {
      const n = await trx('messages').where({ id: m.id, status: 'reserved', quota_held: true }).update({
        status: 'failed',
        error_code: 'gateway_send_failed',
        failure_reason: 'interrupted',
        quota_held: false,
        updated_at: c.clock.now().getTime(),
      });
      if (n === 1 && m.dayKey && m.monthKey)
        await c.quota.release(trx, m.accountId, { dayKey: m.dayKey, monthKey: m.monthKey });
    });
  }
  return stale.length;
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
  every(60_000, 'reclaim stale reservations', () => reclaimStaleReservations(c));
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
