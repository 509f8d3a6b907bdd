// A Warden webhook receiver in plain Node.js (18+), no dependencies.
//
//   WARDEN_WEBHOOK_SECRET='whsec_…' PORT=4000 node node-receiver.mjs
//
// What it does, in order, for every POST:
//   1. reads the raw body (the signature covers the exact bytes; never re-serialize the JSON),
//   2. checks X-WA-Timestamp is recent and X-WA-Signature matches (constant-time),
//   3. drops duplicates: deliveries are at-least-once and a retry carries the same X-WA-Request-ID,
//   4. hands the event to `enqueue` (fast and durable in production: an INSERT with a unique
//      request_id, or a queue push) and only then answers 200. If enqueue fails it answers 500,
//      and Warden retries later,
//   5. does the slow work (CRM calls, emails) after answering, from the queue.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';

/**
 * True when one of the `sha256=<hex>` entries of X-WA-Signature is
 * HMAC-SHA256(secret, timestamp + "." + rawBody). The key is the whole secret string, `whsec_`
 * prefix included. During a secret rotation the header carries two entries, newest first.
 */
export function verifyWardenSignature(secret, timestamp, rawBody, signatureHeader) {
  if (!secret || !timestamp || !signatureHeader) return false;
  const expected = createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest();
  let ok = false;
  for (const entry of String(signatureHeader).split(/[\s,]+/)) {
    const match = /^sha256=([0-9a-f]{64})$/i.exec(entry);
    if (match && timingSafeEqual(Buffer.from(match[1], 'hex'), expected)) ok = true;
  }
  return ok;
}

/** X-WA-Timestamp (RFC 3339 UTC, e.g. 2026-05-08T10:00:00Z) within `toleranceSeconds` of now. */
export function isFreshTimestamp(timestamp, toleranceSeconds = 300, now = Date.now()) {
  const t = Date.parse(timestamp);
  return Number.isFinite(t) && Math.abs(now - t) <= toleranceSeconds * 1000;
}

/**
 * A request handler for http.createServer().
 * @param {object} options
 * @param {string | string[]} options.secret  the webhook secret (both old and new while you rotate)
 * @param {(event: object, meta: {requestId: string}) => Promise<void> | void} options.enqueue
 */
export function createReceiver({
  secret,
  enqueue,
  toleranceSeconds = 300,
  maxBodyBytes = 1024 * 1024,
  rememberMs = 24 * 3600 * 1000,
}) {
  const secrets = Array.isArray(secret) ? secret : [secret];
  const seen = new Map(); // request id → forget after (ms). Use your database in production.

  const answer = (res, status, body) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };

  return (req, res) => {
    if (req.method !== 'POST') return answer(res, 405, { error: 'method_not_allowed' });
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > maxBodyBytes) req.destroy();
      else chunks.push(chunk);
    });
    req.on('end', async () => {
      const raw = Buffer.concat(chunks);
      const timestamp = req.headers['x-wa-timestamp'];
      const requestId = req.headers['x-wa-request-id'];
      const signature = req.headers['x-wa-signature'];
      const valid =
        typeof requestId === 'string' &&
        isFreshTimestamp(timestamp, toleranceSeconds) &&
        secrets.some((s) => verifyWardenSignature(s, timestamp, raw, signature));
      if (!valid) return answer(res, 401, { error: 'invalid_signature' });

      const now = Date.now();
      for (const [id, until] of seen) if (until < now) seen.delete(id);
      if (seen.has(requestId)) return answer(res, 200, { ok: true, duplicate: true });

      let event;
      try {
        event = JSON.parse(raw.toString('utf8'));
      } catch {
        return answer(res, 400, { error: 'invalid_json' });
      }
      try {
        await enqueue(event, { requestId });
      } catch (error) {
        console.error('could not accept event', requestId, error);
        return answer(res, 500, { error: 'try_again' }); // Warden retries
      }
      seen.set(requestId, now + rememberMs);
      answer(res, 200, { ok: true });
    });
  };
}

// Run directly: a tiny in-memory queue that logs each event after the 200 went out.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const secret = process.env.WARDEN_WEBHOOK_SECRET;
  if (!secret) {
    console.error('Set WARDEN_WEBHOOK_SECRET to the secret returned by POST /api/webhooks.');
    process.exit(1);
  }
  const queue = [];
  const work = async () => {
    for (let event = queue.shift(); event; event = queue.shift()) {
      console.log(event.event, event.instance_id ?? '-', JSON.stringify(event.payload));
    }
  };
  const handler = createReceiver({
    secret,
    enqueue: (event) => {
      queue.push(event);
      setImmediate(work);
    },
  });
  const port = Number(process.env.PORT ?? 4000);
  createServer(handler).listen(port, '127.0.0.1', () =>
    console.log(`listening on http://127.0.0.1:${port}/ (subscribe this URL in Warden)`),
  );
}
