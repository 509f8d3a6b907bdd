/**
 * Start-up guard for the signature check Baileys uses to authenticate the WhatsApp server.
 *
 * Baileys 7.0.0-rc14 verifies the Noise certificate chain (and the account signature in
 * pair-success) with `Curve.verify`, which wraps libsignal's `verifySignature` in a try/catch and
 * returns `true` unless it *throws*. libsignal 6.0.0 *returns* `false` for a bad signature and only
 * throws on malformed lengths, so every well-formed forged signature is accepted: any
 * man-in-the-middle could impersonate the WhatsApp server.
 *
 * `assertSignatureVerification()` probes the installed `Curve.verify` with a forged signature.
 * If the probe passes (the library is fixed), nothing changes. If it fails, the shared `Curve`
 * object exported by Baileys is patched with a strict XEdDSA verification from `curve25519-js`
 * (the same primitive libsignal uses), which Baileys' noise handler and pairing code read at call
 * time. If even that does not make the probe pass, the transport refuses to start.
 */
import { randomBytes } from 'node:crypto';
import { Curve } from '@whiskeysockets/baileys';
import * as curveJs from 'curve25519-js';

type VerifyFn = (pubKey: Uint8Array, message: Uint8Array, signature: Uint8Array) => boolean;

export interface SignatureCheckResult {
  /** true when the installed verification was already strict. */
  strictBefore: boolean;
  /** true when this module replaced `Curve.verify`. */
  patched: boolean;
  /** true only for the call that installed the strict verification. */
  installedNow: boolean;
}

export class SignatureVerificationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SignatureVerificationError';
  }
}

/** Strict XEdDSA verification: false for any invalid signature, never throws. */
export function strictCurveVerify(pubKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  try {
    if (!pubKey || !message || !signature) {
      return false;
    }
    const key = pubKey.length === 33 && pubKey[0] === 5 ? pubKey.subarray(1) : pubKey;
    if (key.length !== 32 || signature.length !== 64) {
      return false;
    }
    return curveJs.verify(toU8(key), toU8(message), toU8(signature));
  } catch {
    return false;
  }
}

function toU8(b: Uint8Array): Uint8Array {
  // curve25519-js checks `instanceof Uint8Array`; Buffers qualify, plain arrays do not.
  return b instanceof Uint8Array ? b : new Uint8Array(b);
}

/**
 * Probe a verify function: it must accept a genuine signature and reject a wrong key,
 * a flipped bit in the signature and a flipped bit in the message.
 */
export function probeVerify(verify: VerifyFn = currentVerify()): boolean {
  const kp = Curve.generateKeyPair();
  const other = Curve.generateKeyPair();
  const msg = randomBytes(48);
  const sig = Buffer.from(Curve.sign(kp.private, msg));
  const badSig = Buffer.from(sig);
  badSig[5] = (badSig[5] ?? 0) ^ 0x01;
  const badMsg = Buffer.from(msg);
  badMsg[0] = (badMsg[0] ?? 0) ^ 0x80;
  const safe = (fn: () => boolean): boolean => {
    try {
      return fn();
    } catch {
      return false;
    }
  };
  return (
    safe(() => verify(kp.public, msg, sig)) &&
    !safe(() => verify(other.public, msg, sig)) &&
    !safe(() => verify(kp.public, msg, badSig)) &&
    !safe(() => verify(kp.public, badMsg, sig)) &&
    !safe(() => verify(kp.public, msg, randomBytes(64)))
  );
}

function currentVerify(): VerifyFn {
  return (Curve as unknown as { verify: VerifyFn }).verify;
}

let lastResult: SignatureCheckResult | undefined;

/**
 * Ensure Baileys refuses forged signatures. Idempotent. Throws `SignatureVerificationError`
 * when strict verification cannot be established (the transport must not start then).
 */
export function assertSignatureVerification(options: { allowPatch?: boolean } = {}): SignatureCheckResult {
  const allowPatch = options.allowPatch ?? true;
  if (probeVerify()) {
    lastResult = lastResult
      ? { ...lastResult, installedNow: false }
      : { strictBefore: true, patched: false, installedNow: false };
    return lastResult;
  }
  if (!allowPatch) {
    throw new SignatureVerificationError(
      'Baileys Curve.verify accepts forged signatures (libsignal returns false instead of throwing); ' +
        'refusing to start the Baileys transport without strict server certificate verification',
    );
  }
  const target = Curve as unknown as { verify: VerifyFn };
  try {
    target.verify = strictCurveVerify;
  } catch (err) {
    throw new SignatureVerificationError(
      `cannot install strict signature verification into Baileys (${(err as Error).message}); refusing to start`,
    );
  }
  if (!probeVerify()) {
    throw new SignatureVerificationError(
      'strict signature verification could not be installed into Baileys; refusing to start the Baileys transport',
    );
  }
  lastResult = { strictBefore: false, patched: true, installedNow: true };
  return lastResult;
}

/** For tests: put back a given verify implementation (e.g. to prove the probe detects it). */
export function replaceCurveVerifyForTest(fn: VerifyFn): VerifyFn {
  const target = Curve as unknown as { verify: VerifyFn };
  const previous = target.verify;
  target.verify = fn;
  lastResult = undefined;
  return previous;
}
