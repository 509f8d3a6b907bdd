import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import {
  TEST_VECTORS,
  computeStandardSignature,
  computeWaSignature,
  formatWaTimestamp,
  generateWebhookSecret,
  signWebhook,
  verifyWaSignature,
} from '../../src/webhooks/webhook-signer.ts';

// Independent reference implementations, straight from SPEC §7.3–7.4, so the signer is not
// only checked against itself.
function referenceWa(secret: string, timestamp: string, body: string): string {
  return 'sha256=' + createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex');
}
function referenceStandard(secret: string, id: string, unix: number, body: string): string {
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  return 'v1,' + createHmac('sha256', key).update(`${id}.${unix}.${body}`, 'utf8').digest('base64');
}

describe('webhook-signer', () => {
  describe('generateWebhookSecret', () => {
    it('is whsec_ + base64 of 32 random bytes', () => {
      const secret = generateWebhookSecret();
      assert.match(secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
      assert.equal(Buffer.from(secret.slice(6), 'base64').length, 32);
      assert.notEqual(generateWebhookSecret(), secret);
    });
  });

  describe('formatWaTimestamp', () => {
    it('is RFC 3339 UTC with second precision, truncating milliseconds', () => {
      assert.equal(formatWaTimestamp(new Date('2026-05-08T10:00:00.999Z')), '2026-05-08T10:00:00Z');
      assert.equal(formatWaTimestamp(new Date('2026-05-08T12:00:00+02:00')), '2026-05-08T10:00:00Z');
    });
    it('rejects an invalid date', () => {
      assert.throws(() => formatWaTimestamp(new Date('nope')), /not a valid date/);
    });
  });

  describe('signWebhook', () => {
    const secret = generateWebhookSecret();
    const body = '{"event":"message.sent","request_id":"abc"}';
    const at = new Date('2026-05-08T10:00:00.456Z');

    it('emits every X-WA and Standard Webhooks header', () => {
      const headers = signWebhook({
        secrets: [secret],
        requestId: 'req-1',
        timestamp: at,
        body,
        event: 'message.sent',
      });
      assert.deepEqual(Object.keys(headers).sort(), [
        'X-WA-Event',
        'X-WA-Request-ID',
        'X-WA-Signature',
        'X-WA-Signature-Alg',
        'X-WA-Timestamp',
        'webhook-id',
        'webhook-signature',
        'webhook-timestamp',
      ]);
      assert.equal(headers['X-WA-Request-ID'], 'req-1');
      assert.equal(headers['webhook-id'], 'req-1');
      assert.equal(headers['X-WA-Event'], 'message.sent');
      assert.equal(headers['X-WA-Timestamp'], '2026-05-08T10:00:00Z');
      assert.equal(headers['webhook-timestamp'], String(Date.parse('2026-05-08T10:00:00Z') / 1000));
      assert.equal(headers['X-WA-Signature-Alg'], 'HMAC-SHA256');
      assert.match(headers['X-WA-Signature']!, /^sha256=[0-9a-f]{64}$/);
      assert.match(headers['webhook-signature']!, /^v1,[A-Za-z0-9+/]{43}=$/);
    });

    it('omits X-WA-Event when no event is given', () => {
      const headers = signWebhook({ secrets: [secret], requestId: 'req-1', timestamp: at, body });
      assert.equal('X-WA-Event' in headers, false);
    });

    it('never sends the secret itself', () => {
      const headers = signWebhook({ secrets: [secret], requestId: 'req-1', timestamp: at, body });
      for (const value of Object.values(headers)) {
        assert.equal(value.includes(secret.slice(6)), false);
      }
    });

    it('X-WA-Signature = HMAC-SHA256(whole secret string, timestamp + "." + body), checked with node:crypto', () => {
      const headers = signWebhook({ secrets: [secret], requestId: 'req-1', timestamp: at, body });
      assert.equal(headers['X-WA-Signature'], referenceWa(secret, headers['X-WA-Timestamp']!, body));
      assert.equal(
        verifyWaSignature(secret, headers['X-WA-Timestamp']!, body, headers['X-WA-Signature']!),
        true,
      );
    });

    it('webhook-* headers verify with the standardwebhooks package', () => {
      const now = new Date();
      const headers = signWebhook({ secrets: [secret], requestId: 'msg_live', timestamp: now, body });
      const payload = new Webhook(secret).verify(body, headers);
      assert.deepEqual(payload, JSON.parse(body));
      assert.equal(
        headers['webhook-signature'],
        referenceStandard(secret, 'msg_live', Math.floor(now.getTime() / 1000), body),
      );
    });

    it('standardwebhooks rejects a tampered body, a wrong secret and a stale timestamp', () => {
      const now = new Date();
      const headers = signWebhook({ secrets: [secret], requestId: 'msg_live', timestamp: now, body });
      assert.throws(() => new Webhook(secret).verify(body + ' ', headers));
      assert.throws(() => new Webhook(generateWebhookSecret()).verify(body, headers));
      const stale = signWebhook({
        secrets: [secret],
        requestId: 'msg_live',
        timestamp: new Date(Date.now() - 10 * 60_000),
        body,
      });
      assert.throws(() => new Webhook(secret).verify(body, stale));
    });

    it('rotation: both signatures present, newest first, and either secret verifies both schemes', () => {
      const oldSecret = generateWebhookSecret();
      const newSecret = generateWebhookSecret();
      const now = new Date();
      const headers = signWebhook({
        secrets: [newSecret, oldSecret],
        requestId: 'rot-1',
        timestamp: now,
        body,
      });
      const ts = headers['X-WA-Timestamp']!;
      assert.equal(
        headers['X-WA-Signature'],
        `${referenceWa(newSecret, ts, body)} ${referenceWa(oldSecret, ts, body)}`,
      );
      const parts = headers['webhook-signature']!.split(' ');
      assert.equal(parts.length, 2);
      for (const s of [newSecret, oldSecret]) {
        assert.equal(verifyWaSignature(s, ts, body, headers['X-WA-Signature']!), true);
        assert.doesNotThrow(() => new Webhook(s).verify(body, headers));
      }
      assert.equal(verifyWaSignature(generateWebhookSecret(), ts, body, headers['X-WA-Signature']!), false);
      assert.throws(() => new Webhook(generateWebhookSecret()).verify(body, headers));
    });

    it('deduplicates a secret listed twice', () => {
      const headers = signWebhook({ secrets: [secret, secret], requestId: 'r', timestamp: at, body });
      assert.equal(headers['X-WA-Signature']!.split(' ').length, 1);
      assert.equal(headers['webhook-signature']!.split(' ').length, 1);
    });

    it('refuses bad input instead of emitting unverifiable headers', () => {
      assert.throws(
        () => signWebhook({ secrets: [], requestId: 'r', timestamp: at, body }),
        /at least one secret/,
      );
      assert.throws(
        () => signWebhook({ secrets: [secret], requestId: 'a.b', timestamp: at, body }),
        /requestId/,
      );
      assert.throws(
        () => signWebhook({ secrets: [secret], requestId: '', timestamp: at, body }),
        /requestId/,
      );
      assert.throws(
        () =>
          signWebhook({ secrets: [secret], requestId: 'r', timestamp: at, body, event: 'x\r\nX-Evil: 1' }),
        /event/,
      );
      assert.throws(
        () => signWebhook({ secrets: ['whsec_'], requestId: 'r', timestamp: at, body }),
        /no key bytes/,
      );
      assert.throws(() =>
        signWebhook({ secrets: [secret], requestId: 'r', timestamp: new Date(Number.NaN), body }),
      );
    });
  });

  describe('verifyWaSignature', () => {
    const secret = 'whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=';
    const ts = '2026-05-08T10:00:00Z';
    const body = '{"a":1}';
    const good = referenceWa(secret, ts, body);

    it('accepts the right signature, also among several (space or comma separated)', () => {
      assert.equal(verifyWaSignature(secret, ts, body, good), true);
      assert.equal(verifyWaSignature(secret, ts, body, `sha256=${'0'.repeat(64)} ${good}`), true);
      assert.equal(verifyWaSignature(secret, ts, body, `sha256=${'0'.repeat(64)}, ${good}`), true);
      assert.equal(verifyWaSignature(secret, ts, Buffer.from(body), good), true);
    });

    it('rejects tampering and malformed headers without throwing', () => {
      assert.equal(verifyWaSignature(secret, ts, body + ' ', good), false);
      assert.equal(verifyWaSignature(secret, '2026-05-08T10:00:00.000Z', body, good), false);
      assert.equal(verifyWaSignature(secret.slice(6), ts, body, good), false);
      assert.equal(verifyWaSignature(secret, ts, body, good.slice(0, -2)), false);
      assert.equal(verifyWaSignature(secret, ts, body, good.replace('sha256=', 'sha1=')), false);
      assert.equal(verifyWaSignature(secret, ts, body, ''), false);
      assert.equal(verifyWaSignature(secret, ts, body, 'sha256='), false);
      assert.equal(verifyWaSignature('', ts, body, good), false);
    });
  });

  describe('known-answer vectors', () => {
    it('reproduces the Standard Webhooks reference vector', () => {
      const sig = computeStandardSignature(
        'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
        'msg_p5jXN8AQM9LWM0D4loKWxJek',
        1614265330,
        '{"test": 2432232314}',
      );
      assert.equal(sig, 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
    });

    it('reproduces the research X-WA vector (timestamp string signed as received)', () => {
      assert.equal(
        computeWaSignature("It's a Secret to Everybody", '2021-02-25T15:02:10Z', '{"test": 2432232314}'),
        'sha256=0697c53987bca1f30b7d8640b280b9878cff3e02962bad5115aff99cd6101265',
      );
    });

    // Frozen literals: the published docs copy these. If this test fails, the wire format
    // changed and every customer receiver breaks; do not "fix" the literals.
    const FROZEN = [
      {
        xwa: 'sha256=69b49275d8be99c0621f88e12dfc0bd57eae18903257e7271406c9da3fc3f7bd',
        std: 'v1,0zmhLTbtIQ6gGJuHVcfbwbOxwgf1aCAkWK6Jc2iAYRc=',
      },
      {
        xwa: 'sha256=f880b8a709ba8bf36555362fb27f0562d34a4629d9574eea297b41b4d5d72cee',
        std: 'v1,dVs0+HXiNgUNFW/oVp94Ou4TzFGNLsH3y9s+iMiPE7c=',
      },
      {
        xwa:
          'sha256=004366e55a3bfc3c417a54641f7e0022bd1191154b6c19fad95ed46bd7f1c845 ' +
          'sha256=2b2bfe225806993ddc1d22b11395ed46b4414c27894163bd5970bffefae1e5a2',
        std: 'v1,P4B7efjWWIKqTwzS/+E5ubMw1DkV6jg4Ibu+PRNld9c= v1,bM7tuEkjUM4wx4IiP4NcQ1YsPVqWPuYopu5jiZt4rAo=',
      },
    ];

    it('TEST_VECTORS are frozen and match the literals here', () => {
      assert.equal(Object.isFrozen(TEST_VECTORS), true);
      assert.equal(TEST_VECTORS.length, FROZEN.length);
      TEST_VECTORS.forEach((vector, i) => {
        assert.equal(Object.isFrozen(vector) && Object.isFrozen(vector.expected), true);
        assert.equal(vector.expected['X-WA-Signature'], FROZEN[i]!.xwa);
        assert.equal(vector.expected['webhook-signature'], FROZEN[i]!.std);
        assert.equal(vector.unixTimestamp, Date.parse(vector.timestamp) / 1000);
      });
    });

    for (const vector of TEST_VECTORS) {
      it(`signWebhook reproduces vector "${vector.name}"`, () => {
        const headers = signWebhook({
          secrets: vector.secrets,
          requestId: vector.requestId,
          timestamp: new Date(vector.timestamp),
          body: vector.body,
        });
        assert.equal(headers['X-WA-Timestamp'], vector.timestamp);
        assert.equal(headers['webhook-timestamp'], String(vector.unixTimestamp));
        assert.equal(headers['X-WA-Signature'], vector.expected['X-WA-Signature']);
        assert.equal(headers['webhook-signature'], vector.expected['webhook-signature']);
      });

      it(`node:crypto and standardwebhooks agree with vector "${vector.name}"`, () => {
        const at = new Date(vector.unixTimestamp * 1000);
        assert.equal(
          vector.secrets.map((s) => referenceWa(s, vector.timestamp, vector.body)).join(' '),
          vector.expected['X-WA-Signature'],
        );
        assert.equal(
          vector.secrets.map((s) => new Webhook(s).sign(vector.requestId, at, vector.body)).join(' '),
          vector.expected['webhook-signature'],
        );
      });
    }
  });
});
