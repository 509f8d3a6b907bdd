import type { Knex } from 'knex';
import QRCode from 'qrcode';
import { isUniqueViolation } from '../db/database.ts';
import {
  InstanceConnectedError,
  InvalidInstanceError,
  QrStillValidError,
  ValidationError,
  ConflictError,
  WhatsAppUnreachableError,
} from '../errors/errors.ts';
import type { Transact } from '../db/transactions.ts';
import type { EventOutbox, TypedEvent } from '../events/event-outbox.ts';
import type { Clock } from '../lib/clock.ts';
import { newId } from '../lib/ids.ts';
import { moduleLogger } from '../lib/logger.ts';
import { describeUnreachable, type Transport, type TransportEvent } from '../transport/transport.ts';
import { type Instance, InstanceStore } from './instance-store.ts';
import type { InstanceResponse } from './instance-response.schema.ts';

const log = moduleLogger('instances');

/** Handlers for transport events that are not about the connection (messages, receipts, calls…). */
export type TransportEventHandler = (event: TransportEvent, instance: Instance) => Promise<void>;

const QR_WAIT_MS = 30_000;

/**
 * Instance lifecycle (SPEC §5.1) on top of one Transport. The transport reports; this service
 * turns reports into rows and `instance.*` events in one transaction.
 */
export class InstanceService {
  private readonly qrWaiters = new Map<string, { resolve: () => void; reject: (error: Error) => void }[]>();
  private readonly handlers: TransportEventHandler[] = [];
  /** Several nodes: checks, inside each write a transport event causes, that this node still owns the instance. */
  private writeFence: ((trx: Knex, instanceId: string) => Promise<void>) | null = null;

  constructor(
    private readonly transact: Transact,
    readonly store: InstanceStore,
    private readonly transport: Transport,
    private readonly outbox: EventOutbox,
    private readonly clock: Clock,
  ) {
    transport.onEvent((event) => this.onTransportEvent(event));
  }

  /** Several nodes (SPEC §12): fence every state change a transport event makes by the instance lease. */
  setWriteFence(fence: (trx: Knex, instanceId: string) => Promise<void>): void {
    this.writeFence = fence;
  }

  /** Owner side of a forwarded QR request: issue a QR here and wait until it is written. */
  async issueQrHere(id: string): Promise<void> {
    const waitForQr = this.waitForQr(id);
    await this.transport.regenerateQr(id);
    await waitForQr;
  }

  /** The owning node wrote a new QR for a request made here: the local waiters can read it. */
  qrWrittenElsewhere(id: string): void {
    this.settleQrWaiters(id);
  }

  /** Register a handler for message-level transport events (inbound, receipts, calls…). */
  addHandler(handler: TransportEventHandler): void {
    this.handlers.push(handler);
  }

  async create(
    accountId: string,
    input: { name: string; default_country?: string | null },
  ): Promise<Instance> {
    const now = this.clock.now().getTime();
    const id = newId('inst');
    try {
      await this.store.insert({
        id,
        account_id: accountId,
        name: input.name,
        live_name: input.name,
        state: 'disconnected',
        default_country: input.default_country ?? null,
        created_at: now,
        updated_at: now,
      });
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new ValidationError({
          errors: [{ field: '/name', reason: 'an instance with this name already exists' }],
        });
      }
      throw error;
    }
    const waitForQr = this.waitForQr(id);
    try {
      await this.transport.start({ instanceId: id, restore: false });
      await waitForQr;
    } catch (error) {
      // No QR (WhatsApp unreachable, or too slow): leave nothing behind, so the same name can be
      // tried again at once — no socket retrying in the background, no row holding the name.
      waitForQr.catch(() => {});
      await this.abandon(id).catch((cleanup) => log.warn('could not clean up a failed instance', { instance_id: id, error: cleanup }));
      throw error;
    }
    return (await this.store.get(id)) as Instance;
  }

  /** A new instance that never got its QR: its socket, its auth rows and its row go. */
  private async abandon(id: string): Promise<void> {
    this.qrWaiters.delete(id);
    await this.transport.destroy(id);
    await this.store.delete(id);
  }

  async getForAccount(accountId: string, id: string): Promise<Instance> {
    const instance = await this.store.getForAccount(accountId, id);
    if (!instance) throw new InvalidInstanceError();
    return instance;
  }

  async regenerateQr(accountId: string, id: string): Promise<Instance> {
    const instance = await this.getForAccount(accountId, id);
    const local = this.transport.isLocal?.(id) ?? true;
    if (instance.state === 'connected' || (local && this.transport.isConnected(id)))
      throw new InstanceConnectedError();
    const now = this.clock.now().getTime();
    if (instance.state === 'qr_generated' && instance.qrExpiresAt !== null && instance.qrExpiresAt > now) {
      throw new QrStillValidError({ expires_at: new Date(instance.qrExpiresAt).toISOString() });
    }
    const waitForQr = this.waitForQr(id);
    await this.transport.regenerateQr(id);
    await waitForQr;
    return (await this.store.get(id)) as Instance;
  }

  async requestPairingCode(accountId: string, id: string, phone: string): Promise<string> {
    const instance = await this.getForAccount(accountId, id);
    if (instance.state === 'connected') throw new InstanceConnectedError();
    return this.transport.requestPairingCode(id, phone);
  }

  async disconnect(accountId: string, id: string): Promise<Instance> {
    const instance = await this.getForAccount(accountId, id);
    if (instance.state === 'disconnected' && !instance.hasSession) return instance;
    await this.transport.logout(id);
    // The transport reports `disconnected`; make the row true even if it did not.
    await this.applyDisconnected(instance, 'logged_out', true);
    return (await this.store.get(id)) as Instance;
  }

  /** Destroy: the socket goes, the name is freed, the message log is kept (archived with it). */
  async destroy(accountId: string, id: string): Promise<void> {
    const instance = await this.getForAccount(accountId, id);
    await this.transport.destroy(id);
    const now = this.clock.now().getTime();
    await this.store.update(instance.id, {
      state: 'destroyed',
      live_name: null,
      destroyed_at: now,
      has_session: false,
      qr_raw: null,
      qr_expires_at: null,
      updated_at: now,
    });
  }

  /** Bring back every instance that had a session before the restart. */
  async restoreSessions(): Promise<number> {
    const instances = await this.store.listRestorable();
    for (const instance of instances) {
      try {
        await this.transport.start({ instanceId: instance.id, restore: true });
      } catch (error) {
        log.warn('session restore failed', { instance_id: instance.id, error });
      }
    }
    return instances.length;
  }

  private waitForQr(id: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.qrWaiters.delete(id);
        reject(
          new ConflictError(
            { reason: 'qr_not_received' },
            'WhatsApp did not provide a QR code in time. Please try again.',
          ),
        );
      }, QR_WAIT_MS);
      timer.unref();
      const list = this.qrWaiters.get(id) ?? [];
      list.push({
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      this.qrWaiters.set(id, list);
    });
  }

  private settleQrWaiters(id: string, error?: Error): void {
    const list = this.qrWaiters.get(id);
    if (!list) return;
    this.qrWaiters.delete(id);
    for (const waiter of list) {
      if (error) waiter.reject(error);
      else waiter.resolve();
    }
  }

  private async onTransportEvent(event: TransportEvent): Promise<void> {
    const instance = await this.store.get(event.instanceId);
    if (!instance || instance.state === 'destroyed') return;
    try {
      switch (event.type) {
        case 'unreachable':
          // Only someone waiting for a QR cares; a restored session keeps reconnecting.
          this.settleQrWaiters(
            instance.id,
            new WhatsAppUnreachableError(
              { cause: event.cause, detail: event.detail },
              `${describeUnreachable(event.cause, event.detail)}. Check the gateway's network connection and try again.`,
            ),
          );
          return;
        case 'qr':
          await this.applyState(instance, {
            patch: {
              state: 'qr_generated',
              qr_raw: event.qr.raw,
              qr_expires_at: event.qr.expiresAt.getTime(),
              state_reason: null,
            },
            events: [
              {
                type: 'instance.qr_updated',
                payload: { state: 'qr_generated', expires_at: event.qr.expiresAt.toISOString() },
              },
            ],
          });
          this.settleQrWaiters(instance.id);
          return;
        case 'connected':
          // A reconnect that changes nothing (515 restart, session restored after a gateway
          // restart while the row still says connected): no row change, no duplicate events.
          if (
            instance.state === 'connected' &&
            instance.hasSession &&
            instance.phone === event.phone &&
            instance.lid === (event.lid ?? null) &&
            instance.stateReason === null
          ) {
            this.settleQrWaiters(instance.id);
            return;
          }
          await this.applyState(instance, {
            patch: {
              state: 'connected',
              phone: event.phone,
              lid: event.lid ?? null,
              has_session: true,
              qr_raw: null,
              qr_expires_at: null,
              state_reason: null,
            },
            events: [
              { type: 'instance.connected', payload: { state: 'connected', phone: event.phone } },
              {
                type: 'instance.connection_updated',
                payload: { state: 'connected', previous_state: instance.state },
              },
            ],
          });
          this.settleQrWaiters(instance.id);
          return;
        case 'disconnected':
          await this.applyDisconnected(instance, event.reason, event.loggedOut, true);
          return;
        case 'expired':
          await this.applyState(instance, {
            patch: { state: 'expired', qr_raw: null, qr_expires_at: null, state_reason: 'qr_not_scanned' },
            events: [
              {
                type: 'instance.connection_updated',
                payload: { state: 'expired', previous_state: instance.state, reason: 'qr_not_scanned' },
              },
            ],
          });
          return;
        default:
          for (const handler of this.handlers) await handler(event, instance);
      }
    } catch (error) {
      log.error('failed to record transport event', {
        instance_id: instance.id,
        event_type: event.type,
        error,
      });
    }
  }

  private async applyDisconnected(
    instance: Instance,
    reason: string,
    loggedOut: boolean,
    fenced = false,
  ): Promise<void> {
    const fresh = (await this.store.get(instance.id)) ?? instance;
    if (fresh.state === 'disconnected' && (!loggedOut || !fresh.hasSession)) return;
    const patch: Parameters<InstanceStore['update']>[1] = {
      state: 'disconnected',
      state_reason: reason,
      updated_at: 0,
    };
    if (loggedOut) patch.has_session = false;
    await this.applyState(fresh, {
      fenced,
      patch,
      events: [
        { type: 'instance.disconnected', payload: { state: 'disconnected', reason, logged_out: loggedOut } },
        {
          type: 'instance.connection_updated',
          payload: { state: 'disconnected', previous_state: fresh.state, reason },
        },
      ],
    });
  }

  private async applyState(
    instance: Instance,
    change: {
      patch: Omit<Parameters<InstanceStore['update']>[1], 'updated_at'> & { updated_at?: number };
      events: TypedEvent[];
      /** Caused by a transport event: refused when this node lost the instance's lease. */
      fenced?: boolean;
    },
  ): Promise<void> {
    const now = this.clock.now().getTime();
    const fence = change.fenced === false ? null : this.writeFence;
    const result = await this.transact(async (trx) => {
      if (fence) await fence(trx, instance.id);
      await this.store.update(instance.id, { ...change.patch, updated_at: now }, trx);
      let deliveries = 0;
      for (const e of change.events) {
        const r = await this.outbox.emit(trx, {
          type: e.type,
          accountId: instance.accountId,
          instanceId: instance.id,
          instanceName: instance.name,
          payload: e.payload,
        });
        deliveries += r.deliveries;
      }
      return deliveries;
    });
    if (result > 0) this.outbox.notify();
  }
}

/** The public representation of an instance (QR as raw string and PNG data URL). */
export async function presentInstance(instance: Instance, now: number): Promise<InstanceResponse> {
  // The QR code waiting to be scanned, if any.
  const qrRaw = instance.state === 'qr_generated' && (instance.qrExpiresAt ?? 0) > now ? instance.qrRaw : null;
  return {
    id: instance.id,
    name: instance.name,
    state: instance.state,
    state_reason: instance.stateReason,
    phone: instance.phone,
    default_country: instance.defaultCountry,
    qr: qrRaw
      ? {
          raw: qrRaw,
          png_data_url: await QRCode.toDataURL(qrRaw, { margin: 1, width: 320 }),
          expires_at: new Date(instance.qrExpiresAt as number).toISOString(),
        }
      : null,
    paused: instance.paused,
    pause: instance.paused
      ? {
          reason: instance.pauseReason,
          paused_at: instance.pausedAt ? new Date(instance.pausedAt).toISOString() : null,
        }
      : null,
    created_at: new Date(instance.createdAt).toISOString(),
    updated_at: new Date(instance.updatedAt).toISOString(),
  };
}

/** The admin's view of an instance: the public representation and the account it belongs to. */
export async function presentAdminInstance(
  instance: Instance,
  now: number,
): Promise<InstanceResponse & { account_id: string }> {
  return { ...(await presentInstance(instance, now)), account_id: instance.accountId };
}
