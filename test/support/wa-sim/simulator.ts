/**
 * A loopback WhatsApp Web server simulator for end-to-end tests of a real Baileys socket.
 *
 * It speaks the real protocol on ws://127.0.0.1:<port>: Noise XX (with a certificate chain
 * rooted in the simulator's own key, installed as Baileys' trust anchor), QR pairing with a
 * genuine HMAC and account signature, login, the IQs that gate `open`, usync with LIDs, key
 * bundles, Signal decryption of what the gateway sends (by libsignal "contacts" and the
 * account's phone), server acks, receipts, Signal-encrypted inbound messages, calls, error acks
 * and stream errors. See /work/shared/research/baileys-protocol.md.
 *
 * It listens on 127.0.0.1 only and never opens an outbound connection.
 */
import { createHmac, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import {
  type BinaryNode,
  jidDecode,
  proto,
  unpadRandomMax16,
  writeRandomPadMax16,
  WA_ADV_ACCOUNT_SIG_PREFIX,
  WA_ADV_DEVICE_SIG_PREFIX,
} from '@whiskeysockets/baileys';
import { buildCertChain, type CertMode, installTrustAnchor, simulatorRoot } from './cert.ts';
import { type ConnectionHandlers, SimConnection, type WsLike } from './connection.ts';
import {
  bigEndian,
  type RawKeyPair,
  readBigEndian,
  seededBytes,
  seededInt,
  seededKeyPair,
  xeddsaSign,
  xeddsaVerify,
} from './keys.ts';
import { type MediaHost, startMediaHost } from './media-host.ts';
import { NoiseServerSession } from './noise.ts';
import { bytes, iqResult, kid, kids, leaf, S_WHATSAPP_NET, text, unixNow } from './nodes.ts';
import type { PreKeyBundle } from './signal-party.ts';
import { type Companion, type ContactInit, type SimAccount, type SimContact, SimWorld } from './world.ts';

const require = createRequire(import.meta.url);

interface WsServerLike {
  on(event: 'connection', cb: (ws: WsLike) => void): void;
  close(cb?: () => void): void;
  clients: Set<WsLike>;
}
const { WebSocketServer } = require('ws') as {
  WebSocketServer: new (opts: { server: http.Server; path?: string; perMessageDeflate?: boolean }) => WsServerLike;
};

export interface WaSimulatorOptions {
  /** TCP port on 127.0.0.1 (0 = any free port, the default). */
  port?: number;
  /** Seed for every deterministic key and id. */
  seed?: string;
  phone?: { pn?: string; lid?: string; name?: string; businessName?: string };
  /** Contacts created up front (name, or name plus PN/LID). */
  contacts?: Array<string | ({ name: string } & ContactInit)>;
  /** Certificate chain to present (default 'valid'). */
  certificate?: CertMode;
  /** Install the simulator root as Baileys' trust anchor (default true). */
  installTrustAnchor?: boolean;
  /** Number of QR refs offered to a new device (default 6). */
  qrRefs?: number;
  /** What `encrypt/count` answers instead of the real number of stored pre-keys. */
  preKeyCountOverride?: number;
  /** Serve media uploads/downloads over HTTPS on 127.0.0.1 (default true). */
  media?: boolean;
  /** Print every stanza (also enabled by WA_SIM_DEBUG=1). */
  debug?: boolean;
  log?: (line: string) => void;
}

export interface OutgoingMessage {
  id: string;
  /** the stanza's `to` (the chat JID) */
  to: string;
  type: string;
  /** the companion that sent it */
  from: string;
  /** what the contact decrypted */
  message: proto.Message;
  /** convenience: `conversation` or `extendedTextMessage.text` or a media caption */
  text: string | undefined;
  /** the DeviceSentMessage the account's own phone decrypted, if any */
  phoneCopy?: proto.Message | undefined;
  /** media bytes, when the message carried uploaded media */
  media?: Buffer | undefined;
  stanza: BinaryNode;
}

export interface InboundOptions {
  account?: SimAccount;
  id?: string;
  pushName?: string;
  /** 'pn' (default): from=PN with sender_lid; 'lid': from=LID with sender_pn */
  addressing?: 'pn' | 'lid';
  /** deliver as an offline message (`offline="1"`) */
  offline?: boolean;
  timestamp?: number;
}

type Waiter<T> = { match: (v: T) => boolean; resolve: (v: T) => void };

interface OutgoingRecord extends OutgoingMessage {
  conn: SimConnection;
  contactName?: string | undefined;
}

export class WaSimulator {
  readonly world: SimWorld;
  url = '';
  readonly rootPublicKey: Buffer;
  media: MediaHost | undefined;
  private readonly httpServer: http.Server;
  private wss: WsServerLike | undefined;
  private readonly staticKey: RawKeyPair;
  private certChain: Buffer;
  private readonly connections = new Set<SimConnection>();
  private readonly sessionPeaks = new Map<string, number>();
  private readonly replacedKicks = new Map<string, number>();
  private connCounter = 0;
  private idCounter = 0;
  private readonly outgoing: OutgoingRecord[] = [];
  private readonly consumed = new Set<OutgoingRecord>();
  private readonly outgoingWaiters: Array<Waiter<OutgoingRecord>> = [];
  private readonly loginWaiters: Array<Waiter<SimConnection>> = [];
  private readonly registrationWaiters: Array<Waiter<SimConnection>> = [];
  private releaseTrustAnchor: (() => void) | undefined;
  private readonly handlers: ConnectionHandlers;
  private nextAckErrors: number[] = [];
  /** IQ namespaces left unanswered (to provoke client timeouts) */
  private readonly stalled = new Set<string>();
  private loginFailure: number | undefined;
  /** every stanza received from clients, for assertions */
  readonly received: Array<{ conn: number; node: BinaryNode }> = [];
  /** receipts the gateway sent for inbound messages */
  readonly gatewayReceipts: BinaryNode[] = [];

  constructor(private readonly options: WaSimulatorOptions = {}) {
    const seed = options.seed ?? 'warden';
    this.world = new SimWorld(seed, { phone: options.phone });
    for (const c of options.contacts ?? []) {
      if (typeof c === 'string') {
        this.world.addContact(c);
      } else {
        this.world.addContact(c.name, c);
      }
    }
    this.staticKey = seededKeyPair(seed, 'server-static');
    this.certChain = buildCertChain(seed, this.staticKey, options.certificate ?? 'valid').chain;
    this.rootPublicKey = simulatorRoot().public;
    this.httpServer = http.createServer((_req, res) => {
      res.statusCode = 404;
      res.end();
    });
    const debug = options.debug ?? process.env.WA_SIM_DEBUG === '1';
    const log = options.log ?? ((line: string) => process.stderr.write(`[wa-sim] ${line}\n`));
    this.handlers = {
      debug,
      log: (line) => {
        if (debug || options.log) {
          log(line);
        }
      },
      onPayload: (conn) => this.onPayload(conn),
      onNode: (conn, node) => this.onNode(conn, node),
      onClose: (conn) => {
        this.connections.delete(conn);
      },
    };
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      this.httpServer.once('error', reject);
      this.httpServer.listen(this.options.port ?? 0, '127.0.0.1', () => resolve());
    });
    const { port } = this.httpServer.address() as AddressInfo;
    this.url = `ws://127.0.0.1:${port}/ws/chat`;
    this.wss = new WebSocketServer({ server: this.httpServer, perMessageDeflate: false });
    this.wss.on('connection', (ws) => this.onConnection(ws));
    if (this.options.installTrustAnchor ?? true) {
      this.releaseTrustAnchor = installTrustAnchor(this.rootPublicKey);
    }
    if (this.options.media ?? true) {
      this.media = await startMediaHost();
    }
    return this;
  }

  async close(): Promise<void> {
    for (const conn of this.connections) {
      conn.terminate();
    }
    this.connections.clear();
    await new Promise<void>((resolve) => (this.wss ? this.wss.close(() => resolve()) : resolve()));
    for (const ws of this.wss?.clients ?? []) {
      ws.terminate();
    }
    this.httpServer.closeAllConnections?.();
    await new Promise<void>((resolve) => this.httpServer.close(() => resolve()));
    await this.media?.close();
    this.releaseTrustAnchor?.();
    this.releaseTrustAnchor = undefined;
  }

  /** Present a different certificate chain to new connections. */
  setCertificate(mode: CertMode): void {
    this.certChain = buildCertChain(this.world.seed, this.staticKey, mode).chain;
  }

  private nextId(prefix = 'sim'): string {
    return `${prefix}-${++this.idCounter}`;
  }

  /** A WhatsApp-like message id (deterministic per simulator). */
  newMessageId(): string {
    return `3EB0${seededInt(this.world.seed, `msgid-${++this.idCounter}`).toString(16).toUpperCase().padStart(8, '0')}${this.idCounter.toString(16).toUpperCase().padStart(8, '0')}`;
  }

  private onConnection(ws: WsLike): void {
    const id = ++this.connCounter;
    const noise = new NoiseServerSession(this.staticKey, this.certChain, () =>
      seededKeyPair(this.world.seed, `server-ephemeral-${id}`),
    );
    const conn = new SimConnection(id, ws, noise, this.handlers);
    this.connections.add(conn);
    this.handlers.log(`conn#${id} opened`);
  }

  // ---------------------------------------------------------------- login / registration

  private async onPayload(conn: SimConnection): Promise<void> {
    const p = conn.payload!;
    const username = p.username !== null && p.username !== undefined ? String(p.username) : '';
    if (username && username !== '0') {
      const device = p.device ?? 0;
      const companion = this.world.companions.get(`${username}:${device}@s.whatsapp.net`);
      const ok =
        companion && !companion.removed && conn.clientStatic && companion.noisePub.equals(conn.clientStatic);
      if (!ok || this.loginFailure !== undefined) {
        const reason = this.loginFailure ?? 401;
        this.handlers.log(`conn#${conn.id} login refused for ${username}:${device} (${reason})`);
        conn.send({ tag: 'failure', attrs: { reason: String(reason), location: 'sim' } });
        conn.closeSoon();
        return;
      }
      // What WhatsApp does: a second connection for the same device replaces the first (440).
      const previous = this.liveConnections({ companion }).filter((c) => c !== conn);
      this.noteSessions(companion, previous.length + 1);
      for (const old of previous) {
        this.handlers.log(`conn#${old.id} replaced by conn#${conn.id} (440)`);
        this.replacedKicks.set(companion.jid, (this.replacedKicks.get(companion.jid) ?? 0) + 1);
        old.send({ tag: 'stream:error', attrs: {}, content: [{ tag: 'conflict', attrs: { type: 'replaced' } }] });
        old.closeSoon();
      }
      conn.companion = companion;
      conn.send({
        tag: 'success',
        attrs: {
          t: unixNow(),
          props: '1',
          abprops: '1',
          location: 'sim',
          creation: unixNow(),
          lid: companion.lidJid,
        },
      });
      return;
    }
    const pairing = p.devicePairingData;
    if (!pairing?.eIdent || !pairing.eSkeyVal || !pairing.eSkeySig) {
      conn.send({ tag: 'failure', attrs: { reason: '400', location: 'sim' } });
      conn.closeSoon();
      return;
    }
    const refCount = this.options.qrRefs ?? 6;
    const refs = Array.from(
      { length: refCount },
      (_, i) => `2@sim${conn.id}r${i}${seededBytes(this.world.seed, `ref-${conn.id}-${i}`, 9).toString('base64url')}`,
    );
    conn.registration = {
      refs,
      identityPub: Buffer.from(pairing.eIdent),
      registrationId: readBigEndian(pairing.eRegid ?? undefined),
      signedPreKey: {
        keyId: readBigEndian(pairing.eSkeyId ?? undefined),
        public: Buffer.from(pairing.eSkeyVal),
        signature: Buffer.from(pairing.eSkeySig),
      },
    };
    const id = this.nextId('pair');
    conn
      .request({
        tag: 'iq',
        attrs: { from: S_WHATSAPP_NET, type: 'set', id, xmlns: 'md' },
        content: [{ tag: 'pair-device', attrs: {}, content: refs.map((r) => leaf('ref', r)) }],
      })
      .catch(() => undefined);
    this.notify(this.registrationWaiters, conn);
  }

  /** Wait until a client that needs pairing connected and was offered QR refs. */
  waitForRegistration(timeoutMs = 10_000): Promise<SimConnection> {
    const existing = [...this.connections].find((c) => c.registration && c.isOpen);
    if (existing) {
      return Promise.resolve(existing);
    }
    return this.waitFor(this.registrationWaiters, () => true, timeoutMs, 'registration');
  }

  /**
   * The phone scans a QR shown by the gateway: sends pair-success (real HMAC and account
   * signature), checks the device signature of the reply, registers the companion and forces
   * the usual 515 restart. Resolves with the new companion.
   */
  async scanQr(qr: string, opts: { account?: SimAccount } = {}): Promise<Companion> {
    const data = qr.includes('#') ? qr.slice(qr.indexOf('#') + 1) : qr;
    const [ref, noiseB64, identityB64, advB64] = data.split(',');
    if (!ref || !noiseB64 || !identityB64 || !advB64) {
      throw new Error(`malformed QR payload: ${qr}`);
    }
    const conn = [...this.connections].find((c) => c.registration?.refs.includes(ref) && c.isOpen);
    if (!conn?.registration || !conn.clientStatic) {
      throw new Error(`no open connection offered QR ref ${ref}`);
    }
    if (!conn.clientStatic.equals(Buffer.from(noiseB64, 'base64'))) {
      throw new Error('QR noise key does not match the connection');
    }
    const identityPub = Buffer.from(identityB64, 'base64');
    if (!identityPub.equals(conn.registration.identityPub)) {
      throw new Error('QR identity key does not match the registration payload');
    }
    const account = opts.account ?? this.world.defaultAccount;
    const deviceId = account.nextDeviceId++;
    const keyIndex = deviceId;
    const details = Buffer.from(
      proto.ADVDeviceIdentity.encode({
        rawId: seededInt(this.world.seed, `rawid-${account.pn}`),
        timestamp: Math.floor(Date.now() / 1000),
        keyIndex,
      }).finish(),
    );
    const accountKey = account.phone.identityRaw;
    const accountSignature = xeddsaSign(
      accountKey.private,
      Buffer.concat([WA_ADV_ACCOUNT_SIG_PREFIX, details, identityPub]),
    );
    const signed = Buffer.from(
      proto.ADVSignedDeviceIdentity.encode({
        details,
        accountSignatureKey: accountKey.public,
        accountSignature,
      }).finish(),
    );
    const hmac = createHmac('sha256', Buffer.from(advB64, 'base64')).update(signed).digest();
    const container = proto.ADVSignedDeviceIdentityHMAC.encode({ details: signed, hmac }).finish();
    const deviceJid = `${account.pn}:${deviceId}@s.whatsapp.net`;
    const deviceLid = `${account.lid}:${deviceId}@lid`;
    const pairContent: BinaryNode[] = [
      leaf('device-identity', container),
      { tag: 'platform', attrs: { name: 'android' } },
      { tag: 'device', attrs: { jid: deviceJid, lid: deviceLid } },
    ];
    if (account.businessName) {
      pairContent.push({ tag: 'biz', attrs: { name: account.businessName } });
    }
    const reply = await conn.request({
      tag: 'iq',
      attrs: { from: S_WHATSAPP_NET, type: 'set', xmlns: 'md', id: this.nextId('pair-success'), t: unixNow() },
      content: [{ tag: 'pair-success', attrs: {}, content: pairContent }],
    });
    const identityNode = kid(kid(reply, 'pair-device-sign'), 'device-identity');
    const signedBack = bytes(identityNode);
    if (!signedBack) {
      throw new Error('pair-success reply without pair-device-sign/device-identity');
    }
    const back = proto.ADVSignedDeviceIdentity.decode(signedBack);
    const deviceMsg = Buffer.concat([WA_ADV_DEVICE_SIG_PREFIX, details, identityPub, accountKey.public]);
    if (!back.details || !Buffer.from(back.details).equals(details)) {
      throw new Error('device-identity details changed by the client');
    }
    if (!back.deviceSignature || !xeddsaVerify(identityPub, deviceMsg, back.deviceSignature)) {
      throw new Error('invalid device signature in pair-device-sign');
    }
    const companion = this.world.registerCompanion(account, deviceId, {
      noisePub: conn.clientStatic,
      identityPub,
      registrationId: conn.registration.registrationId,
      signedPreKey: conn.registration.signedPreKey,
      keyIndex,
    });
    conn.registration = undefined;
    // the real server forces a restart after pairing
    conn.send({ tag: 'stream:error', attrs: { code: '515' } });
    conn.closeSoon();
    return companion;
  }

  /** Wait until a companion (or any) finished logging in (success + login IQs answered). */
  waitForLogin(companion?: Companion, timeoutMs = 10_000): Promise<SimConnection> {
    const match = (c: SimConnection) => c.loggedIn && c.isOpen && (!companion || c.companion === companion);
    const existing = [...this.connections].find(match);
    if (existing) {
      return Promise.resolve(existing);
    }
    return this.waitFor(this.loginWaiters, match, timeoutMs, 'login');
  }

  /** Most connections one device had logged in at the same moment (before the replaced ones closed). */
  maxSimultaneousSessions(): number {
    return Math.max(0, ...this.sessionPeaks.values());
  }

  /** 440 kicks the simulator sent because a device logged in again elsewhere, per companion JID. */
  replacedCount(companion?: Companion): number {
    if (companion) return this.replacedKicks.get(companion.jid) ?? 0;
    return [...this.replacedKicks.values()].reduce((a, b) => a + b, 0);
  }

  private noteSessions(companion: Companion, count: number): void {
    this.sessionPeaks.set(companion.jid, Math.max(this.sessionPeaks.get(companion.jid) ?? 0, count));
  }

  /** Open, logged-in connections (optionally of one account or companion). */
  liveConnections(filter?: { account?: SimAccount; companion?: Companion }): SimConnection[] {
    return [...this.connections].filter(
      (c) =>
        c.isOpen &&
        c.loggedIn &&
        c.companion &&
        (!filter?.account || c.companion.account === filter.account) &&
        (!filter?.companion || c.companion === filter.companion),
    );
  }

  /** Stop answering IQs of these namespaces (e.g. 'usync') until `resumeIqs()`. */
  stallIqs(...xmlns: string[]): void {
    for (const x of xmlns) {
      this.stalled.add(x);
    }
  }

  resumeIqs(): void {
    this.stalled.clear();
  }

  /** Refuse every login with `<failure reason=code>` until cleared (undefined). */
  failLogins(code: number | undefined): void {
    this.loginFailure = code;
  }

  // ---------------------------------------------------------------- stanza router

  private async onNode(conn: SimConnection, node: BinaryNode): Promise<void> {
    this.received.push({ conn: conn.id, node });
    if (this.received.length > 2000) {
      this.received.splice(0, 1000);
    }
    switch (node.tag) {
      case 'iq':
        await this.onIq(conn, node);
        return;
      case 'message':
        await this.onOutgoingMessage(conn, node);
        return;
      case 'receipt':
        this.gatewayReceipts.push(node);
        return;
      case 'call':
        if (node.attrs.id) {
          conn.send({ tag: 'ack', attrs: { id: node.attrs.id, class: 'call', from: node.attrs.to ?? S_WHATSAPP_NET } });
        }
        return;
      default:
        // ack, presence, chatstate, ib(unified_session): nothing to answer
        return;
    }
  }

  private async onIq(conn: SimConnection, node: BinaryNode): Promise<void> {
    const { id = '', type, xmlns } = node.attrs;
    if (type === 'result' || type === 'error') {
      const pending = conn.pendingIqs.get(id);
      if (pending) {
        conn.pendingIqs.delete(id);
        pending(node);
      }
      return;
    }
    if (xmlns && this.stalled.has(xmlns)) {
      return;
    }
    const first = kids(node)[0];
    switch (xmlns) {
      case 'encrypt':
        return this.onEncryptIq(conn, node, first);
      case 'usync':
        conn.send(this.usyncResult(node));
        return;
      case 'privacy':
        if (type === 'get') {
          conn.send(
            iqResult(node, [
              {
                tag: 'privacy',
                attrs: {},
                content: [
                  { tag: 'category', attrs: { name: 'readreceipts', value: 'all' } },
                  { tag: 'category', attrs: { name: 'last', value: 'all' } },
                  { tag: 'category', attrs: { name: 'online', value: 'all' } },
                  { tag: 'category', attrs: { name: 'groupadd', value: 'all' } },
                ],
              },
            ]),
          );
        } else {
          conn.send(iqResult(node));
        }
        return;
      case 'abt':
        conn.send(iqResult(node, [{ tag: 'props', attrs: { protocol: '1', hash: 'sim' } }]));
        return;
      case 'blocklist':
        conn.send(iqResult(node, [{ tag: 'list', attrs: {} }]));
        return;
      case 'w:m':
        conn.send(
          iqResult(node, [
            {
              tag: 'media_conn',
              attrs: { auth: 'sim-media-auth', ttl: '300', auth_ttl: '21600', max_buckets: '12' },
              content: this.media
                ? [{ tag: 'host', attrs: { hostname: this.media.hostname, maxContentLengthBytes: '104857600' } }]
                : [],
            },
          ]),
        );
        return;
      case 'md': {
        if (first?.tag === 'remove-companion-device') {
          const jid = first.attrs.jid;
          const companion = jid ? this.world.companions.get(jid) : conn.companion;
          if (companion) {
            companion.removed = true;
          }
        }
        conn.send(iqResult(node));
        return;
      }
      default:
        // passive, w:p (ping), w:stats, mex, w:g2 and everything else: an empty result
        conn.send(iqResult(node));
        return;
    }
  }

  private onEncryptIq(conn: SimConnection, node: BinaryNode, first: BinaryNode | undefined): void {
    const companion = conn.companion;
    switch (first?.tag) {
      case 'count': {
        const n = this.options.preKeyCountOverride ?? companion?.preKeys.size ?? 0;
        conn.send(iqResult(node, [{ tag: 'count', attrs: { value: String(n) } }]));
        return;
      }
      case 'digest':
        conn.send(iqResult(node, [{ tag: 'digest', attrs: {} }]));
        this.afterLogin(conn);
        return;
      case 'key':
        conn.send(this.keyBundles(node, first));
        return;
      case 'rotate': {
        const skey = kid(first, 'skey');
        if (companion && skey) {
          companion.signedPreKey = {
            keyId: readBigEndian(bytes(kid(skey, 'id'))),
            public: bytes(kid(skey, 'value'))!,
            signature: bytes(kid(skey, 'signature'))!,
          };
        }
        conn.send(iqResult(node));
        return;
      }
      default: {
        if (node.attrs.type === 'set' && kid(node, 'registration')) {
          this.storeUpload(conn, node);
        }
        conn.send(iqResult(node));
      }
    }
  }

  private storeUpload(conn: SimConnection, node: BinaryNode): void {
    const companion = conn.companion;
    if (!companion) {
      return;
    }
    const identity = bytes(kid(node, 'identity'));
    if (identity && !identity.equals(companion.identityPub)) {
      this.handlers.log(`conn#${conn.id} identity changed in pre-key upload`);
      companion.identityPub = identity;
    }
    companion.registrationId = readBigEndian(bytes(kid(node, 'registration')));
    const skey = kid(node, 'skey');
    if (skey) {
      companion.signedPreKey = {
        keyId: readBigEndian(bytes(kid(skey, 'id'))),
        public: bytes(kid(skey, 'value'))!,
        signature: bytes(kid(skey, 'signature'))!,
      };
    }
    for (const key of kids(kid(node, 'list'))) {
      const keyId = readBigEndian(bytes(kid(key, 'id')));
      const value = bytes(kid(key, 'value'));
      if (value) {
        companion.preKeys.set(keyId, value);
      }
    }
  }

  /** Login finished: flush the client's offline queue and its first-connect buffer. */
  private afterLogin(conn: SimConnection): void {
    if (conn.loggedIn) {
      return;
    }
    conn.loggedIn = true;
    conn.send({ tag: 'ib', attrs: { from: S_WHATSAPP_NET }, content: [{ tag: 'offline', attrs: { count: '0' } }] });
    // The "flush nudge": Baileys buffers events for up to 20 s after the first login while it
    // waits for a history-sync notification; any processed notification flushes that buffer.
    conn.send({
      tag: 'notification',
      attrs: { from: S_WHATSAPP_NET, type: 'encrypt', id: this.nextId('nudge'), t: unixNow() },
      content: [{ tag: 'count', attrs: { value: '500' } }],
    });
    this.notify(this.loginWaiters, conn);
  }

  private companionBundle(companion: Companion): PreKeyBundle {
    const first = companion.preKeys.entries().next();
    let preKey: PreKeyBundle['preKey'];
    if (!first.done) {
      const [keyId, pub] = first.value;
      companion.preKeys.delete(keyId);
      preKey = { keyId, public: pub };
    }
    return {
      registrationId: companion.registrationId,
      identity: companion.identityPub,
      signedPreKey: companion.signedPreKey,
      preKey,
    };
  }

  private keyBundles(req: BinaryNode, keyNode: BinaryNode): BinaryNode {
    const users: BinaryNode[] = [];
    for (const u of kids(keyNode)) {
      const jid = u.attrs.jid ?? '';
      const r = this.world.resolve(jid);
      let bundle: PreKeyBundle | undefined;
      if (r?.kind === 'contact') {
        bundle = r.contact.party.takeBundle();
      } else if (r?.kind === 'phone') {
        bundle = r.account.phone.takeBundle();
      } else if (r?.kind === 'companion') {
        bundle = this.companionBundle(r.companion);
      }
      if (!bundle) {
        users.push({ tag: 'user', attrs: { jid }, content: [{ tag: 'error', attrs: { code: '404', text: 'item-not-found' } }] });
        continue;
      }
      const content: BinaryNode[] = [
        leaf('registration', bigEndian(bundle.registrationId, 4)),
        leaf('type', Buffer.from([5])),
        leaf('identity', bundle.identity),
        {
          tag: 'skey',
          attrs: {},
          content: [
            leaf('id', bigEndian(bundle.signedPreKey.keyId, 3)),
            leaf('value', bundle.signedPreKey.public),
            leaf('signature', bundle.signedPreKey.signature),
          ],
        },
      ];
      if (bundle.preKey) {
        content.push({
          tag: 'key',
          attrs: {},
          content: [leaf('id', bigEndian(bundle.preKey.keyId, 3)), leaf('value', bundle.preKey.public)],
        });
      }
      users.push({ tag: 'user', attrs: { jid }, content });
    }
    return iqResult(req, [{ tag: 'list', attrs: {}, content: users }]);
  }

  private usyncResult(req: BinaryNode): BinaryNode {
    const usync = kid(req, 'usync');
    const protocols = kids(kid(usync, 'query')).map((n) => n.tag);
    const out: BinaryNode[] = [];
    for (const user of kids(kid(usync, 'list'))) {
      let jid = user.attrs.jid;
      const phone = text(kid(user, 'contact'));
      let user_: string | undefined;
      if (jid) {
        user_ = jidDecode(jid)?.user;
      } else if (phone) {
        user_ = phone.replace(/^\+/, '');
        jid = `${user_}@s.whatsapp.net`;
      }
      if (!jid || !user_) {
        continue;
      }
      const account = this.world.accountByUser(user_);
      const contact = account ? undefined : [...this.world.contacts.values()].find((c) => c.pn === user_ || c.lid === user_);
      const known = !!account || !!contact;
      const content: BinaryNode[] = [];
      for (const p of protocols) {
        if (p === 'devices') {
          const devices: BinaryNode[] = known ? [{ tag: 'device', attrs: { id: '0' } }] : [];
          if (account) {
            for (const c of this.world.companionsOf(account)) {
              devices.push({ tag: 'device', attrs: { id: String(c.deviceId), 'key-index': String(c.keyIndex) } });
            }
          }
          content.push({ tag: 'devices', attrs: {}, content: [{ tag: 'device-list', attrs: {}, content: devices }] });
        } else if (p === 'lid') {
          const lid = account?.lidJid ?? contact?.lidJid;
          if (lid) {
            content.push({ tag: 'lid', attrs: { val: lid } });
          }
        } else if (p === 'contact') {
          content.push({ tag: 'contact', attrs: { type: known ? 'in' : 'out' } });
        }
      }
      out.push({ tag: 'user', attrs: { jid: jidDecode(jid)?.server === 'lid' ? jid : `${user_}@s.whatsapp.net` }, content });
    }
    return iqResult(req, [
      {
        tag: 'usync',
        attrs: { ...usync?.attrs, last: 'true', index: '0' },
        content: [
          { tag: 'result', attrs: {} },
          { tag: 'list', attrs: {}, content: out },
        ],
      },
    ]);
  }

  // ---------------------------------------------------------------- outgoing messages

  private async onOutgoingMessage(conn: SimConnection, node: BinaryNode): Promise<void> {
    const id = node.attrs.id ?? '';
    const to = node.attrs.to ?? '';
    const ackError = this.nextAckErrors.shift();
    conn.send({
      tag: 'ack',
      attrs: {
        class: 'message',
        id,
        from: to,
        t: unixNow(),
        ...(ackError ? { error: String(ackError) } : {}),
      },
    });
    const companion = conn.companion;
    if (!companion) {
      return;
    }
    const record: OutgoingRecord = {
      id,
      to,
      type: node.attrs.type ?? 'text',
      from: companion.jid,
      message: proto.Message.create(),
      text: undefined,
      stanza: node,
      conn,
    };
    let decryptedForTarget = false;
    const errors: string[] = [];
    const targets = kids(kid(node, 'participants'))
      .filter((n) => n.tag === 'to')
      .map((n) => ({ jid: n.attrs.jid ?? '', enc: kid(n, 'enc') }));
    for (const { jid, enc } of targets) {
      const ciphertext = bytes(enc);
      if (!enc || !ciphertext) {
        continue;
      }
      const r = this.world.resolve(jid);
      try {
        if (r?.kind === 'contact') {
          const plain = await r.contact.party.decrypt(companion.address, enc.attrs.type ?? '', ciphertext);
          record.message = proto.Message.decode(unpadRandomMax16(plain));
          record.contactName = r.contact.name;
          decryptedForTarget = true;
        } else if (r?.kind === 'phone') {
          const plain = await r.account.phone.decrypt(companion.address, enc.attrs.type ?? '', ciphertext);
          record.phoneCopy = proto.Message.decode(unpadRandomMax16(plain));
        }
      } catch (err) {
        errors.push(`${jid}: ${(err as Error).message}`);
        this.handlers.log(`conn#${conn.id} could not decrypt for ${jid}: ${(err as Error).stack}`);
      }
    }
    if (!decryptedForTarget) {
      if (errors.length) {
        record.text = undefined;
        (record as OutgoingRecord & { errors?: string[] }).errors = errors;
      }
      const r = this.world.resolve(to);
      if (r?.kind === 'contact') {
        record.contactName = r.contact.name;
      }
    }
    record.text = messageText(record.message);
    if (this.media && record.message) {
      record.media = await this.media.decryptFor(record.message).catch(() => undefined);
    }
    this.outgoing.push(record);
    const waiter = this.outgoingWaiters.find((w) => w.match(record));
    if (waiter) {
      this.outgoingWaiters.splice(this.outgoingWaiters.indexOf(waiter), 1);
      this.consumed.add(record);
      waiter.resolve(record);
    }
  }

  /**
   * Resolve with the next message the gateway sent to `contact` (decrypted by the contact),
   * in send order. Each message is returned once.
   */
  expectOutgoing(contactRef: string | SimContact, opts: { timeoutMs?: number } = {}): Promise<OutgoingMessage> {
    const contact = this.world.contact(contactRef);
    const match = (r: OutgoingRecord) =>
      !this.consumed.has(r) && (r.contactName === contact.name || jidDecode(r.to)?.user === contact.pn || jidDecode(r.to)?.user === contact.lid);
    const found = this.outgoing.find(match);
    if (found) {
      this.consumed.add(found);
      return Promise.resolve(publicRecord(found));
    }
    return this.waitFor(this.outgoingWaiters, match, opts.timeoutMs ?? 10_000, `outgoing message to ${contact.name}`).then(
      publicRecord,
    );
  }

  /** Every message sent so far (consumed or not). */
  allOutgoing(): OutgoingMessage[] {
    return this.outgoing.map(publicRecord);
  }

  /** Make the server ack of the next outgoing message(s) carry an error code (e.g. 463). */
  failNextAcks(code: number, count = 1): void {
    for (let i = 0; i < count; i++) {
      this.nextAckErrors.push(code);
    }
  }

  /** Send an error ack (e.g. 463) for a message the gateway already sent. */
  sendErrorAck(msgId: string, code: number): void {
    const rec = this.outgoing.find((r) => r.id === msgId);
    if (!rec) {
      throw new Error(`unknown outgoing message ${msgId}`);
    }
    rec.conn.send({ tag: 'ack', attrs: { class: 'message', id: msgId, from: rec.to, t: unixNow(), error: String(code) } });
  }

  /** A delivery/read/played receipt from a contact for a message the gateway sent. */
  sendReceipt(contactRef: string | SimContact, msgId: string, kind: 'delivery' | 'read' | 'played' = 'delivery'): void {
    const contact = this.world.contact(contactRef);
    const rec = this.outgoing.find((r) => r.id === msgId);
    const conns = rec?.conn.isOpen ? [rec.conn] : this.liveConnections();
    if (!conns.length) {
      throw new Error('no live gateway connection to deliver the receipt to');
    }
    const attrs: Record<string, string> = { from: contact.jid, id: msgId, t: unixNow() };
    if (kind !== 'delivery') {
      attrs.type = kind;
    }
    for (const conn of conns) {
      conn.send({ tag: 'receipt', attrs: { ...attrs } });
    }
  }

  /**
   * The contact could not decrypt a message ("waiting for this message") and asks for it again.
   * The gateway must re-send it (from its cache or `getMessage`); the re-sent copy shows up in
   * `expectOutgoing` with the same id.
   */
  sendRetryReceipt(contactRef: string | SimContact, msgId: string, count = 1): void {
    const contact = this.world.contact(contactRef);
    const rec = this.outgoing.find((r) => r.id === msgId);
    const conns = rec?.conn.isOpen ? [rec.conn] : this.liveConnections();
    for (const conn of conns) {
      conn.send({
        tag: 'receipt',
        attrs: { from: contact.jid, id: msgId, type: 'retry', t: unixNow() },
        content: [
          { tag: 'retry', attrs: { count: String(count), id: msgId, t: unixNow(), v: '1' } },
          leaf('registration', bigEndian(contact.party.registrationId, 4)),
        ],
      });
    }
  }

  // ---------------------------------------------------------------- inbound messages

  /** A contact sends a text to the account; every live companion receives its own copy. */
  sendInboundText(contactRef: string | SimContact, body: string, opts: InboundOptions = {}): Promise<string> {
    return this.sendInboundMessage(contactRef, { conversation: body }, opts);
  }

  async sendInboundMessage(
    contactRef: string | SimContact,
    message: proto.IMessage,
    opts: InboundOptions = {},
  ): Promise<string> {
    const contact = this.world.contact(contactRef);
    const account = opts.account ?? this.world.defaultAccount;
    const conns = this.liveConnections({ account });
    if (!conns.length) {
      throw new Error(`no live companion of ${account.pn} to deliver to`);
    }
    const id = opts.id ?? this.newMessageId();
    const plaintext = writeRandomPadMax16(proto.Message.encode(message).finish());
    const isMedia = !!(
      message.imageMessage ||
      message.videoMessage ||
      message.audioMessage ||
      message.documentMessage ||
      message.stickerMessage
    );
    for (const conn of conns) {
      const companion = conn.companion!;
      const address = companion.address;
      if (!contact.party.hasSession(address)) {
        await contact.party.initSession(address, this.companionBundle(companion));
      }
      const { type, ciphertext } = await contact.party.encrypt(address, plaintext);
      const attrs: Record<string, string> = {
        id,
        t: String(opts.timestamp ?? Math.floor(Date.now() / 1000)),
        type: isMedia ? 'media' : 'text',
        notify: opts.pushName ?? contact.name,
      };
      if (opts.addressing === 'lid') {
        attrs.from = contact.lidJid;
        attrs.sender_pn = contact.jid;
        attrs.addressing_mode = 'lid';
      } else {
        attrs.from = contact.jid;
        attrs.sender_lid = contact.lidJid;
      }
      if (opts.offline) {
        attrs.offline = '1';
      }
      conn.send({ tag: 'message', attrs, content: [{ tag: 'enc', attrs: { v: '2', type }, content: ciphertext }] });
    }
    return id;
  }

  /** Upload bytes to the simulated media host and return the message fields for them. */
  async uploadMedia(
    data: Buffer,
    kind: 'image' | 'video' | 'audio' | 'document' | 'sticker',
  ): Promise<{ url: string; directPath: string; mediaKey: Buffer; fileSha256: Buffer; fileEncSha256: Buffer; fileLength: number }> {
    if (!this.media) {
      throw new Error('simulator started without a media host');
    }
    return this.media.store(data, kind);
  }

  // ---------------------------------------------------------------- calls

  /** A contact calls the account: `offer`, then optionally `timeout`/`reject`/`accept`/`terminate`. */
  sendCall(
    contactRef: string | SimContact,
    status: 'offer' | 'timeout' | 'reject' | 'accept' | 'terminate',
    opts: { callId?: string; video?: boolean } = {},
  ): string {
    const contact = this.world.contact(contactRef);
    const callId = opts.callId ?? randomBytes(16).toString('hex').toUpperCase();
    const conns = this.liveConnections();
    let child: BinaryNode;
    const base = { 'call-id': callId, 'call-creator': contact.jid };
    switch (status) {
      case 'offer':
        child = {
          tag: 'offer',
          attrs: { ...base, caller_pn: contact.jid },
          content: [opts.video ? { tag: 'video', attrs: { enc: 'vp8' } } : { tag: 'audio', attrs: { enc: 'opus', rate: '16000' } }],
        };
        break;
      case 'timeout':
        child = { tag: 'terminate', attrs: { ...base, reason: 'timeout' } };
        break;
      case 'terminate':
        child = { tag: 'terminate', attrs: base };
        break;
      default:
        child = { tag: status, attrs: base };
    }
    for (const conn of conns) {
      conn.send({ tag: 'call', attrs: { from: contact.jid, id: this.nextId('call'), t: unixNow() }, content: [child] });
    }
    return callId;
  }

  // ---------------------------------------------------------------- notifications

  /** A group member renames a group (w:gp2 subject notification). */
  sendGroupSubjectChange(groupJid: string, subject: string, by: string | SimContact): void {
    const contact = this.world.contact(by);
    const t = unixNow();
    for (const conn of this.liveConnections()) {
      conn.send({
        tag: 'notification',
        attrs: {
          from: groupJid,
          type: 'w:gp2',
          id: this.nextId('gp2'),
          t,
          participant: contact.lidJid,
          participant_pn: contact.jid,
          addressing_mode: 'lid',
        },
        content: [{ tag: 'subject', attrs: { subject, s_t: t, s_o: contact.lidJid } }],
      });
    }
  }

  /** A server "mex" notification, e.g. MessageCappingInfoNotification or NotificationUserReachoutTimelockUpdate. */
  sendMexNotification(opName: string, data: Record<string, unknown>): void {
    for (const conn of this.liveConnections()) {
      conn.send({
        tag: 'notification',
        attrs: { from: S_WHATSAPP_NET, type: 'mex', id: this.nextId('mex'), t: unixNow() },
        content: [{ tag: 'update', attrs: { op_name: opName }, content: Buffer.from(JSON.stringify({ data })) }],
      });
    }
  }

  /** New-chat message capping status update (WhatsApp's "message-capping"). */
  sendMessageCapping(info: Record<string, unknown>): void {
    this.sendMexNotification('MessageCappingInfoNotification', {
      xwa2_notify_new_chat_messages_capping_info_update: info,
    });
  }

  /** Reach-out time lock set (or lifted with isActive false). */
  sendReachoutTimelock(opts: { isActive: boolean; endsAt?: Date; enforcementType?: string }): void {
    this.sendMexNotification('NotificationUserReachoutTimelockUpdate', {
      xwa2_notify_account_reachout_timelock: {
        is_active: opts.isActive,
        time_enforcement_ends: opts.endsAt ? String(Math.floor(opts.endsAt.getTime() / 1000)) : undefined,
        enforcement_type: opts.enforcementType,
      },
    });
  }

  // ---------------------------------------------------------------- connection faults

  /**
   * Send a stream error and close: 515 (restart required), 440 (conflict/replaced),
   * 401 (device_removed), 503, 500… Targets every live companion connection unless given one.
   */
  streamError(code: number, opts: { companion?: Companion } = {}): number {
    const conns = this.liveConnections({ companion: opts.companion });
    for (const conn of conns) {
      let node: BinaryNode;
      if (code === 440) {
        node = { tag: 'stream:error', attrs: {}, content: [{ tag: 'conflict', attrs: { type: 'replaced' } }] };
      } else if (code === 401) {
        node = { tag: 'stream:error', attrs: { code: '401' }, content: [{ tag: 'conflict', attrs: { type: 'device_removed' } }] };
      } else {
        node = { tag: 'stream:error', attrs: { code: String(code) } };
      }
      conn.send(node);
      conn.closeSoon();
    }
    return conns.length;
  }

  /** The user removes the linked device on their phone: stream error 401 and no more logins. */
  unlinkFromPhone(opts: { companion?: Companion } = {}): number {
    const targets = opts.companion ? [opts.companion] : [...this.world.companions.values()];
    for (const c of targets) {
      c.removed = true;
    }
    return this.streamError(401, opts);
  }

  /** Drop TCP without any stream error (the client sees a plain close). */
  dropConnections(opts: { companion?: Companion } = {}): number {
    const conns = this.liveConnections({ companion: opts.companion });
    for (const conn of conns) {
      conn.terminate();
    }
    return conns.length;
  }

  // ---------------------------------------------------------------- plumbing

  private notify<T>(waiters: Array<Waiter<T>>, value: T): void {
    for (const w of [...waiters]) {
      if (w.match(value)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(value);
      }
    }
  }

  private waitFor<T>(waiters: Array<Waiter<T>>, match: (v: T) => boolean, timeoutMs: number, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter<T> = {
        match,
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v);
        },
      };
      const timer = setTimeout(() => {
        const i = waiters.indexOf(waiter);
        if (i >= 0) {
          waiters.splice(i, 1);
        }
        reject(new Error(`wa-sim: timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      waiters.push(waiter);
    });
  }
}

function messageText(m: proto.IMessage | undefined): string | undefined {
  if (!m) {
    return undefined;
  }
  // decoded protobuf messages carry '' defaults, so use || rather than ??
  return (
    m.conversation ||
    m.extendedTextMessage?.text ||
    m.imageMessage?.caption ||
    m.videoMessage?.caption ||
    m.documentMessage?.caption ||
    m.documentWithCaptionMessage?.message?.documentMessage?.caption ||
    undefined
  );
}

function publicRecord(r: OutgoingRecord): OutgoingMessage {
  const { conn: _conn, contactName: _name, ...rest } = r;
  return rest;
}

export async function startWaSimulator(options: WaSimulatorOptions = {}): Promise<WaSimulator> {
  return new WaSimulator(options).start();
}
