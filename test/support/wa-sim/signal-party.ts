/**
 * A simulated Signal device (a contact's phone, or the account's own phone) built on the npm
 * `libsignal` package — the same implementation Baileys uses — with an in-memory store.
 * It can decrypt what the gateway sends and encrypt what a contact sends to the gateway.
 */
import { ProtocolAddress, SessionBuilder, SessionCipher, type SessionRecord, type SignalStorage } from 'libsignal';
import { type RawKeyPair, seededInt, seededKeyPair, signalPub, xeddsaSign } from './keys.ts';

// libsignal logs session bookkeeping (with key material) straight to the console; in tests that
// is noise, so those lines are dropped unless WA_SIM_DEBUG=1.
const LIBSIGNAL_NOISE =
  /^(Closing session|Opening session|Closing open session in favor|Session already|Removing old closed session|Decrypted message with closed session|Migrating session to)/;
if (process.env.WA_SIM_DEBUG !== '1' && !(globalThis as { __waSimConsoleFilter?: boolean }).__waSimConsoleFilter) {
  (globalThis as { __waSimConsoleFilter?: boolean }).__waSimConsoleFilter = true;
  for (const level of ['info', 'warn'] as const) {
    const original = console[level].bind(console);
    console[level] = (...args: unknown[]) => {
      if (typeof args[0] === 'string' && LIBSIGNAL_NOISE.test(args[0])) {
        return;
      }
      original(...args);
    };
  }
}

interface LsKeyPair {
  pubKey: Buffer;
  privKey: Buffer;
}

function toLs(kp: RawKeyPair): LsKeyPair {
  return { pubKey: signalPub(kp.public), privKey: Buffer.from(kp.private) };
}

export interface PreKeyBundle {
  registrationId: number;
  /** 32-byte identity public key (wire form, no type byte) */
  identity: Buffer;
  signedPreKey: { keyId: number; public: Buffer; signature: Buffer };
  preKey?: { keyId: number; public: Buffer } | undefined;
}

export type EncType = 'pkmsg' | 'msg';

export class SignalParty {
  readonly identity: LsKeyPair;
  readonly identityRaw: RawKeyPair;
  readonly registrationId: number;
  readonly signedPreKey: { keyId: number; keyPair: LsKeyPair; signature: Buffer };
  private readonly preKeys = new Map<number, LsKeyPair>();
  private readonly sessions = new Map<string, SessionRecord>();
  private nextPreKeyId = 1;
  /** one-time pre-keys already handed out in a bundle (a server never hands one out twice) */
  private readonly handedOut = new Set<number>();
  private readonly store: SignalStorage;

  constructor(
    private readonly seed: string,
    readonly label: string,
    preKeyCount = 3,
  ) {
    this.identityRaw = seededKeyPair(seed, `${label}/identity`);
    this.identity = toLs(this.identityRaw);
    this.registrationId = 1 + seededInt(seed, `${label}/regid`, 16000);
    const spk = seededKeyPair(seed, `${label}/spk`);
    const spkLs = toLs(spk);
    this.signedPreKey = { keyId: 1, keyPair: spkLs, signature: xeddsaSign(this.identityRaw.private, spkLs.pubKey) };
    for (let i = 0; i < preKeyCount; i++) {
      this.addPreKey();
    }
    this.store = {
      loadSession: async (id: string) => this.sessions.get(id),
      storeSession: async (id: string, record: SessionRecord) => {
        this.sessions.set(id, record);
      },
      isTrustedIdentity: () => true,
      loadPreKey: async (id: number | string) => this.preKeys.get(Number(id)),
      removePreKey: (id: number) => {
        this.preKeys.delete(Number(id));
      },
      loadSignedPreKey: () => this.signedPreKey.keyPair,
      getOurRegistrationId: () => this.registrationId,
      getOurIdentity: () => this.identity,
    };
  }

  private addPreKey(): void {
    const id = this.nextPreKeyId++;
    this.preKeys.set(id, toLs(seededKeyPair(this.seed, `${this.label}/prekey/${id}`)));
  }

  /** The key bundle a server hands out for this device; consumes one one-time pre-key. */
  takeBundle(): PreKeyBundle {
    let fresh = [...this.preKeys.keys()].find((id) => !this.handedOut.has(id));
    if (fresh === undefined) {
      this.addPreKey();
      fresh = this.nextPreKeyId - 1;
    }
    const kp = this.preKeys.get(fresh)!;
    this.handedOut.add(fresh);
    // the private half stays in the store until a pkmsg consumes it
    const preKey = { keyId: fresh, public: kp.pubKey.subarray(1) };
    return {
      registrationId: this.registrationId,
      identity: this.identity.pubKey.subarray(1),
      signedPreKey: {
        keyId: this.signedPreKey.keyId,
        public: this.signedPreKey.keyPair.pubKey.subarray(1),
        signature: this.signedPreKey.signature,
      },
      preKey,
    };
  }

  hasSession(address: string): boolean {
    const rec = this.sessions.get(address);
    return !!rec && rec.haveOpenSession();
  }

  /** Start an outgoing session from a bundle (e.g. the companion's uploaded keys). */
  async initSession(address: string, bundle: PreKeyBundle): Promise<void> {
    const builder = new SessionBuilder(this.store, addr(address));
    await builder.initOutgoing({
      registrationId: bundle.registrationId,
      identityKey: signalPub(bundle.identity),
      signedPreKey: {
        keyId: bundle.signedPreKey.keyId,
        publicKey: signalPub(bundle.signedPreKey.public),
        signature: bundle.signedPreKey.signature,
      },
      preKey: bundle.preKey
        ? { keyId: bundle.preKey.keyId, publicKey: signalPub(bundle.preKey.public) }
        : (undefined as unknown as { keyId: number; publicKey: Uint8Array }),
    });
  }

  async decrypt(fromAddress: string, type: string, ciphertext: Uint8Array): Promise<Buffer> {
    const cipher = new SessionCipher(this.store, addr(fromAddress));
    if (type === 'pkmsg') {
      return Buffer.from(await cipher.decryptPreKeyWhisperMessage(Buffer.from(ciphertext)));
    }
    if (type === 'msg') {
      return Buffer.from(await cipher.decryptWhisperMessage(Buffer.from(ciphertext)));
    }
    throw new Error(`unsupported enc type ${type}`);
  }

  async encrypt(toAddress: string, plaintext: Uint8Array): Promise<{ type: EncType; ciphertext: Buffer }> {
    const cipher = new SessionCipher(this.store, addr(toAddress));
    const { type, body } = await cipher.encrypt(Buffer.from(plaintext));
    const bytes = typeof body === 'string' ? Buffer.from(body, 'binary') : Buffer.from(body as Uint8Array);
    return { type: type === 3 ? 'pkmsg' : 'msg', ciphertext: bytes };
  }
}

function addr(address: string): ProtocolAddress {
  const dot = address.lastIndexOf('.');
  return new ProtocolAddress(address.slice(0, dot), Number(address.slice(dot + 1)));
}
