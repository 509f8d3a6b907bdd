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
import { isBodyTooLarge, parseJsonBytes } from '../middleware/json-body.ts';
import { jsonRequest } from '../middleware/json-request.ts';
import { validateBody } from '../middleware/validate-body.ts';
import {
  createThreeCxIntegrationSchema,
  threeCxEventSchema,
  updateThreeCxIntegrationSchema,
} from '../schemas/threecx.schema.ts';
import { THREECX_PUBLIC_ERRORS } from '../../integrations/threecx/threecx-errors.ts';
import { pageParams } from './pagination.ts';
import { describe, withMeta } from '../../openapi/route-meta.ts';
import { RESPONSES } from '../../openapi/response-schemas.ts';
import { beforeParam, limitParam, offsetParam } from '../../openapi/params.ts';

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
  const guard = c.threecxGuard;
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
    describe({
      summary: 'Create a 3CX integration',
      description:
        'Needs the `threecx` module. Returns the shared secret once; give 3CX the `webhook_path` and the secret.',
      tag: '3CX',
      request: { example: {
        instance_id: 'inst_uMsUnJPnr3DWpmwT',
        business_name: 'Acme Support',
        require_hmac: false,
        ip_allowlist: [],
        outbound_enabled: true,
        call_events_enabled: true,
        enabled_call_events: ['missed_call', 'voicemail'],
        strict_window: true,
        window_hours: 24,
      } },
      response: { status: 201, description: 'Created; copy the secret now.', ...RESPONSES.threeCxCreated },
      errors: ['module_not_enabled', 'invalid_instance'],
    }),
    ...jsonRequest(auth, c.bodyBudget),
    validateBody(createThreeCxIntegrationSchema),
    create,
  );
  router.get(
    '/api/integrations/3cx',
    describe({
      summary: 'List 3CX integrations',
      tag: '3CX',
      params: [limitParam, offsetParam],
      response: { status: 200, description: 'Integrations.', ...RESPONSES.threeCxIntegrations },
      errors: ['module_not_enabled', 'validation_error'],
    }),
    auth,
    list,
  );
  router.get(
    '/api/integrations/3cx/:id',
    describe({
      summary: 'Get a 3CX integration',
      tag: '3CX',
      response: { status: 200, description: 'The integration and the default templates.', ...RESPONSES.threeCxIntegration },
      errors: ['module_not_enabled', 'not_found'],
    }),
    auth,
    get,
  );
  router.patch(
    '/api/integrations/3cx/:id',
    describe({
      summary: 'Update a 3CX integration',
      tag: '3CX',
      request: { example: { require_hmac: true, window_hours: 12 } },
      response: { status: 200, description: 'Updated.', ...RESPONSES.threeCxUpdated },
      errors: ['module_not_enabled', 'not_found', 'invalid_instance'],
    }),
    ...jsonRequest(auth, c.bodyBudget),
    validateBody(updateThreeCxIntegrationSchema),
    update,
  );
  router.delete(
    '/api/integrations/3cx/:id',
    describe({
      summary: 'Delete a 3CX integration',
      tag: '3CX',
      response: { status: 200, description: 'Deleted.', ...RESPONSES.webhookDeleted },
      errors: ['module_not_enabled', 'not_found'],
    }),
    auth,
    remove,
  );
  router.post(
    '/api/integrations/3cx/:id/rotate-secret',
    describe({
      summary: 'Rotate the 3CX secret',
      tag: '3CX',
      response: { status: 200, description: 'The new secret, shown once.', ...RESPONSES.threeCxRotated },
      errors: ['module_not_enabled', 'not_found'],
    }),
    ...jsonRequest(auth, c.bodyBudget, { optional: true }),
    rotate,
  );
  router.get(
    '/api/integrations/3cx/:id/events',
    describe({
      summary: '3CX event log',
      description:
        'What the integration received and what it did (sent, skipped, accepted, refused).',
      tag: '3CX',
      params: [limitParam, beforeParam],
      response: { status: 200, description: 'Events, newest first.', ...RESPONSES.threeCxEvents },
      errors: ['module_not_enabled', 'not_found', 'validation_error'],
    }),
    auth,
    events,
  );

  // ---- webhook -------------------------------------------------------------------------------
  const authenticateHeaders = withMeta<RequestHandler>(async (req, res, next) => {
    try {
      const integration = await guard.authenticate(
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
  }, { kind: 'auth', scheme: 'threecx' });
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
      const ok = await guard.verifySignature(
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
      await guard.rateLimit(integrationOf(res));
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
    describe({
      summary: '3CX webhook (called by 3CX)',
      description:
        'Authenticated with `X-WhatsApp-Gateway-3CX-Secret`; optionally signed (`X-WhatsApp-Gateway-Timestamp`, `X-WhatsApp-Gateway-Signature: sha256=<hex>` of timestamp + "." + raw body). Body up to 256 KB, 60 requests per minute per integration. Before authentication every failure is the same `401 invalid_3cx_webhook`.',
      tag: '3CX',
      request: { example: {
        event_type: 'outbound_message',
        to: '+966500000001',
        message_text: 'Your support request has been updated.',
        message_purpose: 'support',
        conversation_id: '3cx-chat-123',
        agent_extension: '101',
      }, schema: threeCxEventSchema, limit: '256 KB' },
      response: { status: 200, description: 'Handled (see `status`).', ...RESPONSES.threeCxWebhook },
      errors: THREECX_PUBLIC_ERRORS.map((E) => new E().code),
    }),
    authenticateHeaders,
    readBody,
    verifySignature,
    rateLimit,
    parseJson,
    handle,
  );
  return router;
}
