/**
 * A pre-paired auth state: credentials and pre-keys written to the `baileys_auth` table exactly
 * as Baileys would have stored them after a QR pairing, plus the matching companion record in
 * the simulator (so the device logs in directly, without QR).
 */
import {
  Curve,
  initAuthCreds,
  type KeyPair,
  proto,
  WA_ADV_ACCOUNT_SIG_PREFIX,
  WA_ADV_DEVICE_SIG_PREFIX,
} from '@whiskeysockets/baileys';
import type { Knex } from 'knex';
import { useDbAuthState } from '../../../src/transport/baileys/db-auth-state.ts';
import { seededInt, signalPub, xeddsaSign } from './keys.ts';
import type { WaSimulator } from './simulator.ts';
import type { Companion, SimAccount } from './world.ts';

export interface PairedFixtureOptions {
  account?: SimAccount;
  /** one-time pre-keys to create and register (default 30) */
  preKeys?: number;
  /** push name stored in creds.me.name */
  name?: string;
}

export async function writePairedAuthFixture(
  db: Knex,
  instanceId: string,
  sim: WaSimulator,
  opts: PairedFixtureOptions = {},
): Promise<Companion> {
  const account = opts.account ?? sim.world.defaultAccount;
  const deviceId = account.nextDeviceId++;
  const creds = initAuthCreds();
  const identityPub = Buffer.from(creds.signedIdentityKey.public);
  const accountKey = account.phone.identityRaw;
  const details = Buffer.from(
    proto.ADVDeviceIdentity.encode({
      rawId: seededInt(sim.world.seed, `rawid-${account.pn}`),
      timestamp: Math.floor(Date.now() / 1000),
      keyIndex: deviceId,
    }).finish(),
  );
  const accountSignature = xeddsaSign(accountKey.private, Buffer.concat([WA_ADV_ACCOUNT_SIG_PREFIX, details, identityPub]));
  const deviceSignature = Buffer.from(
    Curve.sign(
      creds.signedIdentityKey.private,
      Buffer.concat([WA_ADV_DEVICE_SIG_PREFIX, details, identityPub, accountKey.public]),
    ),
  );
  // mirror what configureSuccessfulPairing stores (the HMAC is only checked during pairing)
  creds.me = {
    id: `${account.pn}:${deviceId}@s.whatsapp.net`,
    lid: `${account.lid}:${deviceId}@lid`,
    ...(opts.name ? { name: opts.name } : {}),
  };
  creds.account = {
    details,
    accountSignatureKey: accountKey.public,
    accountSignature,
    deviceSignature,
  };
  creds.signalIdentities = [
    { identifier: { name: `${account.lid}:${deviceId}@lid`, deviceId: 0 }, identifierKey: signalPub(accountKey.public) },
  ];
  creds.platform = 'android';

  const count = opts.preKeys ?? 30;
  const preKeys: Record<string, KeyPair> = {};
  for (let id = 1; id <= count; id++) {
    preKeys[id] = Curve.generateKeyPair();
  }
  creds.nextPreKeyId = count + 1;
  creds.firstUnuploadedPreKeyId = count + 1;

  const auth = await useDbAuthState(db, instanceId, { cache: false });
  try {
    Object.assign(auth.state.creds, creds);
    await auth.saveCreds();
    await auth.state.keys.set({ 'pre-key': preKeys });
  } finally {
    auth.dispose();
  }

  const companion = sim.world.registerCompanion(account, deviceId, {
    noisePub: Buffer.from(creds.noiseKey.public),
    identityPub,
    registrationId: creds.registrationId,
    signedPreKey: {
      keyId: creds.signedPreKey.keyId,
      public: Buffer.from(creds.signedPreKey.keyPair.public),
      signature: Buffer.from(creds.signedPreKey.signature),
    },
    keyIndex: deviceId,
  });
  for (const [id, kp] of Object.entries(preKeys)) {
    companion.preKeys.set(Number(id), Buffer.from(kp.public));
  }
  return companion;
}
