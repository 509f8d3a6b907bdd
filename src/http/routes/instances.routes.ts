import { Router } from 'express';
import type { Container } from '../../container.ts';
import { presentInstance } from '../../instances/instance-service.ts';
import { normalizePhoneOrReject } from '../../lib/phone.ts';
import { accountOf, apiKeyAuth } from '../middleware/auth.ts';
import { handler } from '../middleware/async-handler.ts';
import { jsonRequest } from '../middleware/json-request.ts';
import { validateBody } from '../middleware/validate-body.ts';
import { createInstanceSchema, pairingCodeSchema } from '../schemas/instance.schema.ts';
import { describe } from '../../openapi/route-meta.ts';
import { RESPONSES, type ResponseBody } from '../../openapi/response-schemas.ts';

/** Instance lifecycle (SPEC §5.1). Every lookup is scoped by the caller's account. */
export function instanceRoutes(c: Container): Router {
  const router = Router();
  const auth = apiKeyAuth(c.apiKeys, c.accountStore);
  const now = () => c.clock.now().getTime();
  const id = (req: { params: Record<string, unknown> }) => String(req.params.id);

  const create = handler(async (req, res) => {
    const instance = await c.instances.create(accountOf(res).id, req.body);
    const body = {
      success: true,
      instance: await presentInstance(instance, now()),
    } satisfies ResponseBody<'instanceCreated'>;
    res.status(201).json(body);
  });
  const list = handler(async (_req, res) => {
    const items = await c.instanceStore.listForAccount(accountOf(res).id);
    const instances = await Promise.all(items.map((i) => presentInstance(i, now())));
    res.json({ success: true, instances } satisfies ResponseBody<'instances'>);
  });
  const get = handler(async (req, res) => {
    const instance = await c.instances.getForAccount(accountOf(res).id, id(req));
    res.json({ success: true, instance: await presentInstance(instance, now()) } satisfies ResponseBody<'instance'>);
  });
  const regenerateQr = handler(async (req, res) => {
    const instance = await c.instances.regenerateQr(accountOf(res).id, id(req));
    const body = {
      success: true,
      instance: await presentInstance(instance, now()),
    } satisfies ResponseBody<'instanceCreated'>;
    res.json(body);
  });
  const pairingCode = handler(async (req, res) => {
    const phone = normalizePhoneOrReject(String(req.body.phone), null);
    const code = await c.instances.requestPairingCode(accountOf(res).id, id(req), phone);
    res.json({ success: true, pairing_code: code } satisfies ResponseBody<'pairingCode'>);
  });
  const disconnect = handler(async (req, res) => {
    const instance = await c.instances.disconnect(accountOf(res).id, id(req));
    res.json({ success: true, instance: await presentInstance(instance, now()) } satisfies ResponseBody<'instance'>);
  });
  const destroy = handler(async (req, res) => {
    await c.instances.destroy(accountOf(res).id, id(req));
    res.json({ success: true, destroyed: true } satisfies ResponseBody<'destroyed'>);
  });

  router.post(
    '/api/instances',
    describe({
      summary: 'Create an instance (returns a QR code)',
      description:
        'Creates a WhatsApp instance in state `qr_generated`. Scan `qr.png_data_url` (or render `qr.raw`) with WhatsApp → Linked devices before `qr.expires_at`; the instance becomes `connected` and `instance.connected` is emitted.',
      tag: 'Instances',
      request: { example: { name: 'Customer Service Main', default_country: 'SA' } },
      response: { status: 201, description: 'Created, with a QR code to scan.', ...RESPONSES.instanceCreated },
      errors: ['whatsapp_unreachable'],
    }),
    ...jsonRequest(auth, c.bodyBudget),
    validateBody(createInstanceSchema),
    create,
  );
  router.get(
    '/api/instances',
    describe({
      summary: 'List instances',
      tag: 'Instances',
      response: { status: 200, description: 'The instances of this account.', ...RESPONSES.instances },
    }),
    auth,
    list,
  );
  router.get(
    '/api/instances/:id',
    describe({
      summary: 'Get an instance',
      description:
        'State, linked phone, current QR code (while one is waiting) and pause status.',
      tag: 'Instances',
      response: { status: 200, description: 'The instance.', ...RESPONSES.instance },
      errors: ['invalid_instance'],
    }),
    auth,
    get,
  );
  router.post(
    '/api/instances/:id/qr',
    describe({
      summary: 'Regenerate the QR code',
      description:
        'For a `disconnected` or `expired` instance. Refused with 409 while connected (`instance_connected`) or while the previous QR is still valid (`qr_still_valid`).',
      tag: 'Instances',
      response: { status: 200, description: 'A new QR code.', ...RESPONSES.instanceCreated },
      errors: ['invalid_instance', 'qr_still_valid', 'instance_connected'],
    }),
    ...jsonRequest(auth, c.bodyBudget, { optional: true }),
    regenerateQr,
  );
  router.post(
    '/api/instances/:id/pairing-code',
    describe({
      summary: 'Link with a phone number (pairing code)',
      description:
        'An alternative to scanning: returns an 8-character code to type on the phone (WhatsApp → Linked devices → Link with phone number instead).',
      tag: 'Instances',
      request: { example: { phone: '+966500000000' } },
      response: { status: 200, description: 'The pairing code.', ...RESPONSES.pairingCode },
      errors: ['invalid_instance', 'instance_connected'],
    }),
    ...jsonRequest(auth, c.bodyBudget),
    validateBody(pairingCodeSchema),
    pairingCode,
  );
  router.post(
    '/api/instances/:id/disconnect',
    describe({
      summary: 'Disconnect (log out)',
      description:
        'Logs the linked device out and clears its session; regenerate a QR code to link again.',
      tag: 'Instances',
      response: { status: 200, description: 'Disconnected.', ...RESPONSES.instance },
      errors: ['invalid_instance'],
    }),
    ...jsonRequest(auth, c.bodyBudget, { optional: true }),
    disconnect,
  );
  router.delete(
    '/api/instances/:id',
    describe({
      summary: 'Destroy an instance',
      description:
        'Logs out, archives its logs and frees the name.',
      tag: 'Instances',
      response: { status: 200, description: 'Destroyed.', ...RESPONSES.destroyed },
      errors: ['invalid_instance'],
    }),
    auth,
    destroy,
  );
  return router;
}
