import { Router } from 'express';
import type { Container } from '../../container.ts';
import type { WebhookEndpoint } from '../../webhooks/webhook-endpoint-store.ts';
import { presentDelivery, presentWebhook } from '../../webhooks/webhook-service.ts';
import { accountOf, apiKeyAuth } from '../middleware/auth.ts';
import { accountRateLimit } from '../middleware/account-rate-limit.ts';
import { handler } from '../middleware/async-handler.ts';
import { jsonBody } from '../middleware/json-body.ts';
import { requireJson } from '../middleware/require-json.ts';
import { jsonRequest } from '../middleware/json-request.ts';
import { validateBody } from '../middleware/validate-body.ts';
import {
  createWebhookSchema,
  recoverWebhookSchema,
  rotateWebhookSecretSchema,
  updateWebhookSchema,
} from '../schemas/webhook.schema.ts';
import { deliveryLog, deliveryLogDoc } from './delivery-log.ts';
import { pageParams } from './pagination.ts';
import { describe } from '../../openapi/route-meta.ts';
import { RESPONSES, type ResponseBody } from '../../openapi/response-schemas.ts';
import { limitParam, offsetParam } from '../../openapi/params.ts';

/** Test deliveries (`POST /api/webhooks/{id}/test`) one account may trigger per minute. */
export const WEBHOOK_TESTS_PER_MINUTE = 10;

/** Webhook subscriptions, their delivery log and replays (SPEC §7.3–7.4). Scoped by the caller's account. */
export function webhookRoutes(c: Container): Router {
  const router = Router();
  const auth = apiKeyAuth(c.apiKeys, c.accountStore);
  const now = () => c.clock.now().getTime();
  const id = (req: { params: Record<string, unknown> }) => String(req.params.id);
  // A test delivery is an outbound request the caller triggers at will: bounded per account.
  const testRateLimit = accountRateLimit({
    name: 'webhook_test',
    points: WEBHOOK_TESTS_PER_MINUTE,
    durationSeconds: 60,
  });

  /** The answer of creating an endpoint or rotating its secret: the secret is shown this once. */
  const withSecret = (endpoint: WebhookEndpoint, secret: string) =>
    ({
      success: true,
      webhook: { ...presentWebhook(endpoint, now()), secret },
      secret,
    }) satisfies ResponseBody<'webhookCreated'>;
  const create = handler(async (req, res) => {
    const { endpoint, secret } = await c.webhooks.create(accountOf(res).id, req.body);
    res.status(201).json(withSecret(endpoint, secret));
  });
  const list = handler(async (req, res) => {
    const page = pageParams(req.query as Record<string, unknown>);
    const items = await c.webhooks.list(accountOf(res).id, page);
    res.json({
      success: true,
      webhooks: items.map((e) => presentWebhook(e, now())),
      limit: page.limit,
      offset: page.offset,
    } satisfies ResponseBody<'webhooks'>);
  });
  const get = handler(async (req, res) => {
    const endpoint = await c.webhooks.get(accountOf(res).id, id(req));
    res.json({ success: true, webhook: presentWebhook(endpoint, now()) } satisfies ResponseBody<'webhook'>);
  });
  const update = handler(async (req, res) => {
    const endpoint = await c.webhooks.update(accountOf(res).id, id(req), req.body);
    res.json({ success: true, webhook: presentWebhook(endpoint, now()) } satisfies ResponseBody<'webhook'>);
  });
  const remove = handler(async (req, res) => {
    await c.webhooks.remove(accountOf(res).id, id(req));
    res.json({ success: true, deleted: true } satisfies ResponseBody<'webhookDeleted'>);
  });
  const rotate = handler(async (req, res) => {
    const grace = req.body?.grace_period_seconds as number | undefined;
    const { endpoint, secret } = await c.webhooks.rotateSecret(accountOf(res).id, id(req), grace);
    res.json(withSecret(endpoint, secret));
  });
  const test = handler(async (req, res) => {
    const result = await c.webhooks.sendTest(accountOf(res).id, id(req));
    res
      .status(202)
      .json({
        success: true,
        event_id: result.eventId,
        request_id: result.requestId,
        held: result.held,
      } satisfies ResponseBody<'webhookTest'>);
  });
  const deliveries = deliveryLog('customer', (req, res, query) =>
    c.webhooks.listDeliveries(accountOf(res).id, id(req), query),
  );
  const redeliver = handler(async (req, res) => {
    const result = await c.webhooks.redeliver(accountOf(res).id, id(req));
    res
      .status(202)
      .json({
        success: true,
        delivery: presentDelivery(result.delivery, result.attempts, result.endpoint.enabled),
      } satisfies ResponseBody<'delivery'>);
  });
  const recover = handler(async (req, res) => {
    const result = await c.webhooks.recover(accountOf(res).id, id(req), req.body);
    res.status(202).json({ success: true, ...result } satisfies ResponseBody<'recover'>);
  });

  router.post(
    '/api/webhooks',
    describe({
      summary: 'Subscribe to events',
      description:
        'Returns the signing secret once (`secret`). Destinations are checked against SSRF rules at creation and again at connect time.',
      tag: 'Webhooks',
      request: { example: {
        destination_url: 'https://crm.example.com/hooks/whatsapp',
        events: ['message.received', 'recipient.opted_out'],
        instance_id: null,
      } },
      response: { status: 201, description: 'Created; keep the secret.', ...RESPONSES.webhookCreated },
      errors: ['invalid_instance'],
    }),
    ...jsonRequest(auth, c.bodyBudget),
    validateBody(createWebhookSchema),
    create,
  );
  router.get(
    '/api/webhooks',
    describe({
      summary: 'List webhooks',
      tag: 'Webhooks',
      params: [limitParam, offsetParam],
      response: { status: 200, description: 'Subscriptions, with health.', ...RESPONSES.webhooks },
      errors: ['validation_error'],
    }),
    auth,
    list,
  );
  router.post(
    '/api/webhooks/deliveries/:id/redeliver',
    describe({
      summary: 'Redeliver one delivery',
      description:
        'Queues the delivery again with the same request id; it gets the whole retry schedule again.',
      tag: 'Webhooks',
      response: { status: 202, description: 'Queued.', ...RESPONSES.delivery },
      errors: ['not_found', 'conflict'],
    }),
    ...jsonRequest(auth, c.bodyBudget, { optional: true }),
    redeliver,
  );
  router.get(
    '/api/webhooks/:id',
    describe({
      summary: 'Get a webhook',
      tag: 'Webhooks',
      response: { status: 200, description: 'The subscription.', ...RESPONSES.webhook },
      errors: ['not_found'],
    }),
    auth,
    get,
  );
  router.patch(
    '/api/webhooks/:id',
    describe({
      summary: 'Update or re-enable a webhook',
      description:
        '`enabled: true` re-enables a disabled endpoint: its failure count resets and held deliveries flow.',
      tag: 'Webhooks',
      request: { example: { enabled: true } },
      response: { status: 200, description: 'Updated.', ...RESPONSES.webhook },
      errors: ['not_found', 'invalid_instance'],
    }),
    ...jsonRequest(auth, c.bodyBudget),
    validateBody(updateWebhookSchema),
    update,
  );
  router.delete(
    '/api/webhooks/:id',
    describe({
      summary: 'Delete a webhook',
      description:
        'Pending deliveries to it are cancelled.',
      tag: 'Webhooks',
      response: { status: 200, description: 'Deleted.', ...RESPONSES.webhookDeleted },
      errors: ['not_found'],
    }),
    auth,
    remove,
  );
  router.post(
    '/api/webhooks/:id/rotate-secret',
    describe({
      summary: 'Rotate the signing secret',
      description:
        'Returns the new secret once. During the grace period both secrets sign (two entries in each signature header, newest first).',
      tag: 'Webhooks',
      request: { example: { grace_period_seconds: 86400 } },
      response: { status: 200, description: 'The new secret.', ...RESPONSES.webhookCreated },
      errors: ['not_found'],
    }),
    ...jsonRequest(auth, c.bodyBudget, { optional: true }),
    validateBody(rotateWebhookSecretSchema),
    rotate,
  );
  router.post(
    '/api/webhooks/:id/test',
    describe({
      summary: 'Send a test event',
      description:
        'Queues a signed `webhook.test` event to this endpoint. At most 10 test events per account per minute (`429 rate_limited` with `Retry-After` beyond).',
      tag: 'Webhooks',
      response: { status: 202, description: 'Queued.', ...RESPONSES.webhookTest },
      errors: ['not_found', 'rate_limited'],
    }),
    requireJson({ optional: true }),
    auth,
    testRateLimit,
    ...jsonBody('1mb', c.bodyBudget),
    test,
  );
  router.get(
    '/api/webhooks/:id/deliveries',
    describe({
      summary: 'Delivery log',
      description:
        'Deliveries to this endpoint with every attempt (status code, latency, response excerpt, error).',
      tag: 'Webhooks',
      ...deliveryLogDoc,
    }),
    auth,
    deliveries,
  );
  router.post(
    '/api/webhooks/:id/recover',
    describe({
      summary: 'Recover failed deliveries in bulk',
      description:
        'Re-queues failed deliveries created in [since, until), at most 14 days back.',
      tag: 'Webhooks',
      request: { example: { since: '2026-05-08T10:00:00Z' } },
      response: { status: 202, description: 'Re-queued.', ...RESPONSES.recover },
      errors: ['not_found'],
    }),
    ...jsonRequest(auth, c.bodyBudget),
    validateBody(recoverWebhookSchema),
    recover,
  );
  return router;
}
