/** One WebSocket connection from a client: Noise handshake, then encrypted binary nodes. */
import {
  type BinaryNode,
  binaryNodeToString,
  decodeBinaryNode,
  encodeBinaryNode,
  type proto,
} from '@whiskeysockets/baileys';
import { NoiseServerSession } from './noise.ts';
import type { Companion } from './world.ts';

/** The subset of a `ws` WebSocket the simulator uses. */
export interface WsLike {
  readyState: number;
  send(data: Uint8Array, cb?: (err?: Error) => void): void;
  close(code?: number, reason?: string): void;
  terminate(): void;
  on(event: 'message', cb: (data: Buffer, isBinary: boolean) => void): void;
  on(event: 'close', cb: () => void): void;
  on(event: 'error', cb: (err: Error) => void): void;
}

export interface Registration {
  refs: string[];
  identityPub: Buffer;
  registrationId: number;
  signedPreKey: { keyId: number; public: Buffer; signature: Buffer };
}

export interface ConnectionHandlers {
  onPayload(conn: SimConnection): void | Promise<void>;
  onNode(conn: SimConnection, node: BinaryNode): void | Promise<void>;
  onClose(conn: SimConnection): void;
  log(line: string): void;
  debug: boolean;
}

export class SimConnection {
  readonly noise: NoiseServerSession;
  stage: 'hello' | 'finish' | 'open' | 'closed' = 'hello';
  clientStatic: Buffer | undefined;
  payload: proto.ClientPayload | undefined;
  registration: Registration | undefined;
  companion: Companion | undefined;
  loggedIn = false;
  /** resolvers for server-initiated IQs, by id */
  readonly pendingIqs = new Map<string, (node: BinaryNode) => void>();
  private queue: Promise<void> = Promise.resolve();
  private handshake: 'hello' | 'finish' | 'done' = 'hello';
  readonly openedAt = Date.now();

  constructor(
    readonly id: number,
    private readonly ws: WsLike,
    noise: NoiseServerSession,
    private readonly handlers: ConnectionHandlers,
  ) {
    this.noise = noise;
    ws.on('message', (data) => {
      const chunk = Buffer.from(data);
      this.queue = this.queue.then(() => this.onBytes(chunk)).catch((err) => this.fail(err as Error));
    });
    ws.on('close', () => {
      const wasOpen = this.stage !== 'closed';
      this.stage = 'closed';
      if (wasOpen) {
        this.handlers.onClose(this);
      }
    });
    ws.on('error', (err) => this.handlers.log(`conn#${this.id} ws error ${err.message}`));
  }

  get isOpen(): boolean {
    return this.stage !== 'closed' && this.ws.readyState === 1;
  }

  private fail(err: Error): void {
    this.handlers.log(`conn#${this.id} error: ${err.stack ?? err.message}`);
    this.terminate();
  }

  private async onBytes(chunk: Buffer): Promise<void> {
    // frames that arrived before a close are still processed (e.g. a logout IQ right before
    // the client hangs up); replies to a closed socket are simply not sent
    for (const frame of this.noise.push(chunk)) {
      if (this.handshake === 'hello') {
        this.sendRaw(this.noise.onClientHello(frame));
        this.handshake = 'finish';
      } else if (this.handshake === 'finish') {
        const { clientStatic, clientPayload } = this.noise.onClientFinish(frame);
        this.clientStatic = clientStatic;
        this.payload = clientPayload;
        this.handshake = 'done';
        if (this.stage !== 'closed') {
          this.stage = 'open';
          await this.handlers.onPayload(this);
        }
      } else {
        const node = await decodeBinaryNode(this.noise.openFrame(frame));
        if (this.handlers.debug) {
          this.handlers.log(`conn#${this.id} <- ${binaryNodeToString(node)}`);
        }
        await this.handlers.onNode(this, node);
      }
    }
  }

  private sendRaw(bytes: Buffer): void {
    if (this.ws.readyState === 1) {
      this.ws.send(bytes);
    }
  }

  send(node: BinaryNode): void {
    if (!this.isOpen) {
      return;
    }
    if (this.handlers.debug) {
      this.handlers.log(`conn#${this.id} -> ${binaryNodeToString(node)}`);
    }
    this.sendRaw(this.noise.frame(encodeBinaryNode(node)));
  }

  /** Send a server-initiated IQ and wait for the client's answer. */
  request(node: BinaryNode, timeoutMs = 10_000): Promise<BinaryNode> {
    const id = node.attrs.id!;
    return new Promise<BinaryNode>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pendingIqs.delete(id);
        reject(new Error(`client did not answer iq ${id} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pendingIqs.set(id, (reply) => {
        clearTimeout(timer);
        resolve(reply);
      });
      this.send(node);
    });
  }

  /** Close after letting already-queued frames reach the client. */
  closeSoon(delayMs = 30): void {
    setTimeout(() => this.terminate(), delayMs).unref();
  }

  terminate(): void {
    if (this.stage === 'closed') {
      return;
    }
    this.stage = 'closed';
    try {
      this.ws.close(1000, 'bye');
    } catch {
      this.ws.terminate();
    }
    this.handlers.onClose(this);
  }
}
