/**
 * A test app (real clock) with the webhook delivery worker running against a loopback receiver.
 * The worker's resolver knows no names at all, so even a mistyped destination can never make a
 * test resolve or reach anything outside 127.0.0.0/8.
 */
import type { LookupAddress } from 'node:dns';
import { systemClock } from '../../src/lib/clock.ts';
import { createDeliveryWorker, type DeliveryWorker, type WorkerOverrides } from '../../src/webhooks/delivery-worker.ts';
import type { Resolver } from '../../src/webhooks/ssrf-guard.ts';
import { createTestContext, generousThrottles, type TestContext, type TestContextOptions } from './test-app.ts';

export const noDnsResolver: Resolver = async (hostname): Promise<LookupAddress[]> => {
  throw Object.assign(new Error(`tests resolve no names (asked for ${hostname})`), { code: 'ENOTFOUND' });
};

export interface WebhookHarness {
  ctx: TestContext;
  worker: DeliveryWorker;
  key: string;
  accountId: string;
  auth: { Authorization: string };
  close: () => Promise<void>;
}

export async function startWebhookHarness(
  options: { env?: Record<string, string>; worker?: WorkerOverrides; start?: boolean } & Omit<TestContextOptions, 'env'> = {},
): Promise<WebhookHarness> {
  const { env, worker: workerOverrides, start = true, ...rest } = options;
  const ctx = await createTestContext({
    clock: systemClock,
    policies: generousThrottles,
    ...rest,
    env: { WEBHOOK_RETRY_SCHEDULE: '50ms,100ms', WEBHOOK_TIMEOUT: '2s', ...env },
  });
  const worker = createDeliveryWorker(ctx.container, {
    resolver: noDnsResolver,
    jitter: 0,
    pollIntervalMs: 50,
    ...workerOverrides,
  });
  if (start) worker.start();
  const { id: accountId, key } = await ctx.createAccount({ plan: 'starter' });
  return {
    ctx,
    worker,
    key,
    accountId,
    auth: { Authorization: `Bearer ${key}` },
    close: async () => {
      await worker.stop();
      await ctx.close();
    },
  };
}

/** POST /api/webhooks as `key`; throws unless 201. Returns the id and the secret. */
export async function subscribe(
  ctx: TestContext,
  key: string,
  body: Record<string, unknown>,
): Promise<{ id: string; secret: string; webhook: Record<string, unknown> }> {
  const res = await ctx.http
    .post('/api/webhooks')
    .set('Authorization', `Bearer ${key}`)
    .set('Content-Type', 'application/json')
    .send(JSON.stringify(body));
  if (res.status !== 201) throw new Error(`webhook create failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { id: res.body.webhook.id as string, secret: res.body.secret as string, webhook: res.body.webhook };
}

/** A sandbox inbound message (→ message.received) on `instanceId`. */
export async function inbound(ctx: TestContext, key: string, instanceId: string, text = 'Hello, is my order ready?'): Promise<void> {
  const res = await ctx.http
    .post(`/api/instances/${instanceId}/sandbox/inbound`)
    .set('Authorization', `Bearer ${key}`)
    .set('Content-Type', 'application/json')
    .send(JSON.stringify({ from: '+6281234567890', text }));
  if (res.status !== 200) throw new Error(`inbound failed: ${res.status} ${JSON.stringify(res.body)}`);
}

export async function sendMessage(ctx: TestContext, key: string, instanceId: string, text = 'Your order #A-1029 has shipped.'): Promise<string> {
  const res = await ctx.http
    .post('/api/send-message')
    .set('Authorization', `Bearer ${key}`)
    .set('Content-Type', 'application/json')
    .send(JSON.stringify({ instance_id: instanceId, phone: '+6281234567890', message: text, message_purpose: 'transactional' }));
  if (res.status !== 200) throw new Error(`send failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.message_id as string;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
