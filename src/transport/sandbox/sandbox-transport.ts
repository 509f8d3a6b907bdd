import { randomBytes } from 'node:crypto';
import type { Clock } from '../../lib/clock.ts';
import { systemClock } from '../../lib/clock.ts';
import {
  type MediaType,
  type SendRequest,
  type SendResult,
  type StartOptions,
  type Transport,
  type TransportEvent,
  type TransportListener,
  type TransportMessage,
  TransportSendError,
} from '../transport.ts';

interface SandboxInstance {
  connected: boolean;
  phone: string;
  failNext: number;
  qrNonce: string | null;
}

export interface SandboxOptions {
  clock?: Clock;
  /** Delay before the simulated `delivered` and `read` receipts (ms). */
  receiptDelayMs?: number;
  /** Simulated latency of a send (the time WhatsApp takes to acknowledge it); 0 by default. */
  sendLatencyMs?: number;
  qrTtlMs?: number;
}

export interface SandboxInbound {
  from: string;
  text?: string | null;
  group?: string | null;
  mentions?: { jid: string; display?: string | null }[];
  media?: {
    data: Buffer;
    mimeType: string;
    fileName?: string | null;
    type: MediaType;
  };
  pushName?: string | null;
}

/**
 * A simulated phone: instances reach `qr_generated`, then `connected` when "scanned"; sends
 * succeed with WhatsApp-like ids and are followed by `delivered` then `read`; failures can be
 * injected. Used to try the gateway without a phone, and by every test where the transport is
 * not the point.
 */
export class SandboxTransport implements Transport {
  readonly kind = 'sandbox' as const;
  private listener: TransportListener = () => {};
  private readonly instances = new Map<string, SandboxInstance>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly clock: Clock;
  private readonly receiptDelayMs: number;
  private readonly sendLatencyMs: number;
  private readonly qrTtlMs: number;
  private phoneCounter = 0;

  constructor(options: SandboxOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.receiptDelayMs = options.receiptDelayMs ?? 250;
    this.sendLatencyMs = options.sendLatencyMs ?? 0;
    this.qrTtlMs = options.qrTtlMs ?? 60_000;
  }

  onEvent(listener: TransportListener): void {
    this.listener = listener;
  }

  private async emit(event: TransportEvent): Promise<void> {
    await this.listener(event);
  }

  private ensure(instanceId: string): SandboxInstance {
    let state = this.instances.get(instanceId);
    if (!state) {
      this.phoneCounter += 1;
      state = {
        connected: false,
        phone: `+1555${String(1_000_000 + this.phoneCounter).slice(1)}`,
        failNext: 0,
        qrNonce: null,
      };
      this.instances.set(instanceId, state);
    }
    return state;
  }

  async start({ instanceId, restore, phone }: StartOptions): Promise<void> {
    const state = this.ensure(instanceId);
    // A session taken over from another node keeps its number.
    if (phone) state.phone = phone;
    if (restore) {
      state.connected = true;
      await this.emit({ type: 'connected', instanceId, phone: state.phone });
      return;
    }
    await this.issueQr(instanceId, state);
  }

  private async issueQr(instanceId: string, state: SandboxInstance): Promise<void> {
    state.qrNonce = randomBytes(12).toString('base64url');
    const raw = `2@sandbox.${state.qrNonce},${randomBytes(32).toString('base64')},${instanceId}`;
    await this.emit({
      type: 'qr',
      instanceId,
      qr: { raw, expiresAt: new Date(this.clock.now().getTime() + this.qrTtlMs) },
    });
  }

  async regenerateQr(instanceId: string): Promise<void> {
    await this.issueQr(instanceId, this.ensure(instanceId));
  }

  async requestPairingCode(instanceId: string): Promise<string> {
    this.ensure(instanceId);
    const alphabet = 'ABCDEFGHJKLMNPQRSTVWXYZ123456789';
    return Array.from(randomBytes(8), (b) => alphabet[b % alphabet.length]).join('');
  }

  /** Sandbox control: the phone scans the QR. */
  async scan(instanceId: string): Promise<void> {
    const state = this.ensure(instanceId);
    state.connected = true;
    state.qrNonce = null;
    await this.emit({ type: 'connected', instanceId, phone: state.phone });
  }

  /** Sandbox control: the next `count` sends fail. */
  failNext(instanceId: string, count: number): void {
    this.ensure(instanceId).failNext += count;
  }

  /** Sandbox control: the connection drops (the phone went offline). */
  async dropConnection(instanceId: string): Promise<void> {
    const state = this.ensure(instanceId);
    state.connected = false;
    await this.emit({
      type: 'disconnected',
      instanceId,
      reason: 'connection_lost',
      loggedOut: false,
      willReconnect: false,
    });
  }

  /** Sandbox control: a contact sends a message to the instance. */
  async inbound(instanceId: string, input: SandboxInbound): Promise<TransportMessage> {
    const state = this.ensure(instanceId);
    const now = this.clock.now();
    const isGroup = Boolean(input.group);
    const mentions = (input.mentions ?? []).map((m) => {
      const display = m.display ?? `@${m.jid.replace(/@.*/, '')}`;
      const start = input.text ? input.text.indexOf(display) : -1;
      return {
        jid: m.jid,
        lid: null,
        display,
        start: start >= 0 ? start : null,
        end: start >= 0 ? start + display.length : null,
      };
    });
    const message: TransportMessage = {
      messageId: newWaMessageId(),
      fromMe: false,
      from: input.from,
      chat: isGroup ? String(input.group) : input.from,
      isGroup,
      pushName: input.pushName ?? null,
      messageType: input.media ? input.media.type : 'text',
      text: input.text ?? null,
      mentions,
      forwarded: { isForwarded: false, score: 0, frequentlyForwarded: false },
      isViewOnce: false,
      media: input.media
        ? { data: input.media.data, mimeType: input.media.mimeType, fileName: input.media.fileName ?? null }
        : undefined,
      timestamp: now,
    };
    void state;
    await this.emit({ type: 'message', instanceId, message });
    return message;
  }

  async send(request: SendRequest): Promise<SendResult> {
    const state = this.ensure(request.instanceId);
    if (!state.connected)
      throw new TransportSendError('The instance is not connected.', 'instance_not_connected');
    if (state.failNext > 0) {
      state.failNext -= 1;
      throw new TransportSendError('Injected sandbox failure.', 'sandbox_injected_failure');
    }
    if (this.sendLatencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.sendLatencyMs));
    const messageId = newWaMessageId();
    this.later(() => this.receipt(request, messageId, 'delivered'), this.receiptDelayMs);
    this.later(() => this.receipt(request, messageId, 'read'), this.receiptDelayMs * 2);
    return { messageId };
  }

  private async receipt(
    request: SendRequest,
    messageId: string,
    status: 'delivered' | 'read',
  ): Promise<void> {
    if (!this.instances.get(request.instanceId)?.connected) return;
    await this.emit({
      type: 'receipt',
      instanceId: request.instanceId,
      messageId,
      status,
      recipient: request.to,
      at: this.clock.now(),
    });
  }

  private later(fn: () => Promise<void>, ms: number): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn().catch(() => {});
    }, ms);
    timer.unref();
    this.timers.add(timer);
  }

  isConnected(instanceId: string): boolean {
    return this.instances.get(instanceId)?.connected ?? false;
  }

  async logout(instanceId: string): Promise<void> {
    const state = this.ensure(instanceId);
    state.connected = false;
    await this.emit({
      type: 'disconnected',
      instanceId,
      reason: 'logged_out',
      loggedOut: true,
      willReconnect: false,
    });
  }

  async destroy(instanceId: string): Promise<void> {
    this.instances.delete(instanceId);
  }

  /** Another node takes the instance over: forget it here, quietly (no events). */
  async release(instanceId: string): Promise<void> {
    this.instances.delete(instanceId);
  }

  async close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}

/** WhatsApp Web style message ids: `3EB0` + 18 upper-case hex characters. */
export function newWaMessageId(): string {
  return `3EB0${randomBytes(9).toString('hex').toUpperCase()}`;
}
