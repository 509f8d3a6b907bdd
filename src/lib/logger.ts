import winston from 'winston';

/**
 * Structured JSON logs. Redaction happens here, once, so a careless `logger.info(..., { headers })`
 * can never leak a key, a secret or a full phone number.
 */

const SECRET_KEYS = /authorization|api[_-]?key|secret|token|password|signature|cookie|^key$/i;
const PHONE_KEYS = /phone|^from$|^to$|recipient|msisdn|jid/i;

export function maskPhone(value: string): string {
  const digits = value.replace(/\D/g, '');
  if (digits.length < 6) return '***';
  return `${value.startsWith('+') ? '+' : ''}${digits.slice(0, 3)}****${digits.slice(-3)}`;
}

/** `+6281234567890` or `%2B6281234567890` in free text. */
const PREFIXED_PHONE = /(\+|%2B)(\d{8,15})(?!\d)/gi;
/** Also a bare 8–15 digit path segment (`/api/suppressed-recipients/6281234567890`), not a UUID part. */
const PATH_PHONE = /(?<![0-9A-Za-z-])(\+|%2B)?(\d{8,15})(?![0-9A-Za-z-])/gi;

const maskDigits = (_m: string, prefix: string | undefined, digits: string) =>
  `${prefix ?? ''}${digits.slice(0, 3)}****${digits.slice(-3)}`;

export function maskPhonesInText(text: string): string {
  return text.replace(PREFIXED_PHONE, maskDigits);
}

/** A request path for the access log: phone numbers in segments are masked. */
export function maskPath(path: string): string {
  return path.replace(PATH_PHONE, maskDigits);
}

/**
 * A database error's message without its SQL: knex puts the statement with every bound value
 * inlined (phone numbers, message text) in front of the driver's own message.
 */
function errorMessage(error: Error): string {
  const e = error as Error & { sql?: unknown; sqlMessage?: unknown; code?: unknown };
  if (typeof e.sqlMessage === 'string') return e.sqlMessage;
  const isDbError = typeof e.sql === 'string' || (typeof e.code === 'string' && /^(ER_|SQLITE_)/.test(e.code));
  const message = isDbError ? (e.message.split(' - ').pop() ?? '') : e.message;
  return message;
}

export function redact(value: unknown, key = '', depth = 0): unknown {
  if (depth > 6) return '[depth]';
  if (value === null || value === undefined) return value;
  if (typeof value === 'string') {
    if (SECRET_KEYS.test(key)) return '[redacted]';
    if (PHONE_KEYS.test(key)) return maskPhone(value);
    // Bare bearer tokens and API keys that slipped into a message field; phone numbers in text.
    return maskPhonesInText(
      value
        .replace(/\b(wdn_[A-Za-z0-9_-]{8})[A-Za-z0-9_-]+/g, '$1…')
        .replace(/whsec_[A-Za-z0-9+/=]+/g, 'whsec_[redacted]'),
    );
  }
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return {
      name: value.name,
      message: redact(errorMessage(value)),
      ...(typeof code === 'string' ? { code } : {}),
    };
  }
  if (Array.isArray(value)) return value.map((item) => redact(item, key, depth + 1));
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = redact(v, k, depth + 1);
    return out;
  }
  return value;
}

const redactFormat = winston.format((info) => {
  for (const key of Object.keys(info)) {
    if (key === 'level' || key === 'message' || key === 'timestamp' || key === 'module') continue;
    (info as Record<string, unknown>)[key] = redact(info[key], key);
  }
  if (typeof info.message === 'string') info.message = redact(info.message) as string;
  return info;
});

export type Logger = winston.Logger;

let root: winston.Logger | null = null;

export function createRootLogger(level: string): winston.Logger {
  root = winston.createLogger({
    level,
    format: winston.format.combine(winston.format.timestamp(), redactFormat(), winston.format.json()),
    transports: [new winston.transports.Console({ stderrLevels: ['error', 'warn'] })],
  });
  return root;
}

/** One child logger per module; before the root exists, a silent logger (tests, CLI). */
export function moduleLogger(module: string): winston.Logger {
  if (!root) {
    root = winston.createLogger({
      level: process.env.LOG_LEVEL ?? 'warn',
      silent:
        !process.env.WARDEN_TEST_LOGS && (process.env.NODE_ENV === 'test' || process.env.WARDEN_TEST === '1'),
      format: winston.format.combine(winston.format.timestamp(), redactFormat(), winston.format.json()),
      transports: [new winston.transports.Console({ stderrLevels: ['error', 'warn'] })],
    });
  }
  return root.child({ module });
}
