import type { RequestHandler } from 'express';
import { SendingThrottledError } from '../../errors/errors.ts';
import { MemoryRelease } from '../../lib/memory-release.ts';

/** A body this large leaves garbage worth collecting once the burst is over. */
const LARGE_BODY_BYTES = 8 * 1024 * 1024;

/** `24mb`, `512kb`, `100b` → bytes (the units express/body-parser limits use). */
export function parseBytes(value: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?\s*$/i.exec(value);
  if (!match) throw new Error(`"${value}" is not a size (use a number with b, kb, mb or gb)`);
  const unit = (match[2] ?? 'b').toLowerCase();
  const factor = unit === 'gb' ? 1024 ** 3 : unit === 'mb' ? 1024 ** 2 : unit === 'kb' ? 1024 : 1;
  return Math.floor(Number(match[1]) * factor);
}

/**
 * Bytes of request bodies being read or processed, per account and for the whole process. A
 * request reserves its declared length (or the route's limit when it declares none) before its
 * body is read, and gives it back when its response is finished or its connection closes.
 */
export class BodyBudget {
  private processBytes = 0;
  private readonly accountBytes = new Map<string, number>();

  constructor(
    readonly perAccount: number,
    readonly perProcess: number,
    private readonly memory: MemoryRelease = new MemoryRelease(),
  ) {}

  /** Reserve `bytes`; null when a bound would be passed (nothing reserved then). */
  reserve(accountId: string | undefined, bytes: number): (() => void) | null {
    const account = accountId ?? '';
    const held = this.accountBytes.get(account) ?? 0;
    if (this.processBytes + bytes > this.perProcess) return null;
    if (accountId !== undefined && held + bytes > this.perAccount) return null;
    this.processBytes += bytes;
    this.accountBytes.set(account, held + bytes);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.processBytes -= bytes;
      const left = (this.accountBytes.get(account) ?? 0) - bytes;
      if (left <= 0) this.accountBytes.delete(account);
      else this.accountBytes.set(account, left);
      if (bytes >= LARGE_BODY_BYTES) this.memory.afterLargeBody(() => this.processBytes >= LARGE_BODY_BYTES);
    };
  }

  inFlight(): { process: number; accounts: number } {
    return { process: this.processBytes, accounts: this.accountBytes.size };
  }
}

/**
 * Runs right after authentication (pipeline step 2) and before the body is read: past a bound the
 * request is answered at once with `429 sending_throttled` and `Retry-After`, its body unread
 * (Node discards it without buffering). The route's size limit still answers 413 for bodies
 * that could never fit.
 */
export function bodyBudget(budget: BodyBudget, limitBytes: number): RequestHandler {
  return (req, res, next) => {
    const declared = Number(req.get('content-length'));
    const chunked = req.get('transfer-encoding') !== undefined;
    if (!chunked && !(declared > 0)) return next();
    // Longer than the route allows: the parser answers 413 without reading it.
    if (!chunked && declared > limitBytes) return next();
    const bytes = chunked ? limitBytes : declared;
    const release = budget.reserve(res.locals.accountId as string | undefined, bytes);
    if (!release) {
      const error = new SendingThrottledError({
        action: 'throttle',
        reason: 'request_bytes_in_flight',
        retry_after: 1,
      });
      error.headers['Retry-After'] = '1';
      return next(error);
    }
    res.once('finish', release);
    res.once('close', release);
    next();
  };
}
