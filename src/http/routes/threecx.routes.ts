import express, { type RequestHandler, Router } from 'express';
import type { Container } from '../../container.ts';
import { InvalidJsonError, InvalidThreeCxWebhookError, PayloadTooLargeError } from '../../errors/errors.ts';
import {
  SECRET_HEADER,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
} from '../../integrations/threecx/threecx-auth.ts';
import { presentIntegration } from '../../integrations/threecx/threecx-service.ts';
import type { ThreeCxIntegration } from '../../integrations/threecx/threecx-store.ts';
import { accountOf, apiKeyAuth } from '../middleware/auth.ts';
import { handler } from '../middleware/async-handler.ts';
import { publicErrorFor } from '../middleware/framework-errors.ts';
import { isBodyTooLarge, jsonBody, parseJsonBytes } from '../middleware/json-body.ts';
import { requireJson } from '../middleware/require-json.ts';
import { validateBody } from '../middleware/validate-body.ts';
import { createThreeCxIntegrationSchema, updateThreeCxIntegrationSchema } from '../schemas/threecx.schema.ts';
import { pageParams } from './pagination.ts';

/** 256 KB, the 3CX webhook body limit (reference/003). Exactly 262144 bytes pass. */
export const THREECX_BODY_LIMIT_BYTES = 256 * 1024;

function integrationOf(res: { locals: Record<string, unknown> }): ThreeCxIntegration {
  return res.locals.threecxIntegration as ThreeCxIntegration;
}

/**
 * The 3CX middleware (SPEC §10): integration settings under `/api/integrations/3cx` (API key,
 * module `threecx`), and the webhook 3CX calls.
 *
 * Webhook middleware order, and why:
 * 1. `authenticateHeaders`: integration known and enabled, caller address allowed, secret
 *    header right. Headers only: nothing of the body is read for a stranger. Any failure →
 *    `401 invalid_3cx_webhook` (and the unread body is drained, not parsed).
 * 2. `readBody`: at most 256 KB of raw bytes, kept for the HMAC. Over the limit →
 *    `413 payload_too_large`: the caller has shown the secret, so the specific error is safe.
 *    A stranger never gets this far, so an oversized body from a stranger is the generic error.
 * 3. `verifySignature`: timestamp + signature (required when `require_hmac`, checked when
 *    present), freshness (±5 min) and replay. Any failure → the generic error again.
 * 4. `rateLimit`: 60 per minute per integration, counting authenticated requests only.
 * 5. `parseJson`: `400 invalid_json`. The Content-Type is not checked: the body is JSON or not.
 * 6. the event (module, fields, window, cooldown, ResponsibleMessageSender).
 */
export function threeCxRoutes(c: Container): Router {
  const router = Router();
  const auth = apiKeyAuth(c.apiKeys, c.accountStore);
  const service = c.threecx;
  const webhook = c.threecxWebhook;
  const id = (req: { params: Record<string, unknown> }) => String(req.params.id);

  // ---- settings ------------------------------------------------------------------------------
  const create = handler(async (req, res) => {
    const { integration, secret, forwarding } = await service.create(accountOf(res), req.body);
    res.status(201).json({
      success: true,
      id: integration.id,
      secret,
      integration: presentIntegration(integration),
      forwarding,
    });
  });
  const list = handler(async (req, res) => {
    const page = pageParams(req.query as Record<string, unknown>);
    const items = await service.list(accountOf(res), page);
    res.json({
      success: true,
      integrations: items.map(presentIntegration),
      limit: page.limit,
      offset: page.offset,
    });
  });
  const get = handler(async (req, res) => {
    const integration = await service.get(accountOf(res), id(req));
    res.json({
      success: true,
      integration: presentIntegration(integration),
      default_templates: service.defaultTemplates(),
    });
  });
  const update = handler(async (req, res) => {
    const { integration, forwarding } = await service.update(accountOf(res), id(req), req.body);
    res.json({
      success: true,
      integration: presentIntegration(integration),
      forwarding,
    });
  });
  const remove = handler(async (req, res) => {
    await service.remove(accountOf(res), id(req));
    res.json({ success: true, deleted: true });
  });
  const rotate = handler(async (req, res) => {
    const { integration, secret } = await service.rotateSecret(accountOf(res), id(req));
    res.json({
      success: true,
      id: integration.id,
      secret,
      integration: presentIntegration(integration),
    });
  });
  const events = handler(async (req, res) => {
    const page = pageParams(req.query as Record<string, unknown>);
    const items = await service.events(accountOf(res), id(req), page);
    res.json({ success: true, events: items, limit: page.limit });
  });

  router.post(
    '/api/integrations/3cx',
    requireJson(),
    auth,
    ...jsonBody('1mb', c.bodyBudget),
    validateBody(createThreeCxIntegrationSchema),
    create,
  );
  router.get('/api/integrations/3cx', auth, list);
  router.get('/api/integrations/3cx/:id', auth, get);
  router.patch(
    '/api/integrations/3cx/:id',
    requireJson(),
    auth,
    ...jsonBody('1mb', c.bodyBudget),
    validateBody(updateThreeCxIntegrationSchema),
    update,
  );
  router.delete('/api/integrations/3cx/:id', auth, remove);
  router.post(
    '/api/integrations/3cx/:id/rotate-secret',
    requireJson({ optional: true }),
    auth,
    ...jsonBody('1mb', c.bodyBudget),
    rotate,
  );
  router.get('/api/integrations/3cx/:id/events', auth, events);

  // ---- webhook -------------------------------------------------------------------------------
  const authenticateHeaders: RequestHandler = async (req, res, next) => {
    try {
      const integration = await webhook.authenticate(
        String(req.params.integration_id),
        req.get(SECRET_HEADER),
        req.socket.remoteAddress,
        req.get('x-forwarded-for'),
      );
      if (!integration) {
        // Discard the body unread so the client gets the answer instead of a reset connection.
        req.resume();
        return next(new InvalidThreeCxWebhookError());
      }
      res.locals.threecxIntegration = integration;
      res.locals.accountId = integration.accountId;
      next();
    } catch (error) {
      next(error);
    }
  };
  const raw = express.raw({
    type: () => true,
    limit: THREECX_BODY_LIMIT_BYTES,
  });
  const readBody: RequestHandler = (req, res, next) => {
    raw(req, res, (error?: unknown) => {
      if (error) {
        return next(
          isBodyTooLarge(error)
            ? new PayloadTooLargeError({
                limit_bytes: THREECX_BODY_LIMIT_BYTES,
              })
            : (publicErrorFor(error) ?? new InvalidJsonError()),
        );
      }
      const body = Buffer.isBuffer(req.body) ? (req.body as Buffer) : Buffer.alloc(0);
      res.locals.threecxRawBody = body;
      next();
    });
  };
  const verifySignature: RequestHandler = async (req, res, next) => {
    try {
      const ok = await webhook.verifySignature(
        integrationOf(res),
        req.get(TIMESTAMP_HEADER),
        req.get(SIGNATURE_HEADER),
        res.locals.threecxRawBody as Buffer,
      );
      next(ok ? undefined : new InvalidThreeCxWebhookError());
    } catch (error) {
      next(error);
    }
  };
  const rateLimit: RequestHandler = async (_req, res, next) => {
    try {
      await webhook.rateLimit(integrationOf(res));
      next();
    } catch (error) {
      next(error);
    }
  };
  const parseJson: RequestHandler = (req, res, next) => {
    const body = res.locals.threecxRawBody as Buffer;
    try {
      if (body.length === 0) throw new InvalidJsonError();
      req.body = parseJsonBytes(body);
    } catch (error) {
      return next(error);
    }
    next();
  };
  const handle = handler(async (req, res) => {
    const result = await webhook.handle(
      integrationOf(res),
      req.body,
      (res.locals.requestId as string) ?? null,
    );
    res.json(result);
  });

  router.post(
    '/integrations/3cx/webhook/:integration_id',
    authenticateHeaders,
    readBody,
    verifySignature,
    rateLimit,
    parseJson,
    handle,
  );
  return router;
}
