import assert from 'node:assert/strict';
import { listExpressRoutes } from '../support/express-routes.ts';
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
    routes = listExpressRoutes(ctx.app).map((r) => ({ method: r.method.toUpperCase(), path: r.path }));
    assert.ok(routes.length > 20, `found ${routes.length} routes`);
  });
  after(() => ctx.close());

  const fill = (path: string, value: string) =>
    path.replace(/:([A-Za-z_]+)/g, (_m, name: string) => (name === 'id' ? value : value));

  it('malformed bodies never produce a 500, HTML error page or stack trace', async () => {
    for (const route of routes.filter((r) => ['POST', 'PATCH', 'PUT', 'DELETE'].includes(r.method))) {
      for (const credential of [`Bearer ${key}`, 'Bearer test-admin-token-0123456789abcdef']) {
        for (const hostile of HOSTILE_BODIES) {
          const path = fill(route.path, instanceId);
          const res = await ctx.http[route.method.toLowerCase() as 'post'](path)
            .set('Authorization', credential)
            .set('Content-Type', hostile.type)
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
});
