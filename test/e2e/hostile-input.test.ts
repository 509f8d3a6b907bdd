import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { pick, seededRandom } from '../support/seeded-random.ts';
import { walkRoutes } from '../../src/openapi/route-walk.ts';
import { createTestContext, type TestContext } from '../support/test-app.ts';

const HOSTILE_BODIES: { name: string; type: string; body: string | Buffer }[] = [
  { name: 'truncated JSON', type: 'application/json', body: '{"a":' },
  { name: 'JSON array', type: 'application/json', body: '[]' },
  { name: 'JSON string', type: 'application/json', body: '"hello"' },
  { name: 'JSON null', type: 'application/json', body: 'null' },
  { name: 'JSON number', type: 'application/json', body: '12' },
  { name: 'deep nesting', type: 'application/json', body: `${'['.repeat(5000)}${']'.repeat(5000)}` },
  {
    name: 'prototype pollution',
    type: 'application/json',
    body: '{"__proto__":{"admin":true},"constructor":{"prototype":{"x":1}}}',
  },
  {
    name: 'wrong types',
    type: 'application/json',
    body: '{"instance_id":{"$gt":""},"phone":["+1"],"message":123,"name":false,"events":"x","since":[]}',
  },
  {
    name: 'invalid UTF-8',
    type: 'application/json',
    body: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]),
  },
  { name: 'form encoded', type: 'application/x-www-form-urlencoded', body: 'a=1&b=2' },
  {
    name: 'xml',
    type: 'text/xml',
    body: '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
  },
  {
    name: 'huge string field',
    type: 'application/json',
    body: JSON.stringify({ name: 'x'.repeat(900_000), phone: 'y'.repeat(10_000) }),
  },
];

const HOSTILE_PARAMS = [
  '..%2F..%2Fetc%2Fpasswd',
  '%00',
  "1' OR '1'='1",
  '%E2%80%AE',
  'a'.repeat(2000),
  '%F0%9F%92%A9',
  '-1',
  '99999999999999999999',
];

function assertErrorShape(
  res: { status: number; body: unknown; headers: Record<string, string>; text: string | undefined },
  label: string,
): void {
  // Binary answers (e.g. /favicon.ico) have no text.
  assert.ok(res.status < 500, `${label}: status ${res.status} ${(res.text ?? '').slice(0, 300)}`);
  if (res.status >= 400) {
    assert.match(String(res.headers['content-type'] ?? ''), /json|html/, `${label}: content type`);
    if (/json/.test(String(res.headers['content-type']))) {
      const body = res.body as { success?: unknown; error?: unknown; message?: unknown };
      assert.equal(body.success, false, `${label}: success false`);
      assert.equal(typeof body.error, 'string', `${label}: error code`);
      assert.equal(typeof body.message, 'string', `${label}: message`);
    }
  }
  assert.ok(!/at .+\.(ts|js):\d+/.test(res.text ?? ''), `${label}: stack trace leaked`);
}

describe('hostile input on every route', function () {
  this.timeout(120_000);
  let ctx: TestContext;
  let key: string;
  let instanceId: string;
  let routes: { method: string; path: string }[];

  before(async () => {
    ctx = await createTestContext();
    ({ key } = await ctx.createAccount());
    instanceId = await ctx.createConnectedInstance(key);
    routes = walkRoutes(ctx.app).map((r) => ({ method: r.method.toUpperCase(), path: r.path }));
    assert.ok(routes.length > 20, `found ${routes.length} routes`);
  });
  after(() => ctx.close());

  /** Every path parameter (`{id}`, OpenAPI form) set to `value`. */
  const fill = (path: string, value: string) => path.replace(/\{[A-Za-z_]+\}/g, () => value);

  it('malformed bodies never produce a 500, HTML error page or stack trace', async () => {
    for (const route of routes.filter((r) => ['POST', 'PATCH', 'PUT', 'DELETE'].includes(r.method))) {
      for (const credential of [`Bearer ${key}`, 'Bearer test-admin-token-0123456789abcdef']) {
        for (const hostile of HOSTILE_BODIES) {
          const path = fill(route.path, instanceId);
          const res = await ctx.http[route.method.toLowerCase() as 'post'](path)
            .set('Authorization', credential)
            .set('Content-Type', hostile.type)
            .serialize((b: unknown) => b as string)
            .send(hostile.body);
          assertErrorShape(res, `${route.method} ${route.path} [${hostile.name}]`);
        }
      }
    }
  });

  it('hostile path parameters and query strings are refused cleanly', async () => {
    for (const route of routes) {
      for (const param of HOSTILE_PARAMS) {
        const path = `${fill(route.path, param)}?limit=${encodeURIComponent('1;DROP TABLE x')}&before=-5&path=..%2F..%2Fetc%2Fpasswd&since=yesterday&paused=maybe`;
        const res = await ctx.http[route.method.toLowerCase() as 'get'](path).set(
          'Authorization',
          `Bearer ${key}`,
        );
        assertErrorShape(res, `${route.method} ${path.slice(0, 80)}`);
      }
    }
  });

  it('unknown routes and methods answer JSON 404', async () => {
    for (const [method, path] of [
      ['get', '/api/nope'],
      ['post', '/api/instances/x/y/z'],
      ['put', '/api/send-message'],
      ['get', '/wp-admin.php'],
      ['delete', '/'],
    ] as const) {
      const res = await ctx.http[method](path);
      assert.equal(res.status, 404, `${method} ${path}`);
      assert.deepEqual(res.body, {
        success: false,
        error: 'not_found',
        message: 'The requested resource was not found.',
      });
    }
  });

  it('oversized bodies answer 413 payload_too_large on 1 MB routes', async () => {
    const res = await ctx.http
      .post('/api/suppressed-recipients')
      .set('Authorization', `Bearer ${key}`)
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ phone: '+6281234567890', note: 'x'.repeat(1_100_000) }));
    assert.equal(res.status, 413);
    assert.deepEqual(res.body, {
      success: false,
      error: 'payload_too_large',
      message: 'Request body is too large.',
    });
  });

  it('answers unsupported Content-Encoding with 415 unsupported_media_type on JSON routes', async () => {
    for (const [method, path] of [
      ['post', '/api/send-message'],
      ['patch', '/api/webhooks/00000000-0000-4000-8000-000000000000'],
      ['post', '/api/suppressed-recipients'],
    ] as const) {
      const res = await ctx.http[method](path)
        .set('Authorization', `Bearer ${key}`)
        .set('Content-Type', 'application/json')
        .set('Content-Encoding', 'x-garbage')
        .send('{"a":1}');
      assert.equal(res.status, 415, `${method} ${path}: ${res.text}`);
      assert.deepEqual(res.body, {
        success: false,
        error: 'unsupported_media_type',
        message: 'This endpoint requires application/json.',
        details: { reason: 'unsupported_content_encoding', supported_encodings: ['identity', 'gzip', 'deflate', 'br'] },
      });
    }
    // A supported coding is still decoded.
    const gz = await ctx.http
      .post('/api/suppressed-recipients')
      .set('Authorization', `Bearer ${key}`)
      .set('Content-Type', 'application/json')
      .set('Content-Encoding', 'gzip')
      .serialize((b: unknown) => b as string)
      .send(zlib.gzipSync(JSON.stringify({ phone: '+6281234567001', note: 'zipped' })));
    assert.equal(gz.status, 201, gz.text);
    // A body that claims gzip but is not: the body is unusable, a 400.
    const bad = await ctx.http
      .post('/api/send-message')
      .set('Authorization', `Bearer ${key}`)
      .set('Content-Type', 'application/json')
      .set('Content-Encoding', 'gzip')
      .send('{"not":"gzip"}');
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error, 'invalid_json');
  });

  it('lone surrogates are a validation_error naming the field, never silently replaced', async () => {
    // The earlier tests DELETE whatever instance id they were given.
    instanceId = await ctx.createConnectedInstance(key);
    const res = await ctx.http
      .post('/api/send-message')
      .set('Authorization', `Bearer ${key}`)
      .set('Content-Type', 'application/json')
      .send(
        `{"instance_id":"${instanceId}","phone":"+6281234567890","message":"Order \\ud800 shipped","message_purpose":"transactional"}`,
      );
    assert.equal(res.status, 422, res.text);
    assert.deepEqual(res.body, {
      success: false,
      error: 'validation_error',
      message: 'The request payload is missing required fields.',
      details: { errors: [{ field: '/message', reason: 'must be valid Unicode text (contains a lone surrogate)' }] },
    });
    const rows = await ctx.container.db('messages').where('text', 'like', 'Order %');
    assert.equal(rows.length, 0, 'nothing was recorded or sent');
    // A well-formed pair (an emoji) is fine.
    const ok = await ctx.http
      .post('/api/send-message')
      .set('Authorization', `Bearer ${key}`)
      .set('Content-Type', 'application/json')
      .send(
        `{"instance_id":"${instanceId}","phone":"+6281234567890","message":"Order \\ud83d\\udce6 shipped","message_purpose":"transactional"}`,
      );
    assert.equal(ok.status, 200, ok.text);
  });

  describe('seeded fuzz over every route', () => {
    const SEEDS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
    const REQUESTS_PER_SEED = 150;
    const ENCODINGS = [undefined, undefined, 'x-garbage', 'gzip', 'deflate', 'br', 'gzip, x-garbage', 'identity', 'compress', ' '];
    const TYPES = [
      'application/json',
      'application/json; charset=utf-8',
      'application/json; charset=utf-16',
      'application/json; charset="',
      'application/json;;;charset=koi8-r',
      'APPLICATION/JSON ; q=0 ; boundary=x',
      'application/vnd.api+json; charset=latin1',
      'application/json; charset=utf-8; charset=ascii',
      'application/x-www-form-urlencoded; charset=koi8-r',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=',
      'text/plain',
      '',
      '*/*',
    ];
    const STRINGS = [
      '\\ud800',
      'a\\udfffb',
      '\\u0000',
      'x\\u0000y',
      '\\u202e\\u0041',
      '\\ud83d\\udce6',
      'Order #1 shipped',
      '',
      '%00',
      '../../etc/passwd',
      '+6281234567890',
      '0000000000000000000000000000000000',
      'http://127.0.0.1:9/hook',
      'A'.repeat(5000),
    ];
    const FIELDS = [
      'instance_id', 'phone', 'message', 'message_purpose', 'name', 'note', 'url', 'destination_url',
      'events', 'reason', 'plan', 'timezone', 'media', 'media_type', 'mime_type', 'reference', 'token',
    ];
    const CREDENTIALS = ['key', 'admin', 'none', 'garbage'] as const;

    function body(random: () => number): Buffer {
      const kind = random();
      if (kind < 0.1) return Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0x00, 0x22, 0x7d]); // raw NUL in a string
      if (kind < 0.15) return Buffer.from([0xed, 0xa0, 0x80]); // a surrogate encoded as UTF-8
      if (kind < 0.2) return Buffer.from(`\u0000${'{'.repeat(Math.floor(random() * 50))}`);
      const parts: string[] = [];
      const n = 1 + Math.floor(random() * 6);
      for (let i = 0; i < n; i++) {
        const field = pick(random, FIELDS);
        const str = pick(random, STRINGS).replace(/__INSTANCE__/g, instanceId);
        const value =
          field === 'instance_id' && random() < 0.5
            ? `"${instanceId}"`
            : field === 'events'
              ? `["${str}"]`
              : random() < 0.1
                ? String(Math.floor(random() * 1e6) - 5e5)
                : `"${str}"`;
        parts.push(`"${random() < 0.1 ? pick(random, STRINGS) : field}":${value}`);
      }
      return Buffer.from(`{${parts.join(',')}}`);
    }

    for (const seed of SEEDS) {
      it(`seed ${seed}: ${REQUESTS_PER_SEED} hostile requests, none answered ≥ 500`, async () => {
        const random = seededRandom(seed);
        instanceId = await ctx.createConnectedInstance(key);
        const failures: string[] = [];
        const statuses = new Map<number, number>();
        for (let i = 0; i < REQUESTS_PER_SEED; i++) {
          const route = pick(random, routes);
          const path = fill(route.path, random() < 0.6 ? instanceId : pick(random, HOSTILE_PARAMS));
          const method = route.method.toLowerCase() as 'post';
          let req = ctx.http[method](path);
          const credential = pick(random, CREDENTIALS);
          if (credential === 'key') req = req.set('Authorization', `Bearer ${key}`);
          else if (credential === 'admin') req = req.set('Authorization', 'Bearer test-admin-token-0123456789abcdef');
          else if (credential === 'garbage') req = req.set('Authorization', 'Bearer \u00ff\u00fe');
          const type = pick(random, TYPES);
          if (type) req = req.set('Content-Type', type);
          const encoding = pick(random, ENCODINGS);
          if (encoding) req = req.set('Content-Encoding', encoding);
          if (random() < 0.3) req = req.set('Idempotency-Key', pick(random, ['k1', 'K1', '\u00e9', ' ', 'x'.repeat(300)]));
          // Bytes exactly as given (superagent would JSON-encode a Buffer).
          const res =
            route.method === 'GET' && random() < 0.7
              ? await req
              : await req.serialize((b: unknown) => b as string).send(body(random));
          const label = `seed ${seed} #${i} ${route.method} ${path.slice(0, 60)} [${type} | ${encoding}]`;
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          if (res.status >= 500) failures.push(`${label}: ${res.status} ${res.text.slice(0, 200)}`);
          else assertErrorShape(res, label);
        }
        assert.deepEqual(failures, []);
        // The fuzz must reach past the front door: some requests are parsed, validated or served.
        assert.ok([...statuses.keys()].some((s) => s === 200 || s === 201 || s === 422), `statuses ${[...statuses]}`);
        if (process.env.FUZZ_VERBOSE) console.log(`seed ${seed}`, [...statuses].sort((a, b) => a[0] - b[0]));
      });
    }
  });
});
