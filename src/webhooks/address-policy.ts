/**
 * Address classification for webhook egress: which resolved addresses a webhook may connect to.
 * Public unicast only by default; the operator's `WEBHOOK_ALLOWED_CIDRS` opens more ranges
 * (optionally on one port), and cloud metadata endpoints stay refused whatever is allowed.
 */
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

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

export function stripBrackets(host: string): string {
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
