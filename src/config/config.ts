import ipaddr from 'ipaddr.js';
import { parseBytes } from '../http/middleware/body-budget.ts';
import { parseCidrList } from '../webhooks/address-policy.ts';

/**
 * Environment configuration: parsed once, validated, frozen. Every problem is collected so an
 * operator sees all bad settings in one go instead of fixing them one restart at a time.
 */

export interface Config {
  port: number;
  databaseUrl: string;
  redisUrl: string | null;
  transport: 'baileys' | 'sandbox';
  adminToken: string | null;
  webhookBaseUrl: string | null;
  webhookAllowedCidrs: string;
  webhookRequireHttps: boolean;
  policiesDir: string;
  webhookRetrySchedule: number[];
  webhookTimeoutMs: number;
  /** In-flight webhook attempts per node (WEBHOOK_CONCURRENCY). */
  webhookConcurrency: number;
  /** How long a claimed delivery stays leased (WEBHOOK_LEASE); longer than the timeout. */
  webhookLeaseMs: number;
  mediaDir: string;
  logLevel: string;
  waWebSocketUrl: string | null;
  secretKey: string | null;
  nodeId: string | null;
  metricsToken: string | null;
  /**
   * A send's own deadline (SEND_DEADLINE): the transport's send timeout plus a margin. After it an
   * interrupted send's quota reservation is returned and its Idempotency-Key claim expires.
   */
  sendDeadlineMs: number;
  /** The transport's send timeout, derived from the deadline (deadline minus the margin). */
  transportSendTimeoutMs: number;
  /** Simulated WhatsApp latency of a sandbox send (SANDBOX_SEND_LATENCY), 0 by default. */
  sandboxSendLatencyMs: number;
  /** Database deadlines (DB_CONNECT_TIMEOUT, DB_ACQUIRE_TIMEOUT, DB_QUERY_TIMEOUT). */
  dbConnectTimeoutMs: number;
  dbAcquireTimeoutMs: number;
  dbQueryTimeoutMs: number;
  /**
   * TRUST_PROXY: addresses/CIDRs (or loopback, linklocal, uniquelocal) of reverse proxies whose
   * X-Forwarded-For / X-Forwarded-Proto are believed. Empty: off, the socket peer is the client.
   */
  trustProxy: string[];
  /** Bytes of request bodies in flight per account (BODY_BYTES_PER_ACCOUNT) and per process. */
  bodyBytesPerAccount: number;
  bodyBytesPerProcess: number;
}

/** Margin between the transport's send timeout and the send deadline: a third, at most 15 s. */
export function sendTimeoutFor(deadlineMs: number): number {
  return deadlineMs - Math.min(15_000, Math.floor(deadlineMs / 3));
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const LOG_LEVELS = ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'];

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `10s`, `500ms`, `2m`, `1h` → milliseconds. */
export function parseDurationMs(value: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)\s*$/.exec(value);
  if (!match) throw new Error(`"${value}" is not a duration (use a number with ms, s, m or h)`);
  return Math.round(Number(match[1]) * (UNIT_MS[match[2] as string] as number));
}

type Env = Record<string, string | undefined>;

export function loadConfig(env: Env = process.env): Readonly<Config> {
  const problems: string[] = [];
  const read = (name: string, fallback: string): string => {
    const value = env[name];
    return value === undefined || value.trim() === '' ? fallback : value.trim();
  };
  const optional = (name: string): string | null => {
    const value = env[name];
    return value === undefined || value.trim() === '' ? null : value.trim();
  };
  const guard = <T>(name: string, fallback: T, parse: () => T): T => {
    try {
      return parse();
    } catch (error) {
      problems.push(`${name}: ${(error as Error).message}`);
      return fallback;
    }
  };

  const port = guard('PORT', 3000, () => {
    const raw = read('PORT', '3000');
    const n = Number(raw);
    if (!/^\d+$/.test(raw) || n > 65535) throw new Error(`"${raw}" is not a TCP port (0–65535)`);
    return n;
  });

  const databaseUrl = guard('DATABASE_URL', '', () => {
    const raw = read('DATABASE_URL', 'sqlite:./data/warden.sqlite');
    if (raw.startsWith('sqlite:')) {
      if (raw.length <= 'sqlite:'.length)
        throw new Error('sqlite: needs a file path, e.g. sqlite:./data/warden.sqlite');
      return raw;
    }
    if (raw.startsWith('mysql://') || raw.startsWith('mariadb://')) {
      const url = new URL(raw);
      if (!url.pathname || url.pathname === '/')
        throw new Error('the MySQL URL must name a database (mysql://user:pass@host:3306/db)');
      return raw;
    }
    throw new Error('must start with sqlite: or mysql://');
  });

  const redisUrl = guard('REDIS_URL', null as string | null, () => {
    const raw = optional('REDIS_URL');
    if (raw && !/^rediss?:\/\//.test(raw)) throw new Error('must start with redis:// or rediss://');
    return raw;
  });

  const transport = guard('TRANSPORT', 'baileys' as const, () => {
    const raw = read('TRANSPORT', 'baileys');
    if (raw !== 'baileys' && raw !== 'sandbox')
      throw new Error(`"${raw}" is not a transport (use baileys or sandbox)`);
    return raw;
  });

  const adminToken = guard('ADMIN_TOKEN', null as string | null, () => {
    const raw = optional('ADMIN_TOKEN');
    if (raw !== null && raw.length < 24) throw new Error('must be at least 24 characters long');
    return raw;
  });

  const webhookBaseUrl = guard('WEBHOOK_BASE_URL', null as string | null, () => {
    const raw = optional('WEBHOOK_BASE_URL');
    if (raw === null) return null;
    const url = new URL(raw);
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new Error('must be an http:// or https:// URL');
    return raw.replace(/\/+$/, '');
  });

  const webhookAllowedCidrs = guard('WEBHOOK_ALLOWED_CIDRS', '', () => {
    const raw = read('WEBHOOK_ALLOWED_CIDRS', '');
    for (const entry of raw
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)) {
      if (!/^[0-9a-fA-F:.]+\/\d{1,3}(:\d{1,5})?$/.test(entry))
        throw new Error(`"${entry}" is not a CIDR range, optionally with a port (e.g. 127.0.0.0/8 or 10.0.0.0/8:443)`);
    }
    parseCidrList(raw); // prefix lengths and ports in range
    return raw;
  });

  const webhookRequireHttps = guard('WEBHOOK_REQUIRE_HTTPS', false, () =>
    parseBoolean(read('WEBHOOK_REQUIRE_HTTPS', 'false')),
  );

  const webhookRetrySchedule = guard('WEBHOOK_RETRY_SCHEDULE', [10_000, 30_000, 90_000], () => {
    const raw = read('WEBHOOK_RETRY_SCHEDULE', '10s,30s,90s');
    return raw.split(',').map((part) => parseDurationMs(part));
  });

  const webhookTimeoutMs = guard('WEBHOOK_TIMEOUT', 10_000, () => {
    const ms = parseDurationMs(read('WEBHOOK_TIMEOUT', '10s'));
    if (ms < 100 || ms > 120_000) throw new Error('must be between 100ms and 2m');
    return ms;
  });

  const webhookConcurrency = guard('WEBHOOK_CONCURRENCY', 16, () => {
    const raw = read('WEBHOOK_CONCURRENCY', '16');
    const n = Number(raw);
    if (!/^\d+$/.test(raw) || n < 1 || n > 1024) throw new Error(`"${raw}" is not a number from 1 to 1024`);
    return n;
  });

  const webhookLeaseMs = guard('WEBHOOK_LEASE', webhookTimeoutMs + 30_000, () => {
    const raw = optional('WEBHOOK_LEASE');
    const ms = raw === null ? webhookTimeoutMs + 30_000 : parseDurationMs(raw);
    if (ms <= webhookTimeoutMs) throw new Error('must be longer than WEBHOOK_TIMEOUT');
    return ms;
  });

  const logLevel = guard('LOG_LEVEL', 'info', () => {
    const raw = read('LOG_LEVEL', 'info');
    if (!LOG_LEVELS.includes(raw)) throw new Error(`"${raw}" is not one of ${LOG_LEVELS.join(', ')}`);
    return raw;
  });

  const waWebSocketUrl = guard('WA_WEBSOCKET_URL', null as string | null, () => {
    const raw = optional('WA_WEBSOCKET_URL');
    if (raw && !/^wss?:\/\//.test(raw)) throw new Error('must be a ws:// or wss:// URL');
    return raw;
  });

  const secretKey = guard('SECRET_KEY', null as string | null, () => {
    const raw = optional('SECRET_KEY');
    if (raw !== null && raw.length < 32) throw new Error('must be at least 32 characters long');
    return raw;
  });

  const sendDeadlineMs = guard('SEND_DEADLINE', 45_000, () => {
    const ms = parseDurationMs(read('SEND_DEADLINE', '45s'));
    if (ms < 1000 || ms > 600_000) throw new Error('must be between 1s and 10m');
    return ms;
  });

  const sandboxSendLatencyMs = guard('SANDBOX_SEND_LATENCY', 0, () => {
    const ms = parseDurationMs(read('SANDBOX_SEND_LATENCY', '0ms'));
    if (ms > 60_000) throw new Error('must be at most 1m');
    return ms;
  });

  const deadline = (name: string, fallback: string, min: number, max: number): number =>
    guard(name, parseDurationMs(fallback), () => {
      const ms = parseDurationMs(read(name, fallback));
      if (ms < min || ms > max) throw new Error(`must be between ${min}ms and ${max / 1000}s`);
      return ms;
    });
  const dbConnectTimeoutMs = deadline('DB_CONNECT_TIMEOUT', '5s', 100, 120_000);
  const dbAcquireTimeoutMs = deadline('DB_ACQUIRE_TIMEOUT', '10s', 100, 120_000);
  const dbQueryTimeoutMs = deadline('DB_QUERY_TIMEOUT', '15s', 100, 600_000);

  const trustProxy = guard('TRUST_PROXY', [] as string[], () => {
    const entries = read('TRUST_PROXY', '')
      .split(',')
      .map((e) => e.trim())
      .filter(Boolean);
    for (const entry of entries) {
      if (['loopback', 'linklocal', 'uniquelocal'].includes(entry)) continue;
      const [address, bits, extra] = entry.split('/');
      const valid =
        extra === undefined &&
        ipaddr.isValid(address ?? '') &&
        (bits === undefined ||
          (/^\d{1,3}$/.test(bits) && Number(bits) <= (ipaddr.parse(address as string).kind() === 'ipv4' ? 32 : 128)));
      if (!valid)
        throw new Error(
          `"${entry}" is not an address, a CIDR range or loopback/linklocal/uniquelocal (name the proxies; "true" is not accepted)`,
        );
    }
    return entries;
  });

  const bytes = (name: string, fallback: string): number =>
    guard(name, parseBytes(fallback), () => {
      const n = parseBytes(read(name, fallback));
      // At least one whole send (24 MB) must fit, or large media could never be sent.
      if (n < 25 * 1024 * 1024) throw new Error('must be at least 25mb (one 24 MB send must fit)');
      return n;
    });
  const bodyBytesPerAccount = bytes('BODY_BYTES_PER_ACCOUNT', '48mb');
  const bodyBytesPerProcess = bytes('BODY_BYTES_PER_PROCESS', '128mb');
  if (bodyBytesPerProcess < bodyBytesPerAccount)
    problems.push('BODY_BYTES_PER_PROCESS: must not be smaller than BODY_BYTES_PER_ACCOUNT');

  const config: Config = {
    port,
    databaseUrl,
    redisUrl,
    transport,
    adminToken,
    webhookBaseUrl,
    webhookAllowedCidrs,
    webhookRequireHttps,
    policiesDir: read('POLICIES_DIR', './policies'),
    webhookRetrySchedule,
    webhookTimeoutMs,
    webhookConcurrency,
    webhookLeaseMs,
    mediaDir: read('MEDIA_DIR', './data/media'),
    logLevel,
    waWebSocketUrl,
    secretKey,
    nodeId: optional('NODE_ID'),
    metricsToken: optional('METRICS_TOKEN'),
    sendDeadlineMs,
    transportSendTimeoutMs: sendTimeoutFor(sendDeadlineMs),
    sandboxSendLatencyMs,
    dbConnectTimeoutMs,
    dbAcquireTimeoutMs,
    dbQueryTimeoutMs,
    trustProxy,
    bodyBytesPerAccount,
    bodyBytesPerProcess,
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(config);
}

function parseBoolean(raw: string): boolean {
  if (/^(true|1|yes|on)$/i.test(raw)) return true;
  if (/^(false|0|no|off)$/i.test(raw)) return false;
  throw new Error(`"${raw}" is not a boolean (use true or false)`);
}
