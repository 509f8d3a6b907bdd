/**
 * Adapts Warden's winston-like logger (`logger.info(msg, meta)`) to the pino-like `ILogger`
 * Baileys expects (`logger.info(obj, msg)`, `child()`, `level`). Baileys logs a lot; by default
 * only its warnings and errors are passed on. Payloads are summarised (no key material dumps).
 */
import type { SocketConfig } from '@whiskeysockets/baileys';

export type ILogger = SocketConfig['logger'];

export interface WinstonLike {
  debug(message: string, meta?: Record<string, unknown>): unknown;
  info(message: string, meta?: Record<string, unknown>): unknown;
  warn(message: string, meta?: Record<string, unknown>): unknown;
  error(message: string, meta?: Record<string, unknown>): unknown;
}

export type BaileysLogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'silent';

const ORDER: Record<BaileysLogLevel, number> = {
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  silent: 100,
};

export const noopLogger: WinstonLike = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

function summarise(value: unknown, depth = 0): unknown {
  if (value === null || value === undefined) {
    return value;
  }
  if (value instanceof Error) {
    return { name: value.name, message: value.message };
  }
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) {
    return `<${value.length} bytes>`;
  }
  if (typeof value === 'string') {
    return value.length > 300 ? `${value.slice(0, 300)}…` : value;
  }
  if (typeof value !== 'object') {
    return value;
  }
  if (depth >= 2) {
    return Array.isArray(value) ? `[${value.length} items]` : '{…}';
  }
  if (Array.isArray(value)) {
    return value.slice(0, 10).map((v) => summarise(v, depth + 1));
  }
  const out: Record<string, unknown> = {};
  let n = 0;
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (n++ >= 20) {
      out['…'] = 'truncated';
      break;
    }
    out[k] = summarise(v, depth + 1);
  }
  return out;
}

/** Benign Baileys warnings that are logged at debug level instead. */
const DEMOTED = [/no name present, ignoring presence update/i, /timed out waiting for message/i];

export function makeBaileysLogger(
  base: WinstonLike,
  level: BaileysLogLevel = 'warn',
  bindings: Record<string, unknown> = {},
): ILogger {
  const threshold = ORDER[level];
  const emit = (lvl: Exclude<BaileysLogLevel, 'silent'>, obj: unknown, msg?: string) => {
    if (ORDER[lvl] < threshold) {
      return;
    }
    let message: string;
    let meta: Record<string, unknown> = { ...bindings };
    if (typeof obj === 'string') {
      message = obj;
    } else {
      message = msg ?? '';
      const s = summarise(obj);
      if (s && typeof s === 'object' && !Array.isArray(s)) {
        meta = { ...meta, ...(s as Record<string, unknown>) };
      } else if (s !== undefined) {
        meta.detail = s;
      }
    }
    const text = `baileys: ${message || 'event'}`;
    if (lvl === 'warn' && DEMOTED.some((re) => re.test(message))) {
      if (ORDER.debug >= threshold) {
        base.debug(text, meta);
      }
      return;
    }
    if (lvl === 'trace' || lvl === 'debug') {
      base.debug(text, meta);
    } else {
      base[lvl](text, meta);
    }
  };
  const logger: ILogger = {
    level,
    child: (obj: Record<string, unknown>) => makeBaileysLogger(base, level, { ...bindings, ...obj }),
    trace: (obj, msg) => emit('trace', obj, msg),
    debug: (obj, msg) => emit('debug', obj, msg),
    info: (obj, msg) => emit('info', obj, msg),
    warn: (obj, msg) => emit('warn', obj, msg),
    error: (obj, msg) => emit('error', obj, msg),
  };
  return logger;
}
