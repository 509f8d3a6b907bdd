/**
 * Deterministic key material for the simulator. Every key is derived from a label and the
 * simulator seed, so a run is reproducible and fixtures written by one process can be read by
 * another. These keys protect nothing: they exist only on 127.0.0.1 during tests.
 */
import { createHash } from 'node:crypto';
import * as curveJs from 'curve25519-js';

export interface RawKeyPair {
  /** 32-byte X25519 private key (clamped). */
  private: Buffer;
  /** 32-byte X25519 public key (no 0x05 prefix). */
  public: Buffer;
}

export function seededBytes(seed: string, label: string, length = 32): Buffer {
  const out: Buffer[] = [];
  let counter = 0;
  let total = 0;
  while (total < length) {
    const chunk = createHash('sha256').update(`wa-sim|${seed}|${label}|${counter++}`).digest();
    out.push(chunk);
    total += chunk.length;
  }
  return Buffer.concat(out).subarray(0, length);
}

export function seededKeyPair(seed: string, label: string): RawKeyPair {
  const kp = curveJs.generateKeyPair(seededBytes(seed, label));
  return { private: Buffer.from(kp.private), public: Buffer.from(kp.public) };
}

/** A uint32 (or smaller, via `max`) derived from the seed. */
export function seededInt(seed: string, label: string, max = 0xffffffff): number {
  return seededBytes(seed, label, 4).readUInt32BE(0) % (max + 1);
}

/** XEdDSA signature (the Signal/WhatsApp "curve25519 signature"), deterministic. */
export function xeddsaSign(privateKey: Buffer, message: Buffer | Uint8Array): Buffer {
  return Buffer.from(curveJs.sign(privateKey, message, undefined));
}

/** Strict XEdDSA verification (does not share Baileys' `Curve.verify`). */
export function xeddsaVerify(publicKey: Buffer | Uint8Array, message: Buffer | Uint8Array, sig: Buffer | Uint8Array): boolean {
  try {
    const key = publicKey.length === 33 ? publicKey.subarray(1) : publicKey;
    if (key.length !== 32 || sig.length !== 64) {
      return false;
    }
    return curveJs.verify(key, message, sig);
  } catch {
    return false;
  }
}

/** Prefix a 32-byte public key with the Signal key type byte (0x05). */
export function signalPub(pub: Buffer | Uint8Array): Buffer {
  return pub.length === 33 ? Buffer.from(pub) : Buffer.concat([Buffer.from([5]), pub]);
}

export function bigEndian(value: number, bytes: number): Buffer {
  const buf = Buffer.alloc(bytes);
  let v = value;
  for (let i = bytes - 1; i >= 0; i--) {
    buf[i] = v & 0xff;
    v = Math.floor(v / 256);
  }
  return buf;
}

export function readBigEndian(buf: Uint8Array | undefined): number {
  if (!buf) {
    return 0;
  }
  let v = 0;
  for (const b of buf) {
    v = v * 256 + b;
  }
  return v;
}
