/** Backoff, signature self-test, loopback guard, cache and logger adapter of the Baileys transport. */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { Curve } from '@whiskeysockets/baileys';
import type { Knex } from 'knex';
import { makeBaileysLogger } from '../../src/transport/baileys/baileys-logger.ts';
import { BaileysTransport } from '../../src/transport/baileys/baileys-transport.ts';
import { assertLoopbackUrl, isLoopbackHost } from '../../src/transport/baileys/net-guard.ts';
import {
  assertSignatureVerification,
  probeVerify,
  replaceCurveVerifyForTest,
  SignatureVerificationError,
  strictCurveVerify,
} from '../../src/transport/baileys/signature-self-test.ts';
import { TtlCache } from '../../src/transport/baileys/ttl-cache.ts';

const require = createRequire(import.meta.url);
const libsignalCurve = require('libsignal/src/curve.js') as {
  verifySignature(pub: Uint8Array, msg: Uint8Array, sig: Uint8Array): boolean;
};
const stockVerify = (pub: Uint8Array, msg: Uint8Array, sig: Uint8Array): boolean => {
  try {
    libsignalCurve.verifySignature(Buffer.concat([Buffer.from([5]), pub]), msg, sig);
    return true;
  } catch {
    return false;
  }
};

describe('signature self-test', () => {
  afterEach(() => {
    assertSignatureVerification();
  });

  it('detects that the stock rc14 verification accepts forged signatures', () => {
    assert.equal(probeVerify(stockVerify), false);
    assert.equal(probeVerify(strictCurveVerify), true);
  });

  it('strict verification accepts genuine and rejects forged signatures', () => {
    const kp = Curve.generateKeyPair();
    const msg = Buffer.from('noise certificate details');
    const sig = Buffer.from(Curve.sign(kp.private, msg));
    assert.equal(strictCurveVerify(kp.public, msg, sig), true);
    assert.equal(strictCurveVerify(Buffer.concat([Buffer.from([5]), kp.public]), msg, sig), true, '33-byte key');
    assert.equal(strictCurveVerify(Curve.generateKeyPair().public, msg, sig), false);
    assert.equal(strictCurveVerify(kp.public, msg, Buffer.alloc(64)), false);
    assert.equal(strictCurveVerify(kp.public, msg, Buffer.alloc(10)), false);
  });

  it('installs strict verification into Baileys, or refuses when patching is not allowed', () => {
    replaceCurveVerifyForTest(stockVerify);
    assert.throws(() => assertSignatureVerification({ allowPatch: false }), SignatureVerificationError);
    const result = assertSignatureVerification();
    assert.deepEqual(result, { strictBefore: false, patched: true, installedNow: true });
    assert.equal(probeVerify(), true);
    const kp = Curve.generateKeyPair();
    assert.equal(Curve.verify(kp.public, Buffer.from('x'), Buffer.alloc(64, 1)), false, 'Baileys now refuses forgeries');
    assert.equal(assertSignatureVerification().installedNow, false, 'idempotent');
  });
});

describe('reconnect backoff', () => {
  const make = (random: number) =>
    new BaileysTransport({
      db: {} as Knex,
      mediaDir: '/tmp',
      reconnect: { baseMs: 1000, maxMs: 30_000 },
      clock: { now: () => 0, setTimeout: () => 0, clearTimeout: () => undefined, random: () => random },
    });

  it('grows exponentially with equal jitter and is capped', () => {
    const low = make(0);
    const high = make(0.999999);
    assert.deepEqual(
      [0, 1, 2, 3, 4].map((a) => low.backoffDelay(a)),
      [500, 1000, 2000, 4000, 8000],
    );
    assert.deepEqual(
      [0, 1, 2, 3, 4].map((a) => high.backoffDelay(a)),
      [1000, 2000, 4000, 8000, 16000],
    );
    assert.equal(high.backoffDelay(10), 30_000);
    assert.equal(low.backoffDelay(50), 15_000);
  });
});

describe('loopback guard', () => {
  it('accepts only 127.0.0.0/8 and ::1', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', '::ffff:127.0.0.1']) {
      assert.equal(isLoopbackHost(h), true, h);
    }
    for (const h of ['localhost', '10.0.0.1', '192.0.2.1', 'web.whatsapp.com', '::', '', '128.0.0.1']) {
      assert.equal(isLoopbackHost(h), false, h);
    }
    assert.doesNotThrow(() => assertLoopbackUrl('ws://127.0.0.1:1234/ws/chat', 'ws'));
    assert.throws(() => assertLoopbackUrl('wss://web.whatsapp.com/ws/chat', 'ws'), /loopback-only/);
  });

  it('the transport refuses to start without a loopback simulator URL in loopback-only mode', () => {
    const t = new BaileysTransport({ db: {} as Knex, mediaDir: '/tmp', loopbackOnly: true });
    assert.throws(() => t.init(), /requires an explicit waWebSocketUrl/);
    const t2 = new BaileysTransport({ db: {} as Knex, mediaDir: '/tmp', loopbackOnly: true, waWebSocketUrl: 'wss://web.whatsapp.com/ws/chat' });
    assert.throws(() => t2.init(), /loopback-only/);
  });
});

describe('TtlCache', () => {
  it('expires and evicts without timers', () => {
    let now = 0;
    const c = new TtlCache(100, 2, () => now);
    c.set('a', 1);
    c.set('b', 2);
    assert.equal(c.get('a'), 1);
    c.set('c', 3); // evicts the least recently used: b
    assert.equal(c.get('b'), undefined);
    now = 101;
    assert.equal(c.get('a'), undefined);
    c.set('d', 4);
    c.del('d');
    assert.equal(c.get('d'), undefined);
    c.flushAll();
    assert.equal(c.size, 0);
  });
});

describe('Baileys logger adapter', () => {
  it('maps pino-style calls to winston-style calls, filtered by level, with summarised payloads', () => {
    const lines: Array<[string, string, Record<string, unknown> | undefined]> = [];
    const base = {
      debug: (m: string, meta?: Record<string, unknown>) => lines.push(['debug', m, meta]),
      info: (m: string, meta?: Record<string, unknown>) => lines.push(['info', m, meta]),
      warn: (m: string, meta?: Record<string, unknown>) => lines.push(['warn', m, meta]),
      error: (m: string, meta?: Record<string, unknown>) => lines.push(['error', m, meta]),
    };
    const log = makeBaileysLogger(base, 'warn', { instanceId: 'i1' }).child({ class: 'ns' });
    log.info({ a: 1 }, 'hidden');
    log.warn({ key: Buffer.alloc(32), err: new Error('boom') }, 'visible');
    log.error('plain string');
    log.warn({}, 'no name present, ignoring presence update request...');
    assert.deepEqual(lines, [
      ['warn', 'baileys: visible', { instanceId: 'i1', class: 'ns', key: '<32 bytes>', err: { name: 'Error', message: 'boom' } }],
      ['error', 'baileys: plain string', { instanceId: 'i1', class: 'ns' }],
    ]);
    assert.equal(log.level, 'warn');
  });
});
