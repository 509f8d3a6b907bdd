/**
 * SSRF guard for customer webhook destinations.
 *
 * The security boundary is connect time: `createGuardedAgent` resolves the host itself, checks
 * every resolved address, and hands the socket layer only an IP literal that passed the check,
 * so a DNS answer cannot change between the check and the connect (no rebinding gap).
 * `validateDestinationUrl` runs at subscription creation and only exists to give friendly,
 * early errors; it is not what keeps us safe.
 */
import { promises as dnsPromises } from 'node:dns';
import type { LookupAddress, LookupOptions } from 'node:dns';
import { isIP } from 'node:net';
import type { LookupFunction, Socket } from 'node:net';
import ipaddr from 'ipaddr.js';
import { Agent, buildConnector } from 'undici';

type IpAddress = ipaddr.IPv4 | ipaddr.IPv6;

export interface CidrRange {
  /** The entry as configured, for logs and error messages. */
  readonly text: string;
  readonly network: IpAddress;
  readonly prefix: number;
  /** `10.0.0.0/8:443`: the range is allowed on this port only; null: on every port. */
  readonly port: number | null;
}

export type AllowedCidrs = readonly CidrRange[];

export type AddressCheck = { ok: true } | { ok: false; reason: string };

/** Resolves a host name to every address it has (A and AAAA). Injected in tests. */
export type Resolver = (hostname: string) => Promise<readonly LookupAddress[]>;

export const defaultResolver: Resolver = (hostname) => dnsPromises.lookup(hostname, { all: true });

/** Raised (or passed to callbacks) whenever the guard refuses a destination. */
export class SsrfRefusedError extends Error {
  readonly code = 'ESSRF';
  constructor(
    readonly reason: string,
    readonly hostname: string,
    readonly address: string | null,
  ) {
    super(`destination refused: ${reason}`);
    this.name = 'SsrfRefusedError';
  }
}

/**
 * Cloud metadata endpoints. Refused even when an allowed range covers them: an operator who
 * allows 169.254.0.0/16 or 0.0.0.0/0 for an on-premise receiver never means "hand out the
 * instance's cloud credentials".
 */
const ALWAYS_REFUSED: readonly (readonly [string, string])[] = [
  ['169.254.169.254/32', 'cloud metadata endpoint'],
  ['169.254.170.2/32', 'container metadata endpoint'],
  ['100.100.100.200/32', 'cloud metadata endpoint'],
  ['fd00:ec2::254/128', 'cloud metadata endpoint'],
];
const ALWAYS_REFUSED_RANGES = ALWAYS_REFUSED.map(([cidr, reason]) => {
  const [network, prefix] = ipaddr.parseCIDR(cidr);
  return { network, prefix, reason };
});

/** Human wording for ipaddr.js range names, so logs say why an address was refused. */
const RANGE_REASONS: Readonly<Record<string, string>> = {
  unspecified: 'an unspecified address',
  broadcast: 'a broadcast address',
  multicast: 'a multicast address',
  linkLocal: 'a link-local address',
  loopback: 'a loopback address',
  carrierGradeNat: 'a carrier-grade NAT address (100.64.0.0/10)',
  private: 'a private address',
  reserved: 'a reserved address',
  benchmarking: 'a benchmarking address',
  as112: 'an AS112 address',
  amt: 'an AMT address',
  uniqueLocal: 'a unique-local address (fc00::/7)',
  rfc6145: 'an IPv4-translated address',
  teredo: 'a Teredo tunnel address',
  as112v6: 'an AS112 address',
  orchid2: 'an ORCHID address',
  droneRemoteIdProtocolEntityTags: 'a DRIP entity tag',
  deprecatedSiteLocal: 'a site-local address',
  deprecatedOrchid: 'an ORCHID address',
  discard: 'a discard-only address',
  segmentRouting: 'a segment-routing address',
};

const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR('2000::/3');

/**
 * Parses `WEBHOOK_ALLOWED_CIDRS`: comma-separated `address/prefix` entries; blank means none.
 * A prefix is required so nobody allows a whole range by accident with a bare address.
 */
export function parseCidrList(value: string): AllowedCidrs {
  const ranges: CidrRange[] = [];
  for (const raw of value.split(',')) {
    const text = raw.trim();
    if (text === '') {
      if (value.trim() === '') continue;
      throw new Error(`WEBHOOK_ALLOWED_CIDRS contains an empty entry in "${value}"`);
    }
    const slash = text.indexOf('/');
    const addressPart = slash === -1 ? text : text.slice(0, slash);
    const tail = /^(\d{1,3})(?::(\d{1,5}))?$/.exec(slash === -1 ? '' : text.slice(slash + 1));
    if (slash === -1 || isIP(addressPart) === 0 || !tail) {
      throw new Error(
        `WEBHOOK_ALLOWED_CIDRS entry "${text}" is not a CIDR range (e.g. 127.0.0.0/8, ::1/128 or 10.0.0.0/8:443)`,
      );
    }
    const port = tail[2] === undefined ? null : Number(tail[2]);
    if (port !== null && (port < 1 || port > 65535))
      throw new Error(`WEBHOOK_ALLOWED_CIDRS entry "${text}" has a port out of range (1–65535)`);
    let parsed: [IpAddress, number];
    try {
      parsed = ipaddr.parseCIDR(`${addressPart}/${tail[1]}`);
    } catch {
      throw new Error(`WEBHOOK_ALLOWED_CIDRS entry "${text}" has a prefix length out of range`);
    }
    let [network, prefix] = parsed;
    // Written as IPv4-mapped IPv6 (::ffff:127.0.0.0/104), it means the IPv4 range, because
    // addresses are matched after unwrapping IPv4-mapped forms.
    if (network.kind() === 'ipv6' && (network as ipaddr.IPv6).isIPv4MappedAddress() && prefix >= 96) {
      network = (network as ipaddr.IPv6).toIPv4Address();
      prefix -= 96;
    }
    ranges.push({ text, network, prefix, port });
  }
  return ranges;
}

function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** Only exact textual IPs count: `0x7f.1` style forms must come from WHATWG URL normalization, not from us. */
function parseStrictIp(address: string): IpAddress | null {
  const bare = stripBrackets(address.trim());
  if (isIP(bare) === 0) return null;
  try {
    // process() unwraps IPv4-mapped IPv6, so ::ffff:127.0.0.1 and ::ffff:7f00:1 are judged as 127.0.0.1.
    return ipaddr.process(bare);
  } catch {
    return null;
  }
}

function inRange(address: IpAddress, network: IpAddress, prefix: number): boolean {
  return address.kind() === network.kind() && address.match(network, prefix);
}

/** The IPv4 address carried inside NAT64 (64:ff9b::/96, 64:ff9b:1::/48) or 6to4 (2002::/16) addresses. */
function embeddedIpv4(address: ipaddr.IPv6): ipaddr.IPv4 | null {
  const range = address.range();
  const p = address.parts;
  if (range === 'rfc6052') {
    const hi = p[6] ?? 0;
    const lo = p[7] ?? 0;
    return new ipaddr.IPv4([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff]);
  }
  if (range === '6to4') {
    const hi = p[1] ?? 0;
    const lo = p[2] ?? 0;
    return new ipaddr.IPv4([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff]);
  }
  return null;
}

function alwaysRefusedReason(address: IpAddress): string | null {
  for (const entry of ALWAYS_REFUSED_RANGES) {
    if (inRange(address, entry.network, entry.prefix)) return entry.reason;
  }
  return null;
}

function classifyIpv4(address: ipaddr.IPv4): string | null {
  const range = address.range();
  return range === 'unicast' ? null : (RANGE_REASONS[range] ?? `a special-purpose address (${range})`);
}

/**
 * Decides whether a resolved address may be connected to.
 * Order matters: metadata first (never allowed), then the operator's allowed ranges, then the
 * default "public unicast only" rule.
 */
export function isAddressAllowed(address: string, allowed: AllowedCidrs, port?: number): AddressCheck {
  const ip = parseStrictIp(address);
  if (!ip) return { ok: false, reason: `"${address}" is not an IP address` };
  const shown = ip.toString();

  const embedded = ip.kind() === 'ipv6' ? embeddedIpv4(ip as ipaddr.IPv6) : null;
  const metadata = alwaysRefusedReason(ip) ?? (embedded ? alwaysRefusedReason(embedded) : null);
  if (metadata) return { ok: false, reason: `${shown} is a ${metadata} (always refused)` };

  // A range that names a port allows only that port; without a known port (a bare name lookup)
  // the connect-time check, which knows it, decides.
  const ranges = allowed.filter((range) => inRange(ip, range.network, range.prefix));
  if (ranges.some((range) => range.port === null || port === undefined || range.port === port)) return { ok: true };
  if (ranges.length > 0) {
    const byDefault = isAddressAllowed(address, []);
    if (byDefault.ok) return byDefault;
    const ports = ranges.map((range) => range.port).join(', ');
    return { ok: false, reason: `${shown} is allowed by WEBHOOK_ALLOWED_CIDRS on port ${ports} only, not ${port}` };
  }

  if (ip.kind() === 'ipv4') {
    const why = classifyIpv4(ip as ipaddr.IPv4);
    return why ? { ok: false, reason: `${shown} is ${why}` } : { ok: true };
  }

  const v6 = ip as ipaddr.IPv6;
  if (embedded) {
    // NAT64 (DNS64 networks) and 6to4 reach whatever IPv4 address they embed, so judge that one.
    // An allowed IPv4 range deliberately does not cover these: allow the IPv6 range instead.
    const why = classifyIpv4(embedded);
    const kind = v6.range() === '6to4' ? '6to4' : 'NAT64';
    return why
      ? { ok: false, reason: `${shown} is a ${kind} address for ${embedded.toString()}, ${why}` }
      : { ok: true };
  }
  const range = v6.range();
  if (range !== 'unicast') {
    return {
      ok: false,
      reason: `${shown} is ${RANGE_REASONS[range] ?? `a special-purpose address (${range})`}`,
    };
  }
  // Everything outside 2000::/3 that ipaddr.js calls "unicast" is unassigned or deprecated
  // (e.g. IPv4-compatible ::127.0.0.1), and some stacks still route those to IPv4.
  if (!inRange(v6, GLOBAL_UNICAST_V6[0], GLOBAL_UNICAST_V6[1])) {
    return { ok: false, reason: `${shown} is not a global unicast IPv6 address` };
  }
  return { ok: true };
}

/**
 * True when `address` is reachable only because WEBHOOK_ALLOWED_CIDRS allows it (a private,
 * loopback or otherwise non-public address): customers never see response bodies from those.
 */
export function allowedByConfiguration(address: string, allowed: AllowedCidrs, port?: number): boolean {
  return isAddressAllowed(address, allowed, port).ok && !isAddressAllowed(address, []).ok;
}

/** The port a URL connects to (its explicit port, or the scheme's default). */
export function portOf(url: URL): number {
  return url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
}

export interface DestinationUrlOptions {
  requireHttps: boolean;
  /** WEBHOOK_BASE_URL; relative destinations are refused when it is unset. */
  baseUrl?: string | null | undefined;
  /** When given, literal IP and `localhost` hosts are checked now for a friendlier early error. */
  allowed?: AllowedCidrs | undefined;
}

export type DestinationUrlCheck = { ok: true; url: URL } | { ok: false; reason: string };

const MAX_URL_LENGTH = 2048;
// Whitespace, controls and backslashes: WHATWG URL silently strips or rewrites these, so what
// the customer typed and what we would call differ. Refuse instead of guessing.
function hasUnsafeChars(value: string): boolean {
  for (const char of value) {
    const code = char.codePointAt(0) ?? 0;
    if (code <= 0x20 || code === 0x7f || char === '\\' || /\s/u.test(char)) return true;
  }
  return false;
}
const ABSOLUTE_PREFIX = /^(https?):\/\/([^/?#]*)/i;

function checkAbsolute(raw: string, requireHttps: boolean): DestinationUrlCheck {
  const prefix = ABSOLUTE_PREFIX.exec(raw);
  if (!prefix) {
    return {
      ok: false,
      reason: 'destination_url must start with http:// or https:// (or be a path starting with a single /)',
    };
  }
  const authority = prefix[2] ?? '';
  if (authority === '') return { ok: false, reason: 'destination_url has no host' };
  if (authority.includes('@')) return { ok: false, reason: 'destination_url must not contain credentials' };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: 'destination_url is not a valid URL' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { ok: false, reason: 'destination_url must use http or https' };
  }
  if (requireHttps && url.protocol !== 'https:') {
    return { ok: false, reason: 'destination_url must use https (WEBHOOK_REQUIRE_HTTPS=true)' };
  }
  if (url.username !== '' || url.password !== '') {
    return { ok: false, reason: 'destination_url must not contain credentials' };
  }
  if (url.hostname === '') return { ok: false, reason: 'destination_url has no host' };
  if (url.port === '0') return { ok: false, reason: 'destination_url has an invalid port' };
  if (url.hash !== '' || raw.includes('#')) {
    return { ok: false, reason: 'destination_url must not contain a fragment (#…)' };
  }
  return { ok: true, url };
}

/**
 * Validates a subscription's destination at creation time.
 *
 * A relative destination (`/hooks/crm`) is appended to WEBHOOK_BASE_URL's path rather than
 * resolved RFC 3986 style, so a base of `http://10.0.0.2:8080/crm` gives
 * `http://10.0.0.2:8080/crm/hooks/crm`: that is what "base URL" means to operators, and it
 * cannot silently drop the base's path prefix.
 */
export function validateDestinationUrl(input: string, options: DestinationUrlOptions): DestinationUrlCheck {
  if (typeof input !== 'string' || input === '') return { ok: false, reason: 'destination_url is required' };
  if (input.length > MAX_URL_LENGTH) {
    return { ok: false, reason: `destination_url is longer than ${MAX_URL_LENGTH} characters` };
  }
  if (hasUnsafeChars(input)) {
    return {
      ok: false,
      reason: 'destination_url must not contain spaces, control characters or backslashes',
    };
  }

  let result: DestinationUrlCheck;
  if (input.startsWith('/')) {
    if (input.startsWith('//')) {
      return { ok: false, reason: 'destination_url must not be protocol-relative (//host)' };
    }
    // `/https://evil` would be a legal path, but it is always a pasted absolute URL gone wrong.
    if (input.includes('://') || /^\/+[a-z][a-z0-9+.-]*:/i.test(input)) {
      return { ok: false, reason: 'destination_url path looks like an embedded URL' };
    }
    const pathOnly = input.split(/[?#]/, 1)[0] ?? '';
    if (pathOnly.split('/').some((segment) => segment === '.' || segment === '..' || /^%2e/i.test(segment))) {
      return { ok: false, reason: 'destination_url path must not contain . or .. segments' };
    }
    if (!options.baseUrl) {
      return { ok: false, reason: 'relative destination_url needs WEBHOOK_BASE_URL to be set' };
    }
    const base = checkAbsolute(options.baseUrl, false);
    if (!base.ok) return { ok: false, reason: `WEBHOOK_BASE_URL is invalid: ${base.reason}` };
    if (base.url.search !== '') return { ok: false, reason: 'WEBHOOK_BASE_URL must not contain a query' };
    const basePath = base.url.pathname.replace(/\/+$/, '');
    result = checkAbsolute(`${base.url.origin}${basePath}${input}`, options.requireHttps);
  } else {
    result = checkAbsolute(input, options.requireHttps);
  }
  if (!result.ok || !options.allowed) return result;

  const host = stripBrackets(result.url.hostname).toLowerCase();
  const isLocalhostName = /^(.+\.)?localhost\.?$/.test(host);
  const literal = isLocalhostName ? '127.0.0.1' : isIP(host) !== 0 ? host : null;
  if (literal) {
    const check = isAddressAllowed(literal, options.allowed, portOf(result.url));
    if (!check.ok) return { ok: false, reason: `destination_url is not reachable: ${check.reason}` };
  }
  return result;
}

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

export interface GuardOptions {
  allowed: AllowedCidrs;
  resolver?: Resolver | undefined;
}

/**
 * Resolves and checks. Refuses the whole name if ANY address is refused rather than filtering:
 * a name that mixes public and private answers is either misconfigured or a rebinding attempt,
 * and the refusal message tells the customer which record is wrong.
 */
export async function resolveChecked(
  hostname: string,
  { allowed, resolver = defaultResolver }: GuardOptions,
  port?: number,
): Promise<LookupAddress[]> {
  const host = stripBrackets(hostname);
  if (isIP(host) !== 0) {
    const check = isAddressAllowed(host, allowed, port);
    if (!check.ok) throw new SsrfRefusedError(check.reason, host, host);
    return [{ address: host, family: isIP(host) }];
  }
  const addresses = await resolver(host);
  if (addresses.length === 0) {
    const err: NodeJS.ErrnoException = new Error(`getaddrinfo ENOTFOUND ${host}`);
    err.code = 'ENOTFOUND';
    throw err;
  }
  for (const entry of addresses) {
    const check = isAddressAllowed(entry.address, allowed, port);
    if (!check.ok) {
      throw new SsrfRefusedError(
        `${host} resolves to a refused address: ${check.reason}`,
        host,
        entry.address,
      );
    }
  }
  return addresses.map((entry) => ({ address: entry.address, family: isIP(entry.address) }));
}

/**
 * A `dns.lookup`-compatible function (usable as `net.connect({ lookup })`) that only ever
 * returns addresses that passed the check. The caller connects to exactly what we return, so
 * the checked address is the connected one.
 */
export function createGuardedLookup(options: GuardOptions): LookupFunction {
  return (
    hostname: string,
    lookupOptions: LookupOptions | number | LookupCallback,
    maybeCallback?: LookupCallback,
  ) => {
    const callback = (typeof lookupOptions === 'function' ? lookupOptions : maybeCallback) as LookupCallback;
    const opts: LookupOptions =
      typeof lookupOptions === 'number'
        ? { family: lookupOptions }
        : typeof lookupOptions === 'object' && lookupOptions !== null
          ? lookupOptions
          : {};
    resolveChecked(hostname, options).then(
      (addresses) => {
        const family = opts.family === 'IPv4' ? 4 : opts.family === 'IPv6' ? 6 : opts.family;
        const wanted =
          family === 4 || family === 6 ? addresses.filter((a) => a.family === family) : addresses;
        const first = wanted[0];
        if (!first) {
          const err: NodeJS.ErrnoException = new Error(`getaddrinfo ENOTFOUND ${hostname}`);
          err.code = 'ENOTFOUND';
          callback(err, opts.all ? [] : '', undefined);
        } else if (opts.all) {
          callback(null, wanted);
        } else {
          callback(null, first.address, first.family);
        }
      },
      (err: NodeJS.ErrnoException) => callback(err, opts.all ? [] : '', undefined),
    );
  };
}

// The inner connector only ever receives IP literals; if a name ever reaches it, refuse
// instead of letting Node resolve it unchecked.
const refuseEveryLookup: LookupFunction = (hostname, _options, callback) => {
  callback(new SsrfRefusedError('unchecked name resolution', hostname, null), '', undefined);
};

export interface GuardedAgentOptions extends GuardOptions {
  connectTimeoutMs: number;
  /**
   * The connector that opens sockets, called only with a checked IP literal as `hostname`.
   * Tests inject a recorder that refuses, so a guard bug can never become real traffic.
   */
  connector?: buildConnector.connector | undefined;
  /**
   * Filled with the origins (`http://host:port`) this agent has connected to an address that only
   * WEBHOOK_ALLOWED_CIDRS allows. Never emptied: a response from such an origin is not shown to
   * customers, even if the name later resolves elsewhere.
   */
  privateOrigins?: Set<string> | undefined;
}

export function originKey(protocol: string, hostname: string, port: number): string {
  return `${protocol.replace(/:?$/, ':')}//${stripBrackets(hostname).toLowerCase()}:${port}`;
}

/**
 * An undici Agent for webhook egress only. Every new connection resolves and checks the host
 * here (IP literals included: Node never calls `lookup` for them), then connects to the checked
 * addresses in order, falling back to the next one on a connection error (a poor man's Happy
 * Eyeballs for names with both A and AAAA records).
 */
export function createGuardedAgent(options: GuardedAgentOptions): Agent {
  const inner =
    options.connector ??
    buildConnector({ timeout: options.connectTimeoutMs, lookup: refuseEveryLookup, autoSelectFamily: false });

  const connect: buildConnector.connector = (connectOptions, callback) => {
    const hostname = stripBrackets(connectOptions.hostname);
    if (connectOptions.socketPath) {
      callback(new SsrfRefusedError('unix sockets are not webhook destinations', hostname, null), null);
      return;
    }
    const servername = connectOptions.servername || (isIP(hostname) === 0 ? hostname : undefined);
    const port = connectOptions.port
      ? Number(connectOptions.port)
      : connectOptions.protocol === 'https:'
        ? 443
        : 80;

    const attempt = (addresses: LookupAddress[], index: number, lastError: Error | null): void => {
      const target = addresses[index];
      if (!target) {
        callback(lastError ?? new Error(`no address to connect to for ${hostname}`), null);
        return;
      }
      inner(
        { ...connectOptions, hostname: target.address, ...(servername ? { servername } : {}) },
        (err, socket) => {
          if (err || !socket) {
            if (err instanceof SsrfRefusedError) callback(err, null);
            else attempt(addresses, index + 1, err ?? lastError);
            return;
          }
          // Belt and braces: judge the peer we actually reached, not the one we asked for.
          const peer = (socket as Socket).remoteAddress;
          const peerPort = (socket as Socket).remotePort ?? port;
          const check = peer ? isAddressAllowed(peer, options.allowed, peerPort) : { ok: true as const };
          if (!check.ok) {
            socket.destroy();
            callback(new SsrfRefusedError(check.reason, hostname, peer ?? null), null);
            return;
          }
          if (options.privateOrigins && allowedByConfiguration(peer ?? target.address, options.allowed, peerPort))
            options.privateOrigins.add(originKey(connectOptions.protocol, hostname, port));
          callback(null, socket);
        },
      );
    };

    resolveChecked(hostname, options, port).then(
      (addresses) => attempt(addresses, 0, null),
      (err: Error) => callback(err, null),
    );
  };

  return new Agent({ connect });
}
