/**
 * The receiver examples the docs publish (docs/examples/) are real code: they reproduce the
 * published test vectors, and the Node receiver and the n8n Code node verify, answer and
 * deduplicate real deliveries from the webhook worker (on 127.0.0.1 only).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as nodeCrypto from 'node:crypto';
import fs from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { signWebhook, TEST_VECTORS } from '../../src/webhooks/webhook-signer.ts';
import {
  inbound,
  sendMessage,
  sleep,
  startWebhookHarness,
  subscribe,
  type WebhookHarness,
} from '../support/webhook-harness.ts';

type Json = Record<string, unknown>;

interface ReceiverModule {
  verifyWardenSignature(secret: string, timestamp: string, rawBody: string | Buffer, header: string): boolean;
  isFreshTimestamp(timestamp: string, toleranceSeconds?: number, now?: number): boolean;
  createReceiver(options: {
    secret: string | string[];
    enqueue: (event: Json, meta: { requestId: string }) => unknown;
  }): (req: IncomingMessage, res: ServerResponse) => void;
}

const EXAMPLES = new URL('../../docs/examples/', import.meta.url);
const loadReceiver = async () =>
  (await import(new URL('node-receiver.mjs', EXAMPLES).href)) as unknown as ReceiverModule;

function hasPython(): boolean {
  try {
    execFileSync('python3', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('receiver examples (docs/examples)', function () {
  this.timeout(30_000);

  it('the Node receiver reproduces every published test vector', async () => {
    const { verifyWardenSignature } = await loadReceiver();
    for (const v of TEST_VECTORS) {
      for (const secret of v.secrets)
        assert.ok(verifyWardenSignature(secret, v.timestamp, v.body, v.expected['X-WA-Signature']), v.name);
      const secret = v.secrets[0] as string;
      assert.equal(verifyWardenSignature(secret, v.timestamp, `${v.body} `, v.expected['X-WA-Signature']), false);
      assert.equal(verifyWardenSignature(secret, '2026-05-08T10:00:09Z', v.body, v.expected['X-WA-Signature']), false);
      assert.equal(verifyWardenSignature(`${secret}x`, v.timestamp, v.body, v.expected['X-WA-Signature']), false);
    }
  });

  it('the Python example reproduces every published test vector', function () {
    if (!hasPython()) this.skip();
    const script = [
      'import json, sys',
      `sys.path.insert(0, ${JSON.stringify(new URL('.', EXAMPLES).pathname)})`,
      'from verify_warden import verify_signature',
      'out = []',
      'for v in json.load(sys.stdin):',
      '    for s in v["secrets"]:',
      '        out.append(verify_signature(s, v["timestamp"], v["body"].encode("utf-8"), v["expected"]["X-WA-Signature"]))',
      '    out.append(not verify_signature(v["secrets"][0], v["timestamp"], v["body"].encode("utf-8") + b" ", v["expected"]["X-WA-Signature"]))',
      'print(json.dumps(out))',
    ].join('\n');
    const result = JSON.parse(
      execFileSync('python3', ['-c', script], { input: JSON.stringify(TEST_VECTORS), encoding: 'utf8' }),
    ) as boolean[];
    assert.ok(result.length >= TEST_VECTORS.length * 2);
    assert.ok(result.every(Boolean), JSON.stringify(result));
  });

  it('the PHP example implements the same formula', () => {
    const php = fs.readFileSync(new URL('verify-warden.php', EXAMPLES), 'utf8');
    assert.match(php, /hash_hmac\('sha256', \$timestamp \. '\.' \. \$rawBody, \$secret\)/);
    assert.match(php, /hash_equals\(/);
    assert.match(php, /preg_split\('\/\[\\s,\]\+\/'/);
  });

  it('the n8n Code node keeps genuine, fresh, new events and drops forged, stale and repeated ones', async () => {
    const code = fs.readFileSync(new URL('n8n-code-node.js', EXAMPLES), 'utf8');
    const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (
      ...args: string[]
    ) => (...args: unknown[]) => Promise<unknown>;
    const run = new AsyncFunction('$input', '$getWorkflowStaticData', '$env', 'require', code);
    const secret = 'whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=';
    const item = (requestId: string, opts: { secret?: string; at?: Date; body?: string } = {}) => {
      const body = opts.body ?? JSON.stringify({ event: 'message.received', request_id: requestId, payload: { text: 'hi' } });
      const headers = signWebhook({ secrets: [opts.secret ?? secret], requestId, timestamp: opts.at ?? new Date(), body });
      const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
      return { json: { headers: lower, body: JSON.parse(body) }, binary: { data: { data: Buffer.from(body).toString('base64') } } };
    };
    const items = [
      item('11111111-1111-4111-8111-111111111111'),
      item('11111111-1111-4111-8111-111111111111'),
      item('22222222-2222-4222-8222-222222222222', { secret: 'whsec_d3Jvbmcgc2VjcmV0IHdyb25nIHNlY3JldCB3cm9uZyE=' }),
      item('33333333-3333-4333-8333-333333333333', { at: new Date(Date.now() - 3600_000) }),
      item('44444444-4444-4444-8444-444444444444'),
    ];
    const staticData: Json = {};
    const self = {
      helpers: {
        getBinaryDataBuffer: async (index: number, name: string) =>
          Buffer.from(
            (items[index] as { binary: Record<string, { data: string }> }).binary[name]?.data as string,
            'base64',
          ),
      },
    };
    const out = (await run.call(
      self,
      { all: () => items },
      () => staticData,
      { WARDEN_WEBHOOK_SECRET: secret },
      (name: string) => {
        assert.equal(name, 'crypto');
        return nodeCrypto;
      },
    )) as { json: Json }[];
    assert.deepEqual(
      out.map((o) => o.json.request_id),
      ['11111111-1111-4111-8111-111111111111', '44444444-4444-4444-8444-444444444444'],
    );
    assert.equal(out[0]?.json.event, 'message.received');
    // A later execution still remembers what it handled.
    const again = (await run.call(self, { all: () => items.slice(0, 1) }, () => staticData, { WARDEN_WEBHOOK_SECRET: secret }, () =>
      nodeCrypto,
    )) as unknown[];
    assert.deepEqual(again, []);
  });

  describe('the Node receiver against real deliveries', () => {
    let h: WebhookHarness;
    let server: Server;
    let url: string;
    let instanceId: string;
    const accepted: { requestId: string; event: Json }[] = [];
    let failNext = 0;
    let subscriptionSecret = '';
    const answers: number[] = [];

    before(async () => {
      h = await startWebhookHarness();
      instanceId = await h.ctx.createConnectedInstance(h.key, 'Docs Line');
    });
    after(async () => {
      await h.close();
      await new Promise<void>((resolve) => server?.close(() => resolve()));
    });

    it('verifies, answers 200, and hands each event over exactly once', async () => {
      const { createReceiver } = await loadReceiver();
      // One receiver for the whole test, so its memory of request ids persists.
      const shared = { handler: null as null | ReturnType<ReceiverModule['createReceiver']> };
      server = createServer((req, res) => {
        res.on('finish', () => answers.push(res.statusCode));
        if (shared.handler) shared.handler(req, res);
        else res.writeHead(503).end();
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/warden`;

      const sub = await subscribe(h.ctx, h.key, { destination_url: url, events: ['*'] });
      subscriptionSecret = sub.secret;
      shared.handler = createReceiver({
        secret: sub.secret,
        enqueue: (event, meta) => {
          if (failNext > 0) {
            failNext--;
            throw new Error('database briefly unavailable');
          }
          accepted.push({ requestId: meta.requestId, event });
        },
      });

      await sendMessage(h.ctx, h.key, instanceId);
      await inbound(h.ctx, h.key, instanceId, 'Is my order ready?');
      const deadline = Date.now() + 10_000;
      const types = () => accepted.map((a) => a.event.event);
      while (!(types().includes('message.sent') && types().includes('message.received')) && Date.now() < deadline)
        await sleep(50);
      assert.ok(types().includes('message.sent') && types().includes('message.received'), JSON.stringify(types()));
      assert.equal(new Set(accepted.map((a) => a.requestId)).size, accepted.length, 'each request id once');
      for (const a of accepted) assert.equal(a.event.request_id, a.requestId);

      // A replay of a delivered event carries the same request id: answered 200, not handed over again.
      // First let every event of the send and the inbound message arrive (the receipts' events
      // come later than message.sent on a busy machine), so that only the replay could add one.
      const settled = async () => {
        const list = (await h.ctx.http.get(`/api/webhooks/${sub.id}/deliveries`).set(h.auth)).body.deliveries as Json[];
        return list.length > 0 && list.every((d) => d.status === 'succeeded') && list.length === accepted.length ? list : null;
      };
      let delivered = await settled();
      while (delivered === null && Date.now() < deadline + 5_000) {
        await sleep(50);
        delivered = await settled();
      }
      assert.ok(delivered, 'every delivery settled');
      const done = delivered.find((d) => d.event === 'message.received') as Json;
      const before = accepted.length;
      const answered = answers.length;
      const redeliver = await h.ctx.http.post(`/api/webhooks/deliveries/${done.id as string}/redeliver`).set(h.auth);
      assert.equal(redeliver.status, 202);
      while (answers.length === answered && Date.now() < deadline + 5_000) await sleep(25);
      await sleep(50);
      assert.equal(answers.at(-1), 200);
      assert.equal(accepted.length, before, 'the duplicate was not handed over again');

      // When the event cannot be stored, the receiver answers 500 and Warden retries.
      failNext = 1;
      const quiet = console.error;
      console.error = () => {}; // the example logs the failed enqueue
      try {
        const test = await h.ctx.http.post(`/api/webhooks/${sub.id}/test`).set(h.auth);
        assert.equal(test.status, 202);
        while (!accepted.some((a) => a.event.event === 'webhook.test') && Date.now() < deadline + 10_000)
          await sleep(50);
      } finally {
        console.error = quiet;
      }
      // The receiver has the event; the worker records the successful attempt just after.
      const testAttempts = async () =>
        ((
          (await h.ctx.http.get(`/api/webhooks/${sub.id}/deliveries`).set(h.auth)).body.deliveries as Json[]
        ).find((d) => d.event === 'webhook.test')?.attempts ?? []) as Json[];
      let attempts = await testAttempts();
      while (attempts.length < 2 && Date.now() < deadline + 15_000) {
        await sleep(25);
        attempts = await testAttempts();
      }
      assert.deepEqual(
        attempts.map((a) => a.status_code),
        [500, 200],
      );
    });

    it('refuses forged and stale requests with 401', async () => {
      const body = JSON.stringify({ event: 'message.received', request_id: 'forged' });
      const forged = signWebhook({
        secrets: ['whsec_d3Jvbmcgc2VjcmV0IHdyb25nIHNlY3JldCB3cm9uZyE='],
        requestId: 'forged-1',
        timestamp: new Date(),
        body,
      });
      const post = (headers: Record<string, string>) =>
        fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
      assert.equal((await post(forged)).status, 401);
      const before = accepted.length;
      assert.equal((await post({})).status, 401);
      const stale = signWebhook({
        secrets: [subscriptionSecret],
        requestId: 'stale-1',
        timestamp: new Date(Date.now() - 3600_000),
        body,
      });
      assert.equal((await post(stale)).status, 401);
      assert.equal(accepted.length, before);
    });
  });
});
