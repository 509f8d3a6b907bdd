import { createHmac, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * The pieces of 3CX webhook authentication, as pure functions (the route composes them):
 * shared-secret header, optional HMAC over `timestamp + "." + raw body`, timestamp tolerance,
 * and the IP allowlist with X-Forwarded-For honoured only from configured proxies.
 */

/** `X-WhatsApp-Gateway-Timestamp` may differ from our clock by at most this much, either way. */
export const TIMESTAMP_TOLERANCE_MS = 5 * 60_000;
/** How long a used signature is remembered: longer than any timestamp we still accept. */
export const REPLAY_TTL_MS = 2 * TIMESTAMP_TOLERANCE_MS;

export const SECRET_HEADER = 'x-whatsapp-gateway-3cx-secret';
export const TIMESTAMP_HEADER = 'x-whatsapp-gateway-timestamp';
export const SIGNATURE_HEADER = 'x-whatsapp-gateway-signature';

/** `hex(HMAC-SHA256(secret, timestamp + "." + rawBody))`. */
export function computeThreeCxSignature(secret: string, timestamp: string, rawBody: Buffer | string): string {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest('hex');
}

/** `sha256=<hex>` or bare `<hex>` (64 hex digits, any case) → lowercase hex, else null. */
export function parseSignatureHeader(value: string): string | null {
  const match = /^\s*(?:sha256=)?([0-9a-fA-F]{64})\s*$/i.exec(value);
  return match?.[1] ? match[1].toLowerCase() : null;
}

export function signatureMatches(
  secret: string,
  timestamp: string,
  rawBody: Buffer,
  presentedHex: string,
): boolean {
  const expected = Buffer.from(computeThreeCxSignature(secret, timestamp, rawBody), 'hex');
  return timingSafeEqual(expected, Buffer.from(presentedHex, 'hex'));
}

/**
 * Epoch milliseconds of a timestamp header: unix seconds (`1778234400`), unix milliseconds
 * (`1778234400000`) or RFC 3339 (`2026-05-08T10:00:00Z`). The signature covers the header
 * exactly as sent, whatever its form.
 */
export function parseTimestamp(value: string): number | null {
  const v = value.trim();
  if (/^\d{1,11}$/.test(v)) return Number(v) * 1000;
  if (/^\d{12,14}$/.test(v)) return Number(v);
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/i.test(v)) {
    const ms = Date.parse(v);
    return Number.isNaN(ms) ? null : ms;
  }
  return null;
}

export function timestampFresh(ms: number, now: number): boolean {
  return Math.abs(now - ms) <= TIMESTAMP_TOLERANCE_MS;
}

type IpAddress = ipaddr.IPv4 | ipaddr.IPv6;
export interface IpRange {
  network: IpAddress;
  prefix: number;
}

/** An address with IPv4-mapped IPv6 unwrapped (`::ffff:10.0.0.1` is `10.0.0.1`), or null. */
export function parseIp(value: string): IpAddress | null {
  const bare = value.trim().replace(/^\[(.*)\]$/, '$1');
  if (isIP(bare) === 0) return null;
  try {
    return ipaddr.process(bare);
  } catch {
    return null;
  }
}

/** `10.0.0.0/8`, `2001:db8::/32`, or a single address (`/32` or `/128` implied). Null when invalid. */
export function parseIpRange(value: string): IpRange | null {
  const text = value.trim();
  const slash = text.indexOf('/');
  if (slash === -1) {
    const address = parseIp(text);
    return address ? { network: address, prefix: address.kind() === 'ipv4' ? 32 : 128 } : null;
  }
  const original = text.slice(0, slash);
  const address = parseIp(original);
  const bits = text.slice(slash + 1);
  if (!address || !/^\d{1,3}$/.test(bits)) return null;
  const prefix = Number(bits);
  const writtenAsV6 = original.includes(':');
  if (prefix > (writtenAsV6 ? 128 : 32)) return null;
  // An IPv4-mapped IPv6 range was unwrapped to IPv4 by parseIp; its prefix shifts with it.
  if (writtenAsV6 && address.kind() === 'ipv4')
    return prefix >= 96 ? { network: address, prefix: prefix - 96 } : null;
  return { network: address, prefix };
}

export function inRanges(address: IpAddress, ranges: readonly IpRange[]): boolean {
  return ranges.some((r) => r.network.kind() === address.kind() && address.match(r.network, r.prefix));
}

function ranges(list: readonly string[]): IpRange[] {
  return list.map(parseIpRange).filter((r): r is IpRange => r !== null);
}

/**
 * The client address the allowlist judges. The socket peer is trusted as is, unless it is one of
 * the integration's trusted proxies; only then is X-Forwarded-For read, right to left, skipping
 * further trusted proxies, and the first address that is not one is the client. A malformed
 * entry ends the walk with no address (which no allowlist matches). Without trusted proxies,
 * X-Forwarded-For is ignored entirely, so a client cannot spoof its way in.
 */
export function clientAddress(
  remoteAddress: string | undefined,
  forwardedFor: string | undefined,
  trustedProxies: readonly string[],
): IpAddress | null {
  const peer = remoteAddress ? parseIp(remoteAddress) : null;
  if (!peer) return null;
  const trusted = ranges(trustedProxies);
  if (trusted.length === 0 || !inRanges(peer, trusted) || !forwardedFor) return peer;
  const hops = forwardedFor
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  let current: IpAddress = peer;
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = parseIp(hops[i] as string);
    if (!hop) return null;
    current = hop;
    if (!inRanges(hop, trusted)) return hop;
  }
  return current;
}

/** True when no allowlist is configured, or the client address is inside it. */
export function allowlistPermits(
  allowlist: readonly string[],
  trustedProxies: readonly string[],
  remoteAddress: string | undefined,
  forwardedFor: string | undefined,
): boolean {
  if (allowlist.length === 0) return true;
  const client = clientAddress(remoteAddress, forwardedFor, trustedProxies);
  return client !== null && inRanges(client, ranges(allowlist));
}
