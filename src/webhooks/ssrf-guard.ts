/**
 * SSRF guard for customer webhook destinations: the resolver and connector of webhook egress.
 *
 * The security boundary is connect time: `createGuardedAgent` resolves the host itself, checks
 * every resolved address, and hands the socket layer only an IP literal that passed the check,
 * so a DNS answer cannot change between the check and the connect (no rebinding gap).
 * `validateDestinationUrl` (destination-url.ts) runs at subscription creation and only exists to
 * give friendly, early errors; it is not what keeps us safe. Which addresses pass is decided in
 * address-policy.ts.
 */
import { promises as dnsPromises } from 'node:dns';
import type { LookupAddress, LookupOptions } from 'node:dns';
import { isIP } from 'node:net';
import type { LookupFunction, Socket } from 'node:net';
import { Agent, buildConnector } from 'undici';
import { type AllowedCidrs, allowedByConfiguration, isAddressAllowed, stripBrackets } from './address-policy.ts';

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
