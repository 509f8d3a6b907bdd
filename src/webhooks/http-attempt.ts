/**
 * One HTTP delivery attempt. Everything that can go wrong is folded into an AttemptOutcome so
 * the delivery worker never has to catch: it logs the outcome and asks the retry schedule.
 */
import { request } from 'undici';
import type { Dispatcher } from 'undici';

export interface AttemptOutcome {
  /** True only for a 2xx status with the (bounded) body read inside the timeout. */
  ok: boolean;
  /** Null when no response status was received (network error, timeout before headers, refusal). */
  statusCode: number | null;
  latencyMs: number;
  /** First 500 characters (code points) of the response body, decoded as UTF-8. */
  responseBody: string;
  /**
   * Null on success. Otherwise one of: `timeout`, `redirect_not_followed`, `http_status_<code>`,
   * `destination_refused: <reason>` (SSRF guard; retrying will not help), `network_error: <detail>`,
   * `read_error: <detail>`, `invalid_url: <detail>`.
   */
  error: string | null;
  /** From Retry-After (seconds or HTTP date), whatever the status. */
  retryAfterSeconds: number | null;
  /** 410 Gone: the endpoint must be disabled at once. */
  gone: boolean;
}

export interface DeliverOnceOptions {
  url: string;
  body: string;
  headers: Record<string, string>;
  /** Whole exchange: connect, request, response headers and the bounded body read. */
  timeoutMs: number;
  /** Normally the SSRF-guarded agent from createGuardedAgent. */
  dispatcher: Dispatcher;
  /** Response bytes read at most before the body is abandoned. Default 4096. */
  maxResponseBytes?: number;
}

const RESPONSE_BODY_CHARS = 500;
const DEFAULT_MAX_RESPONSE_BYTES = 4096;

/** True when the outcome is an SSRF refusal, which the caller should not retry. */
export function isDestinationRefused(outcome: AttemptOutcome): boolean {
  return outcome.error?.startsWith('destination_refused') ?? false;
}

/** Reads at most `maxBytes` from a byte stream, then destroys it so no more is downloaded. */
export async function readAtMost(
  body: AsyncIterable<Uint8Array> & { destroy(error?: Error): unknown },
  maxBytes: number,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    if (maxBytes > 0) {
      for await (const chunk of body) {
        const buf = Buffer.from(chunk);
        const room = maxBytes - total;
        chunks.push(buf.length > room ? buf.subarray(0, room) : buf);
        total += Math.min(buf.length, room);
        if (total >= maxBytes) break;
      }
    }
  } finally {
    // Leaving the rest unread would keep the socket busy (and, for a huge body, downloading).
    body.destroy();
  }
  return Buffer.concat(chunks, total);
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** Retry-After as delay-seconds or an HTTP date; null when absent or unparseable. */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | null {
  if (value === undefined) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  if (!/[a-z]/i.test(trimmed)) return null;
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return null;
  return Math.max(0, Math.ceil((at - now) / 1000));
}

function truncateChars(text: string, max: number): string {
  // By code point, so an emoji at the boundary is not cut into a lone surrogate.
  let out = '';
  let count = 0;
  for (const char of text) {
    if (count === max) break;
    out += char;
    count++;
  }
  return out;
}

function findSsrfError(err: unknown): { reason: string } | null {
  let current: unknown = err;
  for (let depth = 0; current && depth < 5; depth++) {
    const e = current as { code?: unknown; reason?: unknown; message?: unknown; cause?: unknown };
    if (e.code === 'ESSRF') {
      return { reason: typeof e.reason === 'string' ? e.reason : String(e.message ?? 'refused') };
    }
    current = e.cause;
  }
  return null;
}

function describeError(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown; cause?: unknown };
  const cause = e.cause as { code?: unknown; message?: unknown } | undefined;
  const code = typeof e.code === 'string' ? e.code : typeof cause?.code === 'string' ? cause.code : null;
  const message = typeof e.message === 'string' && e.message !== '' ? e.message : String(err);
  return code && !message.includes(code) ? `${code} ${message}` : message;
}

export async function deliverOnce(opts: DeliverOnceOptions): Promise<AttemptOutcome> {
  const started = performance.now();
  const maxBytes = opts.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new Error('webhook attempt timed out'));
  }, opts.timeoutMs);

  let statusCode: number | null = null;
  let retryAfterSeconds: number | null = null;
  let responseBody = '';
  const finish = (error: string | null): AttemptOutcome => ({
    ok: error === null,
    statusCode,
    latencyMs: Math.round(performance.now() - started),
    responseBody,
    error,
    retryAfterSeconds,
    gone: statusCode === 410,
  });

  try {
    let url: URL;
    try {
      url = new URL(opts.url);
    } catch {
      return finish('invalid_url: not a valid URL');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      return finish(`invalid_url: unsupported protocol ${url.protocol}`);
    }

    let response: Dispatcher.ResponseData;
    try {
      const headers: Record<string, string> = { 'user-agent': 'Warden-Webhooks/1' };
      for (const [name, value] of Object.entries(opts.headers)) {
        const lower = name.toLowerCase();
        if (lower === 'content-type') continue; // always JSON, whatever the caller passed
        headers[lower === 'user-agent' ? lower : name] = value;
      }
      headers['content-type'] = 'application/json';
      // undici.request never follows redirects (no redirect interceptor), which is what we want.
      response = await request(url, {
        method: 'POST',
        headers,
        body: opts.body,
        dispatcher: opts.dispatcher,
        signal: controller.signal,
      });
    } catch (err) {
      const refused = findSsrfError(err);
      if (refused) return finish(`destination_refused: ${refused.reason}`);
      if (timedOut) return finish('timeout');
      return finish(`network_error: ${describeError(err)}`);
    }

    statusCode = response.statusCode;
    retryAfterSeconds = parseRetryAfter(firstHeader(response.headers['retry-after']));

    let readError: string | null = null;
    try {
      const bytes = await readAtMost(response.body, maxBytes);
      responseBody = truncateChars(new TextDecoder('utf-8').decode(bytes), RESPONSE_BODY_CHARS);
    } catch (err) {
      readError = timedOut ? 'timeout' : `read_error: ${describeError(err)}`;
    }

    if (statusCode >= 300 && statusCode < 400) return finish('redirect_not_followed');
    if (readError) return finish(readError);
    if (statusCode < 200 || statusCode >= 300) return finish(`http_status_${statusCode}`);
    return finish(null);
  } catch (err) {
    // Defensive: nothing above should throw, but the contract is "never throws".
    return finish(timedOut ? 'timeout' : `network_error: ${describeError(err)}`);
  } finally {
    clearTimeout(timer);
  }
}
