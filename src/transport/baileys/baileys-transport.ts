/**
 * The real WhatsApp transport: one Baileys 7 socket per instance, auth state in the database,
 * events normalised by `baileys-event-mapper.ts`.
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
import makeWASocket, {
  type AnyMessageContent,
  Browsers,
  DisconnectReason,
  downloadMediaMessage,
  getUrlFromDirectPath,
  isPnUser,
  type proto,
  type WAMessage,
  type WASocket,
} from '@whiskeysockets/baileys';
import type { Knex } from 'knex';
import { Agent as UndiciAgent, type Dispatcher } from 'undici';
import {
  describeUnreachable,
  type SendRequest,
  type SendResult,
  type StartOptions,
  type Transport,
  type TransportEvent,
  type TransportHealth,
  type TransportListener,
  TransportSendError,
  type UnreachableCause,
  unreachableCauseOf,
} from '../transport.ts';
import {
  CallTracker,
  InvalidRecipientError,
  jidToE164,
  lidsToResolve,
  type MapperContext,
  mapCall,
  mapGroupParticipants,
  mapGroupUpdates,
  mapMessageCapping,
  mapMessageUpdates,
  mapReachoutTimelock,
  mapReceiptUpdates,
  mapUpsertMessage,
  normalizeLid,
  normalizePn,
  recipientToJid,
} from './baileys-event-mapper.ts';
import { type BaileysLogLevel, makeBaileysLogger, noopLogger, type WinstonLike } from './baileys-logger.ts';
import { clearAuthState, type DbAuthState, SentMessageStore, useDbAuthState } from './db-auth-state.ts';
import { assertLoopbackUrl, GuardedHttpsAgent, isLoopbackHost } from './net-guard.ts';
import { assertSignatureVerification } from './signature-self-test.ts';
import { TtlCache } from './ttl-cache.ts';

export interface TransportClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  /** [0, 1) — used for backoff jitter */
  random?(): number;
}

const realClock: TransportClock = {
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

interface Runtime {
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

const DEFAULT_SEND_TIMEOUT = 30_000;

export class BaileysTransport implements Transport {
  readonly kind = 'baileys' as const;
  private listener: TransportListener | undefined;
  private readonly runtimes = new Map<string, Runtime>();
  private readonly starting = new Map<string, Promise<void>>();
  private readonly log: WinstonLike;
  private readonly clock: TransportClock;
  private readonly loopbackOnly: boolean;
  private readonly mediaDispatcher: Dispatcher | undefined;
  private readonly uploadAgent: GuardedHttpsAgent | undefined;
  private initialised = false;
  private closed = false;
  /** The last attempt that never reached WhatsApp (cleared by a QR or an open connection). */
  private lastUnreachable: { cause: UnreachableCause; detail: string } | null = null;

  constructor(private readonly options: BaileysTransportOptions) {
    this.log = options.logger ?? noopLogger;
    this.clock = options.clock ?? realClock;
    this.loopbackOnly = options.loopbackOnly ?? process.env.WARDEN_TEST === '1';
    if (options.mediaTlsCa || this.loopbackOnly) {
      this.uploadAgent = new GuardedHttpsAgent(
        this.loopbackOnly,
        options.mediaTlsCa ? { ca: options.mediaTlsCa } : {},
      );
    }
    if (options.mediaTlsCa) {
      this.mediaDispatcher = new UndiciAgent({ connect: { ca: options.mediaTlsCa } });
    }
  }

  /**
   * Start-up checks: strict signature verification (see signature-self-test.ts) and, in
   * loopback-only mode, a loopback WebSocket URL. Called by `start()` too; idempotent.
   */
  init(): void {
    if (this.initialised) {
      return;
    }
    const result = assertSignatureVerification();
    // Handled, so informational: nobody has to act on it.
    if (result.installedNow) {
      this.log.info(
        'baileys: WhatsApp server certificates are checked with strict signature verification (installed at start-up; no action needed)',
        {},
      );
    }
    if (this.loopbackOnly) {
      if (!this.options.waWebSocketUrl) {
        throw new Error('loopback-only mode requires an explicit waWebSocketUrl (the WhatsApp simulator)');
      }
      assertLoopbackUrl(this.options.waWebSocketUrl, 'WhatsApp WebSocket');
    }
    this.initialised = true;
  }

  onEvent(listener: TransportListener): void {
    this.listener = listener;
  }

  isConnected(instanceId: string): boolean {
    return this.runtimes.get(instanceId)?.connected ?? false;
  }

  async start(options: StartOptions): Promise<void> {
    // concurrent start() calls for one instance share the same start-up
    const pending = this.starting.get(options.instanceId);
    if (pending) {
      return pending;
    }
    const run = this.doStart(options).finally(() => this.starting.delete(options.instanceId));
    this.starting.set(options.instanceId, run);
    return run;
  }

  private async doStart({ instanceId, restore }: StartOptions): Promise<void> {
    if (this.closed) {
      throw new Error('transport is closed');
    }
    this.init();
    const existing = this.runtimes.get(instanceId);
    if (existing && !existing.stopped) {
      return;
    }
    if (existing) {
      existing.auth?.dispose();
      this.runtimes.delete(instanceId);
    }
    if (!restore) {
      await clearAuthState(this.options.db, instanceId);
    }
    const rt = this.newRuntime(instanceId);
    const retain = this.options.retainSentMessagesMs ?? 72 * 3600_000;
    if (retain > 0) {
      rt.sentStore = new SentMessageStore(this.options.db, instanceId, retain, () => this.clock.now());
    }
    this.runtimes.set(instanceId, rt);
    await this.loadAuth(rt);
    if (restore && !rt.auth?.restored) {
      this.log.warn('baileys: no stored session to restore; a new QR will be generated', { instanceId });
    }
    this.connect(rt);
  }

  private newRuntime(id: string): Runtime {
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
      waChecks: new TtlCache(24 * 3600_000, 5000, () => this.clock.now()),
      retryCounts: new TtlCache(3600_000, 2000, () => this.clock.now()),
      sentIds: new TtlCache(3600_000, 2000, () => this.clock.now()),
      chain: Promise.resolve(),
      qrWaiters: [],
    };
  }

  private async loadAuth(rt: Runtime): Promise<void> {
    const before = this.options.beforeAuthWrite;
    rt.auth = await useDbAuthState(this.options.db, rt.id, {
      beforeWrite: before ? (trx) => before(rt.id, trx) : undefined,
    });
  }

  async regenerateQr(instanceId: string): Promise<void> {
    this.init();
    const rt = this.runtimes.get(instanceId);
    if (rt?.connected) {
      throw new Error('instance is connected');
    }
    if (!rt) {
      await this.start({ instanceId, restore: false });
      return;
    }
    if (rt.auth?.state.creds.me?.id && !rt.stopped) {
      // paired but offline: a new QR would not help; keep reconnecting
      throw new Error('instance is paired; waiting for reconnection');
    }
    rt.stopped = false;
    rt.attempt = 0;
    this.cancelReconnect(rt);
    this.endSocket(rt);
    if (!rt.auth) {
      await this.loadAuth(rt);
    }
    this.connect(rt);
  }

  async requestPairingCode(instanceId: string, phoneE164: string): Promise<string> {
    this.init();
    const digits = phoneE164.replace(/^\+/, '');
    if (!/^[1-9]\d{6,14}$/.test(digits)) {
      throw new Error('phone must be E.164');
    }
    let rt = this.runtimes.get(instanceId);
    if (rt?.connected) {
      throw new Error('instance is connected');
    }
    if (!rt || rt.stopped) {
      await (rt ? this.regenerateQr(instanceId) : this.start({ instanceId, restore: false }));
      rt = this.runtimes.get(instanceId)!;
    }
    // the socket must be up and registering (it has shown a QR) before asking for a code
    if (rt.qrCount === 0) {
      await new Promise<void>((resolve, reject) => {
        const timer = this.clock.setTimeout(
          () => reject(new Error('timed out waiting for the WhatsApp connection')),
          30_000,
        );
        rt!.qrWaiters.push(() => {
          this.clock.clearTimeout(timer);
          resolve();
        });
      });
    }
    const sock = rt.sock;
    if (!sock) {
      throw new Error('no WhatsApp connection');
    }
    const code = await sock.requestPairingCode(digits);
    this.emit(rt, { type: 'pairing_code', instanceId, code });
    return code;
  }

  // ------------------------------------------------------------------ socket lifecycle

  private connect(rt: Runtime): void {
    if (rt.stopped || this.closed || !rt.auth) {
      return;
    }
    this.cancelReconnect(rt);
    const generation = ++rt.generation;
    rt.qrCount = 0;
    const url = this.options.waWebSocketUrl;
    if (this.loopbackOnly) {
      assertLoopbackUrl(url ?? 'wss://web.whatsapp.com/ws/chat', 'WhatsApp WebSocket');
    }
    const baileysLogger = makeBaileysLogger(this.log, this.options.baileysLogLevel ?? 'warn', {
      instanceId: rt.id,
    });
    let sock: WASocket;
    try {
      sock = makeWASocket({
        auth: rt.auth.state,
        ...(url ? { waWebSocketUrl: url } : {}),
        ...(this.options.version ? { version: this.options.version } : {}),
        browser: this.options.browser ?? Browsers.ubuntu('Chrome'),
        logger: baileysLogger,
        markOnlineOnConnect: false,
        syncFullHistory: false,
        generateHighQualityLinkPreview: false,
        linkPreviewImageThumbnailWidth: 192,
        emitOwnEvents: true,
        connectTimeoutMs: this.options.connectTimeoutMs ?? 20_000,
        defaultQueryTimeoutMs: this.options.defaultQueryTimeoutMs ?? 60_000,
        keepAliveIntervalMs: this.options.keepAliveIntervalMs ?? 30_000,
        ...(this.options.qrTimeoutMs ? { qrTimeout: this.options.qrTimeoutMs } : {}),
        msgRetryCounterCache: rt.retryCounts,
        ...(this.uploadAgent ? { fetchAgent: this.uploadAgent } : {}),
        getMessage: (key) => this.lookupMessage(rt, key),
      });
    } catch (err) {
      this.log.error('baileys: could not create socket', {
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
        this.log.error('baileys: event handling failed', { instanceId: rt.id, error: (err as Error).stack });
      }
    });
  }

  /** For retry receipts: the caller's message log first, then our own copy; never a placeholder. */
  private async lookupMessage(rt: Runtime, key: proto.IMessageKey): Promise<proto.IMessage | undefined> {
    if (this.options.getMessage) {
      try {
        const found = await this.options.getMessage(rt.id, key);
        if (found) {
          return found;
        }
      } catch (err) {
        this.log.warn('baileys: getMessage failed', { instanceId: rt.id, error: (err as Error).message });
      }
    }
    if (rt.sentStore && key.id && key.fromMe) {
      try {
        return await rt.sentStore.get(key.id);
      } catch (err) {
        this.log.warn('baileys: reading the sent-message copy failed', { instanceId: rt.id, error: (err as Error).message });
      }
    }
    return undefined;
  }

  private async handleEvents(
    rt: Runtime,
    sock: WASocket,
    generation: number,
    events: Partial<Parameters<Parameters<WASocket['ev']['process']>[0]>[0]>,
  ): Promise<void> {
    if (events['creds.update']) {
      rt.auth?.saveCreds().catch((err) => {
        this.log.error('baileys: saving credentials failed', {
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
        const ev = mapReachoutTimelock(conn.reachoutTimeLock, this.ctx(rt, sock));
        if (ev) {
          this.emit(rt, ev);
        }
      }
      if (conn.connection === 'close') {
        this.onClose(rt, generation, conn.lastDisconnect?.error);
        return;
      }
    }
    const upsert = events['messages.upsert'];
    if (upsert && (upsert.type === 'notify' || upsert.type === 'append')) {
      const messages = upsert.messages;
      rt.chain = rt.chain
        .then(() => this.handleUpsert(rt, sock, messages))
        .catch((err) => {
          this.log.error('baileys: inbound message handling failed', {
            instanceId: rt.id,
            error: (err as Error).stack,
          });
        });
    }
    // the rest may carry LIDs: resolve them to phone numbers (mapping store only) in order
    const updates = events['messages.update'];
    if (updates?.length) {
      this.enqueue(rt, 'message updates', async () => {
        const pnForLid = await this.resolveLids(sock, updates.flatMap((u) => [u.key.remoteJid, u.key.remoteJidAlt]));
        return this.trackReceipts(rt, mapMessageUpdates(updates, this.ctx(rt, sock, pnForLid)));
      });
    }
    const receipts = events['message-receipt.update'];
    if (receipts?.length) {
      this.enqueue(rt, 'receipts', async () => {
        const pnForLid = await this.resolveLids(sock, receipts.map((r) => r.receipt.userJid));
        return mapReceiptUpdates(receipts, this.ctx(rt, sock, pnForLid));
      });
    }
    const calls = events.call;
    if (calls?.length) {
      this.enqueue(rt, 'calls', async () => {
        const pnForLid = await this.resolveLids(sock, calls.flatMap((c) => [c.from, c.chatId]));
        return calls
          .map((call) => mapCall(call, rt.calls, this.ctx(rt, sock, pnForLid)))
          .filter((ev): ev is NonNullable<typeof ev> => ev !== null);
      });
    }
    const groups = events['groups.update'];
    if (groups?.length) {
      this.enqueue(rt, 'group updates', async () => {
        const pnForLid = await this.resolveLids(
          sock,
          groups.flatMap((g) => [g.author, g.owner, g.subjectOwner]),
        );
        return mapGroupUpdates(groups, this.ctx(rt, sock, pnForLid));
      });
    }
    const participants = events['group-participants.update'];
    if (participants) {
      this.enqueue(rt, 'group participants', async () => {
        const pnForLid = await this.resolveLids(sock, [
          participants.author,
          ...participants.participants.map((p) => p.id),
        ]);
        return [mapGroupParticipants(participants as never, this.ctx(rt, sock, pnForLid))];
      });
    }
    const capping = (events as Record<string, unknown>)['message-capping.update'];
    if (capping && typeof capping === 'object') {
      this.emit(rt, mapMessageCapping(capping as Record<string, unknown>, this.ctx(rt, sock)));
    }
  }

  /**
   * For messages sent through this transport: drop duplicate receipts and fill in `delivered`
   * when Baileys consolidated it away (delivery + read arriving together become one update).
   */
  private trackReceipts(rt: Runtime, events: TransportEvent[]): TransportEvent[] {
    const rank: Record<string, number> = { delivered: 3, read: 4, played: 5 };
    const out: TransportEvent[] = [];
    for (const ev of events) {
      if (ev.type !== 'receipt' || ev.status === 'failed') {
        out.push(ev);
        continue;
      }
      const seen = rt.sentIds.get<number>(ev.messageId);
      if (seen === undefined) {
        out.push(ev);
        continue;
      }
      const r = rank[ev.status] ?? 0;
      if (r <= seen && !(ev.status === 'played' && seen < 5)) {
        continue;
      }
      if (seen < 3 && r > 3) {
        out.push({ ...ev, status: 'delivered' });
      }
      rt.sentIds.set(ev.messageId, Math.max(seen, r));
      out.push(ev);
    }
    return out;
  }

  private ctx(rt: Runtime, sock: WASocket, pnForLid?: Map<string, string>): MapperContext {
    const me = sock.authState.creds.me;
    return {
      instanceId: rt.id,
      meId: me?.id,
      meLid: me?.lid,
      pnForLid,
      now: () => new Date(this.clock.now()),
    };
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
    const ttl = this.options.qrTimeoutMs ?? (rt.qrCount === 1 ? 60_000 : 20_000);
    this.emit(rt, {
      type: 'qr',
      instanceId: rt.id,
      qr: { raw: qr, expiresAt: new Date(this.clock.now() + ttl) },
    });
    for (const w of rt.qrWaiters.splice(0)) {
      w();
    }
    if (this.options.printQrInTerminal) {
      import('qrcode')
        .then((QR) => QR.toString(qr, { type: 'terminal', small: true }))
        .then((art) => process.stdout.write(`\nWhatsApp QR for instance ${rt.id}:\n${art}\n`))
        .catch(() => undefined);
    }
  }

  private onOpen(rt: Runtime, sock: WASocket): void {
    this.lastUnreachable = null;
    rt.connected = true;
    rt.openedAt = this.clock.now();
    rt.announced = false;
    const me = sock.authState.creds.me;
    this.log.info('baileys: connected', { instanceId: rt.id });
    this.emit(rt, {
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
    if (rt.stopped || this.closed) {
      return;
    }
    const code = statusCodeOf(error);
    const message = error?.message ?? '';
    const now = this.clock.now();
    if (
      wasConnected &&
      rt.openedAt !== undefined &&
      now - rt.openedAt >= (this.options.reconnect?.stableMs ?? 60_000)
    ) {
      rt.attempt = 0;
      rt.replacedStreak = 0;
    }
    const registered = !!rt.auth?.state.creds.me?.id;
    this.log.info('baileys: connection closed', { instanceId: rt.id, code, message });
    const unreachable = wasConnected || rt.qrCount > 0 ? null : unreachableCauseOf(error);
    if (unreachable) {
      this.lastUnreachable = unreachable;
      // A new instance waits for its first QR: tell it now, with the cause, instead of silently
      // retrying until its wait runs out. Restored sessions keep reconnecting with backoff.
      if (!registered) this.emit(rt, { type: 'unreachable', instanceId: rt.id, ...unreachable });
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
      void this.loggedOut(rt, reason);
      return;
    }
    if (!registered && /QR refs attempts ended/i.test(message)) {
      rt.stopped = true;
      this.emit(rt, { type: 'expired', instanceId: rt.id });
      return;
    }
    if (code === DisconnectReason.connectionReplaced && this.options.keepAfterReplaced) {
      const ask = this.options.keepAfterReplaced;
      const gen = rt.generation;
      void ask(rt.id)
        .catch(() => false)
        .then((keep) => {
          if (rt.generation !== gen || rt.stopped || this.closed) return;
          if (!keep) {
            this.log.info('baileys: connection replaced by the owning node; yielding', { instanceId: rt.id });
            void this.release(rt.id);
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
        this.emit(rt, {
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
    const giveUp = rt.replacedStreak > (this.options.reconnect?.maxReplacedAttempts ?? 5);
    this.emit(rt, {
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

  private async loggedOut(rt: Runtime, reason: string): Promise<void> {
    rt.stopped = true;
    this.cancelReconnect(rt);
    try {
      await rt.auth?.clear();
    } catch (err) {
      this.log.error('baileys: clearing credentials failed', {
        instanceId: rt.id,
        error: (err as Error).message,
      });
    }
    rt.auth?.dispose();
    rt.auth = undefined;
    this.runtimes.delete(rt.id);
    this.emit(rt, { type: 'disconnected', instanceId: rt.id, reason, loggedOut: true, willReconnect: false });
  }

  backoffDelay(attempt: number): number {
    const base = this.options.reconnect?.baseMs ?? 2_000;
    const max = this.options.reconnect?.maxMs ?? 5 * 60_000;
    const cap = Math.min(max, base * 2 ** Math.min(attempt, 30));
    const r = this.clock.random?.() ?? Math.random();
    // "equal jitter": between half and the full capped delay
    return Math.round(cap / 2 + (r * cap) / 2);
  }

  private scheduleReconnect(rt: Runtime): void {
    if (rt.reconnectTimer !== undefined || rt.stopped || this.closed) {
      return;
    }
    const delay = this.backoffDelay(rt.attempt++);
    this.log.info('baileys: reconnecting', { instanceId: rt.id, delayMs: delay, attempt: rt.attempt });
    rt.reconnectTimer = this.clock.setTimeout(() => {
      rt.reconnectTimer = undefined;
      this.connect(rt);
    }, delay);
  }

  private cancelReconnect(rt: Runtime): void {
    if (rt.reconnectTimer !== undefined) {
      this.clock.clearTimeout(rt.reconnectTimer);
      rt.reconnectTimer = undefined;
    }
  }

  /** End the current socket without logging out; its close event is ignored. */
  private endSocket(rt: Runtime): void {
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

  // ------------------------------------------------------------------ inbound

  private async handleUpsert(rt: Runtime, sock: WASocket, messages: WAMessage[]): Promise<void> {
    for (const msg of messages) {
      const id = msg.key?.id;
      if (id && msg.key.fromMe && rt.sentIds.get(id) !== undefined) {
        // our own send, echoed by Baileys; receipts that arrived while this echo was buffered
        // were merged into it (event-buffer), so surface them here
        const status = typeof msg.status === 'number' ? msg.status : undefined;
        const params = msg.messageStubParameters ?? undefined;
        const isError = status === 0 && !!params?.length;
        if ((status !== undefined && status >= 3) || isError) {
          const update = { key: msg.key, update: { status, messageStubParameters: params } };
          for (const ev of this.trackReceipts(rt, mapMessageUpdates([update], this.ctx(rt, sock)))) {
            await this.emitNow(rt, ev);
          }
        }
        continue;
      }
      const pnForLid = await this.resolveLids(sock, lidsToResolve(msg));
      const mapped = mapUpsertMessage(msg, this.ctx(rt, sock, pnForLid));
      if (mapped.kind === 'ignore') {
        continue;
      }
      if (mapped.kind === 'revoke') {
        await this.emitNow(rt, mapped.event);
        continue;
      }
      const message = mapped.message;
      if (mapped.media) {
        const data = await this.downloadMedia(rt, sock, msg, mapped.media.fileLength);
        if (data) {
          message.media = { data, mimeType: mapped.media.mimeType, fileName: mapped.media.fileName };
        }
      }
      await this.emitNow(rt, { type: 'message', instanceId: rt.id, message });
    }
  }

  /** LID → PN JID for the LIDs Baileys' mapping store knows (no network). */
  private async resolveLids(sock: WASocket, jids: Array<string | null | undefined>): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const jid of jids) {
      const lid = normalizeLid(jid);
      if (!lid || out.has(lid)) {
        continue;
      }
      try {
        const pn = normalizePn(await sock.signalRepository.lidMapping.getPNForLID(lid));
        if (pn) {
          out.set(lid, pn);
        }
      } catch {
        // unknown mapping: payloads carry the LID only
      }
    }
    return out;
  }

  private async downloadMedia(
    rt: Runtime,
    sock: WASocket,
    msg: WAMessage,
    declared: number | null,
  ): Promise<Buffer | undefined> {
    const max = this.options.maxInboundMediaBytes ?? 64 * 1024 * 1024;
    if (declared !== null && declared > max) {
      this.log.warn('baileys: inbound media too large, not downloaded', {
        instanceId: rt.id,
        bytes: declared,
      });
      return undefined;
    }
    try {
      if (this.loopbackOnly) {
        const url = mediaUrlOf(msg);
        if (!url || !isLoopbackHost(new URL(url).hostname)) {
          this.log.warn('baileys: refusing non-loopback media download (loopback-only mode)', {
            instanceId: rt.id,
            url,
          });
          return undefined;
        }
      }
      const download = downloadMediaMessage(
        msg,
        'buffer',
        this.mediaDispatcher
          ? { options: { dispatcher: this.mediaDispatcher } as unknown as RequestInit }
          : {},
        {
          logger: makeBaileysLogger(this.log, 'warn', { instanceId: rt.id }),
          reuploadRequest: sock.updateMediaMessage,
        },
      );
      const data = await withTimeout(
        download,
        this.options.mediaDownloadTimeoutMs ?? 60_000,
        'media download timed out',
        this.clock,
      );
      if (data.length > max) {
        return undefined;
      }
      return data;
    } catch (err) {
      this.log.warn('baileys: inbound media download failed', {
        instanceId: rt.id,
        error: (err as Error).message,
      });
      return undefined;
    }
  }

  // ------------------------------------------------------------------ sending

  async send(request: SendRequest): Promise<SendResult> {
    const rt = this.runtimes.get(request.instanceId);
    const sock = rt?.sock;
    if (!rt || !sock || !rt.connected) {
      throw new TransportSendError('instance is not connected to WhatsApp', 'not_connected');
    }
    let jid: string;
    try {
      jid = recipientToJid(request.to);
    } catch (err) {
      throw new TransportSendError((err as Error).message, 'invalid_recipient');
    }
    const timeoutMs = this.options.sendTimeoutMs ?? DEFAULT_SEND_TIMEOUT;
    const work = async (): Promise<SendResult> => {
      if (isPnUser(jid) && (this.options.checkRecipientOnWhatsApp ?? true)) {
        const exists = await this.isOnWhatsApp(rt, sock, jid);
        if (!exists) {
          throw new TransportSendError(`${request.to} is not on WhatsApp`, 'not_on_whatsapp');
        }
      }
      const sent = await sock.sendMessage(jid, buildContent(request));
      const messageId = sent?.key?.id;
      if (!messageId) {
        throw new TransportSendError('WhatsApp did not return a message id', 'send_failed');
      }
      rt.sentIds.set(messageId, 0);
      if (rt.sentStore && sent.message) {
        await rt.sentStore.put(messageId, sent.message).catch((err) => {
          this.log.warn('baileys: storing the sent-message copy failed', { instanceId: rt.id, error: (err as Error).message });
        });
      }
      let recipientLid: string | undefined;
      if (isPnUser(jid)) {
        try {
          recipientLid = normalizeLid(await sock.signalRepository.lidMapping.getLIDForPN(jid)) ?? undefined;
        } catch {
          recipientLid = undefined;
        }
      }
      return { messageId, recipientLid };
    };
    try {
      return await withTimeout(work(), timeoutMs, `send timed out after ${timeoutMs} ms`, this.clock);
    } catch (err) {
      if (err instanceof TransportSendError) {
        throw err;
      }
      throw new TransportSendError((err as Error).message || 'send failed', sendFailureReason(err));
    }
  }

  private async isOnWhatsApp(rt: Runtime, sock: WASocket, jid: string): Promise<boolean> {
    const cached = rt.waChecks.get<boolean>(jid);
    if (cached !== undefined) {
      return cached;
    }
    const results = (await sock.onWhatsApp(jid)) ?? [];
    const user = jid.split('@')[0];
    const exists = results.some((r) => r.exists && r.jid.split('@')[0]?.split(':')[0] === user);
    rt.waChecks.set(jid, exists);
    return exists;
  }

  // ------------------------------------------------------------------ logout / destroy / close

  async logout(instanceId: string): Promise<void> {
    const rt = this.runtimes.get(instanceId);
    if (!rt) {
      await clearAuthState(this.options.db, instanceId);
      return;
    }
    rt.stopped = true;
    this.cancelReconnect(rt);
    const sock = rt.sock;
    if (sock && rt.connected) {
      try {
        await withTimeout(sock.logout(), 10_000, 'logout timed out', this.clock);
      } catch (err) {
        this.log.warn('baileys: logout request failed', { instanceId, error: (err as Error).message });
      }
    }
    this.endSocket(rt);
    await this.loggedOut(rt, 'logged_out');
  }

  async destroy(instanceId: string): Promise<void> {
    const rt = this.runtimes.get(instanceId);
    if (rt) {
      rt.stopped = true;
      this.cancelReconnect(rt);
      const sock = rt.sock;
      if (sock && rt.connected) {
        // unlink the device from the phone too, best effort
        await withTimeout(sock.logout(), 5_000, 'logout timed out', this.clock).catch(() => undefined);
      }
      this.endSocket(rt);
      try {
        await rt.auth?.clear();
      } finally {
        rt.auth?.dispose();
        rt.auth = undefined;
        this.runtimes.delete(instanceId);
      }
    }
    await clearAuthState(this.options.db, instanceId);
  }

  /** Stop one session without logging out or clearing credentials (another node takes it over). */
  async release(instanceId: string): Promise<void> {
    const rt = this.runtimes.get(instanceId);
    if (!rt) return;
    rt.stopped = true;
    this.cancelReconnect(rt);
    this.endSocket(rt);
    rt.auth?.dispose();
    rt.auth = undefined;
    this.runtimes.delete(instanceId);
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.runtimes.values()];
    for (const rt of all) {
      rt.stopped = true;
      this.cancelReconnect(rt);
      this.endSocket(rt);
    }
    // let queued events reach the listener, but do not hang on a stuck listener
    await Promise.race([
      Promise.all(all.map((rt) => rt.chain.catch(() => undefined))),
      new Promise((resolve) => {
        const t = setTimeout(resolve, 5_000);
        t.unref?.();
      }),
    ]);
    for (const rt of all) {
      rt.auth?.dispose();
    }
    this.runtimes.clear();
    await (this.mediaDispatcher as UndiciAgent | undefined)?.close().catch(() => undefined);
    this.uploadAgent?.destroy();
  }

  // ------------------------------------------------------------------ events

  private emit(rt: Runtime, event: TransportEvent): void {
    rt.chain = rt.chain.then(() => this.deliver(event));
  }

  /** Run `produce` in the instance's event chain and deliver what it returns, in order. */
  private enqueue(rt: Runtime, what: string, produce: () => Promise<TransportEvent[]>): void {
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

  private emitNow(_rt: Runtime, event: TransportEvent): Promise<void> {
    // called from within the chain: deliver in place to keep ordering
    return this.deliver(event);
  }

  private async deliver(event: TransportEvent): Promise<void> {
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

// ------------------------------------------------------------------ helpers

function statusCodeOf(error: unknown): number | undefined {
  const boom = error as { output?: { statusCode?: number }; isBoom?: boolean } | undefined;
  return boom?.output?.statusCode;
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

function sendFailureReason(err: unknown): string {
  const message = (err as Error)?.message ?? '';
  const code = statusCodeOf(err);
  if (err instanceof InvalidRecipientError) return 'invalid_recipient';
  if (/timed out/i.test(message)) return 'timeout';
  if (/All encryptions failed|No sessions|SessionError/i.test(message)) return 'encryption_failed';
  if (/Media upload failed|upload/i.test(message)) return 'media_upload_failed';
  if (/item-not-found|not-found/i.test(message)) return 'recipient_not_found';
  if (code === DisconnectReason.connectionClosed || /Connection Closed/i.test(message))
    return 'connection_closed';
  if (/loopback-only/i.test(message)) return 'network_refused';
  return 'send_failed';
}

function buildContent(request: SendRequest): AnyMessageContent {
  const text = request.text ?? '';
  const media = request.media;
  if (!media) {
    // linkPreview: null → never fetch URLs found in the text
    return { text, linkPreview: null };
  }
  const caption = text.length ? text : undefined;
  switch (media.type) {
    case 'image':
      return { image: media.data, mimetype: media.mimeType, ...(caption ? { caption } : {}) };
    case 'video':
      return { video: media.data, mimetype: media.mimeType, ...(caption ? { caption } : {}) };
    case 'audio':
      // WhatsApp audio has no caption; the text is not sent with it
      return { audio: media.data, mimetype: media.mimeType, ptt: false };
    case 'document':
      return {
        document: media.data,
        mimetype: media.mimeType,
        fileName: media.fileName ?? 'file',
        ...(caption ? { caption } : {}),
      };
    default:
      throw new TransportSendError(
        `unsupported media type ${(media as { type: string }).type}`,
        'invalid_media',
      );
  }
}

function mediaUrlOf(msg: WAMessage): string | undefined {
  const m = msg.message;
  const inner =
    m?.imageMessage ??
    m?.videoMessage ??
    m?.audioMessage ??
    m?.documentMessage ??
    m?.stickerMessage ??
    m?.ptvMessage ??
    m?.documentWithCaptionMessage?.message?.documentMessage ??
    m?.viewOnceMessage?.message?.imageMessage ??
    m?.viewOnceMessageV2?.message?.imageMessage ??
    m?.viewOnceMessageV2?.message?.videoMessage ??
    m?.ephemeralMessage?.message?.imageMessage ??
    m?.ephemeralMessage?.message?.videoMessage ??
    m?.ephemeralMessage?.message?.documentMessage ??
    m?.ephemeralMessage?.message?.audioMessage;
  if (!inner) {
    return undefined;
  }
  if (inner.directPath) {
    let host: string | undefined;
    try {
      host = inner.url ? new URL(inner.url).host : undefined;
    } catch {
      host = undefined;
    }
    return getUrlFromDirectPath(inner.directPath, host);
  }
  return inner.url ?? undefined;
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string, clock: TransportClock): Promise<T> {
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
