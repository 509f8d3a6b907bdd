import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import type supertest from 'supertest';
import { describePublicErrors } from '../../src/errors/errors.ts';
import { ManualClock } from '../../src/lib/clock.ts';
import {
  createTestContext,
  generousThrottles,
  type TestContext,
  type TestContextOptions,
  type HttpMethod,
} from '../support/test-app.ts';

/**
 * The 3CX webhook (SPEC §10, reference/003): every row of the troubleshooting table, the
 * generic pre-authentication error, HMAC, replay, the 256 KB boundary, the per-minute limit, the
 * conversation window, the call-event cooldown and templates.
 */

const CUSTOMER = '+6281234567890';
const OTHER = '+6281298765432';
const GENERIC = {
  success: false,
  error: 'invalid_3cx_webhook',
  message: 'Invalid 3CX webhook request.',
};
const ERRORS = Object.fromEntries(describePublicErrors().map((e) => [e.code, e]));

type Res = supertest.Response;

/** Status, code and exact message of the 3CX-specific errors (the public contract). */
const THREECX_ERRORS: Record<string, { status: number; message: string }> = {
  payload_too_large: { status: 413, message: 'Request body is too large.' },
  webhook_rate_limited: {
    status: 429,
    message:
      'More than 60 requests per minute were sent for this 3CX integration. Slow down the event sender.',
  },
  missing_phone: {
    status: 422,
    message:
      'The 3CX event does not include a valid customer phone. Include to, from, customer_phone, caller, or phone.',
  },
  missing_message_text: {
    status: 422,
    message:
      'The 3CX event does not include message text. Include message_text or message in the event payload.',
  },
  conversation_window_closed: {
    status: 403,
    message:
      'The recipient has not messaged first or the last inbound WhatsApp message is outside the active conversation window.',
  },
  outbound_disabled: {
    status: 403,
    message: 'Outbound messaging is disabled in the 3CX integration settings.',
  },
  call_events_disabled: {
    status: 403,
    message: 'Call events are disabled in the 3CX integration settings.',
  },
  module_not_enabled: {
    status: 403,
    message: '3CX integration is not enabled for this account.',
  },
};

function expectError(res: Res, code: string): void {
  const spec = THREECX_ERRORS[code] ?? ERRORS[code];
  assert.ok(spec, `unknown code ${code}`);
  assert.equal(res.status, spec.status, `status for ${code}: ${JSON.stringify(res.body)}`);
  assert.equal(res.body.success, false);
  assert.equal(res.body.error, code, JSON.stringify(res.body));
  assert.equal(res.body.message, spec.message);
  assert.match(String(res.headers['content-type']), /application\/json/);
}

function expectGeneric(res: Res, what: string): void {
  assert.equal(res.status, 401, `${what}: ${res.status} ${JSON.stringify(res.body)}`);
  assert.deepEqual(res.body, GENERIC, what);
}

function sign(secret: string, timestamp: string, body: string, prefixed = true): string {
  const hex = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return prefixed ? `sha256=${hex}` : hex;
}

interface HookOptions {
  secret?: string | null;
  hmac?: 'prefixed' | 'bare' | false;
  timestamp?: string;
  signature?: string;
  headers?: Record<string, string>;
  raw?: string;
}

describe('3CX webhook', () => {
  let ctx: TestContext;
  let clock: ManualClock;
  let key: string;
  let accountId: string;
  let instanceId: string;

  const api = (method: HttpMethod, path: string, body?: unknown) => ctx.request(key, method, path, body);
  const createIntegration = async (body: Record<string, unknown> = {}) => {
    const res = await api('post', '/api/integrations/3cx', {
      instance_id: instanceId,
      business_name: 'Acme Support',
      ...body,
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return {
      id: res.body.id as string,
      secret: res.body.secret as string,
      body: res.body,
    };
  };
  const hook = (integrationId: string, secret: string | null, body: unknown, options: HookOptions = {}) => {
    const raw = options.raw ?? JSON.stringify(body);
    const req = ctx.http
      .post(`/integrations/3cx/webhook/${integrationId}`)
      .set('Content-Type', 'application/json');
    if (secret !== null) req.set('X-WhatsApp-Gateway-3CX-Secret', options.secret ?? secret);
    if (options.hmac) {
      const timestamp = options.timestamp ?? String(Math.floor(clock.now().getTime() / 1000));
      req.set('X-WhatsApp-Gateway-Timestamp', timestamp);
      req.set(
        'X-WhatsApp-Gateway-Signature',
        options.signature ?? sign(secret ?? '', timestamp, raw, options.hmac === 'prefixed'),
      );
    }
    for (const [h, v] of Object.entries(options.headers ?? {})) req.set(h, v);
    return req.send(raw);
  };
  const inbound = async (from = CUSTOMER, text = 'Hello, where is my order?') => {
    const res = await api('post', `/api/instances/${instanceId}/sandbox/inbound`, { from, text });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    await ctx.container.inbound.drain();
  };
  const reply = (over: Record<string, unknown> = {}) => ({
    event_type: 'outbound_message',
    to: CUSTOMER,
    message_text: 'Your support request has been updated.',
    message_purpose: 'support',
    conversation_id: '3cx-chat-123',
    agent_extension: '101',
    ...over,
  });

  async function setup(options: Omit<TestContextOptions, 'clock'> = {}): Promise<void> {
    clock = new ManualClock('2026-05-08T10:00:00Z');
    ctx = await createTestContext({
      clock,
      policies: generousThrottles,
      ...options,
    });
    ({ id: accountId, key } = await ctx.createAccount({
      modules: ['api', 'threecx'],
    }));
    instanceId = await ctx.createConnectedInstance(key, 'Support Line');
  }

  afterEach(async () => {
    await ctx.container.inbound.drain();
    await ctx.close();
  });

  describe('authentication', () => {
    beforeEach(() => setup());

    it('test event with the right secret answers 200 and is recorded', async () => {
      const { id, secret } = await createIntegration();
      const res = await hook(id, secret, { event_type: 'test' });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(res.body, {
        success: true,
        event_type: 'test',
        integration_id: id,
        status: 'ok',
        message: '3CX webhook authenticated.',
      });
      const events = await api('get', `/api/integrations/3cx/${id}/events`);
      assert.equal(events.status, 200);
      assert.equal(events.body.events[0].event_type, 'test');
      assert.equal(events.body.events[0].outcome, 'accepted');
    });

    it('every pre-authentication failure answers the same generic error', async () => {
      const { id, secret } = await createIntegration({
        ip_allowlist: ['10.0.0.0/8'],
      });
      const open = await createIntegration();
      const disabled = await createIntegration();
      await api('patch', `/api/integrations/3cx/${disabled.id}`, {
        enabled: false,
      });
      const hmac = await createIntegration({ require_hmac: true });
      const body = { event_type: 'test' };
      const old = String(Math.floor(clock.now().getTime() / 1000) - 301);
      const cases: [string, Promise<Res>][] = [
        ['unknown integration', hook('tcx_doesnotexist000000000', open.secret, body)],
        ['malformed integration id', hook('..%2F..%2Fetc', open.secret, body)],
        ['another integration’s secret', hook(open.id, disabled.secret, body)],
        ['disabled integration', hook(disabled.id, disabled.secret, body)],
        ['missing secret', hook(open.id, null, body)],
        ['wrong secret', hook(open.id, open.secret, body, { secret: `${open.secret}x` })],
        ['empty secret', hook(open.id, open.secret, body, { secret: '' })],
        ['IP not on the allowlist', hook(id, secret, body)],
        [
          'stale timestamp',
          hook(open.id, open.secret, body, {
            hmac: 'prefixed',
            timestamp: old,
          }),
        ],
        [
          'future timestamp',
          hook(open.id, open.secret, body, {
            hmac: 'prefixed',
            timestamp: String(Number(old) + 602),
          }),
        ],
        [
          'malformed timestamp',
          hook(open.id, open.secret, body, {
            hmac: 'prefixed',
            timestamp: 'yesterday',
          }),
        ],
        [
          'bad signature',
          hook(open.id, open.secret, body, {
            hmac: 'prefixed',
            signature: `sha256=${'0'.repeat(64)}`,
          }),
        ],
        [
          'garbage signature',
          hook(open.id, open.secret, body, {
            hmac: 'prefixed',
            signature: 'sha256=xyz',
          }),
        ],
        [
          'signature over another body',
          hook(open.id, open.secret, body, {
            hmac: 'prefixed',
            signature: sign(
              open.secret,
              String(Math.floor(clock.now().getTime() / 1000)),
              '{"event_type":"x"}',
            ),
          }),
        ],
        ['HMAC required but absent', hook(hmac.id, hmac.secret, body)],
        [
          'signature without timestamp',
          hook(open.id, open.secret, body, {
            headers: {
              'X-WhatsApp-Gateway-Signature': sign(open.secret, '1', '{}'),
            },
          }),
        ],
        [
          'unknown integration with a huge body',
          hook('tcx_doesnotexist000000000', open.secret, null, {
            raw: 'x'.repeat(300_000),
          }),
        ],
        ['wrong secret with a huge body', hook(open.id, 'nope', null, { raw: 'x'.repeat(300_000) })],
        ['wrong secret with invalid JSON', hook(open.id, 'nope', null, { raw: '{"event_type":' })],
      ];
      for (const [what, pending] of cases) expectGeneric(await pending, what);
      // Nothing of this reached an integration's event log.
      const recorded = await ctx.container.db('threecx_events').count({ n: '*' }).first();
      assert.equal(Number(recorded?.n), 0);
    });

    it('unknown and known-but-wrong requests cost the same work (both compare a secret in constant time)', async () => {
      const { id, secret } = await createIntegration();
      const samples = async (target: string, n: number) => {
        const times: number[] = [];
        for (let i = 0; i < n; i++) {
          const started = performance.now();
          expectGeneric(await hook(target, secret, { event_type: 'test' }, { secret: 'wrong' }), target);
          times.push(performance.now() - started);
        }
        times.sort((a, b) => a - b);
        return times[Math.floor(n / 2)] as number;
      };
      await samples(id, 5);
      const known = await samples(id, 25);
      const unknown = await samples('tcx_doesnotexist000000000', 25);
      // A loose bound: it only catches an early return that skips the lookup or the comparison.
      assert.ok(
        unknown > known * 0.25 && unknown < known * 4,
        `median known ${known} ms vs unknown ${unknown} ms`,
      );
    });

    it('HMAC signatures with and without the sha256= prefix; replays are refused', async () => {
      const { id, secret } = await createIntegration({ require_hmac: true });
      const timestamp = String(Math.floor(clock.now().getTime() / 1000));
      const raw = JSON.stringify({ event_type: 'test' });
      const prefixed = await hook(id, secret, null, {
        raw,
        hmac: 'prefixed',
        timestamp,
      });
      assert.equal(prefixed.status, 200, JSON.stringify(prefixed.body));
      const raw2 = JSON.stringify({ event_type: 'test', n: 2 });
      const bare = await hook(id, secret, null, {
        raw: raw2,
        hmac: 'bare',
        timestamp,
      });
      assert.equal(bare.status, 200, JSON.stringify(bare.body));
      const upper = await hook(id, secret, null, {
        raw: JSON.stringify({ event_type: 'test', n: 3 }),
        hmac: 'prefixed',
        timestamp,
        signature: sign(secret, timestamp, JSON.stringify({ event_type: 'test', n: 3 }))
          .toUpperCase()
          .replace('SHA256=', 'sha256='),
      });
      assert.equal(upper.status, 200, JSON.stringify(upper.body));
      // The very same signed request again: a replay.
      expectGeneric(await hook(id, secret, null, { raw, hmac: 'prefixed', timestamp }), 'replay (prefixed)');
      expectGeneric(await hook(id, secret, null, { raw: raw2, hmac: 'bare', timestamp }), 'replay (bare)');
      // RFC 3339 and millisecond timestamps are accepted as well.
      const rfc = clock.now().toISOString();
      assert.equal(
        (
          await hook(id, secret, null, {
            raw: '{"event_type":"test","n":4}',
            hmac: 'prefixed',
            timestamp: rfc,
          })
        ).status,
        200,
      );
      const ms = String(clock.now().getTime());
      assert.equal(
        (
          await hook(id, secret, null, {
            raw: '{"event_type":"test","n":5}',
            hmac: 'bare',
            timestamp: ms,
          })
        ).status,
        200,
      );
      // Four and a half minutes of skew either way is fine.
      const skewed = String(Math.floor(clock.now().getTime() / 1000) - 270);
      assert.equal(
        (
          await hook(id, secret, null, {
            raw: '{"event_type":"test","n":6}',
            hmac: 'bare',
            timestamp: skewed,
          })
        ).status,
        200,
      );
      // Signature headers are verified when sent, even without require_hmac.
      const loose = await createIntegration();
      assert.equal(
        (await hook(loose.id, loose.secret, { event_type: 'test' }, { hmac: 'prefixed' })).status,
        200,
      );
      expectGeneric(
        await hook(
          loose.id,
          loose.secret,
          { event_type: 'test' },
          { hmac: 'prefixed', signature: `sha256=${'a'.repeat(64)}` },
        ),
        'bad signature without require_hmac',
      );
    });

    it('replay rows expire: the same signature is refused while its timestamp is still fresh', async () => {
      const { id, secret } = await createIntegration({ require_hmac: true });
      const timestamp = String(Math.floor(clock.now().getTime() / 1000));
      const raw = '{"event_type":"test"}';
      assert.equal((await hook(id, secret, null, { raw, hmac: 'bare', timestamp })).status, 200);
      clock.advance(4 * 60_000);
      expectGeneric(await hook(id, secret, null, { raw, hmac: 'bare', timestamp }), 'replay 4 minutes later');
      clock.advance(2 * 60_000);
      expectGeneric(await hook(id, secret, null, { raw, hmac: 'bare', timestamp }), 'stale 6 minutes later');
      clock.advance(10 * 60_000);
      // A fresh request purges the expired replay rows of the integration.
      const fresh = String(Math.floor(clock.now().getTime() / 1000));
      assert.equal((await hook(id, secret, null, { raw, hmac: 'bare', timestamp: fresh })).status, 200);
      const rows = await ctx.container.db('threecx_replays').where({ integration_id: id });
      assert.equal(rows.length, 1);
    });

    it('IP allowlist honours X-Forwarded-For only from trusted proxies', async () => {
      const direct = await createIntegration({ ip_allowlist: ['127.0.0.1'] });
      assert.equal((await hook(direct.id, direct.secret, { event_type: 'test' })).status, 200);
      const cidr = await createIntegration({
        ip_allowlist: ['127.0.0.0/8', '2001:db8::/32'],
      });
      assert.equal((await hook(cidr.id, cidr.secret, { event_type: 'test' })).status, 200);

      const remote = await createIntegration({
        ip_allowlist: ['203.0.113.0/24'],
      });
      expectGeneric(await hook(remote.id, remote.secret, { event_type: 'test' }), 'not allowed');
      // A client cannot claim an allowed address by itself.
      expectGeneric(
        await hook(
          remote.id,
          remote.secret,
          { event_type: 'test' },
          { headers: { 'X-Forwarded-For': '203.0.113.7' } },
        ),
        'spoofed X-Forwarded-For without trusted proxies',
      );

      const proxied = await createIntegration({
        ip_allowlist: ['203.0.113.0/24'],
        trusted_proxies: ['127.0.0.1'],
      });
      assert.equal(
        (
          await hook(
            proxied.id,
            proxied.secret,
            { event_type: 'test' },
            { headers: { 'X-Forwarded-For': '203.0.113.7' } },
          )
        ).status,
        200,
      );
      // The rightmost untrusted hop counts, not what the client put at the left.
      expectGeneric(
        await hook(
          proxied.id,
          proxied.secret,
          { event_type: 'test' },
          {
            headers: { 'X-Forwarded-For': '203.0.113.7, 198.51.100.9' },
          },
        ),
        'client-supplied left entry',
      );
      expectGeneric(
        await hook(
          proxied.id,
          proxied.secret,
          { event_type: 'test' },
          { headers: { 'X-Forwarded-For': 'garbage' } },
        ),
        'malformed X-Forwarded-For',
      );
      expectGeneric(
        await hook(proxied.id, proxied.secret, { event_type: 'test' }),
        'proxy itself is not allowed',
      );
    });

    it('the 256 KB body limit: exactly 256 KB is accepted, one byte more is payload_too_large', async () => {
      const { id, secret } = await createIntegration();
      const bodyOf = (size: number) => {
        const prefix = '{"event_type":"test","pad":"';
        const suffix = '"}';
        return prefix + 'x'.repeat(size - prefix.length - suffix.length) + suffix;
      };
      const exact = bodyOf(256 * 1024);
      assert.equal(Buffer.byteLength(exact), 262_144);
      const ok = await hook(id, secret, null, { raw: exact });
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      const signed = await hook(id, secret, null, {
        raw: bodyOf(256 * 1024 - 10),
        hmac: 'prefixed',
      });
      assert.equal(signed.status, 200, JSON.stringify(signed.body));
      const over = await hook(id, secret, null, {
        raw: bodyOf(256 * 1024 + 1),
      });
      expectError(over, 'payload_too_large');
      assert.equal(over.body.details.limit_bytes, 262_144);
    });

    it('61st request in a minute is webhook_rate_limited; the next minute is fresh', async () => {
      const { id, secret } = await createIntegration();
      const other = await createIntegration();
      for (let i = 1; i <= 60; i++) {
        const res = await hook(id, secret, { event_type: 'test', n: i });
        assert.equal(res.status, 200, `request ${i}: ${JSON.stringify(res.body)}`);
      }
      clock.advance(30_000);
      const limited = await hook(id, secret, { event_type: 'test', n: 61 });
      expectError(limited, 'webhook_rate_limited');
      assert.equal(limited.headers['retry-after'], '30');
      assert.equal(limited.body.details.retry_after, 30);
      // Per integration: another one is unaffected.
      assert.equal((await hook(other.id, other.secret, { event_type: 'test' })).status, 200);
      // Strangers are not counted, and still get the generic error.
      expectGeneric(await hook(id, 'wrong', { event_type: 'test' }), 'stranger during the limit');
      clock.advance(30_000);
      assert.equal((await hook(id, secret, { event_type: 'test', n: 62 })).status, 200);
    });

    it('invalid_json after authentication (also an empty body)', async () => {
      const { id, secret } = await createIntegration();
      expectError(await hook(id, secret, null, { raw: '{"event_type": ' }), 'invalid_json');
      expectError(await hook(id, secret, null, { raw: '' }), 'invalid_json');
      const array = await hook(id, secret, [1, 2]);
      expectError(array, 'validation_error');
      const unknown = await hook(id, secret, { event_type: 'sms_blast' });
      expectError(unknown, 'validation_error');
      assert.equal(unknown.body.details.errors[0].field, '/event_type');
    });

    it('module_not_enabled when the account loses the threecx module', async () => {
      const { id, secret } = await createIntegration();
      const patch = await ctx.admin('patch', `/admin/api/accounts/${accountId}`, { modules: ['api'] });
      assert.equal(patch.status, 200, JSON.stringify(patch.body));
      expectError(await hook(id, secret, { event_type: 'test' }), 'module_not_enabled');
      expectError(await hook(id, secret, reply()), 'module_not_enabled');
    });

    it('rotate-secret: the old secret stops working at once; delete: the integration is unknown', async () => {
      const { id, secret } = await createIntegration();
      const rotated = await api('post', `/api/integrations/3cx/${id}/rotate-secret`);
      assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
      const fresh = rotated.body.secret as string;
      assert.notEqual(fresh, secret);
      expectGeneric(await hook(id, secret, { event_type: 'test' }), 'old secret');
      assert.equal((await hook(id, fresh, { event_type: 'test' })).status, 200);
      const del = await api('delete', `/api/integrations/3cx/${id}`);
      assert.equal(del.status, 200);
      expectGeneric(await hook(id, fresh, { event_type: 'test' }), 'deleted integration');
    });
  });

  describe('outbound_message / inbound_reply', () => {
    beforeEach(() => setup());

    it('sends a reply inside the conversation window through the ResponsibleMessageSender', async () => {
      const { id, secret } = await createIntegration();
      await inbound();
      clock.advance(60_000);
      const res = await hook(id, secret, reply());
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.success, true);
      assert.equal(res.body.status, 'sent');
      assert.equal(res.body.event_type, 'outbound_message');
      assert.match(res.body.message_id, /^3EB0/);
      const row = await ctx.container.db('messages').where({ id: res.body.log_id }).first();
      assert.equal(row.source, 'threecx');
      assert.equal(row.integration_id, id);
      assert.equal(row.purpose, 'support');
      assert.equal(row.recipient, CUSTOMER);
      assert.equal(row.reference, '3cx-chat-123');
      assert.equal(row.text, 'Your support request has been updated.');
      // inbound_reply and the `message` alias behave the same.
      const alias = await hook(id, secret, {
        event_type: 'inbound_reply',
        customer_phone: CUSTOMER,
        message: 'We have received your documents.',
        message_purpose: 'support',
      });
      assert.equal(alias.status, 200, JSON.stringify(alias.body));
      assert.equal(alias.body.event_type, 'inbound_reply');
      const sentEvent = await ctx.container
        .db('events')
        .where({ type: 'message.sent' })
        .orderBy('created_at', 'desc')
        .first();
      assert.equal(JSON.parse(sentEvent.envelope).payload.source, 'threecx');
    });

    it('conversation_window_closed: never messaged, or last message older than the window (injected clock)', async () => {
      const { id, secret } = await createIntegration();
      const never = await hook(id, secret, reply());
      expectError(never, 'conversation_window_closed');
      assert.equal(never.body.details.reason, 'no_inbound_message');
      await inbound();
      clock.advance(24 * 3600_000 - 1000);
      assert.equal((await hook(id, secret, reply())).status, 200, 'open one second before the end');
      clock.advance(1000);
      const closed = await hook(id, secret, reply());
      expectError(closed, 'conversation_window_closed');
      assert.equal(closed.body.details.reason, 'window_expired');
      assert.equal(closed.body.details.window_hours, 24);
      // Another contact's message does not open this contact's window.
      await inbound(OTHER);
      expectError(await hook(id, secret, reply()), 'conversation_window_closed');
      // A new message from the contact reopens it.
      await inbound(CUSTOMER, 'Any news?');
      assert.equal((await hook(id, secret, reply())).status, 200);
    });

    it('window_hours shortens the window; strict_window=false still needs the contact to have written', async () => {
      const short = await createIntegration({ window_hours: 2 });
      await inbound();
      clock.advance(2 * 3600_000);
      expectError(await hook(short.id, short.secret, reply()), 'conversation_window_closed');
      const relaxed = await createIntegration({ strict_window: false });
      assert.equal((await hook(relaxed.id, relaxed.secret, reply())).status, 200);
      expectError(await hook(relaxed.id, relaxed.secret, reply({ to: OTHER })), 'conversation_window_closed');
    });

    it('outbound_disabled', async () => {
      const { id, secret } = await createIntegration({
        outbound_enabled: false,
      });
      await inbound();
      expectError(await hook(id, secret, reply()), 'outbound_disabled');
    });

    it('missing_phone and missing_message_text', async () => {
      const { id, secret } = await createIntegration();
      await inbound();
      const noPhone = await hook(id, secret, reply({ to: undefined }));
      expectError(noPhone, 'missing_phone');
      const badPhone = await hook(id, secret, reply({ to: 'ext 101' }));
      expectError(badPhone, 'missing_phone');
      assert.equal(badPhone.body.details.field, 'to');
      for (const field of ['to', 'from', 'customer_phone', 'caller', 'phone']) {
        const res = await hook(id, secret, reply({ to: undefined, [field]: CUSTOMER }));
        assert.equal(res.status, 200, `${field}: ${JSON.stringify(res.body)}`);
      }
      expectError(await hook(id, secret, reply({ message_text: undefined })), 'missing_message_text');
      expectError(await hook(id, secret, reply({ message_text: '   ' })), 'missing_message_text');
      expectError(await hook(id, secret, reply({ message_text: 42 })), 'missing_message_text');
    });

    it('message_purpose_not_allowed: missing, disallowed or unknown', async () => {
      const { id, secret } = await createIntegration();
      await inbound();
      for (const [purpose, status] of [
        [undefined, 'missing'],
        ['marketing', 'disallowed'],
        ['promotion', 'disallowed'],
        ['unknown', 'unknown'],
      ] as const) {
        const res = await hook(id, secret, reply({ message_purpose: purpose }));
        expectError(res, 'message_purpose_not_allowed');
        assert.equal(res.body.details.purpose_status, status);
      }
      for (const purpose of ['operational', 'transactional']) {
        assert.equal((await hook(id, secret, reply({ message_purpose: purpose }))).status, 200);
      }
    });

    it('recipient_suppressed', async () => {
      const { id, secret } = await createIntegration();
      await inbound();
      const add = await api('post', '/api/suppressed-recipients', {
        phone: CUSTOMER,
      });
      assert.ok(add.status === 201 || add.status === 200, JSON.stringify(add.body));
      expectError(await hook(id, secret, reply()), 'recipient_suppressed');
      const row = await ctx.container.db('messages').orderBy('id', 'desc').first();
      assert.equal(row.error_code, 'recipient_suppressed');
      assert.equal(row.integration_id, id);
    });

    it('policy_violation', async () => {
      const { id, secret } = await createIntegration();
      await inbound();
      const res = await hook(
        id,
        secret,
        reply({
          message_text:
            'FLASH SALE!!! 70% OFF today only, buy now at bit.ly/xyz — limited offer, click here!',
        }),
      );
      expectError(res, 'policy_violation');
      assert.equal(res.body.details.action, 'block');
    });

    it('gateway_send_failed', async () => {
      const { id, secret } = await createIntegration();
      await inbound();
      const fail = await api('post', `/api/instances/${instanceId}/sandbox/fail-next`, { count: 1 });
      assert.equal(fail.status, 200, JSON.stringify(fail.body));
      expectError(await hook(id, secret, reply()), 'gateway_send_failed');
    });

    it('daily_message_limit_exceeded', async () => {
      const { id, secret } = await createIntegration();
      const patch = await ctx.admin('patch', `/admin/api/accounts/${accountId}`, {
        daily_limit_override: 1,
        override_reason: '3CX test',
        override_approved_by: 'tests',
      });
      assert.equal(patch.status, 200, JSON.stringify(patch.body));
      await inbound();
      assert.equal((await hook(id, secret, reply())).status, 200);
      const res = await hook(id, secret, reply({ message_text: 'A second update on your request.' }));
      expectError(res, 'daily_message_limit_exceeded');
    });

    it('instance paused for review is refused like any other send', async () => {
      const { id, secret } = await createIntegration();
      await inbound();
      const pause = await ctx.admin('post', `/admin/api/instances/${instanceId}/pause`, { reason: 'review' });
      assert.equal(pause.status, 200, JSON.stringify(pause.body));
      expectError(await hook(id, secret, reply()), 'instance_paused_for_review');
    });
  });

  describe('sending_throttled', () => {
    beforeEach(() =>
      setup({
        policies: (p) => {
          p.throttle.per_instance = { points: 1, duration_seconds: 60 };
          p.throttle.per_recipient = { points: 100, duration_seconds: 60 };
          p.throttle.new_recipients = { points: 100, duration_seconds: 60 };
          return p;
        },
      }),
    );

    it('the second reply in a throttled instance minute', async () => {
      const { id, secret } = await createIntegration();
      await inbound();
      assert.equal((await hook(id, secret, reply())).status, 200);
      const res = await hook(id, secret, reply({ message_text: 'One more update on your request.' }));
      expectError(res, 'sending_throttled');
      assert.ok(Number(res.headers['retry-after']) > 0);
    });
  });

  describe('call events', () => {
    beforeEach(() => setup());

    const missed = (over: Record<string, unknown> = {}) => ({
      event_type: 'missed_call',
      caller: CUSTOMER,
      to: '+966110000000',
      agent_extension: '101',
      queue: 'Support',
      call_time: '2026-05-08T09:58:00Z',
      ...over,
    });

    it('missed_call renders the default template with its variables and is sent as support', async () => {
      const { id, secret } = await createIntegration();
      await inbound();
      const res = await hook(id, secret, missed());
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.status, 'sent');
      const row = await ctx.container.db('messages').where({ id: res.body.log_id }).first();
      assert.equal(
        row.text,
        'Hello, this is Acme Support. We missed your call at 2026-05-08 09:58. Reply here on WhatsApp and our team will help you as soon as possible.',
      );
      assert.equal(row.purpose, 'support');
      assert.equal(row.source, 'threecx');
      assert.equal(row.integration_id, id);
      assert.equal(row.recipient, CUSTOMER, 'the caller, not the dialled number');
    });

    it('every templated call event renders its own template', async () => {
      const { id, secret } = await createIntegration();
      await inbound();
      const expected: Record<string, string> = {
        voicemail: 'Thank you for your voicemail to Acme Support.',
        call_ended: 'Thank you for calling Acme Support (agent 101).',
        queue_callback: 'Acme Support: your callback request for Support is registered.',
        after_hours: 'Thank you for contacting Acme Support.',
      };
      for (const [event, start] of Object.entries(expected)) {
        const res = await hook(id, secret, missed({ event_type: event }));
        assert.equal(res.status, 200, `${event}: ${JSON.stringify(res.body)}`);
        const row = await ctx.container.db('messages').where({ id: res.body.log_id }).first();
        assert.ok(String(row.text).startsWith(start), `${event}: ${row.text}`);
      }
    });

    it('call_started and queue_event are accepted without sending', async () => {
      const { id, secret } = await createIntegration();
      for (const event of ['call_started', 'queue_event']) {
        const res = await hook(id, secret, missed({ event_type: event }));
        assert.equal(res.status, 200);
        assert.equal(res.body.status, 'accepted');
        assert.equal(res.body.sent, false);
      }
      const count = await ctx.container.db('messages').count({ n: '*' }).first();
      assert.equal(Number(count?.n), 0);
    });

    it('15-minute cooldown per integration, event type and phone', async () => {
      const { id, secret } = await createIntegration();
      await inbound();
      await inbound(OTHER);
      assert.equal((await hook(id, secret, missed())).body.status, 'sent');
      clock.advance(5 * 60_000);
      const again = await hook(id, secret, missed());
      assert.equal(again.status, 200, JSON.stringify(again.body));
      assert.equal(again.body.success, true);
      assert.equal(again.body.status, 'skipped');
      assert.equal(again.body.reason, 'cooldown');
      assert.equal(again.body.retry_after, 600);
      // Other event types and other phones are separate.
      assert.equal((await hook(id, secret, missed({ event_type: 'voicemail' }))).body.status, 'sent');
      assert.equal((await hook(id, secret, missed({ caller: OTHER }))).body.status, 'sent');
      // Another integration is separate too.
      const second = await createIntegration();
      assert.equal((await hook(second.id, second.secret, missed())).body.status, 'sent');
      clock.advance(10 * 60_000);
      assert.equal((await hook(id, secret, missed())).body.status, 'sent');
      const log = await api('get', `/api/integrations/3cx/${id}/events`);
      assert.ok(
        log.body.events.some(
          (e: { outcome: string; reason: string }) => e.outcome === 'skipped' && e.reason === 'cooldown',
        ),
      );
    });

    it('a refused call-event send does not start the cooldown', async () => {
      const { id, secret } = await createIntegration();
      await inbound();
      await api('post', `/api/instances/${instanceId}/sandbox/fail-next`, {
        count: 1,
      });
      expectError(await hook(id, secret, missed()), 'gateway_send_failed');
      assert.equal((await hook(id, secret, missed())).body.status, 'sent');
    });

    it('strict window applies to call events; relaxed mode lets a caller who never wrote get the reply', async () => {
      const strict = await createIntegration();
      expectError(await hook(strict.id, strict.secret, missed()), 'conversation_window_closed');
      const relaxed = await createIntegration({ strict_window: false });
      assert.equal((await hook(relaxed.id, relaxed.secret, missed())).body.status, 'sent');
    });

    it('call_events_disabled, for the integration or for one event', async () => {
      const off = await createIntegration({ call_events_enabled: false });
      await inbound();
      expectError(await hook(off.id, off.secret, missed()), 'call_events_disabled');
      expectError(
        await hook(off.id, off.secret, missed({ event_type: 'call_started' })),
        'call_events_disabled',
      );
      const some = await createIntegration({
        enabled_call_events: ['voicemail'],
      });
      const res = await hook(some.id, some.secret, missed());
      expectError(res, 'call_events_disabled');
      assert.equal(res.body.details.reason, 'event_not_enabled');
      assert.equal(
        (await hook(some.id, some.secret, missed({ event_type: 'voicemail' }))).body.status,
        'sent',
      );
    });

    it('missing_phone and purpose checks apply to call events', async () => {
      const { id, secret } = await createIntegration();
      expectError(await hook(id, secret, { event_type: 'missed_call' }), 'missing_phone');
      await inbound();
      expectError(
        await hook(id, secret, missed({ message_purpose: 'marketing' })),
        'message_purpose_not_allowed',
      );
    });

    it('per-integration template overrides render with noEscape; null restores the default', async () => {
      const { id, secret } = await createIntegration({
        business_name: 'Tom & Jerry <Clinic>',
        templates: {
          missed_call:
            'Sorry we missed you at {{call_time}} — {{business_name}}{{#if queue}} ({{queue}}){{/if}}.',
        },
      });
      await inbound();
      const res = await hook(id, secret, missed({ call_time: 'just now' }));
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const row = await ctx.container.db('messages').where({ id: res.body.log_id }).first();
      assert.equal(row.text, 'Sorry we missed you at just now — Tom & Jerry <Clinic> (Support).');
      const reset = await api('patch', `/api/integrations/3cx/${id}`, {
        templates: { missed_call: null },
      });
      assert.equal(reset.status, 200, JSON.stringify(reset.body));
      assert.deepEqual(reset.body.integration.templates, {});
      clock.advance(16 * 60_000);
      await inbound();
      const again = await hook(id, secret, missed({ call_time: undefined, queue: undefined }));
      const row2 = await ctx.container.db('messages').where({ id: again.body.log_id }).first();
      assert.equal(
        row2.text,
        'Hello, this is Tom & Jerry <Clinic>. We missed your call at 2026-05-08 10:16. Reply here on WhatsApp and our team will help you as soon as possible.',
      );
    });
  });
});
