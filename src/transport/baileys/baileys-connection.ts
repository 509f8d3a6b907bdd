/**
 * One instance's WhatsApp connection: the Baileys socket, what its `connection.update`s mean and
 * when to reconnect.
 *
 * Connection policy (DisconnectReason → action):
 * - 515 restartRequired (normal right after pairing): reconnect immediately, no event.
 * - 401 loggedOut / 403 forbidden / 411 multideviceMismatch: stop, delete the credentials,
 *   emit `disconnected` with loggedOut=true.
 * - 408 "QR refs attempts ended" on an unpaired device: stop, emit `expired`.
 * - 440 connectionReplaced: emit `disconnected` (reason `connection_replaced`) and reconnect with
 *   a steeper backoff; after `maxReplacedAttempts` consecutive replacements give up.
 * - everything else (408/428/500/503, certificate errors…): emit `disconnected` once per outage and
 *   reconnect with exponential backoff + jitter, capped. One pending reconnect per instance.
 */
import makeWASocket, { Browsers, DisconnectReason, type WASocket } from '@whiskeysockets/baileys';
import { describeUnreachable, type TransportHealth, type UnreachableCause, unreachableCauseOf } from '../transport.ts';
import { jidToE164, normalizeLid } from './baileys-event-mapper.ts';
import type { BaileysInbound, SocketEvents } from './baileys-inbound.ts';
import { makeBaileysLogger } from './baileys-logger.ts';
import type { BaileysOutbound } from './baileys-outbound.ts';
import { type BaileysShared, type Runtime, statusCodeOf } from './baileys-runtime.ts';
import { assertLoopbackUrl } from './net-guard.ts';

/** What the connection asks of the session registry that owns the runtimes. */
export interface ConnectionOwner {
  isClosed(): boolean;
  /** Logged out by WhatsApp: forget the credentials and the runtime. */
  loggedOut(rt: Runtime, reason: string): Promise<void>;
  /** Another node owns the instance now: stop quietly. */
  release(instanceId: string): Promise<void>;
}

export class BaileysConnection {
  /** The last attempt that never reached WhatsApp (cleared by a QR or an open connection). */
  private lastUnreachable: { cause: UnreachableCause; detail: string } | null = null;

  constructor(
    private readonly shared: BaileysShared,
    private readonly inbound: BaileysInbound,
    private readonly outbound: BaileysOutbound,
    private readonly owner: ConnectionOwner,
  ) {}

  connect(rt: Runtime): void {
    if (rt.stopped || this.owner.isClosed() || !rt.auth) {
      return;
    }
    this.cancelReconnect(rt);
    const generation = ++rt.generation;
    rt.qrCount = 0;
    const url = this.shared.options.waWebSocketUrl;
    if (this.shared.loopbackOnly) {
      assertLoopbackUrl(url ?? 'wss://web.whatsapp.com/ws/chat', 'WhatsApp WebSocket');
    }
    const baileysLogger = makeBaileysLogger(this.shared.log, this.shared.options.baileysLogLevel ?? 'warn', {
      instanceId: rt.id,
    });
    let sock: WASocket;
    try {
      sock = makeWASocket({
        auth: rt.auth.state,
        ...(url ? { waWebSocketUrl: url } : {}),
        ...(this.shared.options.version ? { version: this.shared.options.version } : {}),
        browser: this.shared.options.browser ?? Browsers.ubuntu('Chrome'),
        logger: baileysLogger,
        markOnlineOnConnect: false,
        syncFullHistory: false,
        generateHighQualityLinkPreview: false,
        linkPreviewImageThumbnailWidth: 192,
        emitOwnEvents: true,
        connectTimeoutMs: this.shared.options.connectTimeoutMs ?? 20_000,
        defaultQueryTimeoutMs: this.shared.options.defaultQueryTimeoutMs ?? 60_000,
        keepAliveIntervalMs: this.shared.options.keepAliveIntervalMs ?? 30_000,
        ...(this.shared.options.qrTimeoutMs ? { qrTimeout: this.shared.options.qrTimeoutMs } : {}),
        msgRetryCounterCache: rt.retryCounts,
        ...(this.shared.uploadAgent ? { fetchAgent: this.shared.uploadAgent } : {}),
        getMessage: (key) => this.outbound.lookupMessage(rt, key),
      });
    } catch (err) {
      this.shared.log.error('baileys: could not create socket', {
        instanceId: rt.id,
        error: (err as Error).message,
      });
      this.scheduleReconnect(rt);
      return;
    }
    rt.sock = sock;
    sock.ev.process(async (events) => {
      if (generation !== rt.generation) {
        return;
      }
      try {
        await this.handleEvents(rt, sock, generation, events);
      } catch (err) {
        this.shared.log.error('baileys: event handling failed', { instanceId: rt.id, error: (err as Error).stack });
      }
    });
  }

  private async handleEvents(
    rt: Runtime,
    sock: WASocket,
    generation: number,
    events: SocketEvents,
  ): Promise<void> {
    if (events['creds.update']) {
      rt.auth?.saveCreds().catch((err) => {
        this.shared.log.error('baileys: saving credentials failed', {
          instanceId: rt.id,
          error: (err as Error).message,
        });
      });
    }
    const conn = events['connection.update'];
    if (conn) {
      if (conn.qr) {
        this.onQr(rt, conn.qr);
      }
      if (conn.connection === 'open') {
        this.onOpen(rt, sock);
      }
      if (conn.reachoutTimeLock) {
        this.inbound.reachoutTimelock(rt, sock, conn.reachoutTimeLock);
      }
      if (conn.connection === 'close') {
        this.onClose(rt, generation, conn.lastDisconnect?.error);
        return;
      }
    }
    this.inbound.handle(rt, sock, events);
  }

  /** `/health`: degraded while the last attempt to reach WhatsApp failed before reaching it. */
  health(): TransportHealth {
    return this.lastUnreachable
      ? { status: 'degraded', reason: describeUnreachable(this.lastUnreachable.cause, this.lastUnreachable.detail) }
      : { status: 'ok' };
  }

  private onQr(rt: Runtime, qr: string): void {
    this.lastUnreachable = null;
    rt.qrCount++;
    const ttl = this.shared.options.qrTimeoutMs ?? (rt.qrCount === 1 ? 60_000 : 20_000);
    this.shared.events.emit(rt, {
      type: 'qr',
      instanceId: rt.id,
      qr: { raw: qr, expiresAt: new Date(this.shared.clock.now() + ttl) },
    });
    for (const w of rt.qrWaiters.splice(0)) {
      w();
    }
    if (this.shared.options.printQrInTerminal) {
      import('qrcode')
        .then((QR) => QR.toString(qr, { type: 'terminal', small: true }))
        .then((art) => process.stdout.write(`\nWhatsApp QR for instance ${rt.id}:\n${art}\n`))
        .catch(() => undefined);
    }
  }

  private onOpen(rt: Runtime, sock: WASocket): void {
    this.lastUnreachable = null;
    rt.connected = true;
    rt.openedAt = this.shared.clock.now();
    rt.announced = false;
    const me = sock.authState.creds.me;
    this.shared.log.info('baileys: connected', { instanceId: rt.id });
    this.shared.events.emit(rt, {
      type: 'connected',
      instanceId: rt.id,
      phone: jidToE164(me?.id),
      lid: normalizeLid(me?.lid),
    });
  }

  private onClose(rt: Runtime, generation: number, error: Error | undefined): void {
    if (generation !== rt.generation) {
      return;
    }
    const wasConnected = rt.connected;
    rt.connected = false;
    rt.sock = undefined;
    if (rt.stopped || this.owner.isClosed()) {
      return;
    }
    const code = statusCodeOf(error);
    const message = error?.message ?? '';
    const now = this.shared.clock.now();
    if (
      wasConnected &&
      rt.openedAt !== undefined &&
      now - rt.openedAt >= (this.shared.options.reconnect?.stableMs ?? 60_000)
    ) {
      rt.attempt = 0;
      rt.replacedStreak = 0;
    }
    const registered = !!rt.auth?.state.creds.me?.id;
    this.shared.log.info('baileys: connection closed', { instanceId: rt.id, code, message });
    const unreachable = wasConnected || rt.qrCount > 0 ? null : unreachableCauseOf(error);
    if (unreachable) {
      this.lastUnreachable = unreachable;
      // A new instance waits for its first QR: tell it now, with the cause, instead of silently
      // retrying until its wait runs out. Restored sessions keep reconnecting with backoff.
      if (!registered) this.shared.events.emit(rt, { type: 'unreachable', instanceId: rt.id, ...unreachable });
    }

    if (code === DisconnectReason.restartRequired) {
      rt.restartTimes = [...rt.restartTimes.filter((t) => now - t < 60_000), now];
      if (rt.restartTimes.length > 5) {
        this.scheduleReconnect(rt);
      } else {
        this.connect(rt);
      }
      return;
    }
    if (
      code === DisconnectReason.loggedOut ||
      code === DisconnectReason.forbidden ||
      code === DisconnectReason.multideviceMismatch
    ) {
      const reason =
        code === DisconnectReason.forbidden
          ? 'forbidden'
          : code === DisconnectReason.multideviceMismatch
            ? 'multidevice_mismatch'
            : 'logged_out';
      void this.owner.loggedOut(rt, reason);
      return;
    }
    if (!registered && /QR refs attempts ended/i.test(message)) {
      rt.stopped = true;
      this.shared.events.emit(rt, { type: 'expired', instanceId: rt.id });
      return;
    }
    if (code === DisconnectReason.connectionReplaced && this.shared.options.keepAfterReplaced) {
      const ask = this.shared.options.keepAfterReplaced;
      const gen = rt.generation;
      void ask(rt.id)
        .catch(() => false)
        .then((keep) => {
          if (rt.generation !== gen || rt.stopped || this.owner.isClosed()) return;
          if (!keep) {
            this.shared.log.info('baileys: connection replaced by the owning node; yielding', { instanceId: rt.id });
            void this.owner.release(rt.id);
            return;
          }
          this.onReplaced(rt);
        });
      return;
    }
    if (code === DisconnectReason.connectionReplaced) {
      this.onReplaced(rt);
      return;
    }
    if (wasConnected || !rt.announced) {
      rt.announced = true;
      if (registered) {
        this.shared.events.emit(rt, {
          type: 'disconnected',
          instanceId: rt.id,
          reason: reasonFor(code, message),
          loggedOut: false,
          willReconnect: true,
        });
      }
    }
    this.scheduleReconnect(rt);
  }

  /** 440 connectionReplaced: announce, then reconnect with backoff (or give up after a streak). */
  private onReplaced(rt: Runtime): void {
    rt.replacedStreak++;
    const giveUp = rt.replacedStreak > (this.shared.options.reconnect?.maxReplacedAttempts ?? 5);
    this.shared.events.emit(rt, {
      type: 'disconnected',
      instanceId: rt.id,
      reason: 'connection_replaced',
      loggedOut: false,
      willReconnect: !giveUp,
    });
    rt.announced = true;
    if (giveUp) {
      rt.stopped = true;
      return;
    }
    rt.attempt = Math.max(rt.attempt, rt.replacedStreak + 1);
    this.scheduleReconnect(rt);
  }

  backoffDelay(attempt: number): number {
    const base = this.shared.options.reconnect?.baseMs ?? 2_000;
    const max = this.shared.options.reconnect?.maxMs ?? 5 * 60_000;
    const cap = Math.min(max, base * 2 ** Math.min(attempt, 30));
    const r = this.shared.clock.random?.() ?? Math.random();
    // "equal jitter": between half and the full capped delay
    return Math.round(cap / 2 + (r * cap) / 2);
  }

  private scheduleReconnect(rt: Runtime): void {
    if (rt.reconnectTimer !== undefined || rt.stopped || this.owner.isClosed()) {
      return;
    }
    const delay = this.backoffDelay(rt.attempt++);
    this.shared.log.info('baileys: reconnecting', { instanceId: rt.id, delayMs: delay, attempt: rt.attempt });
    rt.reconnectTimer = this.shared.clock.setTimeout(() => {
      rt.reconnectTimer = undefined;
      this.connect(rt);
    }, delay);
  }

  cancelReconnect(rt: Runtime): void {
    if (rt.reconnectTimer !== undefined) {
      this.shared.clock.clearTimeout(rt.reconnectTimer);
      rt.reconnectTimer = undefined;
    }
  }

  /** End the current socket without logging out; its close event is ignored. */
  endSocket(rt: Runtime): void {
    const sock = rt.sock;
    rt.generation++;
    rt.sock = undefined;
    rt.connected = false;
    if (sock) {
      try {
        sock.end(undefined);
      } catch {
        // already closed
      }
    }
  }
}

function reasonFor(code: number | undefined, message: string): string {
  if (/certificate/i.test(message)) {
    return 'server_certificate_invalid';
  }
  switch (code) {
    case DisconnectReason.connectionLost:
      return 'connection_lost';
    case DisconnectReason.connectionClosed:
      return 'connection_closed';
    case DisconnectReason.badSession:
      return 'bad_session';
    case DisconnectReason.unavailableService:
      return 'service_unavailable';
    case undefined:
      return 'connection_closed';
    default:
      return `connection_error_${code}`;
  }
}
