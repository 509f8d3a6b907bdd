/**
 * Server (responder) half of WhatsApp's Noise_XX_25519_AESGCM_SHA256 handshake, written as the
 * mirror of Baileys' `Utils/noise-handler.js`, plus the len24 framing and the transport cipher.
 */
import { createCipheriv, createDecipheriv, createHash, createHmac } from 'node:crypto';
import { NOISE_MODE, NOISE_WA_HEADER, proto } from '@whiskeysockets/baileys';
import * as curveJs from 'curve25519-js';
import type { RawKeyPair } from './keys.ts';

function sha256(...parts: Uint8Array[]): Buffer {
  const h = createHash('sha256');
  for (const p of parts) {
    h.update(p);
  }
  return h.digest();
}

/** RFC 5869 HKDF-SHA256 (what Baileys' WASM `hkdf` computes). */
export function hkdfSha256(ikm: Uint8Array, length: number, salt: Uint8Array, info = ''): Buffer {
  const prk = createHmac('sha256', salt.length ? salt : Buffer.alloc(32)).update(ikm).digest();
  const out: Buffer[] = [];
  let prev = Buffer.alloc(0);
  let i = 1;
  let total = 0;
  while (total < length) {
    prev = createHmac('sha256', prk)
      .update(Buffer.concat([prev, Buffer.from(info), Buffer.from([i++])]))
      .digest();
    out.push(prev);
    total += prev.length;
  }
  return Buffer.concat(out).subarray(0, length);
}

function iv(counter: number): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt32BE(counter >>> 0, 8);
  return b;
}

export function aesGcmEncrypt(plaintext: Uint8Array, key: Uint8Array, ivBuf: Uint8Array, aad: Uint8Array): Buffer {
  const c = createCipheriv('aes-256-gcm', key, ivBuf);
  c.setAAD(aad);
  return Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()]);
}

export function aesGcmDecrypt(ciphertext: Uint8Array, key: Uint8Array, ivBuf: Uint8Array, aad: Uint8Array): Buffer {
  const d = createDecipheriv('aes-256-gcm', key, ivBuf);
  d.setAAD(aad);
  d.setAuthTag(ciphertext.subarray(ciphertext.length - 16));
  return Buffer.concat([d.update(ciphertext.subarray(0, ciphertext.length - 16)), d.final()]);
}

export function dh(privateKey: Uint8Array, publicKey: Uint8Array): Buffer {
  const pub = publicKey.length === 33 ? publicKey.subarray(1) : publicKey;
  return Buffer.from(curveJs.sharedKey(privateKey, pub));
}

export interface HandshakeResult {
  /** The client's static Noise public key (creds.noiseKey.public). */
  clientStatic: Buffer;
  clientPayload: proto.ClientPayload;
}

/**
 * One handshake + transport session. Feed raw WebSocket bytes to `push()`; it yields complete
 * frames (handshake frames as bytes, transport frames decrypted as bytes).
 */
export class NoiseServerSession {
  private hash: Buffer;
  private salt: Buffer;
  private key: Buffer;
  private counter = 0;
  private inBuf = Buffer.alloc(0);
  private sawIntro = false;
  private ephemeral: RawKeyPair | undefined;
  private sendKey: Buffer | undefined;
  private recvKey: Buffer | undefined;
  private sendCounter = 0;
  private recvCounter = 0;
  /** routing info the client put in the "ED" intro, if any */
  routingInfo: Buffer | undefined;

  constructor(
    private readonly staticKey: RawKeyPair,
    private readonly certChain: Uint8Array,
    private readonly makeEphemeral: () => RawKeyPair,
  ) {
    const mode = Buffer.from(NOISE_MODE);
    this.hash = mode.length === 32 ? mode : sha256(mode);
    this.salt = this.hash;
    this.key = this.hash;
  }

  get isTransport(): boolean {
    return this.sendKey !== undefined;
  }

  private authenticate(data: Uint8Array): void {
    if (!this.isTransport) {
      this.hash = sha256(this.hash, data);
    }
  }

  private mixIntoKey(data: Uint8Array): void {
    const out = hkdfSha256(data, 64, this.salt);
    this.salt = out.subarray(0, 32);
    this.key = out.subarray(32);
    this.counter = 0;
  }

  private hsEncrypt(plaintext: Uint8Array): Buffer {
    const ct = aesGcmEncrypt(plaintext, this.key, iv(this.counter++), this.hash);
    this.authenticate(ct);
    return ct;
  }

  private hsDecrypt(ciphertext: Uint8Array): Buffer {
    const pt = aesGcmDecrypt(ciphertext, this.key, iv(this.counter++), this.hash);
    this.authenticate(ciphertext);
    return pt;
  }

  /** Decrypt a transport frame (call in arrival order, after the handshake completed). */
  openFrame(frame: Uint8Array): Buffer {
    if (!this.recvKey) {
      throw new Error('transport frame before handshake completed');
    }
    return aesGcmDecrypt(frame, this.recvKey, iv(this.recvCounter++), Buffer.alloc(0));
  }

  /** Split incoming bytes into raw frames (strips the one-time intro header). */
  push(data: Uint8Array): Buffer[] {
    this.inBuf = this.inBuf.length ? Buffer.concat([this.inBuf, data]) : Buffer.from(data);
    if (!this.sawIntro) {
      if (this.inBuf.length >= 2 && this.inBuf.subarray(0, 2).toString('latin1') === 'ED') {
        if (this.inBuf.length < 7) {
          return [];
        }
        const len = (this.inBuf[4]! << 16) | this.inBuf.readUInt16BE(5);
        if (this.inBuf.length < 7 + len + NOISE_WA_HEADER.length) {
          return [];
        }
        this.routingInfo = Buffer.from(this.inBuf.subarray(7, 7 + len));
        this.inBuf = this.inBuf.subarray(7 + len);
      }
      if (this.inBuf.length < NOISE_WA_HEADER.length) {
        return [];
      }
      const header = this.inBuf.subarray(0, NOISE_WA_HEADER.length);
      if (!header.equals(NOISE_WA_HEADER)) {
        throw new Error(`bad WA intro header ${header.toString('hex')}`);
      }
      this.sawIntro = true;
      this.authenticate(NOISE_WA_HEADER);
      this.inBuf = this.inBuf.subarray(NOISE_WA_HEADER.length);
    }
    const frames: Buffer[] = [];
    while (this.inBuf.length >= 3) {
      const size = (this.inBuf[0]! << 16) | (this.inBuf[1]! << 8) | this.inBuf[2]!;
      if (this.inBuf.length < size + 3) {
        break;
      }
      frames.push(Buffer.from(this.inBuf.subarray(3, size + 3)));
      this.inBuf = this.inBuf.subarray(size + 3);
    }
    return frames;
  }

  /** Handle ClientHello; returns the ServerHello frame to send. */
  onClientHello(frame: Uint8Array): Buffer {
    const msg = proto.HandshakeMessage.decode(frame);
    const clientEphemeral = msg.clientHello?.ephemeral;
    if (!clientEphemeral || clientEphemeral.length !== 32) {
      throw new Error('client hello without ephemeral key');
    }
    this.clientEphemeral = Buffer.from(clientEphemeral);
    this.authenticate(this.clientEphemeral);
    this.ephemeral = this.makeEphemeral();
    this.authenticate(this.ephemeral.public);
    this.mixIntoKey(dh(this.ephemeral.private, this.clientEphemeral));
    const staticEnc = this.hsEncrypt(this.staticKey.public);
    this.mixIntoKey(dh(this.staticKey.private, this.clientEphemeral));
    const payloadEnc = this.hsEncrypt(this.certChain);
    const hello = proto.HandshakeMessage.encode({
      serverHello: { ephemeral: this.ephemeral.public, static: staticEnc, payload: payloadEnc },
    }).finish();
    return this.frame(hello);
  }

  private clientEphemeral: Buffer | undefined;

  /** Handle ClientFinish; switches to transport mode. */
  onClientFinish(frame: Uint8Array): HandshakeResult {
    const msg = proto.HandshakeMessage.decode(frame);
    const finish = msg.clientFinish;
    if (!finish?.static || !finish.payload || !this.ephemeral) {
      throw new Error('client finish without static/payload');
    }
    const clientStatic = this.hsDecrypt(finish.static);
    this.mixIntoKey(dh(this.ephemeral.private, clientStatic));
    const payload = this.hsDecrypt(finish.payload);
    const clientPayload = proto.ClientPayload.decode(payload);
    const split = hkdfSha256(Buffer.alloc(0), 64, this.salt);
    // the client encrypts with `write` (first half) and decrypts with `read` (second half)
    this.recvKey = split.subarray(0, 32);
    this.sendKey = split.subarray(32);
    return { clientStatic, clientPayload };
  }

  /** Frame (and, in transport mode, encrypt) an outgoing payload. */
  frame(payload: Uint8Array): Buffer {
    let data: Buffer = Buffer.from(payload);
    if (this.isTransport) {
      data = aesGcmEncrypt(data, this.sendKey!, iv(this.sendCounter++), Buffer.alloc(0));
    }
    const out = Buffer.alloc(3 + data.length);
    out[0] = (data.length >>> 16) & 0xff;
    out[1] = (data.length >>> 8) & 0xff;
    out[2] = data.length & 0xff;
    data.copy(out, 3);
    return out;
  }
}
