import { ApiError, type ErrorDetails } from '../errors/api-error.ts';
import { GatewaySendFailedError } from '../errors/errors.ts';
import { moduleLogger } from '../lib/logger.ts';
import type { SandboxInbound } from '../transport/sandbox/sandbox-transport.ts';
import { SandboxTransport } from '../transport/sandbox/sandbox-transport.ts';
import {
  type SendRequest,
  type SendResult,
  type StartOptions,
  type Transport,
  type TransportListener,
  TransportSendError,
} from '../transport/transport.ts';
import type { ClusterNode } from './cluster-node.ts';
import { LeaseLostError } from './lease-store.ts';

const log = moduleLogger('cluster');

/** Header names of node-to-node calls. */
export const SECRET_HEADER = 'x-warden-cluster-secret';
export const FROM_NODE_HEADER = 'x-warden-node';

export type ForwardOp =
  | 'send'
  | 'regenerate_qr'
  | 'pairing_code'
  | 'logout'
  | 'destroy'
  | 'sandbox_scan'
  | 'sandbox_inbound'
  | 'sandbox_fail_next'
  | 'sandbox_drop';

export const FORWARD_OPS: readonly ForwardOp[] = [
  'send',
  'regenerate_qr',
  'pairing_code',
  'logout',
  'destroy',
  'sandbox_scan',
  'sandbox_inbound',
  'sandbox_fail_next',
  'sandbox_drop',
];

/** The owner answered that it does not own the instance (any more): nothing was done there. */
export class NotOwnerError extends Error {
  constructor(readonly instanceId: string) {
    super(`this node does not own ${instanceId}`);
    this.name = 'NotOwnerError';
  }
}

/** An API error the owner answered with, passed on unchanged to the customer. */
class ForwardedApiError extends ApiError {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    details?: ErrorDetails,
  ) {
    super(message, details);
  }
}

/** Sandbox control calls, routed to the owner like every other instance call. */
export interface SandboxControl {
  scan(instanceId: string): Promise<void>;
  inbound(instanceId: string, input: SandboxInbound): Promise<{ messageId: string }>;
  failNext(instanceId: string, count: number): Promise<void>;
  dropConnection(instanceId: string): Promise<void>;
}

/** The sandbox controls of a transport, whether it is clustered or not; null for Baileys. */
export function sandboxControlOf(transport: Transport): SandboxControl | null {
  if (transport instanceof ClusteredTransport) return transport.sandbox();
  if (transport instanceof SandboxTransport)
    return {
      scan: (id) => transport.scan(id),
      inbound: (id, input) => transport.inbound(id, input),
      failNext: async (id, n) => transport.failNext(id, n),
      dropConnection: (id) => transport.dropConnection(id),
    };
  return null;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());
const POLL_MS = 150;
const FORWARD_TIMEOUT_MS = 45_000;

/**
 * The transport every part of the gateway sees when several nodes share the database. Calls for
 * an instance this node owns go to the real transport (sends fenced by the lease); calls for an
 * instance owned elsewhere are forwarded to the owner in one hop; while no live node owns it,
 * calls wait up to CLUSTER_FAILOVER_WAIT, then fail with `instance_failing_over`.
 *
 * Events of instances this node does not hold are dropped: a session that is being handed over
 * or that lost its lease cannot change rows or emit webhooks.
 */
export class ClusteredTransport implements Transport {
  readonly kind: Transport['kind'];
  /** Set by the container: issue a QR on this node and wait for it (owner side of regenerate_qr). */
  issueQrHere: (instanceId: string) => Promise<void> = (id) => this.inner.regenerateQr(id);
  /** Set by the container: a QR issued by the owner has been written (resolves local waiters). */
  remoteQrWritten: (instanceId: string) => void = () => {};

  constructor(
    readonly inner: Transport,
    readonly node: ClusterNode,
  ) {
    this.kind = inner.kind;
  }

  onEvent(listener: TransportListener): void {
    this.inner.onEvent(async (event) => {
      if (!this.node.holds(event.instanceId)) {
        log.debug('event of an instance this node does not hold dropped', {
          instance_id: event.instanceId,
          type: event.type,
        });
        return;
      }
      await listener(event);
    });
  }

  isLocal(instanceId: string): boolean {
    return this.node.holds(instanceId);
  }

  /** Creation (restore: false from InstanceService.create): this node owns the new instance. */
  async start(options: StartOptions): Promise<void> {
    if (!this.node.holds(options.instanceId)) await this.node.claimNew(options.instanceId);
    await this.inner.start(options);
  }

  async regenerateQr(instanceId: string): Promise<void> {
    const forwarded = await this.route('regenerate_qr', instanceId, {}, () => this.inner.regenerateQr(instanceId));
    if (forwarded) this.remoteQrWritten(instanceId);
  }

  async requestPairingCode(instanceId: string, phoneE164: string): Promise<string> {
    let code = '';
    await this.route('pairing_code', instanceId, { phone: phoneE164 }, async () => {
      code = await this.inner.requestPairingCode(instanceId, phoneE164);
      return { code };
    }, (r) => {
      code = String((r as { code: string }).code);
    });
    return code;
  }

  async send(request: SendRequest): Promise<SendResult> {
    let result: SendResult | null = null;
    await this.route(
      'send',
      request.instanceId,
      {
        to: request.to,
        text: request.text,
        media: request.media
          ? { ...request.media, data: request.media.data.toString('base64') }
          : undefined,
      },
      async () => {
        result = await this.node.localSend(request);
        return result;
      },
      (r) => {
        result = r as SendResult;
      },
    );
    return result as unknown as SendResult;
  }

  isConnected(instanceId: string): boolean {
    // For an instance owned elsewhere the owner decides (its send answers instance_not_connected).
    if (!this.node.holds(instanceId)) return true;
    return this.inner.isConnected(instanceId) || this.node.recentlyAcquired(instanceId);
  }

  async logout(instanceId: string): Promise<void> {
    await this.route('logout', instanceId, {}, () => this.inner.logout(instanceId));
  }

  async destroy(instanceId: string): Promise<void> {
    await this.route('destroy', instanceId, {}, async () => {
      await this.inner.destroy(instanceId);
      this.node.forget(instanceId);
    });
  }

  async release(instanceId: string): Promise<void> {
    await this.inner.release?.(instanceId);
  }

  async close(): Promise<void> {
    this.node.stop();
    await this.inner.close();
  }

  sandbox(): SandboxControl | null {
    const inner = this.inner;
    if (!(inner instanceof SandboxTransport)) return null;
    return {
      scan: async (id) => {
        await this.route('sandbox_scan', id, {}, () => inner.scan(id));
      },
      inbound: async (id, input) => {
        let messageId = '';
        await this.route(
          'sandbox_inbound',
          id,
          {
            ...input,
            media: input.media ? { ...input.media, data: input.media.data.toString('base64') } : undefined,
          },
          async () => {
            messageId = (await inner.inbound(id, input)).messageId;
            return { messageId };
          },
          (r) => {
            messageId = String((r as { messageId: string }).messageId);
          },
        );
        return { messageId };
      },
      failNext: async (id, count) => {
        await this.route('sandbox_fail_next', id, { count }, async () => inner.failNext(id, count));
      },
      dropConnection: async (id) => {
        await this.route('sandbox_drop', id, {}, () => inner.dropConnection(id));
      },
    };
  }

  /**
   * Owner side of a forwarded call: run it here, or refuse with NotOwnerError (never forwarded
   * a second time).
   */
  async execute(op: ForwardOp, instanceId: string, args: Record<string, unknown>): Promise<unknown> {
    if (!this.node.holds(instanceId)) throw new NotOwnerError(instanceId);
    const inner = this.inner;
    const sandbox = inner instanceof SandboxTransport ? inner : null;
    switch (op) {
      case 'send': {
        const media = args.media as (Record<string, unknown> & { data: string }) | undefined;
        return this.node.localSend({
          instanceId,
          to: String(args.to),
          text: String(args.text ?? ''),
          media: media
            ? {
                type: media.type as 'image',
                mimeType: String(media.mimeType),
                fileName: media.fileName === undefined ? undefined : String(media.fileName),
                data: Buffer.from(media.data, 'base64'),
              }
            : undefined,
        });
      }
      case 'regenerate_qr':
        await this.issueQrHere(instanceId);
        return {};
      case 'pairing_code':
        return { code: await inner.requestPairingCode(instanceId, String(args.phone)) };
      case 'logout':
        await inner.logout(instanceId);
        return {};
      case 'destroy':
        await inner.destroy(instanceId);
        this.node.forget(instanceId);
        return {};
      default:
        break;
    }
    if (!sandbox) throw new NotOwnerError(instanceId);
    switch (op) {
      case 'sandbox_scan':
        await sandbox.scan(instanceId);
        return {};
      case 'sandbox_inbound': {
        const input = args as unknown as SandboxInbound & { media?: { data: string } };
        const message = await sandbox.inbound(instanceId, {
          ...input,
          media: input.media
            ? { ...(input.media as object), data: Buffer.from(input.media.data, 'base64') } as SandboxInbound['media']
            : undefined,
        });
        return { messageId: message.messageId };
      }
      case 'sandbox_fail_next':
        sandbox.failNext(instanceId, Number(args.count ?? 1));
        return {};
      case 'sandbox_drop':
        await sandbox.dropConnection(instanceId);
        return {};
      default:
        throw new NotOwnerError(instanceId);
    }
  }

  /**
   * Run a call where the instance lives. Returns true when it was forwarded to another node.
   * Retries only when nothing can have happened yet: the owner refused as not owner, the
   * connection was refused, or the local fence failed before the transport was called.
   */
  private async route(
    op: ForwardOp,
    instanceId: string,
    args: Record<string, unknown>,
    local: () => Promise<unknown>,
    decode: (result: unknown) => void = () => {},
  ): Promise<boolean> {
    const node = this.node;
    const deadline = Date.now() + (node.started ? node.config.failoverWaitMs : 5_000);
    for (;;) {
      if (node.started && node.holds(instanceId)) {
        try {
          await local();
          return false;
        } catch (error) {
          if (!(error instanceof LeaseLostError)) throw error;
        }
      } else if (node.started) {
        const owner = await node.leases.liveOwner(instanceId);
        if (owner && owner.nodeId !== node.id) {
          const outcome = await this.forward(owner.url, op, instanceId, args);
          if (outcome.done) {
            decode(outcome.result);
            return true;
          }
        }
      }
      if (Date.now() >= deadline) throw this.failingOver(op);
      await sleep(POLL_MS);
    }
  }

  private failingOver(op: ForwardOp): Error {
    const retryAfter = this.node.started
      ? Math.ceil((this.node.config.leaseMs + this.node.config.heartbeatMs) / 1000)
      : 10;
    this.node.metrics.forwarded.inc({ op, result: 'failing_over' });
    if (op === 'send')
      return new TransportSendError(
        'No live node owns this instance right now; it is failing over.',
        'instance_failing_over',
        retryAfter,
      );
    const error = new GatewaySendFailedError({ reason: 'instance_failing_over', retry_after: retryAfter });
    error.headers['Retry-After'] = String(retryAfter);
    return error;
  }

  private async forward(
    url: string,
    op: ForwardOp,
    instanceId: string,
    args: Record<string, unknown>,
  ): Promise<{ done: true; result: unknown } | { done: false }> {
    let response: Response;
    try {
      response = await fetch(`${url}/internal/cluster/call`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          [SECRET_HEADER]: this.node.secret,
          [FROM_NODE_HEADER]: this.node.id,
        },
        body: JSON.stringify({ op, instance_id: instanceId, args }),
        signal: AbortSignal.timeout(FORWARD_TIMEOUT_MS),
      });
    } catch (error) {
      const code = (error as { cause?: { code?: string } }).cause?.code;
      if (code === 'ECONNREFUSED') {
        // The owner's process is gone and the request never reached it: wait for a new owner.
        this.node.metrics.forwarded.inc({ op, result: 'refused' });
        return { done: false };
      }
      this.node.metrics.forwarded.inc({ op, result: 'unreachable' });
      log.warn('forwarded call failed', { op, instance_id: instanceId, error });
      // It may have run there: never repeat it (a send must not go out twice).
      if (op === 'send')
        throw new TransportSendError('The node that owns this instance did not answer.', 'owner_unreachable');
      throw new GatewaySendFailedError({ reason: 'owner_unreachable' });
    }
    const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
    if (response.ok) {
      this.node.metrics.forwarded.inc({ op, result: 'ok' });
      return { done: true, result: body.result };
    }
    if (response.status === 409 && body.error === 'not_owner') {
      this.node.metrics.forwarded.inc({ op, result: 'not_owner' });
      return { done: false };
    }
    this.node.metrics.forwarded.inc({ op, result: 'error' });
    if (body.error === 'transport_send_failed')
      throw new TransportSendError(String(body.message ?? 'send failed'), String(body.reason ?? 'transport_error'));
    const forwarded = new ForwardedApiError(
      response.status,
      String(body.error ?? 'internal_error'),
      String(body.message ?? 'The request could not be processed.'),
      body.details as ErrorDetails | undefined,
    );
    const retryAfter = response.headers.get('retry-after');
    if (retryAfter) forwarded.headers['Retry-After'] = retryAfter;
    throw forwarded;
  }
}
