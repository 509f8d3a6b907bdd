/**
 * Loopback guard for tests: with `loopbackOnly`, the transport refuses to open a WebSocket,
 * upload or download media anywhere but 127.0.0.0/8 or ::1.
 */
import https from 'node:https';
import type { Duplex } from 'node:stream';
import net from 'node:net';

export class LoopbackViolationError extends Error {
  constructor(what: string) {
    super(`refusing non-loopback network access in loopback-only mode: ${what}`);
    this.name = 'LoopbackViolationError';
  }
}

export function isLoopbackHost(host: string | null | undefined): boolean {
  if (!host) {
    return false;
  }
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === '::1' || h === '0:0:0:0:0:0:0:1') {
    return true;
  }
  if (net.isIPv4(h)) {
    return h.startsWith('127.');
  }
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(h);
  if (mapped?.[1]) {
    return mapped[1].startsWith('127.');
  }
  // names (even "localhost") are not trusted: they go through DNS
  return false;
}

export function assertLoopbackUrl(url: string | URL, what: string): void {
  const u = typeof url === 'string' ? new URL(url) : url;
  if (!isLoopbackHost(u.hostname)) {
    throw new LoopbackViolationError(`${what} ${u.origin}`);
  }
}

/** An https.Agent that only connects to loopback addresses (and optionally trusts a test CA). */
export class GuardedHttpsAgent extends https.Agent {
  constructor(
    private readonly loopbackOnly: boolean,
    options: https.AgentOptions = {},
  ) {
    super({ keepAlive: false, ...options });
  }

  override createConnection(
    options: https.RequestOptions & { host?: string | null },
    callback?: (err: Error | null, stream: Duplex) => void,
  ): Duplex {
    if (this.loopbackOnly && !isLoopbackHost(options.host ?? options.hostname ?? null)) {
      throw new LoopbackViolationError(`media upload to ${options.host ?? options.hostname}`);
    }
    // Node's typing of Agent.prototype.createConnection is internal
    const base = (https.Agent.prototype as unknown as { createConnection: GuardedHttpsAgent['createConnection'] })
      .createConnection;
    return base.call(this, options, callback);
  }
}
