/**
 * The simulator's Noise certificate chain: its own root → intermediate (serial 3, issuerSerial 0)
 * → leaf (key = the simulator's static Noise key), with genuinely valid XEdDSA signatures.
 * Tests install the root as Baileys' trust anchor (`WA_CERT_DETAILS.PUBLIC_KEY`), so the chain
 * passes a strict verification. `forged` variants exist for negative tests.
 */
import { randomBytes } from 'node:crypto';
import { proto, WA_CERT_DETAILS } from '@whiskeysockets/baileys';
import { type RawKeyPair, seededKeyPair, xeddsaSign } from './keys.ts';

export type CertMode =
  /** valid chain signed by the simulator root */
  | 'valid'
  /** correct structure, but the intermediate's signature is random bytes */
  | 'forged-signature'
  /** valid signatures, but rooted in a key the client does not trust */
  | 'untrusted-root';

export interface CertMaterial {
  root: RawKeyPair;
  intermediate: RawKeyPair;
  chain: Buffer;
}

/** The root is the same for every simulator in a process, so one trust anchor serves all. */
export function simulatorRoot(): RawKeyPair {
  return seededKeyPair('wa-sim-trust-anchor', 'noise-root');
}

export function buildCertChain(seed: string, serverStatic: RawKeyPair, mode: CertMode = 'valid'): CertMaterial {
  const root = mode === 'untrusted-root' ? seededKeyPair(seed, 'noise-root-untrusted') : simulatorRoot();
  const intermediate = seededKeyPair(seed, 'noise-intermediate');
  const now = Math.floor(Date.now() / 1000);
  const intermediateDetails = proto.CertChain.NoiseCertificate.Details.encode({
    serial: 3,
    issuerSerial: 0,
    key: intermediate.public,
    notBefore: now - 3600,
    notAfter: now + 365 * 24 * 3600,
  }).finish();
  const leafDetails = proto.CertChain.NoiseCertificate.Details.encode({
    serial: 7,
    issuerSerial: 3,
    key: serverStatic.public,
    notBefore: now - 3600,
    notAfter: now + 30 * 24 * 3600,
  }).finish();
  const intermediateSig = mode === 'forged-signature' ? randomBytes(64) : xeddsaSign(root.private, intermediateDetails);
  const leafSig = xeddsaSign(intermediate.private, leafDetails);
  const chain = Buffer.from(
    proto.CertChain.encode({
      intermediate: { details: intermediateDetails, signature: intermediateSig },
      leaf: { details: leafDetails, signature: leafSig },
    }).finish(),
  );
  return { root, intermediate, chain };
}

const originalRoot = Buffer.from(WA_CERT_DETAILS.PUBLIC_KEY);
let installed = 0;

/**
 * Make Baileys trust `rootPublicKey` as the WhatsApp root (in this process). Returns a function
 * that restores the genuine WhatsApp root once every installer has released it.
 */
export function installTrustAnchor(rootPublicKey: Buffer): () => void {
  (WA_CERT_DETAILS as { PUBLIC_KEY: Buffer }).PUBLIC_KEY = Buffer.from(rootPublicKey);
  installed++;
  let released = false;
  return () => {
    if (released) {
      return;
    }
    released = true;
    installed--;
    if (installed <= 0) {
      installed = 0;
      (WA_CERT_DETAILS as { PUBLIC_KEY: Buffer }).PUBLIC_KEY = Buffer.from(originalRoot);
    }
  };
}
