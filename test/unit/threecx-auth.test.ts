import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import {
  allowlistPermits,
  clientAddress,
  computeThreeCxSignature,
  parseIpRange,
  parseSignatureHeader,
  parseTimestamp,
  signatureMatches,
  timestampFresh,
} from '../../src/integrations/threecx/threecx-auth.ts';
import { secretsEqual } from '../../src/lib/secrets-equal.ts';

/** The worked example published in templates/docs/3cx-webhooks.hbs. */
const EXAMPLE = {
  secret: 'tcx_3q2-7wEXAMPLEsecretDoNotUse0000000000000',
  timestamp: '1778234400',
  body: '{"event_type":"outbound_message","to":"+966500000000","message_text":"Your support request has been updated.","message_purpose":"support"}',
  hex: '063d511c9181e748d3579cee7e57faa55ad549633bd98087229cbd457d98fbda',
};

describe('3CX webhook authentication helpers', () => {
  it('signature = hex HMAC-SHA256(secret, timestamp + "." + raw body): the published worked example', () => {
    assert.equal(computeThreeCxSignature(EXAMPLE.secret, EXAMPLE.timestamp, EXAMPLE.body), EXAMPLE.hex);
    const independent = createHmac('sha256', EXAMPLE.secret)
      .update(`${EXAMPLE.timestamp}.${EXAMPLE.body}`)
      .digest('hex');
    assert.equal(independent, EXAMPLE.hex);
    assert.ok(signatureMatches(EXAMPLE.secret, EXAMPLE.timestamp, Buffer.from(EXAMPLE.body), EXAMPLE.hex));
    assert.ok(!signatureMatches(EXAMPLE.secret, '1778234401', Buffer.from(EXAMPLE.body), EXAMPLE.hex));
    const docs = fs.readFileSync('templates/docs/3cx-webhooks.hbs', 'utf8');
    for (const part of [EXAMPLE.timestamp, EXAMPLE.hex, EXAMPLE.secret])
      assert.ok(docs.includes(part), `docs show ${part}`);
    assert.ok(
      docs.includes(EXAMPLE.body.replace(/"/g, '&quot;')) || docs.includes(EXAMPLE.body),
      'docs show the body',
    );
  });

  it('signature header: sha256=<hex> or bare hex, any case; anything else is refused', () => {
    assert.equal(parseSignatureHeader(`sha256=${EXAMPLE.hex}`), EXAMPLE.hex);
    assert.equal(parseSignatureHeader(EXAMPLE.hex), EXAMPLE.hex);
    assert.equal(parseSignatureHeader(`SHA256=${EXAMPLE.hex.toUpperCase()}`), EXAMPLE.hex);
    assert.equal(parseSignatureHeader(` sha256=${EXAMPLE.hex} `), EXAMPLE.hex);
    for (const bad of [
      '',
      'sha256=',
      `sha1=${EXAMPLE.hex}`,
      EXAMPLE.hex.slice(1),
      `${EXAMPLE.hex}0`,
      `v1,${EXAMPLE.hex}`,
    ])
      assert.equal(parseSignatureHeader(bad), null, bad);
  });

  it('timestamps: unix seconds, unix milliseconds, RFC 3339; ±5 minutes', () => {
    assert.equal(parseTimestamp('1778234400'), 1778234400000);
    assert.equal(parseTimestamp('1778234400123'), 1778234400123);
    assert.equal(parseTimestamp('2026-05-08T10:00:00Z'), Date.parse('2026-05-08T10:00:00Z'));
    assert.equal(parseTimestamp('2026-05-08T12:00:00+02:00'), Date.parse('2026-05-08T10:00:00Z'));
    for (const bad of ['', 'now', '1.5', '-1', '2026-05-08', '2026-05-08 10:00:00'])
      assert.equal(parseTimestamp(bad), null, bad);
    const now = Date.parse('2026-05-08T10:00:00Z');
    assert.ok(timestampFresh(now - 300_000, now));
    assert.ok(timestampFresh(now + 300_000, now));
    assert.ok(!timestampFresh(now - 300_001, now));
    assert.ok(!timestampFresh(now + 300_001, now));
  });

  it('secret comparison works for any lengths', () => {
    assert.ok(secretsEqual('tcx_abc', 'tcx_abc'));
    assert.ok(!secretsEqual('tcx_abc', 'tcx_abcd'));
    assert.ok(!secretsEqual('', 'tcx_abc'));
  });

  it('IP ranges: addresses, CIDRs, IPv6, IPv4-mapped', () => {
    assert.deepEqual(parseIpRange('10.0.0.1')?.prefix, 32);
    assert.deepEqual(parseIpRange('2001:db8::1')?.prefix, 128);
    assert.deepEqual(parseIpRange('10.0.0.0/8')?.prefix, 8);
    assert.deepEqual(parseIpRange('::ffff:10.0.0.0/104')?.prefix, 8);
    for (const bad of [
      '',
      'x',
      '10.0.0.0/33',
      '2001:db8::/129',
      '10.0.0.0/',
      '10.0.0.0/8/8',
      'example.com',
      '010.0.0.1',
    ])
      assert.equal(parseIpRange(bad), null, bad);
  });

  it('client address: X-Forwarded-For only through trusted proxies, rightmost untrusted hop', () => {
    const text = (a: ReturnType<typeof clientAddress>) => (a ? a.toString() : null);
    assert.equal(text(clientAddress('::ffff:127.0.0.1', '203.0.113.7', [])), '127.0.0.1');
    assert.equal(text(clientAddress('127.0.0.1', '203.0.113.7', ['127.0.0.1'])), '203.0.113.7');
    assert.equal(text(clientAddress('127.0.0.1', '1.1.1.1, 203.0.113.7', ['127.0.0.1'])), '203.0.113.7');
    assert.equal(
      text(clientAddress('127.0.0.1', '1.1.1.1, 203.0.113.7, 10.0.0.2', ['127.0.0.0/8', '10.0.0.0/8'])),
      '203.0.113.7',
    );
    assert.equal(text(clientAddress('127.0.0.1', 'junk', ['127.0.0.1'])), null);
    assert.equal(text(clientAddress('198.51.100.1', '203.0.113.7', ['127.0.0.1'])), '198.51.100.1');
    assert.equal(text(clientAddress(undefined, undefined, [])), null);

    assert.ok(allowlistPermits([], [], '198.51.100.1', undefined), 'no allowlist: any address');
    assert.ok(allowlistPermits(['198.51.100.0/24'], [], '198.51.100.1', undefined));
    assert.ok(!allowlistPermits(['203.0.113.0/24'], [], '198.51.100.1', '203.0.113.7'));
    assert.ok(allowlistPermits(['203.0.113.0/24'], ['198.51.100.1'], '198.51.100.1', '203.0.113.7'));
    assert.ok(allowlistPermits(['2001:db8::/32'], [], '2001:db8::5', undefined));
    assert.ok(!allowlistPermits(['2001:db8::/32'], [], '10.0.0.1', undefined));
  });
});
