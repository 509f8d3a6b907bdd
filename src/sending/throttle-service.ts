import type { Redis } from 'ioredis';
import type { Knex } from 'knex';
import {
  BurstyRateLimiter,
  type IRateLimiterOptions,
  RateLimiterAbstract,
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
} from 'rate-limiter-flexible';
import type { ThrottlePolicy } from '../config/policies.ts';
import { OneStatementMySQLLimiter } from './mysql-rate-limiter.ts';

export type ThrottleStore =
  | { kind: 'memory' }
  | { kind: 'mysql'; db: Knex; dbName: string }
  | { kind: 'redis'; client: Redis };

export interface ThrottleRequest {
  instanceId: string;
  recipientHash: string;
  purpose: string;
  isNewRecipient: boolean;
  /** Plan multiplier × any review-imposed slowdown. */
  multiplier: number;
}

export type ThrottleRefusal = {
  limit: 'instance' | 'recipient' | 'new_recipients';
  retryAfterSeconds: number;
  points: number;
};

interface Consumable {
  consume(key: string, points?: number): Promise<RateLimiterRes>;
  reward?(key: string, points?: number): Promise<RateLimiterRes>;
}

/** A token to give back when a later step refuses or the transport fails. */
export interface ThrottleTicket {
  refunds: { limiter: Consumable; key: string }[];
}

/**
 * Send throttles from `policies/throttle.json`, enforced with rate-limiter-flexible: memory on one
 * node, MySQL or Redis when several nodes share the load. Limiters are built per (kind,
 * multiplier) once and reused; every key is scoped by instance.
 */
export class ThrottleService {
  private readonly limiters = new Map<string, Consumable>();

  constructor(
    private readonly policy: ThrottlePolicy,
    private readonly store: ThrottleStore,
  ) {}

  private build(opts: IRateLimiterOptions): RateLimiterAbstract {
    switch (this.store.kind) {
      case 'memory':
        return new RateLimiterMemory(opts);
      case 'redis':
        return new RateLimiterRedis({ ...opts, storeClient: this.store.client, rejectIfRedisNotReady: true });
      case 'mysql':
        // The `rate_limits` table comes from a migration, so limiters never race its creation.
        // One statement per consume (see OneStatementMySQLLimiter), on the stock limiter's table.
        return new OneStatementMySQLLimiter({
          ...opts,
          storeClient: this.store.db,
          dbName: this.store.dbName,
          tableName: 'rate_limits',
        });
    }
  }

  private limiter(kind: 'instance' | 'recipient' | 'new_recipients', multiplier: number): Consumable {
    const cacheKey = `${kind}:${multiplier}`;
    let limiter = this.limiters.get(cacheKey);
    if (limiter) return limiter;
    const scale = (n: number) => Math.max(1, Math.floor(n * multiplier));
    if (kind === 'instance') {
      const p = this.policy.per_instance;
      const main = this.build({
        keyPrefix: `thr_i_${multiplier}`,
        points: scale(p.points),
        duration: p.duration_seconds,
      });
      limiter = p.burst
        ? new BurstyRateLimiter(
            main,
            this.build({
              keyPrefix: `thr_ib_${multiplier}`,
              points: scale(p.burst),
              duration: p.burst_duration_seconds ?? p.duration_seconds,
            }),
          )
        : main;
    } else {
      const p = kind === 'recipient' ? this.policy.per_recipient : this.policy.new_recipients;
      limiter = this.build({
        keyPrefix: `thr_${kind === 'recipient' ? 'r' : 'n'}_${multiplier}`,
        points: scale(p.points),
        duration: p.duration_seconds,
      });
    }
    this.limiters.set(cacheKey, limiter);
    return limiter;
  }

  async consume(
    request: ThrottleRequest,
  ): Promise<{ ok: true; ticket: ThrottleTicket } | { ok: false; refusal: ThrottleRefusal }> {
    const exempt = this.policy.exempt_purposes_from_recipient_limit ?? [];
    const steps: { kind: 'instance' | 'recipient' | 'new_recipients'; key: string }[] = [
      { kind: 'instance', key: request.instanceId },
    ];
    if (!exempt.includes(request.purpose))
      steps.push({ kind: 'recipient', key: `${request.instanceId}:${request.recipientHash}` });
    if (request.isNewRecipient) steps.push({ kind: 'new_recipients', key: request.instanceId });
    const ticket: ThrottleTicket = { refunds: [] };
    for (const step of steps) {
      const limiter = this.limiter(step.kind, request.multiplier);
      try {
        await limiter.consume(step.key, 1);
        ticket.refunds.push({ limiter, key: step.key });
      } catch (error) {
        await this.refund(ticket);
        if (error instanceof RateLimiterRes) {
          return {
            ok: false,
            refusal: {
              limit: step.kind,
              retryAfterSeconds: Math.max(1, Math.ceil(error.msBeforeNext / 1000)),
              points: 0,
            },
          };
        }
        throw error;
      }
    }
    return { ok: true, ticket };
  }

  async refund(ticket: ThrottleTicket): Promise<void> {
    for (const { limiter, key } of ticket.refunds.splice(0)) {
      // BurstyRateLimiter has no reward(); its main limiter is refilled by time, which is fine.
      if (limiter.reward) await limiter.reward(key, 1).catch(() => {});
    }
  }
}
