import { type RequestHandler, Router } from 'express';
import type { Container } from '../../container.ts';
import { normalizePhoneOrReject } from '../../lib/phone.ts';
import { type SandboxControl, sandboxControlOf } from '../../cluster/clustered-transport.ts';
import { accountOf, apiKeyAuth } from '../middleware/auth.ts';
import { handler } from '../middleware/async-handler.ts';
import { jsonRequest } from '../middleware/json-request.ts';
import { validateBody } from '../middleware/validate-body.ts';
import { sandboxFailNextSchema, sandboxInboundSchema } from '../schemas/instance.schema.ts';
import { describe, withMeta } from '../../openapi/route-meta.ts';
import { RESPONSES } from '../../openapi/response-schemas.ts';

/**
 * Sandbox control routes (SPEC §5.4): answered only when TRANSPORT=sandbox. Otherwise the first
 * entry of each list passes the request on (`next('route')`) to the JSON 404, as if the route did
 * not exist; the routes stay in the list so the OpenAPI document describes them (sandbox only).
 */
export function sandboxRoutes(c: Container): Router {
  const router = Router();
  // Clustered: each control call runs on the node that owns the instance (forwarded in one hop).
  const control = sandboxControlOf(c.transport);
  const sandboxOnly = withMeta<RequestHandler>((_req, _res, next) => next(control ? undefined : 'route'), {
    kind: 'sandboxOnly',
  });
  // The handlers below run only past `sandboxOnly`, i.e. with a sandbox transport.
  const transport = control as SandboxControl;
  const auth = apiKeyAuth(c.apiKeys, c.accountStore);
  const owned = async (res: { locals: Record<string, unknown> }, id: string) =>
    (await c.instances.getForAccount(accountOf(res).id, id)).id;

  const scan = handler(async (req, res) => {
    const id = await owned(res, String(req.params.id));
    await transport.scan(id);
    res.json({ success: true, state: 'connected' });
  });
  const inbound = handler(async (req, res) => {
    const id = await owned(res, String(req.params.id));
    const from = normalizePhoneOrReject(String(req.body.from), null, '/from');
    const media = req.body.media
      ? {
          type: req.body.media.type,
          mimeType: req.body.media.mime_type,
          fileName: req.body.media.file_name ?? null,
          data: Buffer.from(req.body.media.data, 'base64'),
        }
      : undefined;
    const message = await transport.inbound(id, {
      from,
      text: req.body.text ?? null,
      group: req.body.group ?? null,
      mentions: req.body.mentions,
      media,
      pushName: req.body.push_name ?? null,
    });
    res.json({ success: true, message_id: message.messageId });
  });
  const failNext = handler(async (req, res) => {
    const id = await owned(res, String(req.params.id));
    await transport.failNext(id, Number(req.body.count ?? 1));
    res.json({ success: true });
  });
  const drop = handler(async (req, res) => {
    const id = await owned(res, String(req.params.id));
    await transport.dropConnection(id);
    res.json({ success: true, state: 'disconnected' });
  });

  router.post(
    '/api/instances/:id/sandbox/scan',
    describe({
      summary: 'Sandbox: scan the QR code',
      tag: 'Sandbox',
      response: { status: 200, description: 'The simulated phone linked the instance.', ...RESPONSES.sandboxState },
      errors: ['invalid_instance'],
    }),
    sandboxOnly,
    ...jsonRequest(auth, c.bodyBudget, { optional: true }),
    scan,
  );
  router.post(
    '/api/instances/:id/sandbox/inbound',
    describe({
      summary: 'Sandbox: receive a message from a contact',
      description:
        'Simulates an inbound WhatsApp message (text, media, group, mentions). Opt-out keywords such as STOP suppress the sender exactly as real messages do.',
      tag: 'Sandbox',
      request: { example: { from: '+6281234567890', text: 'STOP' } },
      response: { status: 200, description: 'Received.', ...RESPONSES.sandboxInbound },
      errors: ['invalid_instance'],
    }),
    sandboxOnly,
    ...jsonRequest(auth, c.bodyBudget, { limit: '24mb' }),
    validateBody(sandboxInboundSchema),
    inbound,
  );
  router.post(
    '/api/instances/:id/sandbox/fail-next',
    describe({
      summary: 'Sandbox: make the next sends fail',
      tag: 'Sandbox',
      request: { example: { count: 1 } },
      response: { status: 200, description: 'The next `count` sends answer gateway_send_failed.', ...RESPONSES.okOnly },
      errors: ['invalid_instance'],
    }),
    sandboxOnly,
    ...jsonRequest(auth, c.bodyBudget, { optional: true }),
    validateBody(sandboxFailNextSchema),
    failNext,
  );
  router.post(
    '/api/instances/:id/sandbox/disconnect',
    describe({
      summary: 'Sandbox: drop the connection',
      tag: 'Sandbox',
      response: { status: 200, description: 'The instance is disconnected.', ...RESPONSES.sandboxState },
      errors: ['invalid_instance'],
    }),
    sandboxOnly,
    ...jsonRequest(auth, c.bodyBudget, { optional: true }),
    drop,
  );
  return router;
}
