import type { SendResult, Transport } from '../transport/transport.ts';

/**
 * The CLI's transport: the CLI is a short-lived process and holds no WhatsApp connection, so it
 * never starts one. Commands that need a live connection (instance create, qr, destroy) ask the
 * running gateway over its admin API instead (gateway-client.ts).
 */
export class OfflineTransport implements Transport {
  readonly kind = 'sandbox' as const;
  private fail(): never {
    throw new Error('this command needs the running gateway (it holds the WhatsApp connections)');
  }
  onEvent(): void {}
  async start(): Promise<void> {
    this.fail();
  }
  async regenerateQr(): Promise<void> {
    this.fail();
  }
  async requestPairingCode(): Promise<string> {
    this.fail();
  }
  async send(): Promise<SendResult> {
    this.fail();
  }
  isConnected(): boolean {
    return false;
  }
  async logout(): Promise<void> {
    this.fail();
  }
  async destroy(): Promise<void> {
    this.fail();
  }
  async close(): Promise<void> {}
}
