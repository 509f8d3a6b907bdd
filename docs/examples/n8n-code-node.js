// n8n Code node — JavaScript, mode "Run Once for All Items".
// Put it right after a Webhook node set to: HTTP Method POST, Respond "Immediately"
// (Warden gets its 200 at once), and Options → Raw Body ON (the signature covers the raw bytes).
// Self-hosted n8n must allow the crypto module: NODE_FUNCTION_ALLOW_BUILTIN=crypto.
// Output: one item per new, verified event; forged, stale and duplicate deliveries are dropped.
const crypto = require('crypto');

const SECRET = $env.WARDEN_WEBHOOK_SECRET; // or paste the whsec_… secret here
const TOLERANCE_SECONDS = 300;
const REMEMBER = 5000; // request ids kept for deduplication

// Static data survives between executions of the active workflow (not in manual test runs).
const memory = $getWorkflowStaticData('global');
memory.seen = memory.seen || [];

const out = [];
for (const [index, item] of $input.all().entries()) {
  const headers = item.json.headers || {};
  const requestId = headers['x-wa-request-id'];
  const timestamp = headers['x-wa-timestamp'];
  const signature = String(headers['x-wa-signature'] || '');

  const raw = await this.helpers.getBinaryDataBuffer(index, 'data');
  const expected = crypto.createHmac('sha256', SECRET).update(`${timestamp}.`).update(raw).digest();
  const signed = signature.split(/[\s,]+/).some((entry) => {
    const m = /^sha256=([0-9a-f]{64})$/i.exec(entry);
    return m !== null && crypto.timingSafeEqual(Buffer.from(m[1], 'hex'), expected);
  });
  const fresh = Math.abs(Date.now() - Date.parse(timestamp)) <= TOLERANCE_SECONDS * 1000;
  if (!requestId || !signed || !fresh) continue; // not from Warden, or replayed
  if (memory.seen.includes(requestId)) continue; // a retry of an event already handled

  memory.seen.push(requestId);
  if (memory.seen.length > REMEMBER) memory.seen.splice(0, memory.seen.length - REMEMBER);

  const event = JSON.parse(raw.toString('utf8'));
  out.push({ json: { request_id: requestId, event: event.event, instance_id: event.instance_id, payload: event.payload } });
}
return out;
