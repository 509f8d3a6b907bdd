/**
 * The Noise certificate chain must be genuinely signed. Baileys rc14 + libsignal 6 accept any
 * signature; the transport installs strict verification at start-up, so a forged chain is
 * refused while the simulator's validly signed chain (rooted in the installed trust anchor)
 * connects.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import makeWASocket, { Curve } from '@whiskeysockets/baileys';
import { makeBaileysLogger, noopLogger } from '../../src/transport/baileys/baileys-logger.ts';
import { useDbAuthState } from '../../src/transport/baileys/db-auth-state.ts';
import {
  assertSignatureVerification,
  probeVerify,
  replaceCurveVerifyForTest,
} from '../../src/transport/baileys/signature-self-test.ts';
import {
  simTransport,
  sqliteTestDb,
  type TestDb,
  type WaSimulator,
  startWaSimulator,
  TEST_WA_VERSION,
  writePairedAuthFixture,
} from '../support/wa-sim/index.ts';

const require = createRequire(import.meta.url);
const libsignalCurve = require('libsignal/src/curve.js') as {
  verifySignature(pub: Uint8Array, msg: Uint8Array, sig: Uint8Array): boolean;
};

/** Exactly what Baileys 7.0.0-rc14 ships: true unless libsignal throws. */
const lenientVerify = (pub: Uint8Array, msg: Uint8Array, sig: Uint8Array): boolean => {
  try {
    libsignalCurve.verifySignature(pub.length === 33 ? pub : Buffer.concat([Buffer.from([5]), pub]), msg, sig);
    return true;
  } catch {
    return false;
  }
};

describe('Noise certificate chain verification', function () {
  this.timeout(20_000);
  let sim: WaSimulator | undefined;
  let tdb: TestDb;

  before(() => {
    process.env.WARDEN_TEST = '1';
  });

  beforeEach(async () => {
    tdb = await sqliteTestDb();
  });

  afterEach(async () => {
    await sim?.close();
    sim = undefined;
    await tdb.cleanup();
    assertSignatureVerification();
  });

  async function connectWith(mode: 'valid' | 'forged-signature' | 'untrusted-root') {
    sim = await startWaSimulator({ certificate: mode });
    await writePairedAuthFixture(tdb.db, 'inst-s', sim);
    const t = simTransport(sim, tdb.db, { reconnect: { baseMs: 5_000, maxMs: 5_000 } });
    await t.transport.start({ instanceId: 'inst-s', restore: true });
    return t;
  }

  it('connects with a validly signed chain rooted in the installed trust anchor', async () => {
    const { transport, events } = await connectWith('valid');
    await events.next('connected');
    await transport.close();
  });

  it('refuses a chain whose intermediate signature is forged', async () => {
    const { transport, events } = await connectWith('forged-signature');
    const d = await events.next('disconnected');
    assert.equal(d.reason, 'server_certificate_invalid');
    assert.equal(d.loggedOut, false);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(events.count('connected'), 0);
    assert.equal(transport.isConnected('inst-s'), false);
    await transport.close();
  });

  it('refuses a validly signed chain from an untrusted root', async () => {
    const { transport, events } = await connectWith('untrusted-root');
    const d = await events.next('disconnected');
    assert.equal(d.reason, 'server_certificate_invalid');
    assert.equal(events.count('connected'), 0);
    await transport.close();
  });

  it("would accept the forged chain with Baileys' stock verification (why the self-test exists)", async () => {
    replaceCurveVerifyForTest(lenientVerify);
    assert.equal(probeVerify(), false, 'the probe detects the lenient verify');
    const kp = Curve.generateKeyPair();
    assert.equal(Curve.verify(kp.public, Buffer.from('msg'), Buffer.alloc(64, 7)), true, 'stock verify accepts garbage');

    sim = await startWaSimulator({ certificate: 'forged-signature' });
    await writePairedAuthFixture(tdb.db, 'inst-s', sim);
    // a bare Baileys socket with the stock verification connects to the forged server
    const auth = await useDbAuthState(tdb.db, 'inst-s');
    const sock = makeWASocket({
      auth: auth.state,
      waWebSocketUrl: sim.url,
      version: TEST_WA_VERSION,
      logger: makeBaileysLogger(noopLogger, 'silent'),
      markOnlineOnConnect: false,
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('bare socket did not open')), 8_000);
      sock.ev.on('connection.update', (u) => {
        if (u.connection === 'open') {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    sock.end(undefined);
    auth.dispose();

    // the transport re-establishes strict verification at start-up and refuses the same server
    const t = simTransport(sim, tdb.db, { reconnect: { baseMs: 5_000, maxMs: 5_000 } });
    await t.transport.start({ instanceId: 'inst-s', restore: true });
    assert.equal(probeVerify(), true);
    const d = await t.events.next('disconnected');
    assert.equal(d.reason, 'server_certificate_invalid');
    assert.equal(t.events.count('connected'), 0);
    await t.transport.close();
  });
});
