/**
 * What the parts of the Baileys transport share: its options, its clock, the per-instance
 * runtime (socket, auth state, caches, event chain) and the ordered event queue to the listener.
 */
import type { proto, WASocket } from '@whiskeysockets/baileys';
import type { Knex } from 'knex';
import type { Dispatcher } from 'undici';
import { type TransportEvent, type TransportListener, TransportSendError } from '../transport.ts';
import { CallTracker } from './baileys-event-mapper.ts';
import type { BaileysLogLevel, WinstonLike } from './baileys-logger.ts';
import type { DbAuthState, SentMessageStore } from './db-auth-state.ts';
import type { GuardedHttpsAgent } from './net-guard.ts';
import { TtlCache } from './ttl-cache.ts';

export interface TransportClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  /** [0, 1) — used for backoff jitter */
  random?(): number;
}

export const realClock: TransportClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
  random: () => Math.random(),
};

export interface BaileysTransportOptions {
  db: Knex;
  logger?: WinstonLike;
  /** WhatsApp Web WebSocket URL; defaults to Baileys' (wss://web.whatsapp.com/ws/chat). */
  waWebSocketUrl?: string;
  /** Directory for inbound media; reserved (media bytes are handed over in events). */
  mediaDir: string;
  /** Return a message this instance sent earlier (for retry receipts), or undefined. */
  getMessage?: (instanceId: string, key: proto.IMessageKey) => Promise<proto.IMessage | undefined>;
  clock?: TransportClock;
  reconnect?: {
    baseMs?: number;
    maxMs?: number;
    /** a connection open at least this long resets the backoff (default 60 s) */
    stableMs?: number;
    /** consecutive 440s before giving up (default 5) */
    maxReplacedAttempts?: number;
  };
  /** WhatsApp Web version to announce; defaults to the version bundled with Baileys. */
  version?: [number, number, number];
  printQrInTerminal?: boolean;
  browser?: [string, string, string];
  /** send timeout (default 30 s) */
  sendTimeoutMs?: number;
  connectTimeoutMs?: number;
  defaultQueryTimeoutMs?: number;
  keepAliveIntervalMs?: number;
  /** lifetime of each QR (Baileys default: 60 s for the first, 20 s for the next ones) */
  qrTimeoutMs?: number;
  /** how much of Baileys' own logging to pass on (default 'warn') */
  baileysLogLevel?: BaileysLogLevel;
  /** Inbound media larger than this is not downloaded (default 64 MB). */
  maxInboundMediaBytes?: number;
  /** Per download timeout (default 60 s). */
  mediaDownloadTimeoutMs?: number;
  /** Extra CA certificate(s) to trust for media hosts (test simulators). */
  mediaTlsCa?: string | Buffer;
  /**
   * Refuse any WebSocket/media connection outside 127.0.0.0/8 and ::1.
   * Defaults to true when WARDEN_TEST=1.
   */
  loopbackOnly?: boolean;
  /** Check `onWhatsApp` before the first send to a number (cached; default true). */
  checkRecipientOnWhatsApp?: boolean;
  /**
   * Keep a copy of each sent message for retry receipts (default 72 h; 0 disables). Used when
   * `getMessage` does not know the message.
   */
  retainSentMessagesMs?: number;
  /** Runs inside every auth-state write transaction (lease fencing); throw to abort. */
  beforeAuthWrite?: (instanceId: string, trx: Knex.Transaction) => Promise<void> | void;
  /**
   * WhatsApp replaced the connection (440). Resolve false when this node is no longer the
   * instance's owner: the session stops quietly instead of reconnecting (several nodes).
   */
  keepAfterReplaced?: (instanceId: string) => Promise<boolean>;
}

/** One instance's session: its socket, credentials, caches and the chain its events run in. */
export interface Runtime {
  id: string;
  auth?: DbAuthState;
  sock?: WASocket;
  generation: number;
  connected: boolean;
  /** no reconnects: stopped by logout/destroy/close/expiry/logged-out */
  stopped: boolean;
  reconnectTimer?: unknown;
  attempt: number;
  replacedStreak: number;
  restartTimes: number[];
  openedAt?: number;
  qrCount: number;
  /** a `disconnected` event was emitted for the current outage */
  announced: boolean;
  calls: CallTracker;
  sentStore?: SentMessageStore;
  waChecks: TtlCache;
  retryCounts: TtlCache;
  sentIds: TtlCache;
  /** serialises event emission so the listener sees events in order */
  chain: Promise<void>;
  qrWaiters: Array<() => void>;
}

export function newRuntime(id: string, clock: TransportClock): Runtime {
  return {
    id,
    generation: 0,
    connected: false,
    stopped: false,
    attempt: 0,
    replacedStreak: 0,
    restartTimes: [],
    qrCount: 0,
    announced: false,
    calls: new CallTracker(),
    waChecks: new TtlCache(24 * 3600_000, 5000, () => clock.now()),
    retryCounts: new TtlCache(3600_000, 2000, () => clock.now()),
    sentIds: new TtlCache(3600_000, 2000, () => clock.now()),
    chain: Promise.resolve(),
    qrWaiters: [],
  };
}

/** What the session, inbound and outbound parts are built from (resolved once by the facade). */
export interface BaileysShared {
  options: BaileysTransportOptions;
  log: WinstonLike;
  clock: TransportClock;
  loopbackOnly: boolean;
  events: TransportEventQueue;
  /** Media downloads (extra CA for test simulators). */
  mediaDispatcher: Dispatcher | undefined;
  /** Media uploads (loopback guard, extra CA). */
  uploadAgent: GuardedHttpsAgent | undefined;
}

/** Delivers transport events to the listener in each instance's order; a failing listener is logged. */
export class TransportEventQueue {
  private listener: TransportListener | undefined;

  constructor(private readonly log: WinstonLike) {}

  setListener(listener: TransportListener): void {
    this.listener = listener;
  }

  /** Queue one event behind the instance's earlier ones. */
  emit(rt: Runtime, event: TransportEvent): void {
    rt.chain = rt.chain.then(() => this.deliver(event));
  }

  /** Run `produce` in the instance's event chain and deliver what it returns, in order. */
  enqueue(rt: Runtime, what: string, produce: () => Promise<TransportEvent[]>): void {
    rt.chain = rt.chain
      .then(async () => {
        for (const ev of await produce()) {
          await this.deliver(ev);
        }
      })
      .catch((err) => {
        this.log.error(`baileys: handling ${what} failed`, { instanceId: rt.id, error: (err as Error).message });
      });
  }

  /** Deliver in place: for callers already running inside the instance's chain. */
  async deliver(event: TransportEvent): Promise<void> {
    if (!this.listener) {
      return;
    }
    try {
      await this.listener(event);
    } catch (err) {
      this.log.error('baileys: transport listener failed', {
        instanceId: event.instanceId,
        type: event.type,
        error: (err as Error).message,
      });
    }
  }
}

export function statusCodeOf(error: unknown): number | undefined {
  const boom = error as { output?: { statusCode?: number }; isBoom?: boolean } | undefined;
  return boom?.output?.statusCode;
}

export function withTimeout<T>(promise: Promise<T>, ms: number, message: string, clock: TransportClock): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = clock.setTimeout(() => reject(new TransportSendError(message, 'timeout')), ms);
    promise.then(
      (v) => {
        clock.clearTimeout(timer);
        resolve(v);
      },
      (e) => {
        clock.clearTimeout(timer);
        reject(e);
      },
    );
  });
}
