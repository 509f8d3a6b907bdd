/**
 * End to end, the whole 3CX loop on loopback only: a WhatsApp user writes (sandbox inbound) →
 * the message is forwarded, signed and durable, to the integration's destination (a real HTTP
 * receiver on 127.0.0.1) → 3CX answers with an `outbound_message` (HMAC-signed) → the reply is
 * sent through the ResponsibleMessageSender → the sandbox reports it delivered and read.
 */
import type { HttpMethod } from '../support/test-app.ts';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { sleep, startWebhookHarness, type WebhookHarness } from '../support/webhook-harness.ts';
import { verifiesWith, WebhookReceiver } from '../support/webhook-receiver.ts';

const CUSTOMER = '+6281234567890';

describe('3CX forwarding and reply (e2e, loopback receiver)', function () {
  this.timeout(30_000);
  let h: WebhookHarness;
  let receiver: WebhookReceiver;
  let instanceId: string;

  const api = (method: HttpMethod, path: string, body?: unknown) => h.ctx.request(h.key, method, path, body);
  const inbound = async (text: string) => {
    const res = await api('post', `/api/instances/${instanceId}/sandbox/inbound`, { from: CUSTOMER, text });
    assert.equal(res.status, 200, JSON.stringify(res.body));
  };
  const waitFor = async (what: string, check: () => Promise<boolean>) => {
    const deadline = Date.now() + 10_000;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await sleep(25);
    }
  };

  beforeEach(async () => {
    h = await startWebhookHarness();
    const patch = await h.ctx.admin('patch', `/admin/api/accounts/${h.accountId}`, {
      modules: ['api', 'threecx'],
    });
    assert.equal(patch.status, 200, JSON.stringify(patch.body));
    receiver = await WebhookReceiver.start();
    instanceId = await h.ctx.createConnectedInstance(h.key, 'Support Line');
  });
  afterEach(async () => {
    await h.ctx.container.inbound.drain();
    await h.close();
    await receiver.close();
  });

  it('inbound WhatsApp message → forwarded to 3CX → outbound_message → sent → delivered', async () => {
    const created = await api('post', '/api/integrations/3cx', {
      instance_id: instanceId,
      business_name: 'Acme Support',
      require_hmac: true,
      destination_url: receiver.url('/3cx/whatsapp'),
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const { id, secret, forwarding } = created.body as {
      id: string;
      secret: string;
      forwarding: { webhook_id: string; secret: string };
    };
    assert.match(forwarding.secret, /^whsec_/);
    assert.equal(created.body.integration.forward_webhook_id, forwarding.webhook_id);
    assert.equal(created.body.integration.destination_url, receiver.url('/3cx/whatsapp'));
    const endpoint = await h.ctx.container
      .db('webhook_endpoints')
      .where({ id: forwarding.webhook_id })
      .first();
    assert.equal(endpoint.integration_id, id, 'the forwarding endpoint is owned by the integration');
    assert.equal(endpoint.instance_id, instanceId);

    // 1. The WhatsApp user writes first.
    await inbound('Hello, I need help with booking #B-77');
    await receiver.waitForCount(1);
    const forwarded = receiver.requests[0];
    assert.ok(forwarded);
    assert.equal(forwarded.path, '/3cx/whatsapp');
    assert.ok(verifiesWith(forwarded, forwarding.secret), 'signed with the forwarding secret');
    assert.equal(forwarded.json?.event, 'message.received');
    const payload = forwarded.json?.payload as Record<string, unknown>;
    assert.equal(payload.from, CUSTOMER);
    assert.equal(payload.text, 'Hello, I need help with booking #B-77');

    // 2. 3CX replies into the open conversation, HMAC-signed.
    const raw = JSON.stringify({
      event_type: 'outbound_message',
      to: CUSTOMER,
      message_text: 'Thanks, an agent is looking at booking #B-77 now.',
      message_purpose: 'support',
      conversation_id: '3cx-chat-77',
      agent_extension: '101',
    });
    const timestamp = String(Math.floor(Date.now() / 1000));
    const signature = `sha256=${createHmac('sha256', secret).update(`${timestamp}.${raw}`).digest('hex')}`;
    const res = await h.ctx.http
      .post(`/integrations/3cx/webhook/${id}`)
      .set('Content-Type', 'application/json')
      .set('X-WhatsApp-Gateway-3CX-Secret', secret)
      .set('X-WhatsApp-Gateway-Timestamp', timestamp)
      .set('X-WhatsApp-Gateway-Signature', signature)
      .send(raw);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.status, 'sent');

    // 3. Sent, then delivered and read (sandbox receipts).
    const logId = res.body.log_id as number;
    await waitFor('read receipt', async () => {
      const row = await h.ctx.container.db('messages').where({ id: logId }).first();
      return row.status === 'read';
    });
    const row = await h.ctx.container.db('messages').where({ id: logId }).first();
    assert.equal(row.source, 'threecx');
    assert.equal(row.integration_id, id);
    assert.equal(row.wa_message_id, res.body.message_id);
    assert.equal(row.reference, '3cx-chat-77');

    // Only inbound messages are forwarded: the reply's message.sent/delivered/read are not.
    await h.ctx.container.inbound.drain();
    await sleep(150);
    assert.deepEqual(
      receiver.requests.map((r) => r.json?.event),
      ['message.received'],
    );

    // A second inbound message is forwarded too.
    await inbound('Great, thank you!');
    await receiver.waitForCount(2);
    const second = receiver.requests[1]?.json?.payload as Record<string, unknown> | undefined;
    assert.equal(second?.text, 'Great, thank you!');
  });

  it('destination changes move the forwarding endpoint; null or delete removes it', async () => {
    const created = await api('post', '/api/integrations/3cx', {
      instance_id: instanceId,
    });
    const id = created.body.id as string;
    assert.equal(created.body.forwarding, null);

    const added = await api('patch', `/api/integrations/3cx/${id}`, {
      destination_url: receiver.url('/a'),
    });
    assert.equal(added.status, 200, JSON.stringify(added.body));
    const webhookId = added.body.forwarding.webhook_id as string;
    assert.equal(added.body.integration.forward_webhook_id, webhookId);

    const moved = await api('patch', `/api/integrations/3cx/${id}`, {
      destination_url: receiver.url('/b'),
    });
    assert.equal(moved.status, 200, JSON.stringify(moved.body));
    assert.equal(moved.body.forwarding, null, 'same endpoint, same secret: nothing new to show');
    assert.equal(moved.body.integration.forward_webhook_id, webhookId);
    await inbound('Hi');
    await receiver.waitForCount(1);
    assert.equal(receiver.requests[0]?.path, '/b');

    const second = await h.ctx.createConnectedInstance(h.key, 'Second Line');
    await api('patch', `/api/integrations/3cx/${id}`, { instance_id: second });
    const endpoint = await h.ctx.container.db('webhook_endpoints').where({ id: webhookId }).first();
    assert.equal(endpoint.instance_id, second, 'forwarding follows the integration to its new instance');

    const refused = await api('patch', `/api/integrations/3cx/${id}`, {
      destination_url: 'http://[::1',
    });
    assert.equal(refused.status, 422);

    const removed = await api('patch', `/api/integrations/3cx/${id}`, {
      destination_url: null,
    });
    assert.equal(removed.status, 200);
    assert.equal(removed.body.integration.forward_webhook_id, null);
    assert.equal(removed.body.integration.destination_url, null);
    assert.equal((await api('get', `/api/webhooks/${webhookId}`)).status, 404);

    const again = await api('patch', `/api/integrations/3cx/${id}`, {
      destination_url: receiver.url('/c'),
    });
    const againId = again.body.forwarding.webhook_id as string;
    await api('delete', `/api/integrations/3cx/${id}`);
    assert.equal((await api('get', `/api/webhooks/${againId}`)).status, 404, 'deleted with the integration');
  });
});
