import { Router } from 'express';
import type { Container } from '../../container.ts';
import { normalizePhoneOrReject } from '../../lib/phone.ts';
import { sandboxControlOf } from '../../cluster/clustered-transport.ts';
import { accountOf, apiKeyAuth } from '../middleware/auth.ts';
import { handler } from '../middleware/async-handler.ts';
import { jsonBody } from '../middleware/json-body.ts';
import { requireJson } from '../middleware/require-json.ts';
import { validateBody } from '../middleware/validate-body.ts';
import { sandboxFailNextSchema, sandboxInboundSchema } from '../schemas/instance.schema.ts';

/** Sandbox control routes (SPEC §5.4): mounted only when TRANSPORT=sandbox, 404 otherwise. */
export function sandboxRoutes(c: Container): Router {
  const router = Router();
  // Clustered: each control call runs on the node that owns the instance (forwarded in one hop).
  const transport = sandboxControlOf(c.transport);
  if (!transport) return router;
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
    requireJson({ optional: true }),
    auth,
    ...jsonBody('1mb', c.bodyBudget),
    scan,
  );
  router.post(
    '/api/instances/:id/sandbox/inbound',
    requireJson(),
    auth,
    ...jsonBody('24mb', c.bodyBudget),
    validateBody(sandboxInboundSchema),
    inbound,
  );
  router.post(
    '/api/instances/:id/sandbox/fail-next',
    requireJson({ optional: true }),
    auth,
    ...jsonBody('1mb', c.bodyBudget),
    validateBody(sandboxFailNextSchema),
    failNext,
  );
  router.post(
    '/api/instances/:id/sandbox/disconnect',
    requireJson({ optional: true }),
    auth,
    ...jsonBody('1mb', c.bodyBudget),
    drop,
  );
  return router;
}
