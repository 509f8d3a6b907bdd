import { Router } from 'express';
import type { Container } from '../../container.ts';
import { presentInstance } from '../../instances/instance-service.ts';
import { normalizePhoneOrReject } from '../../lib/phone.ts';
import { accountOf, apiKeyAuth } from '../middleware/auth.ts';
import { handler } from '../middleware/async-handler.ts';
import { jsonBody } from '../middleware/json-body.ts';
import { requireJson } from '../middleware/require-json.ts';
import { validateBody } from '../middleware/validate-body.ts';
import { createInstanceSchema, pairingCodeSchema } from '../schemas/instance.schema.ts';

/** Instance lifecycle (SPEC §5.1). Every lookup is scoped by the caller's account. */
export function instanceRoutes(c: Container): Router {
  const router = Router();
  const auth = apiKeyAuth(c.apiKeys, c.accountStore);
  const now = () => c.clock.now().getTime();
  const id = (req: { params: Record<string, unknown> }) => String(req.params.id);

  const create = handler(async (req, res) => {
    const instance = await c.instances.create(accountOf(res).id, req.body);
    res.status(201).json({ success: true, instance: await presentInstance(instance, now()) });
  });
  const list = handler(async (_req, res) => {
    const items = await c.instanceStore.listForAccount(accountOf(res).id);
    res.json({ success: true, instances: await Promise.all(items.map((i) => presentInstance(i, now()))) });
  });
  const get = handler(async (req, res) => {
    const instance = await c.instances.getForAccount(accountOf(res).id, id(req));
    res.json({ success: true, instance: await presentInstance(instance, now()) });
  });
  const regenerateQr = handler(async (req, res) => {
    const instance = await c.instances.regenerateQr(accountOf(res).id, id(req));
    res.json({ success: true, instance: await presentInstance(instance, now()) });
  });
  const pairingCode = handler(async (req, res) => {
    const phone = normalizePhoneOrReject(String(req.body.phone), null);
    const code = await c.instances.requestPairingCode(accountOf(res).id, id(req), phone);
    res.json({ success: true, pairing_code: code });
  });
  const disconnect = handler(async (req, res) => {
    const instance = await c.instances.disconnect(accountOf(res).id, id(req));
    res.json({ success: true, instance: await presentInstance(instance, now()) });
  });
  const destroy = handler(async (req, res) => {
    await c.instances.destroy(accountOf(res).id, id(req));
    res.json({ success: true, destroyed: true });
  });

  router.post(
    '/api/instances',
    requireJson(),
    auth,
    ...jsonBody('1mb', c.bodyBudget),
    validateBody(createInstanceSchema),
    create,
  );
  router.get('/api/instances', auth, list);
  router.get('/api/instances/:id', auth, get);
  router.post(
    '/api/instances/:id/qr',
    requireJson({ optional: true }),
    auth,
    ...jsonBody('1mb', c.bodyBudget),
    regenerateQr,
  );
  router.post(
    '/api/instances/:id/pairing-code',
    requireJson(),
    auth,
    ...jsonBody('1mb', c.bodyBudget),
    validateBody(pairingCodeSchema),
    pairingCode,
  );
  router.post(
    '/api/instances/:id/disconnect',
    requireJson({ optional: true }),
    auth,
    ...jsonBody('1mb', c.bodyBudget),
    disconnect,
  );
  router.delete('/api/instances/:id', auth, destroy);
  return router;
}
