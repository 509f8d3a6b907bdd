/**
 * Destination URL checks at subscription creation: friendly, early errors for what a customer
 * typed. Not the security boundary; that is the connect-time check of the guarded agent
 * (ssrf-guard.ts).
 */
import { isIP } from 'node:net';
import { type AllowedCidrs, isAddressAllowed, stripBrackets } from './address-policy.ts';

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
