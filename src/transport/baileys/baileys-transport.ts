/**
 * The real WhatsApp transport: one Baileys 7 socket per instance, auth state in the database.
 * A thin facade over its parts:
 * - `baileys-session.ts`: the runtimes of this node, start (QR, pairing code, restore) and stop;
 * - `baileys-connection.ts`: the socket, connection updates and the reconnect policy;
 * - `baileys-inbound.ts`: socket events → transport events (`baileys-event-mapper.ts`), media;
 * - `baileys-outbound.ts`: sends and retry-receipt lookups;
 * - `baileys-runtime.ts`: what they share (options, clock, runtime, the ordered event queue).
 */
import { Agent as UndiciAgent } from 'undici';
import type {
  SendRequest,
  SendResult,
  StartOptions,
  Transport,
  TransportHealth,
  TransportListener,
} from '../transport.ts';
import { BaileysConnection } from './baileys-connection.ts';
import { BaileysInbound } from './baileys-inbound.ts';
import { noopLogger } from './baileys-logger.ts';
import { BaileysOutbound } from './baileys-outbound.ts';
import { type BaileysShared, type BaileysTransportOptions, realClock, TransportEventQueue } from './baileys-runtime.ts';
import { BaileysSessions } from './baileys-session.ts';
import { GuardedHttpsAgent } from './net-guard.ts';

export type { BaileysTransportOptions, TransportClock } from './baileys-runtime.ts';

export class BaileysTransport implements Transport {
  readonly kind = 'baileys' as const;
  private readonly shared: BaileysShared;
  private readonly sessions: BaileysSessions;
  private readonly connection: BaileysConnection;
  private readonly outbound: BaileysOutbound;

  constructor(options: BaileysTransportOptions) {
    const log = options.logger ?? noopLogger;
    const loopbackOnly = options.loopbackOnly ?? process.env.WARDEN_TEST === '1';
    this.shared = {
      options,
      log,
      clock: options.clock ?? realClock,
      loopbackOnly,
      events: new TransportEventQueue(log),
      uploadAgent:
        options.mediaTlsCa || loopbackOnly
          ? new GuardedHttpsAgent(loopbackOnly, options.mediaTlsCa ? { ca: options.mediaTlsCa } : {})
          : undefined,
      mediaDispatcher: options.mediaTlsCa ? new UndiciAgent({ connect: { ca: options.mediaTlsCa } }) : undefined,
    };
    this.sessions = new BaileysSessions(this.shared);
    this.outbound = new BaileysOutbound(this.shared);
    this.connection = new BaileysConnection(this.shared, new BaileysInbound(this.shared), this.outbound, {
      isClosed: () => this.sessions.isClosed,
      loggedOut: (rt, reason) => this.sessions.loggedOut(rt, reason),
      release: (instanceId) => this.sessions.release(instanceId),
    });
    this.sessions.attach(this.connection);
  }

  /**
   * Start-up checks: strict signature verification (see signature-self-test.ts) and, in
   * loopback-only mode, a loopback WebSocket URL. Called by `start()` too; idempotent.
   */
  init(): void {
    this.sessions.init();
  }

  onEvent(listener: TransportListener): void {
    this.shared.events.setListener(listener);
  }

  isConnected(instanceId: string): boolean {
    return this.sessions.runtime(instanceId)?.connected ?? false;
  }

  start(options: StartOptions): Promise<void> {
    return this.sessions.start(options);
  }

  regenerateQr(instanceId: string): Promise<void> {
    return this.sessions.regenerateQr(instanceId);
  }

  requestPairingCode(instanceId: string, phoneE164: string): Promise<string> {
    return this.sessions.requestPairingCode(instanceId, phoneE164);
  }

  send(request: SendRequest): Promise<SendResult> {
    return this.outbound.send(this.sessions.runtime(request.instanceId), request);
  }

  logout(instanceId: string): Promise<void> {
    return this.sessions.logout(instanceId);
  }

  destroy(instanceId: string): Promise<void> {
    return this.sessions.destroy(instanceId);
  }

  /** Stop one session without logging out or clearing credentials (another node takes it over). */
  release(instanceId: string): Promise<void> {
    return this.sessions.release(instanceId);
  }

  async close(): Promise<void> {
    await this.sessions.close();
    await (this.shared.mediaDispatcher as UndiciAgent | undefined)?.close().catch(() => undefined);
    this.shared.uploadAgent?.destroy();
  }

  /** `/health`: degraded while the last attempt to reach WhatsApp failed before reaching it. */
  health(): TransportHealth {
    return this.connection.health();
  }

  backoffDelay(attempt: number): number {
    return this.connection.backoffDelay(attempt);
  }
}
