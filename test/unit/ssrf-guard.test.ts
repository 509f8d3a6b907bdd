/**
 * SAFETY: nothing here may open a connection outside loopback. Every agent in this file gets a
 * recording connector that refuses, and every name goes through a fake resolver that throws
 * for unknown names, so a guard bug shows up as a failed assertion, never as real traffic.
 */
import assert from 'node:assert/strict';
import type { LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import { request } from 'undici';
import type { buildConnector } from 'undici';
import {
  type AllowedCidrs,
  allowedByConfiguration,
  isAddressAllowed,
  parseCidrList,
} from '../../src/webhooks/address-policy.ts';
import { validateDestinationUrl } from '../../src/webhooks/destination-url.ts';
import { SsrfRefusedError, createGuardedAgent, createGuardedLookup } from '../../src/webhooks/ssrf-guard.ts';
import type { Resolver } from '../../src/webhooks/ssrf-guard.ts';

// Stand-ins for public addresses: only ever handed to the recorder, never connected to.
const PUBLIC_V4 = '93.184.215.14';
const PUBLIC_V6 = '2606:2800:21f:cb07:6820:80da:af6b:8b2c';

function fakeResolver(table: Record<string, readonly string[]>): Resolver & { calls: string[] } {
  const calls: string[] = [];
  const resolver = async (hostname: string): Promise<LookupAddress[]> => {
    calls.push(hostname);
    const addresses = table[hostname.toLowerCase()];
    if (!addresses) {
      const err: NodeJS.ErrnoException = new Error(`fake resolver: unknown host ${hostname}`);
      err.code = 'ENOTFOUND';
      throw err;
    }
    return addresses.map((address) => ({ address, family: isIP(address) }));
  };
  return Object.assign(resolver, { calls });
}

interface Recorded {
  hostname: string;
  servername: string | undefined;
  port: string;
}

/** A connector that records what it was asked to connect to and refuses every time. */
function recorder(): buildConnector.connector & { calls: Recorded[] } {
  const calls: Recorded[] = [];
  const connect: buildConnector.connector = (opts, callback) => {
    calls.push({ hostname: opts.hostname, servername: opts.servername, port: opts.port });
    callback(new Error('test recorder refuses every connection'), null);
  };
  return Object.assign(connect, { calls });
}

async function attempt(url: string, allowed: AllowedCidrs, resolver: Resolver) {
  const connector = recorder();
  const agent = createGuardedAgent({ allowed, resolver, connectTimeoutMs: 1000, connector });
  let error: (Error & { code?: string; reason?: string }) | null = null;
  try {
    await request(url, { method: 'POST', body: '{}', dispatcher: agent });
  } catch (err) {
    error = err as Error & { code?: string };
  } finally {
    await agent.close();
  }
  return { error, connector };
}

const RESOLVER_TABLE: Record<string, readonly string[]> = {
  localhost: ['127.0.0.1', '::1'],
  'localhost.': ['127.0.0.1'],
  'app.localhost': ['127.0.0.1'],
  'loopback.example.test': ['127.0.0.1'],
  'loopback6.example.test': ['::1'],
  'internal.example.test': ['10.0.0.5'],
  'mixed.example.test': [PUBLIC_V4, '10.0.0.1'],
  'mixed6.example.test': [PUBLIC_V6, 'fd12:3456::1'],
  'metadata.google.internal': ['169.254.169.254'],
  'mapped.example.test': ['::ffff:192.168.0.1'],
  'cgnat.example.test': ['100.64.1.2'],
  'public.example.test': [PUBLIC_V4],
  'dual.example.test': [PUBLIC_V6, PUBLIC_V4],
};

describe('ssrf-guard', () => {
  describe('parseCidrList', () => {
    it('parses a comma-separated list, IPv4 and IPv6', () => {
      const ranges = parseCidrList('127.0.0.0/8, ::1/128,10.1.0.0/16');
      assert.deepEqual(
        ranges.map((r) => [r.text, r.network.toString(), r.prefix]),
        [
          ['127.0.0.0/8', '127.0.0.0', 8],
          ['::1/128', '::1', 128],
          ['10.1.0.0/16', '10.1.0.0', 16],
        ],
      );
    });

    it('blank means no allowed ranges', () => {
      assert.deepEqual(parseCidrList(''), []);
      assert.deepEqual(parseCidrList('   '), []);
    });

    it('treats an IPv4-mapped CIDR as the IPv4 range', () => {
      const [range] = parseCidrList('::ffff:127.0.0.0/104');
      assert.equal(range?.network.kind(), 'ipv4');
      assert.equal(range?.prefix, 8);
    });

    for (const bad of [
      '127.0.0.1',
      'localhost/8',
      '127.0.0.0/33',
      '::1/129',
      '10.0.0.0/-1',
      '0x7f.0.0.0/8',
      '10.0.0.0/8/8',
    ]) {
      it(`names the bad entry "${bad}"`, () => {
        assert.throws(
          () => parseCidrList(`10.0.0.0/8,${bad}`),
          (err: Error) => {
            assert.ok(err.message.includes(`"${bad}"`), err.message);
            return true;
          },
        );
      });
    }

    it('refuses an empty entry', () => {
      assert.throws(() => parseCidrList('127.0.0.0/8,,10.0.0.0/8'), /empty entry/);
    });
  });

  describe('isAddressAllowed', () => {
    const none = parseCidrList('');
    const loopback = parseCidrList('127.0.0.0/8');

    const refusedByDefault = [
      '127.0.0.1',
      '127.255.255.254',
      '10.0.0.5',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.1.1',
      '100.64.0.1',
      '169.254.1.1',
      '169.254.169.254',
      '0.0.0.0',
      '0.1.2.3',
      '255.255.255.255',
      '224.0.0.1',
      '240.0.0.1',
      '192.0.2.1',
      '198.18.0.1',
      '::1',
      '::',
      '::ffff:127.0.0.1',
      '::ffff:7f00:1',
      '::ffff:a9fe:a9fe',
      '::ffff:10.0.0.1',
      '::7f00:1',
      'fe80::1',
      'fe80::1%eth0',
      'fc00::1',
      'fd00:ec2::254',
      'ff02::1',
      '64:ff9b::7f00:1',
      '64:ff9b::a9fe:a9fe',
      '64:ff9b:1::a00:1',
      '2002:7f00:1::',
      '2002:c0a8:101::1',
      '2001::1',
      '2001:db8::1',
      'fec0::1',
      '[::1]',
      'localhost',
      '0x7f.1',
      '2130706433',
      '',
    ];
    for (const address of refusedByDefault) {
      it(`refuses ${JSON.stringify(address)} by default`, () => {
        const result = isAddressAllowed(address, none);
        assert.equal(result.ok, false);
        assert.ok(!result.ok && result.reason.length > 0);
      });
    }

    for (const address of [
      '8.8.8.8',
      '1.1.1.1',
      PUBLIC_V4,
      PUBLIC_V6,
      '2a00:1450:4001:80b::200e',
      '64:ff9b::808:808',
      '2002:808:808::1',
      '172.32.0.1',
      '100.128.0.1',
    ]) {
      it(`allows public ${address}`, () => assert.deepEqual(isAddressAllowed(address, none), { ok: true }));
    }

    it('explains why', () => {
      const check = (a: string) => {
        const r = isAddressAllowed(a, none);
        return r.ok ? '' : r.reason;
      };
      assert.match(check('127.0.0.1'), /loopback/);
      assert.match(check('10.0.0.5'), /private/);
      assert.match(check('100.64.0.1'), /carrier-grade NAT/);
      assert.match(check('169.254.169.254'), /metadata.*always refused/);
      assert.match(check('::ffff:127.0.0.1'), /127\.0\.0\.1 is a loopback/);
      assert.match(check('64:ff9b::7f00:1'), /NAT64 address for 127\.0\.0\.1/);
      assert.match(check('fc00::1'), /unique-local/);
    });

    it('an allowed IPv4 range covers IPv4-mapped IPv6 but not ::1', () => {
      assert.deepEqual(isAddressAllowed('127.0.0.1', loopback), { ok: true });
      assert.deepEqual(isAddressAllowed('::ffff:127.0.0.1', loopback), { ok: true });
      assert.deepEqual(isAddressAllowed('::ffff:7f00:1', loopback), { ok: true });
      assert.equal(isAddressAllowed('::1', loopback).ok, false);
      assert.equal(isAddressAllowed('10.0.0.5', loopback).ok, false);
      assert.equal(isAddressAllowed('64:ff9b::7f00:1', loopback).ok, false);
    });

    it('::1 only when ::1/128 is listed', () => {
      assert.deepEqual(isAddressAllowed('::1', parseCidrList('::1/128')), { ok: true });
    });

    it('metadata addresses are refused even when an allowed range covers them', () => {
      for (const allowed of ['169.254.0.0/16', '169.254.169.254/32', '0.0.0.0/0']) {
        assert.equal(isAddressAllowed('169.254.169.254', parseCidrList(allowed)).ok, false, allowed);
        assert.equal(isAddressAllowed('::ffff:169.254.169.254', parseCidrList(allowed)).ok, false, allowed);
      }
      for (const allowed of ['fd00::/8', '::/0']) {
        assert.equal(isAddressAllowed('fd00:ec2::254', parseCidrList(allowed)).ok, false, allowed);
        assert.equal(isAddressAllowed('64:ff9b::a9fe:a9fe', parseCidrList(allowed)).ok, false, allowed);
      }
      // The rest of link-local can be allowed explicitly.
      assert.deepEqual(isAddressAllowed('169.254.10.10', parseCidrList('169.254.0.0/16')), { ok: true });
    });
  });

  describe('validateDestinationUrl', () => {
    const base = { requireHttps: false, baseUrl: 'http://127.0.0.1:4000' };
    const accepted: [string, Parameters<typeof validateDestinationUrl>[1], string][] = [
      ['https://crm.example.com/hooks/wa', base, 'https://crm.example.com/hooks/wa'],
      ['http://crm.example.com:8080/x?y=1', base, 'http://crm.example.com:8080/x?y=1'],
      ['HTTPS://CRM.Example.com/a', base, 'https://crm.example.com/a'],
      ['https://[2606:4700::1111]/h', base, 'https://[2606:4700::1111]/h'],
      ['/hooks/crm', base, 'http://127.0.0.1:4000/hooks/crm'],
      [
        '/hooks/crm?token=a',
        { requireHttps: false, baseUrl: 'http://10.0.0.2:8080/crm/' },
        'http://10.0.0.2:8080/crm/hooks/crm?token=a',
      ],
      ['/h', { requireHttps: true, baseUrl: 'https://gw.example.com/base' }, 'https://gw.example.com/base/h'],
      [
        'http://127.0.0.1:9000/h',
        { ...base, allowed: parseCidrList('127.0.0.0/8') },
        'http://127.0.0.1:9000/h',
      ],
    ];
    for (const [input, options, expected] of accepted) {
      it(`accepts ${input}`, () => {
        const result = validateDestinationUrl(input, options);
        assert.equal(result.ok, true, result.ok ? '' : result.reason);
        assert.equal(result.ok && result.url.href, expected);
      });
    }

    const rejected: [string, Parameters<typeof validateDestinationUrl>[1], RegExp][] = [
      ['', base, /required/],
      ['crm.example.com/hook', base, /must start with/],
      ['ftp://example.com/x', base, /must start with/],
      ['file:///etc/passwd', base, /must start with/],
      ['javascript:alert(1)', base, /must start with/],
      ['http://crm.example.com/x', { requireHttps: true }, /must use https/],
      ['/hooks', { requireHttps: true, baseUrl: 'http://gw.example.com' }, /must use https/],
      ['https://user:pw@example.com/', base, /credentials/],
      ['https://user@example.com/', base, /credentials/],
      ['https://@example.com/', base, /credentials/],
      ['http://user:pw@169.254.169.254/', base, /credentials/],
      ['/https://evil.example.com/x', base, /embedded URL/],
      ['/http:evil.example.com', base, /embedded URL/],
      ['//evil.example.com/x', base, /protocol-relative/],
      ['http:/evil.example.com', base, /must start with/],
      ['http:evil.example.com', base, /must start with/],
      ['http:\\\\evil.example.com', base, /backslashes/],
      ['https:///evil.example.com', base, /no host/],
      ['https://', base, /no host/],
      [' https://example.com/', base, /spaces/],
      ['https://exa mple.com/', base, /spaces/],
      ['https://example.com/a b', base, /spaces/],
      ['https://example.com/\n', base, /control/],
      ['https://example.com\t/', base, /control/],
      ['https://example.com/#frag', base, /fragment/],
      ['https://example.com:0/', base, /port/],
      ['https://example.com:99999/', base, /not a valid URL/],
      ['https://exa%20mple.com/', base, /not a valid URL/],
      ['/hooks', { requireHttps: false }, /WEBHOOK_BASE_URL/],
      ['/hooks', { requireHttps: false, baseUrl: null }, /WEBHOOK_BASE_URL/],
      ['/hooks', { requireHttps: false, baseUrl: 'not a url' }, /WEBHOOK_BASE_URL is invalid/],
      ['/a/../admin', base, /\.\. segments/],
      ['/a/%2e%2e/admin', base, /\.\. segments/],
      [`https://example.com/${'a'.repeat(2100)}`, base, /longer than/],
      ['http://169.254.169.254/latest/meta-data', { ...base, allowed: parseCidrList('') }, /metadata/],
      ['http://127.0.0.1/', { ...base, allowed: parseCidrList('') }, /loopback/],
      ['http://0x7f.1/', { ...base, allowed: parseCidrList('') }, /loopback/],
      ['http://2130706433/', { ...base, allowed: parseCidrList('') }, /loopback/],
      ['http://017700000001/', { ...base, allowed: parseCidrList('') }, /loopback/],
      ['http://[::ffff:a9fe:a9fe]/', { ...base, allowed: parseCidrList('169.254.0.0/16') }, /metadata/],
      ['http://[::1]/', { ...base, allowed: parseCidrList('127.0.0.0/8') }, /loopback/],
      ['http://localhost:3000/', { ...base, allowed: parseCidrList('') }, /loopback/],
      ['http://localhost./', { ...base, allowed: parseCidrList('') }, /loopback/],
      ['/hooks', { ...base, allowed: parseCidrList('') }, /loopback/],
    ];
    for (const [input, options, reason] of rejected) {
      it(`rejects ${JSON.stringify(input.length > 60 ? `${input.slice(0, 60)}…` : input)}`, () => {
        const result = validateDestinationUrl(input, options);
        assert.equal(result.ok, false, result.ok ? `accepted as ${result.url.href}` : '');
        assert.match(!result.ok ? result.reason : '', reason);
      });
    }
  });

  describe('createGuardedLookup', () => {
    const resolver = fakeResolver(RESOLVER_TABLE);
    const lookupAsync = (
      lookup: ReturnType<typeof createGuardedLookup>,
      host: string,
      options: Record<string, unknown>,
    ): Promise<{ address: string | LookupAddress[]; family: number | undefined }> =>
      new Promise((resolve, reject) => {
        lookup(host, options, (err, address, family) => (err ? reject(err) : resolve({ address, family })));
      });

    it('returns every checked address with all:true', async () => {
      const lookup = createGuardedLookup({ allowed: parseCidrList(''), resolver });
      const result = await lookupAsync(lookup, 'dual.example.test', { all: true });
      assert.deepEqual(result.address, [
        { address: PUBLIC_V6, family: 6 },
        { address: PUBLIC_V4, family: 4 },
      ]);
    });

    it('returns the first address, honouring a requested family', async () => {
      const lookup = createGuardedLookup({ allowed: parseCidrList(''), resolver });
      assert.deepEqual(await lookupAsync(lookup, 'dual.example.test', {}), { address: PUBLIC_V6, family: 6 });
      assert.deepEqual(await lookupAsync(lookup, 'dual.example.test', { family: 4 }), {
        address: PUBLIC_V4,
        family: 4,
      });
    });

    it('supports the (hostname, callback) form', async () => {
      const lookup = createGuardedLookup({ allowed: parseCidrList('127.0.0.0/8'), resolver }) as unknown as (
        h: string,
        cb: (err: Error | null, address: string, family: number) => void,
      ) => void;
      const address = await new Promise((resolve, reject) =>
        lookup('loopback.example.test', (err, a) => (err ? reject(err) : resolve(a))),
      );
      assert.equal(address, '127.0.0.1');
    });

    for (const host of [
      'localhost',
      'internal.example.test',
      'mixed.example.test',
      'mixed6.example.test',
      'metadata.google.internal',
      'mapped.example.test',
      '10.0.0.5',
      '[::1]',
    ]) {
      it(`fails with code ESSRF for ${host}`, async () => {
        const lookup = createGuardedLookup({ allowed: parseCidrList(''), resolver });
        await assert.rejects(lookupAsync(lookup, host, { all: true }), (err: NodeJS.ErrnoException) => {
          assert.equal(err.code, 'ESSRF');
          assert.ok(err instanceof SsrfRefusedError);
          return true;
        });
      });
    }

    it('refuses the whole name when any one address is refused, naming it', async () => {
      const lookup = createGuardedLookup({ allowed: parseCidrList(''), resolver });
      await assert.rejects(
        lookupAsync(lookup, 'mixed.example.test', {}),
        /mixed\.example\.test resolves to a refused address: 10\.0\.0\.1 is a private address/,
      );
    });

    it('passes resolver errors through', async () => {
      const lookup = createGuardedLookup({ allowed: parseCidrList(''), resolver });
      await assert.rejects(lookupAsync(lookup, 'nxdomain.example.test', {}), { code: 'ENOTFOUND' });
    });

    it('allows loopback names when 127.0.0.0/8 is allowed', async () => {
      const lookup = createGuardedLookup({ allowed: parseCidrList('127.0.0.0/8'), resolver });
      assert.deepEqual(await lookupAsync(lookup, 'loopback.example.test', { all: true }), {
        address: [{ address: '127.0.0.1', family: 4 }],
        family: undefined,
      });
      // localhost also has ::1, which 127.0.0.0/8 does not cover.
      await assert.rejects(lookupAsync(lookup, 'localhost', { all: true }), { code: 'ESSRF' });
    });
  });

  describe('createGuardedAgent (recording connector, no real traffic)', () => {
    const none = parseCidrList('');
    const loopbackOnly = parseCidrList('127.0.0.0/8');
    const everything = parseCidrList('0.0.0.0/0,::/0');

    // [url, allowed ranges, label]
    const hostile: [string, AllowedCidrs, string][] = [
      ['http://127.0.0.1/', none, 'loopback'],
      ['http://127.1/', none, 'short loopback'],
      ['http://0x7f.1/', none, 'hex loopback'],
      ['http://2130706433/', none, 'decimal loopback'],
      ['http://017700000001/', none, 'octal loopback'],
      ['http://localhost/', none, 'localhost via resolver'],
      ['http://localhost./', none, 'localhost. via resolver'],
      ['http://app.localhost/', none, '*.localhost via resolver'],
      ['http://loopback.example.test/', none, 'name resolving to loopback'],
      ['http://10.0.0.5/', none, 'RFC 1918 10/8'],
      ['http://172.16.0.1/', none, 'RFC 1918 172.16/12'],
      ['http://192.168.1.1/', none, 'RFC 1918 192.168/16'],
      ['http://internal.example.test/', none, 'name resolving to private'],
      ['http://169.254.169.254/latest/meta-data/', none, 'metadata'],
      ['http://metadata.google.internal/', none, 'metadata name'],
      ['http://[::1]/', none, 'IPv6 loopback'],
      ['http://[::ffff:127.0.0.1]/', none, 'IPv4-mapped loopback'],
      ['http://[::ffff:7f00:1]/', none, 'IPv4-mapped loopback, hex'],
      ['http://[::ffff:a9fe:a9fe]/', none, 'IPv4-mapped metadata'],
      ['http://[::127.0.0.1]/', none, 'IPv4-compatible loopback'],
      ['http://0.0.0.0/', none, 'unspecified'],
      ['http://0/', none, 'unspecified, short'],
      ['http://[::]/', none, 'IPv6 unspecified'],
      ['http://100.64.0.1/', none, 'CGNAT'],
      ['http://cgnat.example.test/', none, 'name resolving to CGNAT'],
      ['http://[fe80::1]/', none, 'IPv6 link-local'],
      ['http://[fc00::1]/', none, 'unique-local'],
      ['http://[fd00:ec2::254]/', none, 'AWS IPv6 metadata'],
      ['http://224.0.0.1/', none, 'multicast'],
      ['http://255.255.255.255/', none, 'broadcast'],
      ['http://240.0.0.1/', none, 'reserved'],
      ['http://[64:ff9b::a00:5]/', none, 'NAT64 to private'],
      ['http://[2002:c0a8:101::1]/', none, '6to4 to private'],
      ['http://mixed.example.test/', none, 'public + private A records'],
      ['http://mixed6.example.test/', none, 'public + ULA AAAA records'],
      ['http://mapped.example.test/', none, 'resolver returns IPv4-mapped private'],
      ['https://169.254.169.254/', parseCidrList('169.254.0.0/16'), 'metadata allowed by CIDR'],
      ['http://169.254.169.254/', everything, 'metadata with allow-everything'],
      ['http://[::ffff:169.254.169.254]/', everything, 'mapped metadata with allow-everything'],
      ['http://[::1]:8080/', loopbackOnly, '::1 not covered by 127.0.0.0/8'],
      ['http://localhost/', loopbackOnly, 'localhost also has ::1'],
      ['http://10.0.0.5/', loopbackOnly, 'private not covered by 127.0.0.0/8'],
      ['http://[64:ff9b::7f00:1]/', loopbackOnly, 'NAT64 loopback not covered by IPv4 range'],
    ];

    it('has a table of at least 25 hostile destinations', () => assert.ok(hostile.length >= 25));

    for (const [url, allowed, label] of hostile) {
      it(`refuses ${url} (${label}) before any connection`, async () => {
        const resolver = fakeResolver(RESOLVER_TABLE);
        const { error, connector } = await attempt(url, allowed, resolver);
        assert.ok(error, 'request should fail');
        assert.equal(error.code, 'ESSRF', `expected ESSRF, got ${error.code}: ${error.message}`);
        assert.ok(error.reason && error.reason.length > 0);
        assert.deepEqual(connector.calls, [], 'the connector must never be reached');
      });
    }

    const allowedCases: [string, AllowedCidrs, string[], string][] = [
      ['http://127.0.0.1:9/', loopbackOnly, ['127.0.0.1'], 'loopback when allowed'],
      ['http://0x7f.1:9/', loopbackOnly, ['127.0.0.1'], 'hex loopback normalizes to an allowed address'],
      ['http://[::ffff:127.0.0.1]:9/', loopbackOnly, ['::ffff:7f00:1'], 'IPv4-mapped counts as IPv4'],
      ['http://[::1]:9/', parseCidrList('::1/128'), ['::1'], '::1 when ::1/128 is listed'],
      ['http://loopback.example.test:9/', loopbackOnly, ['127.0.0.1'], 'name resolving to allowed loopback'],
      ['http://public.example.test/', none, [PUBLIC_V4], 'public name'],
      ['http://dual.example.test/', none, [PUBLIC_V6, PUBLIC_V4], 'falls back across checked addresses'],
      [`http://${PUBLIC_V4}/`, none, [PUBLIC_V4], 'public literal'],
    ];
    for (const [url, allowed, expected, label] of allowedCases) {
      it(`lets ${url} (${label}) through to the connector with the pinned IP`, async () => {
        const resolver = fakeResolver(RESOLVER_TABLE);
        const { error, connector } = await attempt(url, allowed, resolver);
        assert.match(error?.message ?? '', /test recorder refuses/);
        assert.deepEqual(
          connector.calls.map((c) => c.hostname),
          expected,
        );
      });
    }

    it('connects to the checked IP but keeps the name for TLS (SNI and certificate check)', async () => {
      const resolver = fakeResolver(RESOLVER_TABLE);
      const { connector } = await attempt('https://public.example.test/', none, resolver);
      assert.deepEqual(connector.calls, [
        { hostname: PUBLIC_V4, servername: 'public.example.test', port: '' },
      ]);
    });

    it('checks every new connection: a DNS answer that flips to private is refused (rebinding)', async () => {
      let call = 0;
      const flipping: Resolver = async () => {
        call++;
        return [{ address: call === 1 ? PUBLIC_V4 : '127.0.0.1', family: 4 }];
      };
      const connector = recorder();
      const agent = createGuardedAgent({
        allowed: none,
        resolver: flipping,
        connectTimeoutMs: 1000,
        connector,
      });
      try {
        await assert.rejects(
          request('http://rebind.example.test/', { dispatcher: agent }),
          /test recorder refuses/,
        );
        await assert.rejects(request('http://rebind.example.test/', { dispatcher: agent }), {
          code: 'ESSRF',
        });
        assert.deepEqual(
          connector.calls.map((c) => c.hostname),
          [PUBLIC_V4],
        );
      } finally {
        await agent.close();
      }
    });

    it('never resolves IP literals through the resolver', async () => {
      const resolver = fakeResolver(RESOLVER_TABLE);
      await attempt('http://10.0.0.5/', none, resolver);
      await attempt('http://[::1]/', none, resolver);
      assert.deepEqual(resolver.calls, []);
    });

    it('passes resolver failures through as ordinary errors', async () => {
      const resolver = fakeResolver(RESOLVER_TABLE);
      const { error, connector } = await attempt('http://nxdomain.example.test/', none, resolver);
      assert.equal(error?.code, 'ENOTFOUND');
      assert.deepEqual(connector.calls, []);
    });
  });

  describe('allowlist entries with a port (10.0.0.0/8:443)', () => {
    const tls = parseCidrList('10.0.0.0/8:443,127.0.0.0/8:8080,::1/128:9000');

    it('parses the port; an entry without one allows every port', () => {
      assert.deepEqual(
        tls.map((r) => [r.text, r.network.toString(), r.prefix, r.port]),
        [
          ['10.0.0.0/8:443', '10.0.0.0', 8, 443],
          ['127.0.0.0/8:8080', '127.0.0.0', 8, 8080],
          ['::1/128:9000', '::1', 128, 9000],
        ],
      );
      assert.equal(parseCidrList('10.0.0.0/8')[0]?.port, null);
      for (const bad of ['10.0.0.0/8:0', '10.0.0.0/8:70000', '10.0.0.0/8:', '10.0.0.0:443'])
        assert.throws(() => parseCidrList(bad), (err: Error) => err.message.includes(`"${bad}"`), bad);
    });

    it('allows the named port only, and says which port is allowed', () => {
      assert.deepEqual(isAddressAllowed('10.1.2.3', tls, 443), { ok: true });
      assert.deepEqual(isAddressAllowed('127.0.0.1', tls, 8080), { ok: true });
      assert.deepEqual(isAddressAllowed('::1', tls, 9000), { ok: true });
      assert.deepEqual(isAddressAllowed('127.0.0.1', tls, 6379), {
        ok: false,
        reason: '127.0.0.1 is allowed by WEBHOOK_ALLOWED_CIDRS on port 8080 only, not 6379',
      });
      assert.equal(isAddressAllowed('10.1.2.3', tls, 22).ok, false);
      // Public addresses keep every port.
      assert.deepEqual(isAddressAllowed(PUBLIC_V4, parseCidrList('0.0.0.0/0:443'), 80), { ok: true });
    });

    it('knows which destinations only the configuration allows (their bodies are hidden from customers)', () => {
      assert.equal(allowedByConfiguration('127.0.0.1', tls, 8080), true);
      assert.equal(allowedByConfiguration('127.0.0.1', tls, 6379), false);
      assert.equal(allowedByConfiguration(PUBLIC_V4, parseCidrList('0.0.0.0/0'), 443), false);
    });

    it('the agent refuses another loopback port before connecting', async () => {
      const { error, connector } = await attempt('http://127.0.0.1:6379/', tls, fakeResolver({}));
      assert.equal(connector.calls.length, 0, 'never connected');
      assert.match(String(error?.message ?? error?.reason), /port 8080 only, not 6379/);
      const allowed = await attempt('http://127.0.0.1:8080/', tls, fakeResolver({}));
      assert.deepEqual(
        allowed.connector.calls.map((c) => [c.hostname, String(c.port)]),
        [['127.0.0.1', '8080']],
        'the allowed port is connected (to the recorder)',
      );
    });
  });
});
