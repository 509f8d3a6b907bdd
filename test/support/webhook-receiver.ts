/**
 * A real HTTP webhook receiver on 127.0.0.1 (port 0) for tests and benchmarks. It records every
 * request (raw body bytes and headers) and answers from a programmable plan: a status, a delay,
 * a body, a redirect, or a dropped connection, per request or by default.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface ReceivedRequest {
  /** Order of arrival, from 0. */
  index: number;
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  rawBody: Buffer;
  body: string;
  /** Parsed body, or undefined if it was not JSON. */
  json: Record<string, unknown> | undefined;
  /** `webhook-id` (= X-WA-Request-ID = envelope request_id for Warden). */
  requestId: string;
  receivedAt: number;
}

export interface ResponsePlan {
  status?: number;
  /** Wait this long before answering. */
  delayMs?: number;
  body?: string;
  headers?: Record<string, string>;
  /** Answer 302 with this Location. */
  redirectTo?: string;
  /** Destroy the socket instead of answering (a network error for the sender). */
  destroy?: boolean;
}

export type Responder = (req: ReceivedRequest) => ResponsePlan | Promise<ResponsePlan>;

export class WebhookReceiver {
  readonly requests: ReceivedRequest[] = [];
  private readonly queued: ResponsePlan[] = [];
  private responder: Responder = () => ({ status: 200, body: 'ok' });
  private readonly sockets = new Set<Socket>();
  private listeners: (() => void)[] = [];

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  static async start(): Promise<WebhookReceiver> {
    let receiver: WebhookReceiver | null = null;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => void receiver?.handle(req.method ?? '', req.url ?? '/', req.headers, Buffer.concat(chunks), res));
    });
    server.keepAliveTimeout = 5_000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    receiver = new WebhookReceiver(server, (server.address() as AddressInfo).port);
    return receiver;
  }

  /** Loopback URL of this receiver (an IP literal: no DNS involved). */
  url(path = '/hook'): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  /** Default answer for every request not covered by `queue`. */
  respondWith(responder: Responder | ResponsePlan): this {
    this.responder = typeof responder === 'function' ? responder : () => responder;
    return this;
  }

  /** Answers for the next requests, in order, before falling back to the default. */
  queue(...plans: ResponsePlan[]): this {
    this.queued.push(...plans);
    return this;
  }

  reset(): void {
    this.requests.length = 0;
    this.queued.length = 0;
    this.responder = () => ({ status: 200, body: 'ok' });
  }

  private async handle(
    method: string,
    url: string,
    headers: IncomingHttpHeaders,
    rawBody: Buffer,
    res: ServerResponse,
  ): Promise<void> {
    const body = rawBody.toString('utf8');
    let json: Record<string, unknown> | undefined;
    try {
      json = JSON.parse(body) as Record<string, unknown>;
    } catch {
      json = undefined;
    }
    const req: ReceivedRequest = {
      index: this.requests.length,
      method,
      path: url,
      headers,
      rawBody,
      body,
      json,
      requestId: String(headers['webhook-id'] ?? ''),
      receivedAt: Date.now(),
    };
    this.requests.push(req);
    for (const listener of this.listeners.splice(0)) listener();
    let plan: ResponsePlan;
    try {
      plan = this.queued.shift() ?? (await this.responder(req));
    } catch {
      plan = { status: 500, body: 'responder threw' };
    }
    if (plan.delayMs) await new Promise((resolve) => setTimeout(resolve, plan.delayMs));
    if (plan.destroy) {
      res.socket?.destroy();
      return;
    }
    if (res.destroyed) return;
    const headersOut: Record<string, string> = { 'content-type': 'text/plain', ...plan.headers };
    if (plan.redirectTo) {
      res.writeHead(302, { ...headersOut, location: plan.redirectTo });
      res.end(plan.body ?? '');
      return;
    }
    res.writeHead(plan.status ?? 200, headersOut);
    res.end(plan.body ?? '');
  }

  /** Requests grouped by request id (webhook-id). */
  byRequestId(): Map<string, ReceivedRequest[]> {
    const map = new Map<string, ReceivedRequest[]>();
    for (const r of this.requests) {
      const list = map.get(r.requestId) ?? [];
      list.push(r);
      map.set(r.requestId, list);
    }
    return map;
  }

  /** Resolves when `predicate` holds (checked on every arrival), rejects after `timeoutMs`. */
  async waitFor(predicate: (requests: ReceivedRequest[]) => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.requests)) {
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(`webhook receiver: timed out after ${timeoutMs} ms waiting for ${what} (${this.requests.length} requests so far)`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 100));
        this.listeners.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  waitForCount(count: number, timeoutMs = 10_000): Promise<void> {
    return this.waitFor((r) => r.length >= count, timeoutMs, `${count} requests`);
  }

  /** Waits until `count` distinct request ids have arrived. */
  waitForDistinct(count: number, timeoutMs = 10_000): Promise<void> {
    return this.waitFor((r) => new Set(r.map((x) => x.requestId)).size >= count, timeoutMs, `${count} distinct request ids`);
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

function header(req: ReceivedRequest, name: string): string {
  const value = req.headers[name.toLowerCase()];
  return Array.isArray(value) ? value.join(', ') : (value ?? '');
}

/**
 * `X-WA-Signature` verified independently of Warden's signer, with node:crypto: any one of the
 * space-separated `sha256=<hex>` entries must equal HMAC-SHA256(secret, timestamp + "." + raw body).
 */
export function verifyWaSignatureIndependently(req: ReceivedRequest, secret: string): boolean {
  const timestamp = header(req, 'x-wa-timestamp');
  const expected = createHmac('sha256', secret).update(`${timestamp}.`).update(req.rawBody).digest();
  return header(req, 'x-wa-signature')
    .split(/\s+/)
    .some((entry) => {
      const match = /^sha256=([0-9a-f]{64})$/.exec(entry);
      return match?.[1] !== undefined && timingSafeEqual(Buffer.from(match[1], 'hex'), expected);
    });
}

/** Standard Webhooks headers verified with the `standardwebhooks` package (5-minute tolerance). */
export function verifyStandardSignature(req: ReceivedRequest, secret: string): boolean {
  try {
    new Webhook(secret).verify(req.rawBody, {
      'webhook-id': header(req, 'webhook-id'),
      'webhook-timestamp': header(req, 'webhook-timestamp'),
      'webhook-signature': header(req, 'webhook-signature'),
    });
    return true;
  } catch {
    return false;
  }
}

/** Both schemes verify with this secret. */
export function verifiesWith(req: ReceivedRequest, secret: string): boolean {
  return verifyWaSignatureIndependently(req, secret) && verifyStandardSignature(req, secret);
}
