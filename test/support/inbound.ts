import assert from 'node:assert/strict';
import { assertValidEvent } from '../../src/events/event-schemas.ts';
import type { Instance } from '../../src/instances/instance-store.ts';
import type { TransportEvent } from '../../src/transport/transport.ts';
import type { TestContext } from './test-app.ts';

/** Helpers shared by the inbound e2e tests. */

export interface StoredEnvelope {
  id: string;
  event: string;
  account_id: string;
  instance_id: string | null;
  instance_name: string | null;
  timestamp: string;
  payload: Record<string, unknown>;
}

export function sandboxInbound(
  ctx: TestContext,
  key: string,
  instanceId: string,
  body: Record<string, unknown>,
) {
  return ctx.http
    .post(`/api/instances/${instanceId}/sandbox/inbound`)
    .set('Authorization', `Bearer ${key}`)
    .set('Content-Type', 'application/json')
    .send(JSON.stringify(body));
}

/** Inbound via the sandbox; fails the test unless it was accepted. Returns the WhatsApp id. */
export async function receive(
  ctx: TestContext,
  key: string,
  instanceId: string,
  body: Record<string, unknown>,
): Promise<string> {
  const res = await sandboxInbound(ctx, key, instanceId, body);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  await ctx.container.inbound.drain();
  return res.body.message_id as string;
}

/** Events of the outbox (optionally one type), in insertion order where the database keeps it. */
export async function events(
  ctx: TestContext,
  filter: { accountId?: string; type?: string } = {},
): Promise<StoredEnvelope[]> {
  const q = ctx.container
    .db('events')
    .select('id', 'envelope', 'type', 'account_id')
    .orderBy('created_at', 'asc');
  if (filter.accountId) q.where({ account_id: filter.accountId });
  if (filter.type) q.where({ type: filter.type });
  const rows = await q;
  return rows.map((r) => ({
    id: String(r.id),
    ...(JSON.parse(String(r.envelope)) as Omit<StoredEnvelope, 'id'>),
  }));
}

/** Every event row in the outbox matches the published schema of its type. */
export async function assertAllEventsValid(ctx: TestContext): Promise<number> {
  const all = await events(ctx);
  for (const e of all) {
    const { id: _id, ...envelope } = e;
    assertValidEvent(envelope, { stored: true });
  }
  return all.length;
}

export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | null | undefined | false>,
  timeoutMs = 5000,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 15));
  }
}

/** Feed a raw transport event through the same listener the transport uses. */
export async function transportEmit(ctx: TestContext, event: TransportEvent): Promise<void> {
  const sandbox = ctx.sandbox as unknown as { emit(e: TransportEvent): Promise<void> };
  await sandbox.emit(event);
  await ctx.container.inbound.drain();
}

export async function instanceRow(ctx: TestContext, id: string): Promise<Instance> {
  return (await ctx.container.instanceStore.get(id)) as Instance;
}

export function send(ctx: TestContext, key: string, body: Record<string, unknown>) {
  return ctx.http
    .post('/api/send-message')
    .set('Authorization', `Bearer ${key}`)
    .set('Content-Type', 'application/json')
    .send(JSON.stringify(body));
}
