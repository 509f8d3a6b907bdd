import express, { type RequestHandler } from 'express';
import { InvalidJsonError, PayloadTooLargeError, ValidationError } from '../../errors/errors.ts';
import { withMeta } from '../../openapi/route-meta.ts';
import { type BodyBudget, bodyBudget, parseBytes } from './body-budget.ts';

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
/** In `u` mode a lone surrogate is a code point of category Cs; a well-formed pair is not. */
const LONE_SURROGATE = /\p{Cs}/u;
const LONE_SURROGATES = /\p{Cs}/gu;

/** The JSON pointer of the first string (key or value) holding a lone UTF-16 surrogate, if any. */
export function loneSurrogateAt(root: unknown): string | null {
  // Iterative: a hostile body may nest thousands of levels deep.
  const stack: [unknown, string][] = [[root, '']];
  while (stack.length > 0) {
    const [value, pointer] = stack.pop() as [unknown, string];
    if (typeof value === 'string') {
      if (LONE_SURROGATE.test(value)) return pointer || '/';
    } else if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push([value[i], `${pointer}/${i}`]);
    } else if (value && typeof value === 'object') {
      const entries = Object.entries(value);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [key, item] = entries[i] as [string, unknown];
        const at = `${pointer}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
        if (LONE_SURROGATE.test(key)) return at.replace(LONE_SURROGATES, '\uFFFD');
        stack.push([item, at]);
      }
    }
  }
  return null;
}

/**
 * Bytes → JSON value. Invalid UTF-8 is invalid JSON (RFC 8259 §8.1), never silently replaced;
 * a `\uD800`-style escape that leaves a lone surrogate is a `validation_error` naming the field,
 * because no database column or WhatsApp message can carry it unchanged.
 */
export function parseJsonBytes(raw: Buffer): unknown {
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(raw));
  } catch {
    throw new InvalidJsonError();
  }
  const at = loneSurrogateAt(value);
  if (at !== null)
    throw new ValidationError({
      errors: [{ field: at, reason: 'must be valid Unicode text (contains a lone surrogate)' }],
    });
  return value;
}

/**
 * Pipeline step 3: read the raw body (kept on `req.rawBody` for signatures) and parse it as JSON.
 * Runs after authentication, so unauthenticated callers cannot make the gateway parse anything,
 * and only while the body bytes in flight stay inside `budget` (BODY_BYTES_PER_ACCOUNT/_PROCESS).
 */
export function jsonBody(limit: string, budget: BodyBudget): RequestHandler[] {
  return [
    // The bytes in flight are bounded (per account, per process) before any of them is read.
    bodyBudget(budget, parseBytes(limit)),
    express.raw({ type: () => true, limit }),
    withMeta<RequestHandler>((req, _res, next) => {
      const raw = Buffer.isBuffer(req.body) ? (req.body as Buffer) : Buffer.alloc(0);
      (req as unknown as { rawBody: Buffer }).rawBody = raw;
      if (raw.length === 0) {
        req.body = {};
        return next();
      }
      try {
        req.body = parseJsonBytes(raw);
      } catch (error) {
        return next(error);
      }
      next();
    }, { kind: 'body', limit }),
  ];
}

export function isBodyTooLarge(error: unknown): boolean {
  return (error as { type?: string })?.type === 'entity.too.large';
}

export { PayloadTooLargeError };
