/**
 * Real HTTP against servers on 127.0.0.1 only (random ports). Names go through a fake resolver
 * that only knows loopback, and the guard allows nothing but 127.0.0.0/8.
 */
import assert from 'node:assert/strict';
import type { LookupAddress } from 'node:dns';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import type { Agent } from 'undici';
import { deliverOnce, parseRetryAfter, readAtMost } from '../../src/webhooks/http-attempt.ts';
import { parseCidrList } from '../../src/webhooks/address-policy.ts';
import { createGuardedAgent } from '../../src/webhooks/ssrf-guard.ts';
import type { Resolver } from '../../src/webhooks/ssrf-guard.ts';

const loopbackResolver: Resolver = async (hostname): Promise<LookupAddress[]> => {
  if (hostname === 'receiver.example.test') return [{ address: '127.0.0.1', family: 4 }];
  throw Object.assign(new Error(`fake resolver: unknown host ${hostname}`), { code: 'ENOTFOUND' });
};

interface TestServer {
  server: Server;
  port: number;
  connections: number;
  requests: { method: string; url: string; headers: IncomingMessage['headers']; body: string }[];
  close(): Promise<void>;
}

async function startServer(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<TestServer> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      state.requests.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      handler(req, res);
    });
  });
  const state: TestServer = {
    server,
    port: 0,
    connections: 0,
    requests: [],
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  server.on('connection', () => {
    state.connections++;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.port = (server.address() as AddressInfo).port;
  return state;
}

describe('http-attempt', () => {
  let receiver: TestServer;
  let redirectTarget: TestServer;
  let agent: Agent;
  const hugeBody = { finished: false, closed: null as Promise<void> | null, bytesWritten: 0 };

  before(async () => {
    redirectTarget = await startServer((_req, res) => res.end('you should not be here'));
    receiver = await startServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      switch (path) {
        case '/ok':
          res.writeHead(200, { 'content-type': 'text/plain' }).end('received');
          return;
        case '/no-content':
          res.writeHead(204).end();
          return;
        case '/fail':
          res.writeHead(500).end('boom');
          return;
        case '/gone':
          res.writeHead(410).end('endpoint deleted');
          return;
        case '/redirect':
          res.writeHead(302, { location: `http://127.0.0.1:${redirectTarget.port}/target` }).end();
          return;
        case '/slow-headers':
          return; // never answers
        case '/slow-body': {
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.write('x');
          const timer = setInterval(() => res.write('x'), 50);
          res.on('close', () => clearInterval(timer));
          return;
        }
        case '/huge': {
          res.writeHead(200, { 'content-type': 'application/octet-stream' });
          const chunk = Buffer.alloc(64 * 1024, 'z');
          const total = 10 * 1024 * 1024;
          hugeBody.finished = false;
          hugeBody.bytesWritten = 0;
          hugeBody.closed = new Promise((resolve) => res.on('close', () => resolve()));
          const pump = (): void => {
            while (hugeBody.bytesWritten < total && !res.destroyed) {
              hugeBody.bytesWritten += chunk.length;
              if (!res.write(chunk)) {
                res.once('drain', pump);
                return;
              }
            }
            if (!res.destroyed) {
              hugeBody.finished = true;
              res.end();
            }
          };
          res.on('error', () => {});
          pump();
          return;
        }
        case '/long':
          res.writeHead(200).end(`${'a'.repeat(499)}😀${'b'.repeat(2000)}`);
          return;
        case '/retry-after':
          res.writeHead(429, { 'retry-after': '120' }).end('slow down');
          return;
        case '/retry-after-date':
          res.writeHead(503, { 'retry-after': new Date(Date.now() + 60_000).toUTCString() }).end();
          return;
        default:
          res.writeHead(404).end('not found');
      }
    });
    agent = createGuardedAgent({
      allowed: parseCidrList('127.0.0.0/8'),
      resolver: loopbackResolver,
      connectTimeoutMs: 2000,
    });
  });

  after(async () => {
    await agent.destroy();
    await receiver.close();
    await redirectTarget.close();
  });

  const url = (path: string) => `http://127.0.0.1:${receiver.port}${path}`;
  const send = (path: string, extra: Partial<Parameters<typeof deliverOnce>[0]> = {}) =>
    deliverOnce({
      url: url(path),
      body: '{"event":"message.sent"}',
      headers: {},
      timeoutMs: 3000,
      dispatcher: agent,
      ...extra,
    });

  it('200 is a success, with the response body kept', async () => {
    const outcome = await send('/ok');
    assert.deepEqual(
      { ...outcome, latencyMs: 0 },
      {
        ok: true,
        statusCode: 200,
        latencyMs: 0,
        responseBody: 'received',
        error: null,
        retryAfterSeconds: null,
        gone: false,
      },
    );
    assert.ok(outcome.latencyMs >= 0 && outcome.latencyMs < 3000);
  });

  it('any 2xx is a success (204)', async () => {
    const outcome = await send('/no-content');
    assert.equal(outcome.ok, true);
    assert.equal(outcome.statusCode, 204);
    assert.equal(outcome.responseBody, '');
  });

  it('POSTs the exact body as application/json with the caller headers', async () => {
    const before = receiver.requests.length;
    const body = '{"event":"message.received","text":"مرحبا 👋"}';
    const outcome = await deliverOnce({
      url: url('/ok?x=1'),
      body,
      headers: { 'X-WA-Signature': 'sha256=abc', 'webhook-id': 'req-1', 'Content-Type': 'text/plain' },
      timeoutMs: 3000,
      dispatcher: agent,
    });
    assert.equal(outcome.ok, true);
    const seen = receiver.requests[before];
    assert.ok(seen);
    assert.equal(seen.method, 'POST');
    assert.equal(seen.url, '/ok?x=1');
    assert.equal(seen.body, body);
    assert.equal(seen.headers['content-type'], 'application/json');
    assert.equal(seen.headers['x-wa-signature'], 'sha256=abc');
    assert.equal(seen.headers['webhook-id'], 'req-1');
    assert.equal(seen.headers['content-length'], String(Buffer.byteLength(body)));
  });

  it('resolves names through the guard (fake resolver → 127.0.0.1) and keeps the Host header', async () => {
    const before = receiver.requests.length;
    const outcome = await deliverOnce({
      url: `http://receiver.example.test:${receiver.port}/ok`,
      body: '{}',
      headers: {},
      timeoutMs: 3000,
      dispatcher: agent,
    });
    assert.equal(outcome.ok, true, outcome.error ?? '');
    assert.equal(receiver.requests[before]?.headers.host, `receiver.example.test:${receiver.port}`);
  });

  it('500 is a failure', async () => {
    const outcome = await send('/fail');
    assert.equal(outcome.ok, false);
    assert.equal(outcome.statusCode, 500);
    assert.equal(outcome.error, 'http_status_500');
    assert.equal(outcome.responseBody, 'boom');
    assert.equal(outcome.gone, false);
  });

  it('410 marks the endpoint gone', async () => {
    const outcome = await send('/gone');
    assert.equal(outcome.ok, false);
    assert.equal(outcome.statusCode, 410);
    assert.equal(outcome.gone, true);
    assert.equal(outcome.error, 'http_status_410');
  });

  it('302 is a failure and is never followed', async () => {
    const outcome = await send('/redirect');
    assert.equal(outcome.ok, false);
    assert.equal(outcome.statusCode, 302);
    assert.equal(outcome.error, 'redirect_not_followed');
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(redirectTarget.requests.length, 0);
    assert.equal(redirectTarget.connections, 0);
  });

  it('times out when the headers never come, within about the timeout', async () => {
    const outcome = await send('/slow-headers', { timeoutMs: 300 });
    assert.equal(outcome.ok, false);
    assert.equal(outcome.error, 'timeout');
    assert.equal(outcome.statusCode, null);
    assert.ok(outcome.latencyMs >= 250 && outcome.latencyMs < 1500, `latency ${outcome.latencyMs}`);
  });

  it('the timeout covers the body read: a 200 whose body trickles forever fails', async () => {
    const outcome = await send('/slow-body', { timeoutMs: 400 });
    assert.equal(outcome.ok, false);
    assert.equal(outcome.statusCode, 200);
    assert.equal(outcome.error, 'timeout');
    assert.ok(outcome.latencyMs >= 350 && outcome.latencyMs < 1500, `latency ${outcome.latencyMs}`);
  });

  it('reads at most maxResponseBytes of a 10 MB body and returns promptly', async () => {
    const started = Date.now();
    const outcome = await send('/huge', { maxResponseBytes: 4096 });
    const elapsed = Date.now() - started;
    assert.equal(outcome.ok, true, outcome.error ?? '');
    assert.equal(outcome.responseBody, 'z'.repeat(500));
    assert.ok(elapsed < 2000, `took ${elapsed} ms`);
    // The connection is dropped, so the server never gets to finish writing 10 MB.
    await Promise.race([
      hugeBody.closed,
      new Promise((_, reject) => setTimeout(() => reject(new Error('server never saw the close')), 2000)),
    ]);
    assert.equal(hugeBody.finished, false);
    assert.ok(hugeBody.bytesWritten < 10 * 1024 * 1024);
  });

  it('keeps the first 500 characters, cutting by code point', async () => {
    const outcome = await send('/long');
    assert.equal(outcome.responseBody, `${'a'.repeat(499)}😀`);
    assert.equal([...outcome.responseBody].length, 500);
  });

  it('a small maxResponseBytes limits the kept body', async () => {
    const outcome = await send('/long', { maxResponseBytes: 100 });
    assert.equal(outcome.responseBody, 'a'.repeat(100));
  });

  it('parses Retry-After in seconds', async () => {
    const outcome = await send('/retry-after');
    assert.equal(outcome.statusCode, 429);
    assert.equal(outcome.error, 'http_status_429');
    assert.equal(outcome.retryAfterSeconds, 120);
  });

  it('parses Retry-After as an HTTP date', async () => {
    const outcome = await send('/retry-after-date');
    assert.equal(outcome.statusCode, 503);
    assert.ok(
      outcome.retryAfterSeconds !== null &&
        outcome.retryAfterSeconds >= 58 &&
        outcome.retryAfterSeconds <= 61,
    );
  });

  it('reports a refused connection as a network error', async () => {
    const closed = await startServer((_req, res) => res.end());
    const port = closed.port;
    await closed.close();
    const outcome = await deliverOnce({
      url: `http://127.0.0.1:${port}/`,
      body: '{}',
      headers: {},
      timeoutMs: 2000,
      dispatcher: agent,
    });
    assert.equal(outcome.ok, false);
    assert.equal(outcome.statusCode, null);
    assert.match(outcome.error ?? '', /^network_error: .*ECONNREFUSED/);
  });

  it('never throws on a malformed URL', async () => {
    const outcome = await deliverOnce({
      url: 'not a url',
      body: '{}',
      headers: {},
      timeoutMs: 1000,
      dispatcher: agent,
    });
    assert.equal(outcome.ok, false);
    assert.match(outcome.error ?? '', /^invalid_url/);
    const ftp = await deliverOnce({
      url: 'ftp://127.0.0.1/',
      body: '{}',
      headers: {},
      timeoutMs: 1000,
      dispatcher: agent,
    });
    assert.match(ftp.error ?? '', /^invalid_url/);
  });

  describe('refused destinations (empty allowlist)', () => {
    let bystander: TestServer;
    let strictAgent: Agent;

    before(async () => {
      bystander = await startServer((_req, res) => res.end('should never be reached'));
      strictAgent = createGuardedAgent({
        allowed: parseCidrList(''),
        resolver: loopbackResolver,
        connectTimeoutMs: 2000,
      });
    });
    after(async () => {
      await strictAgent.destroy();
      await bystander.close();
    });

    for (const host of ['127.0.0.1', 'receiver.example.test', '[::ffff:127.0.0.1]', '0x7f.1']) {
      it(`refuses http://${host}:<port>/ without connecting`, async () => {
        const outcome = await deliverOnce({
          url: `http://${host}:${bystander.port}/`,
          body: '{}',
          headers: {},
          timeoutMs: 2000,
          dispatcher: strictAgent,
        });
        assert.equal(outcome.ok, false);
        assert.equal(outcome.statusCode, null);
        assert.match(outcome.error ?? '', /^destination_refused: .*loopback/);
        await new Promise((resolve) => setTimeout(resolve, 50));
        assert.equal(bystander.connections, 0);
      });
    }
  });

  describe('readAtMost', () => {
    it('pulls only what it needs from the stream and destroys it', async () => {
      let pulled = 0;
      const stream = Readable.from(
        (function* () {
          for (let i = 0; i < 10_000; i++) {
            pulled++;
            yield Buffer.alloc(1000, 'q');
          }
        })(),
        { objectMode: false, highWaterMark: 1 },
      );
      const bytes = await readAtMost(stream, 4096);
      assert.equal(bytes.length, 4096);
      assert.ok(pulled < 20, `pulled ${pulled} chunks`);
      assert.equal(stream.destroyed, true);
    });

    it('returns everything from a short stream', async () => {
      const bytes = await readAtMost(Readable.from([Buffer.from('ab'), Buffer.from('cd')]), 4096);
      assert.equal(bytes.toString(), 'abcd');
    });
  });

  describe('parseRetryAfter', () => {
    const now = Date.parse('2026-05-08T10:00:00Z');
    it('reads delay-seconds and HTTP dates', () => {
      assert.equal(parseRetryAfter('30', now), 30);
      assert.equal(parseRetryAfter(' 0 ', now), 0);
      assert.equal(parseRetryAfter('Fri, 08 May 2026 10:01:30 GMT', now), 90);
      assert.equal(parseRetryAfter('Fri, 08 May 2026 09:00:00 GMT', now), 0);
    });
    it('ignores absent or garbage values', () => {
      assert.equal(parseRetryAfter(undefined, now), null);
      assert.equal(parseRetryAfter('', now), null);
      assert.equal(parseRetryAfter('-5', now), null);
      assert.equal(parseRetryAfter('1.5', now), null);
      assert.equal(parseRetryAfter('soon', now), null);
    });
  });
});
