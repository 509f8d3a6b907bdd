/**
 * Signs webhook deliveries with two schemes at once:
 * - Warden's own `X-WA-*` headers (HMAC-SHA256 hex over `timestamp + "." + body`, keyed with the
 *   whole `whsec_…` string exactly as the API returned it), and
 * - Standard Webhooks `webhook-*` headers (HMAC-SHA256 base64 over `id.unixTs.body`, keyed with
 *   the base64-decoded bytes after `whsec_`), so receivers can use the `standardwebhooks` libraries.
 *
 * Multiple secrets (rotation grace period): `secrets[0]` is the newest. Both signature headers
 * carry one entry per secret, newest first, separated by a single space:
 *   X-WA-Signature: sha256=<newest> sha256=<previous>
 *   webhook-signature: v1,<newest> v1,<previous>
 * Space rather than comma because it is exactly how Standard Webhooks lists signatures (one
 * parsing rule for receivers to learn), and because a comma is how HTTP folds repeated header
 * lines, so a comma list would be indistinguishable from a proxy merging duplicates. With one
 * secret the header is exactly `sha256=<hex>`, so single-secret receivers compare the whole value.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { isoSeconds } from '../lib/clock.ts';

const SECRET_PREFIX = 'whsec_';

export interface SignWebhookInput {
  /** Active secrets, newest first. More than one only during a rotation grace period. */
  secrets: readonly string[];
  /** Same value for the envelope's request_id, X-WA-Request-ID and webhook-id, across retries. */
  requestId: string;
  /** The attempt time; truncated to whole seconds so both schemes sign the same instant. */
  timestamp: Date;
  /** The exact bytes that will be sent, as a string (UTF-8 on the wire). */
  body: string;
  /** Event name for `X-WA-Event`; not covered by either signature. */
  event?: string | undefined;
}

/** `whsec_` + base64 of 32 random bytes (Standard Webhooks secret format). */
export function generateWebhookSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString('base64');
}

/**
 * RFC 3339 UTC with second precision (`2026-05-08T10:00:00Z`). `toISOString()` always adds
 * milliseconds, and `…:00Z` vs `…:00.000Z` give different MACs, so the form is fixed here.
 */
export function formatWaTimestamp(date: Date): string {
  const ms = date.getTime();
  if (!Number.isFinite(ms)) throw new Error('webhook timestamp is not a valid date');
  return isoSeconds(ms);
}

/** `sha256=<hex>` of HMAC-SHA256(key = whole secret string, data = timestamp + "." + body). */
export function computeWaSignature(secret: string, timestamp: string, body: string | Uint8Array): string {
  if (secret === '') throw new Error('webhook secret is empty');
  const mac = createHmac('sha256', secret);
  mac.update(`${timestamp}.`);
  mac.update(body);
  return `sha256=${mac.digest('hex')}`;
}

function standardKey(secret: string): Buffer {
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  const key = Buffer.from(encoded, 'base64');
  if (key.length === 0) throw new Error('webhook secret has no key bytes after whsec_');
  return key;
}

/** `v1,<base64>` of HMAC-SHA256(key = base64-decoded bytes after `whsec_`, data = `${id}.${unixTs}.${body}`). */
export function computeStandardSignature(
  secret: string,
  requestId: string,
  unixSeconds: number,
  body: string | Uint8Array,
): string {
  const mac = createHmac('sha256', standardKey(secret));
  mac.update(`${requestId}.${unixSeconds}.`);
  mac.update(body);
  return `v1,${mac.digest('base64')}`;
}

// Header values must not be able to smuggle extra headers, and the Standard Webhooks spec
// forbids `.` in the id because it is the field separator of the signed content.
function assertHeaderSafe(name: string, value: string): void {
  if (value === '' || /[\r\n\0]/.test(value))
    throw new Error(`${name} must be a non-empty single-line value`);
}

export function signWebhook(input: SignWebhookInput): Record<string, string> {
  const secrets = [...new Set(input.secrets)];
  if (secrets.length === 0) throw new Error('signWebhook needs at least one secret');
  assertHeaderSafe('requestId', input.requestId);
  if (input.requestId.includes('.') || /\s/.test(input.requestId)) {
    throw new Error('requestId must not contain "." or whitespace');
  }
  if (input.event !== undefined) assertHeaderSafe('event', input.event);

  const waTimestamp = formatWaTimestamp(input.timestamp);
  const unixSeconds = Math.floor(input.timestamp.getTime() / 1000);

  const headers: Record<string, string> = {
    'X-WA-Request-ID': input.requestId,
    'X-WA-Timestamp': waTimestamp,
    'X-WA-Signature': secrets.map((s) => computeWaSignature(s, waTimestamp, input.body)).join(' '),
    'X-WA-Signature-Alg': 'HMAC-SHA256',
    'webhook-id': input.requestId,
    'webhook-timestamp': String(unixSeconds),
    'webhook-signature': secrets
      .map((s) => computeStandardSignature(s, input.requestId, unixSeconds, input.body))
      .join(' '),
  };
  if (input.event !== undefined) headers['X-WA-Event'] = input.event;
  return headers;
}

/**
 * Checks an `X-WA-Signature` header (one or more space- or comma-separated `sha256=<hex>`
 * entries) against one secret. Constant time per entry; no timestamp tolerance here, callers
 * that receive webhooks must also reject stale `X-WA-Timestamp` values.
 */
export function verifyWaSignature(
  secret: string,
  timestamp: string,
  body: string | Uint8Array,
  header: string,
): boolean {
  if (secret === '' || typeof header !== 'string') return false;
  const expected = Buffer.from(computeWaSignature(secret, timestamp, body).slice('sha256='.length), 'hex');
  let matched = false;
  for (const entry of header.split(/[\s,]+/)) {
    const match = /^sha256=([0-9a-fA-F]{64})$/.exec(entry);
    if (!match?.[1]) continue;
    // Keep looping after a match so timing does not reveal which entry matched.
    if (timingSafeEqual(Buffer.from(match[1], 'hex'), expected)) matched = true;
  }
  return matched;
}

export interface WebhookTestVector {
  readonly name: string;
  readonly secrets: readonly string[];
  readonly requestId: string;
  /** The `X-WA-Timestamp` value; `webhook-timestamp` is the same instant in unix seconds. */
  readonly timestamp: string;
  readonly unixTimestamp: number;
  readonly body: string;
  readonly expected: {
    readonly 'X-WA-Signature': string;
    readonly 'webhook-signature': string;
  };
}

/**
 * Published known-answer vectors (docs and receiver tests). Computed once and frozen as
 * literals; test/unit/webhook-signer.test.ts checks the signer still reproduces them and that
 * node:crypto and the `standardwebhooks` package agree independently.
 */
export const TEST_VECTORS: readonly WebhookTestVector[] = Object.freeze([
  Object.freeze({
    name: 'single secret',
    secrets: Object.freeze(['whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=']),
    requestId: '0f8fad5b-d9cb-469f-a165-70867728950e',
    timestamp: '2026-05-08T10:00:00Z',
    unixTimestamp: 1778234400,
    body: '{"event":"recipient.opted_out","request_id":"0f8fad5b-d9cb-469f-a165-70867728950e","timestamp":"2026-05-08T10:00:00Z","payload":{"from":"+966500000000","reason":"recipient_requested_stop","message_text":"STOP"}}',
    expected: Object.freeze({
      'X-WA-Signature': 'sha256=69b49275d8be99c0621f88e12dfc0bd57eae18903257e7271406c9da3fc3f7bd',
      'webhook-signature': 'v1,0zmhLTbtIQ6gGJuHVcfbwbOxwgf1aCAkWK6Jc2iAYRc=',
    }),
  }),
  Object.freeze({
    name: 'non-ASCII body (signed as UTF-8 bytes)',
    secrets: Object.freeze(['whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=']),
    requestId: '7c9e6679-7425-40de-944b-e07fc1f90ae7',
    timestamp: '2026-05-08T10:00:01Z',
    unixTimestamp: 1778234401,
    body: '{"event":"message.received","payload":{"text":"مرحبا 👋 café"}}',
    expected: Object.freeze({
      'X-WA-Signature': 'sha256=f880b8a709ba8bf36555362fb27f0562d34a4629d9574eea297b41b4d5d72cee',
      'webhook-signature': 'v1,dVs0+HXiNgUNFW/oVp94Ou4TzFGNLsH3y9s+iMiPE7c=',
    }),
  }),
  Object.freeze({
    name: 'rotation: two secrets, newest first',
    secrets: Object.freeze([
      'whsec_ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=',
      'whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=',
    ]),
    requestId: '16fd2706-8baf-433b-82eb-8c7fada847da',
    timestamp: '2026-05-08T10:00:02Z',
    unixTimestamp: 1778234402,
    body: '{"event":"message.sent"}',
    expected: Object.freeze({
      'X-WA-Signature':
        'sha256=004366e55a3bfc3c417a54641f7e0022bd1191154b6c19fad95ed46bd7f1c845 sha256=2b2bfe225806993ddc1d22b11395ed46b4414c27894163bd5970bffefae1e5a2',
      'webhook-signature':
        'v1,P4B7efjWWIKqTwzS/+E5ubMw1DkV6jg4Ibu+PRNld9c= v1,bM7tuEkjUM4wx4IiP4NcQ1YsPVqWPuYopu5jiZt4rAo=',
    }),
  }),
]);
