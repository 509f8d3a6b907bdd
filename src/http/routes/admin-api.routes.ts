import { type RequestHandler, Router } from 'express';
import { presentAccount } from '../../accounts/account-service.ts';
import type { Container } from '../../container.ts';
import { NotFoundError } from '../../errors/errors.ts';
import { presentInstance } from '../../instances/instance-service.ts';
import { presentAudit } from '../../review/audit-log.ts';
import { presentMessage } from '../../sending/message-log.ts';
import { GLOBAL_SCOPE, presentSuppression } from '../../suppression/suppression-service.ts';
import { adminAuth } from '../middleware/auth.ts';
import { handler } from '../middleware/async-handler.ts';
import { jsonBody } from '../middleware/json-body.ts';
import { requireJson } from '../middleware/require-json.ts';
import { validateBody } from '../middleware/validate-body.ts';
import {
  createAccountSchema,
  createApiKeySchema,
  pauseSchema,
  resumeSchema,
  updateAccountSchema,
} from '../schemas/account.schema.ts';
import { adminCreateInstanceSchema, adminNoteSchema } from '../schemas/instance.schema.ts';
import { adminSuppressionSchema } from '../schemas/suppression.schema.ts';
import { messageLogQuery, optionalString, pageParams } from './pagination.ts';

/** The compliance admin's JSON API (SPEC §9). Every change is written to the audit log. */
export function adminApiRoutes(c: Container): Router {
  const router = Router();
  const admin = adminAuth(c.adminToken, c.authFailures);
  const body = [requireJson(), admin, ...jsonBody('1mb', c.bodyBudget)];
  const actor = (res: { locals: Record<string, unknown> }) => String(res.locals.adminActor ?? 'admin');
  // An admin-token caller may name the person acting (the CLI sends the OS user): the audit log
  // then says who, not just "admin-token". Console sessions always use their own name.
  const actorOf = (req: { get: (h: string) => string | undefined }, res: { locals: Record<string, unknown> }) => {
    const named = String(req.get('x-warden-actor') ?? '')
      .replace(/[^\p{L}\p{N} ._@()-]/gu, '')
      .trim()
      .slice(0, 80);
    return res.locals.adminActor === 'admin-token' && named ? named : actor(res);
  };
  const emptyBody: RequestHandler = (req, _res, next) => {
    if (req.body === undefined || req.body === null) req.body = {};
    next();
  };
  const noteOf = (body: unknown) => {
    const n = (body as { note?: unknown } | undefined)?.note;
    return typeof n === 'string' && n.trim() ? n.trim() : null;
  };
  const now = () => c.clock.now().getTime();

  const loadAccount = async (id: string) => {
    const account = await c.accounts.get(id);
    if (!account) throw new NotFoundError(undefined, 'No account with this id exists.');
    return account;
  };

  router.post(
    '/admin/api/accounts',
    ...body,
    validateBody(createAccountSchema),
    handler(async (req, res) => {
      const account = await c.adminActions.createAccount(req.body, actorOf(req, res));
      res.status(201).json({
        success: true,
        id: account.id,
        account: presentAccount(account, c.accounts.limitsFor(account)),
      });
    }),
  );
  router.get(
    '/admin/api/accounts',
    admin,
    handler(async (_req, res) => {
      const accounts = await c.accounts.list();
      res.json({ success: true, accounts: accounts.map((a) => presentAccount(a, c.accounts.limitsFor(a))) });
    }),
  );
  router.get(
    '/admin/api/accounts/:id',
    admin,
    handler(async (req, res) => {
      const account = await loadAccount(String(req.params.id));
      const keys = await c.apiKeys.list(account.id);
      res.json({
        success: true,
        account: presentAccount(account, c.accounts.limitsFor(account)),
        api_keys: keys.map((k) => ({
          id: k.id,
          name: k.name,
          prefix: k.prefix,
          created_at: new Date(k.createdAt).toISOString(),
          last_used_at: k.lastUsedAt ? new Date(k.lastUsedAt).toISOString() : null,
          revoked_at: k.revokedAt ? new Date(k.revokedAt).toISOString() : null,
        })),
      });
    }),
  );
  router.patch(
    '/admin/api/accounts/:id',
    ...body,
    validateBody(updateAccountSchema),
    handler(async (req, res) => {
      // Shared with the console: the change and its audit entry.
      const account = await c.adminActions.updateAccount(String(req.params.id), req.body, actorOf(req, res));
      res.json({ success: true, account: presentAccount(account, c.accounts.limitsFor(account)) });
    }),
  );
  router.post(
    '/admin/api/accounts/:id/api-keys',
    ...body,
    validateBody(createApiKeySchema),
    handler(async (req, res) => {
      const { key, info } = await c.adminActions.createApiKey(String(req.params.id), req.body.name, actorOf(req, res));
      res.status(201).json({
        success: true,
        id: info.id,
        key,
        prefix: info.prefix,
        name: info.name,
        created_at: new Date(info.createdAt).toISOString(),
      });
    }),
  );
  router.delete(
    '/admin/api/accounts/:id/api-keys/:keyId',
    admin,
    handler(async (req, res) => {
      const key = await c.adminActions.revokeApiKey(
        String(req.params.id),
        String(req.params.keyId),
        actorOf(req, res),
      );
      res.json({ success: true, revoked: true, id: key.id });
    }),
  );

  router.get(
    '/admin/api/instances',
    admin,
    handler(async (req, res) => {
      const q = req.query as Record<string, unknown>;
      const paused = optionalString(q, 'paused', /^(true|false)$/);
      const items = await c.instanceStore.list({
        paused: paused === undefined ? undefined : paused === 'true',
        accountId: optionalString(q, 'account_id', /^[A-Za-z0-9_-]{1,40}$/),
      });
      const t = now();
      res.json({
        success: true,
        instances: await Promise.all(
          items.map(async (i) => ({
            ...(await presentInstance(i, t)),
            account_id: i.accountId,
            pause_evidence: i.pauseEvidence,
            paused_by: i.pausedBy,
          })),
        ),
      });
    }),
  );
  // Linking numbers for an account (the CLI's `instance create|qr|destroy` use these: the running
  // gateway holds the WhatsApp connections).
  router.post(
    '/admin/api/accounts/:id/instances',
    ...body,
    validateBody(adminCreateInstanceSchema),
    handler(async (req, res) => {
      const { note, ...input } = req.body as { name: string; default_country?: string | null; note?: string };
      const instance = await c.adminActions.createInstance(String(req.params.id), input, actorOf(req, res), note ?? null);
      res.status(201).json({
        success: true,
        instance: { ...(await presentInstance(instance, now())), account_id: instance.accountId },
      });
    }),
  );
  router.post(
    '/admin/api/instances/:id/qr',
    requireJson({ optional: true }),
    admin,
    ...jsonBody('1mb', c.bodyBudget),
    emptyBody,
    validateBody(adminNoteSchema),
    handler(async (req, res) => {
      const instance = await c.adminActions.regenerateQr(String(req.params.id), actorOf(req, res), noteOf(req.body));
      res.json({
        success: true,
        instance: { ...(await presentInstance(instance, now())), account_id: instance.accountId },
      });
    }),
  );
  router.delete(
    '/admin/api/instances/:id',
    requireJson({ optional: true }),
    admin,
    ...jsonBody('1mb', c.bodyBudget),
    emptyBody,
    validateBody(adminNoteSchema),
    handler(async (req, res) => {
      const instance = await c.adminActions.destroyInstance(String(req.params.id), actorOf(req, res), noteOf(req.body));
      res.json({ success: true, destroyed: true, id: instance.id });
    }),
  );

  router.post(
    '/admin/api/instances/:id/pause',
    ...body,
    validateBody(pauseSchema),
    handler(async (req, res) => {
      const instance = await c.review.pause(String(req.params.id), {
        reason: req.body.reason,
        by: actor(res),
      });
      res.json({
        success: true,
        instance: { ...(await presentInstance(instance, now())), account_id: instance.accountId },
      });
    }),
  );
  router.post(
    '/admin/api/instances/:id/resume',
    ...body,
    validateBody(resumeSchema),
    handler(async (req, res) => {
      const instance = await c.review.resume(String(req.params.id), { note: req.body.note, by: actor(res) });
      res.json({
        success: true,
        instance: { ...(await presentInstance(instance, now())), account_id: instance.accountId },
      });
    }),
  );
  router.post(
    '/admin/api/instances/:id/keep-paused',
    ...body,
    validateBody(resumeSchema),
    handler(async (req, res) => {
      const instance = await c.review.keepPaused(String(req.params.id), {
        note: req.body.note,
        by: actor(res),
      });
      res.json({
        success: true,
        instance: { ...(await presentInstance(instance, now())), account_id: instance.accountId },
      });
    }),
  );

  router.get(
    '/admin/api/decisions',
    admin,
    handler(async (req, res) => {
      const q = req.query as Record<string, unknown>;
      const items = await c.messages.list(messageLogQuery(q, optionalString(q, 'account_id', /^[A-Za-z0-9_-]{1,40}$/)));
      res.json({
        success: true,
        decisions: items.map((m) => ({ ...presentMessage(m), account_id: m.accountId })),
      });
    }),
  );

  router.get(
    '/admin/api/suppressions',
    admin,
    handler(async (req, res) => {
      const q = req.query as Record<string, unknown>;
      const page = pageParams(q);
      const scopeParam = optionalString(q, 'account_id', /^([A-Za-z0-9_-]{1,40}|global)$/);
      const scope = scopeParam === undefined ? null : scopeParam === 'global' ? GLOBAL_SCOPE : scopeParam;
      const items = await c.suppressions.list(scope, page);
      res.json({ success: true, suppressions: items.map(presentSuppression) });
    }),
  );
  router.post(
    '/admin/api/suppressions',
    ...body,
    validateBody(adminSuppressionSchema),
    handler(async (req, res) => {
      const { suppression, created } = await c.adminActions.addSuppression(
        { accountId: req.body.account_id ?? null, phone: String(req.body.phone), note: req.body.note ?? null },
        actor(res),
      );
      res.status(created ? 201 : 200).json({ success: true, suppression: presentSuppression(suppression) });
    }),
  );
  router.delete(
    '/admin/api/suppressions',
    ...body,
    validateBody(adminSuppressionSchema),
    handler(async (req, res) => {
      const removed = await c.adminActions.removeSuppression(
        { accountId: req.body.account_id ?? null, phone: String(req.body.phone), note: req.body.note ?? null },
        actor(res),
      );
      if (!removed) throw new NotFoundError(undefined, 'This number is not on that suppression list.');
      res.json({ success: true, removed: presentSuppression(removed) });
    }),
  );

  router.get(
    '/admin/api/audit',
    admin,
    handler(async (req, res) => {
      const q = req.query as Record<string, unknown>;
      const page = pageParams(q);
      const entries = await c.audit.list({
        limit: page.limit,
        beforeId: page.beforeId,
        targetId: optionalString(q, 'target_id', /^[A-Za-z0-9_-]{1,80}$/),
        action: optionalString(q, 'action', /^[a-z_.]{1,60}$/),
      });
      res.json({ success: true, entries: entries.map(presentAudit) });
    }),
  );
  return router;
}
