/**
 * The Baileys sessions of this node: one runtime per instance, from start (new QR, pairing code or
 * restored credentials) to stop (logout, destroy, release to another node, close). The socket and
 * its reconnects are `baileys-connection.ts`'s.
 */
import type { StartOptions } from '../transport.ts';
import type { BaileysConnection } from './baileys-connection.ts';
import { type BaileysShared, newRuntime, type Runtime, withTimeout } from './baileys-runtime.ts';
import { clearAuthState, SentMessageStore, useDbAuthState } from './db-auth-state.ts';
import { assertLoopbackUrl } from './net-guard.ts';
import { assertSignatureVerification } from './signature-self-test.ts';

export class BaileysSessions {
  private readonly runtimes = new Map<string, Runtime>();
  private readonly starting = new Map<string, Promise<void>>();
  private initialised = false;
  private closed = false;
  private connection!: BaileysConnection;

  constructor(private readonly shared: BaileysShared) {}

  /** Wired once by the facade (the connection reports log-outs and releases back here). */
  attach(connection: BaileysConnection): void {
    this.connection = connection;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  runtime(instanceId: string): Runtime | undefined {
    return this.runtimes.get(instanceId);
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
      this.shared.log.info(
        'baileys: WhatsApp server certificates are checked with strict signature verification (installed at start-up; no action needed)',
        {},
      );
    }
    if (this.shared.loopbackOnly) {
      if (!this.shared.options.waWebSocketUrl) {
        throw new Error('loopback-only mode requires an explicit waWebSocketUrl (the WhatsApp simulator)');
      }
      assertLoopbackUrl(this.shared.options.waWebSocketUrl, 'WhatsApp WebSocket');
    }
    this.initialised = true;
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
      await clearAuthState(this.shared.options.db, instanceId);
    }
    const rt = newRuntime(instanceId, this.shared.clock);
    const retain = this.shared.options.retainSentMessagesMs ?? 72 * 3600_000;
    if (retain > 0) {
      rt.sentStore = new SentMessageStore(this.shared.options.db, instanceId, retain, () => this.shared.clock.now());
    }
    this.runtimes.set(instanceId, rt);
    await this.loadAuth(rt);
    if (restore && !rt.auth?.restored) {
      this.shared.log.warn('baileys: no stored session to restore; a new QR will be generated', { instanceId });
    }
    this.connection.connect(rt);
  }

  private async loadAuth(rt: Runtime): Promise<void> {
    const before = this.shared.options.beforeAuthWrite;
    rt.auth = await useDbAuthState(this.shared.options.db, rt.id, {
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
    this.connection.cancelReconnect(rt);
    this.connection.endSocket(rt);
    if (!rt.auth) {
      await this.loadAuth(rt);
    }
    this.connection.connect(rt);
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
        const timer = this.shared.clock.setTimeout(
          () => reject(new Error('timed out waiting for the WhatsApp connection')),
          30_000,
        );
        rt!.qrWaiters.push(() => {
          this.shared.clock.clearTimeout(timer);
          resolve();
        });
      });
    }
    const sock = rt.sock;
    if (!sock) {
      throw new Error('no WhatsApp connection');
    }
    const code = await sock.requestPairingCode(digits);
    this.shared.events.emit(rt, { type: 'pairing_code', instanceId, code });
    return code;
  }

  async loggedOut(rt: Runtime, reason: string): Promise<void> {
    rt.stopped = true;
    this.connection.cancelReconnect(rt);
    try {
      await rt.auth?.clear();
    } catch (err) {
      this.shared.log.error('baileys: clearing credentials failed', {
        instanceId: rt.id,
        error: (err as Error).message,
      });
    }
    rt.auth?.dispose();
    rt.auth = undefined;
    this.runtimes.delete(rt.id);
    this.shared.events.emit(rt, { type: 'disconnected', instanceId: rt.id, reason, loggedOut: true, willReconnect: false });
  }

  async logout(instanceId: string): Promise<void> {
    const rt = this.runtimes.get(instanceId);
    if (!rt) {
      await clearAuthState(this.shared.options.db, instanceId);
      return;
    }
    rt.stopped = true;
    this.connection.cancelReconnect(rt);
    const sock = rt.sock;
    if (sock && rt.connected) {
      try {
        await withTimeout(sock.logout(), 10_000, 'logout timed out', this.shared.clock);
      } catch (err) {
        this.shared.log.warn('baileys: logout request failed', { instanceId, error: (err as Error).message });
      }
    }
    this.connection.endSocket(rt);
    await this.loggedOut(rt, 'logged_out');
  }

  async destroy(instanceId: string): Promise<void> {
    const rt = this.runtimes.get(instanceId);
    if (rt) {
      rt.stopped = true;
      this.connection.cancelReconnect(rt);
      const sock = rt.sock;
      if (sock && rt.connected) {
        // unlink the device from the phone too, best effort
        await withTimeout(sock.logout(), 5_000, 'logout timed out', this.shared.clock).catch(() => undefined);
      }
      this.connection.endSocket(rt);
      try {
        await rt.auth?.clear();
      } finally {
        rt.auth?.dispose();
        rt.auth = undefined;
        this.runtimes.delete(instanceId);
      }
    }
    await clearAuthState(this.shared.options.db, instanceId);
  }

  /** Stop one session without logging out or clearing credentials (another node takes it over). */
  async release(instanceId: string): Promise<void> {
    const rt = this.runtimes.get(instanceId);
    if (!rt) return;
    rt.stopped = true;
    this.connection.cancelReconnect(rt);
    this.connection.endSocket(rt);
    rt.auth?.dispose();
    rt.auth = undefined;
    this.runtimes.delete(instanceId);
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.runtimes.values()];
    for (const rt of all) {
      rt.stopped = true;
      this.connection.cancelReconnect(rt);
      this.connection.endSocket(rt);
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
  }
}
