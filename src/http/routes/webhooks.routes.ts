import { Router } from 'express';
import type { Container } from '../../container.ts';
import type { DeliveryStatus } from '../../webhooks/webhook-delivery-store.ts';
import { presentDelivery, presentWebhook } from '../../webhooks/webhook-service.ts';
import { accountOf, apiKeyAuth } from '../middleware/auth.ts';
import { accountRateLimit } from '../middleware/account-rate-limit.ts';
import { handler } from '../middleware/async-handler.ts';
import { jsonBody } from '../middleware/json-body.ts';
import { requireJson } from '../middleware/require-json.ts';
import { validateBody } from '../middleware/validate-body.ts';
import {
  createWebhookSchema,
  recoverWebhookSchema,
  rotateWebhookSecretSchema,
  updateWebhookSchema,
} from '../schemas/webhook.schema.ts';
import { optionalString, pageParams } from './pagination.ts';

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

  const create = handler(async (req, res) => {
    const { endpoint, secret } = await c.webhooks.create(accountOf(res).id, req.body);
    res.status(201).json({ success: true, webhook: { ...presentWebhook(endpoint, now()), secret }, secret });
  });
  const list = handler(async (req, res) => {
    const page = pageParams(req.query as Record<string, unknown>);
    const items = await c.webhooks.list(accountOf(res).id, page);
    res.json({
      success: true,
      webhooks: items.map((e) => presentWebhook(e, now())),
      limit: page.limit,
      offset: page.offset,
    });
  });
  const get = handler(async (req, res) => {
    const endpoint = await c.webhooks.get(accountOf(res).id, id(req));
    res.json({ success: true, webhook: presentWebhook(endpoint, now()) });
  });
  const update = handler(async (req, res) => {
    const endpoint = await c.webhooks.update(accountOf(res).id, id(req), req.body);
    res.json({ success: true, webhook: presentWebhook(endpoint, now()) });
  });
  const remove = handler(async (req, res) => {
    await c.webhooks.remove(accountOf(res).id, id(req));
    res.json({ success: true, deleted: true });
  });
  const rotate = handler(async (req, res) => {
    const grace = req.body?.grace_period_seconds as number | undefined;
    const { endpoint, secret } = await c.webhooks.rotateSecret(accountOf(res).id, id(req), grace);
    res.json({ success: true, webhook: { ...presentWebhook(endpoint, now()), secret }, secret });
  });
  const test = handler(async (req, res) => {
    const result = await c.webhooks.sendTest(accountOf(res).id, id(req));
    res
      .status(202)
      .json({ success: true, event_id: result.eventId, request_id: result.requestId, held: result.held });
  });
  const deliveries = handler(async (req, res) => {
    const query = req.query as Record<string, unknown>;
    const page = pageParams(query);
    const status = optionalString(query, 'status', /^(pending|succeeded|failed|cancelled)$/) as
      | DeliveryStatus
      | undefined;
    const result = await c.webhooks.listDeliveries(accountOf(res).id, id(req), { status, ...page });
    res.json({
      success: true,
      deliveries: result.deliveries.map((d) =>
        presentDelivery(d.delivery, d.attempts, result.endpoint.enabled),
      ),
      limit: page.limit,
      offset: page.offset,
    });
  });
  const redeliver = handler(async (req, res) => {
    const result = await c.webhooks.redeliver(accountOf(res).id, id(req));
    res
      .status(202)
      .json({
        success: true,
        delivery: presentDelivery(result.delivery, result.attempts, result.endpoint.enabled),
      });
  });
  const recover = handler(async (req, res) => {
    const result = await c.webhooks.recover(accountOf(res).id, id(req), req.body);
    res.status(202).json({ success: true, ...result });
  });

  router.post(
    '/api/webhooks',
    requireJson(),
    auth,
    ...jsonBody('1mb', c.bodyBudget),
    validateBody(createWebhookSchema),
    create,
  );
  router.get('/api/webhooks', auth, list);
  router.post(
    '/api/webhooks/deliveries/:id/redeliver',
    requireJson({ optional: true }),
    auth,
    ...jsonBody('1mb', c.bodyBudget),
    redeliver,
  );
  router.get('/api/webhooks/:id', auth, get);
  router.patch(
    '/api/webhooks/:id',
    requireJson(),
    auth,
    ...jsonBody('1mb', c.bodyBudget),
    validateBody(updateWebhookSchema),
    update,
  );
  router.delete('/api/webhooks/:id', auth, remove);
  router.post(
    '/api/webhooks/:id/rotate-secret',
    requireJson({ optional: true }),
    auth,
    ...jsonBody('1mb', c.bodyBudget),
    validateBody(rotateWebhookSecretSchema),
    rotate,
  );
  router.post(
    '/api/webhooks/:id/test',
    requireJson({ optional: true }),
    auth,
    testRateLimit,
    ...jsonBody('1mb', c.bodyBudget),
    test,
  );
  router.get('/api/webhooks/:id/deliveries', auth, deliveries);
  router.post(
    '/api/webhooks/:id/recover',
    requireJson(),
    auth,
    ...jsonBody('1mb', c.bodyBudget),
    validateBody(recoverWebhookSchema),
    recover,
  );
  return router;
}
