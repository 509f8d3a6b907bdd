import assert from 'node:assert/strict';
import { systemClock } from '../../src/lib/clock.ts';
import { SandboxTransport } from '../../src/transport/sandbox/sandbox-transport.ts';
import { type WebhookHarness, startWebhookHarness, subscribe } from '../support/webhook-harness.ts';
import { WebhookReceiver } from '../support/webhook-receiver.ts';

/**
 * The docs quickstart's event promises (steps 4 and 5), checked against what happens: a webhook
 * receives the events that happen after it is created. The receipts of the step-4 message came
 * before the step-5 webhook and are not sent to it; the message sent after it does get
 * message.delivered and message.read, as the quickstart now says.
 */
describe('quickstart events (docs /docs/quickstart steps 4 and 5)', function () {
  this.timeout(30_000);
  let h: WebhookHarness;
  let receiver: WebhookReceiver;

  before(async () => {
    // The sandbox's own receipt delay (250 ms), as a quickstart user gets it: the send's row is
    // written before its receipts arrive, so delivered precedes read.
    h = await startWebhookHarness({
      env: { WEBHOOK_ALLOWED_CIDRS: '127.0.0.0/8' },
      transport: new SandboxTransport({ clock: systemClock }),
    });
    receiver = await WebhookReceiver.start();
  });
  after(async () => {
    await receiver?.close();
    await h?.close();
  });

  const send = async (instanceId: string, phone: string, message: string) => {
    const res = await h.ctx.http
      .post('/api/send-message')
      .set(h.auth)
      .send({ instance_id: instanceId, phone, message, message_purpose: 'transactional' });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body as { message_id: string; log_id: number };
  };
  const statusOf = async (logId: number) => (await h.ctx.container.messages.get(logId))?.status;

  it('delivers what happens after the webhook exists, and nothing from before', async () => {
    const instanceId = await h.ctx.createConnectedInstance(h.key, 'Support line');
    // Step 4: a send; its receipts arrive while no webhook exists.
    const first = await send(instanceId, '+6281234567890', 'Your order #1029 has shipped.');
    // The sandbox phone's receipts arrive on real timers: wait for the row (busy CI: up to 15 s).
    const until = Date.now() + 15_000;
    while ((await statusOf(first.log_id)) !== 'read' && Date.now() < until) await new Promise((r) => setTimeout(r, 25));
    assert.equal(await statusOf(first.log_id), 'read', 'the step-4 message was delivered and read');

    // Step 5: the webhook, then the simulated phone writes and replies STOP.
    await subscribe(h.ctx, h.key, { destination_url: receiver.url('/'), events: ['*'] });
    for (const text of ['Is my order ready?', 'STOP']) {
      const res = await h.ctx.http
        .post(`/api/instances/${instanceId}/sandbox/inbound`)
        .set(h.auth)
        .send({ from: '+6281234567890', text });
      assert.equal(res.status, 200);
    }
    const events = () => receiver.requests.map((r) => r.json?.event as string);
    await receiver.waitFor(() => events().includes('recipient.opted_out'), 10_000, 'recipient.opted_out');
    assert.equal(events().filter((e) => e === 'message.received').length, 2);

    // The documented "send once more": its receipts reach the receiver.
    const second = await send(instanceId, '+6281298765432', 'Your appointment is confirmed for 10:00.');
    const receiptFor = (id: string, event: string) =>
      receiver.requests.some((r) => r.json?.event === event && (r.json.payload as { message_id?: string }).message_id === id);
    // Deliveries run in parallel: wait for both receipts, in whatever order they arrive.
    await receiver.waitFor(
      () => receiptFor(second.message_id, 'message.delivered') && receiptFor(second.message_id, 'message.read'),
      15_000,
      'message.delivered and message.read',
    );
    // Nothing from before the webhook existed.
    assert.ok(!receiptFor(first.message_id, 'message.delivered'));
    assert.ok(!receiptFor(first.message_id, 'message.read'));
  });
});
