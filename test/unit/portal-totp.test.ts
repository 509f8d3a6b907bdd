import assert from 'node:assert/strict';
import { base32Decode, base32Encode, hotp, matchTotp, otpauthUri, totp } from '../../src/portal/totp.ts';
import { hashPassword, passwordProblem, verifyPassword } from '../../src/portal/passwords.ts';

/** RFC 6238 appendix B: the seeds are the ASCII digits "1234567890" repeated to the hash size. */
const SEED = {
  sha1: Buffer.from('12345678901234567890'),
  sha256: Buffer.from('12345678901234567890123456789012'),
  sha512: Buffer.from('1234567890123456789012345678901234567890123456789012345678901234'),
};
const VECTORS: [number, string, string, string][] = [
  [59, '94287082', '46119246', '90693936'],
  [1111111109, '07081804', '68084774', '25091201'],
  [1111111111, '14050471', '67062674', '99943326'],
  [1234567890, '89005924', '91819424', '93441116'],
  [2000000000, '69279037', '90698825', '38618901'],
  [20000000000, '65353130', '77737706', '47863826'],
];

describe('portal TOTP (RFC 6238 / RFC 4226)', () => {
  it('matches every RFC 6238 test vector for SHA-1, SHA-256 and SHA-512', () => {
    for (const [t, sha1, sha256, sha512] of VECTORS) {
      assert.equal(totp(SEED.sha1, t * 1000, { digits: 8, algorithm: 'sha1' }), sha1, `sha1 at ${t}`);
      assert.equal(totp(SEED.sha256, t * 1000, { digits: 8, algorithm: 'sha256' }), sha256, `sha256 at ${t}`);
      assert.equal(totp(SEED.sha512, t * 1000, { digits: 8, algorithm: 'sha512' }), sha512, `sha512 at ${t}`);
    }
  });

  it('matches the RFC 4226 HOTP vectors (6 digits)', () => {
    const expected = ['755224', '287082', '359152', '969429', '338314', '254676', '287922', '162583', '399871', '520489'];
    expected.forEach((code, counter) => assert.equal(hotp(SEED.sha1, counter), code));
  });

  it('round-trips base32 (RFC 4648 vectors) and builds an otpauth URI', () => {
    assert.equal(base32Encode(Buffer.from('foobar')), 'MZXW6YTBOI');
    assert.equal(base32Decode('MZXW6YTBOI======').toString(), 'foobar');
    assert.equal(base32Decode('mzxw 6ytb oi').toString(), 'foobar');
    assert.throws(() => base32Decode('MZ1'), /not base32/);
    assert.equal(
      otpauthUri('MZXW6YTBOI', 'dewi@toko.example'),
      'otpauth://totp/Warden%3Adewi%40toko.example?secret=MZXW6YTBOI&issuer=Warden&algorithm=SHA1&digits=6&period=30',
    );
  });

  it('accepts the current step and one either side, nothing further, and only 6 digits', () => {
    const now = 1_700_000_000_000;
    const step = Math.floor(now / 30_000);
    assert.equal(matchTotp(SEED.sha1, hotp(SEED.sha1, step), now), step);
    assert.equal(matchTotp(SEED.sha1, hotp(SEED.sha1, step - 1), now), step - 1);
    assert.equal(matchTotp(SEED.sha1, hotp(SEED.sha1, step + 1), now), step + 1);
    assert.equal(matchTotp(SEED.sha1, hotp(SEED.sha1, step - 2), now), null);
    assert.equal(matchTotp(SEED.sha1, 'abcdef', now), null);
    assert.equal(matchTotp(SEED.sha1, `${hotp(SEED.sha1, step)}0`, now), null);
  });
});

describe('portal passwords (scrypt)', () => {
  it('hashes with a fresh salt and verifies only the right password', async () => {
    const a = await hashPassword('correct horse battery');
    const b = await hashPassword('correct horse battery');
    assert.match(a, /^scrypt\$14\$8\$5\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    assert.notEqual(a, b, 'salted');
    assert.equal(await verifyPassword('correct horse battery', a), true);
    assert.equal(await verifyPassword('correct horse batterY', a), false);
    assert.equal(await verifyPassword('correct horse battery', 'md5$abc'), false);
    assert.equal(await verifyPassword('x', 'scrypt$30$8$1$AAAA$AAAA'), false, 'absurd cost refused');
  });

  it('names what is wrong with a weak password', () => {
    assert.equal(passwordProblem('short', 'a@b.example'), 'must be at least 10 characters');
    assert.equal(passwordProblem('Dewi@Toko.example', 'dewi@toko.example'), 'must not be your e-mail address');
    assert.equal(passwordProblem('x'.repeat(201), 'a@b.example'), 'must be at most 200 characters');
    assert.equal(passwordProblem('long enough pass', 'a@b.example'), null);
  });
});
