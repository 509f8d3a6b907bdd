import { type RequestHandler, type Response, Router } from 'express';
import { presentAccount } from '../../accounts/account-service.ts';
import type { Account } from '../../accounts/account-store.ts';
import type { Container } from '../../container.ts';
import { NotFoundError } from '../../errors/errors.ts';
import { presentAdminInstance } from '../../instances/instance-service.ts';
import type { Instance } from '../../instances/instance-store.ts';
import { presentAudit } from '../../review/audit-log.ts';
import { presentMessage } from '../../sending/message-log.ts';
import { GLOBAL_SCOPE, presentSuppression } from '../../suppression/suppression-service.ts';
import { adminAuth } from '../middleware/auth.ts';
import { handler } from '../middleware/async-handler.ts';
import { jsonRequest } from '../middleware/json-request.ts';
import { validateBody } from '../middleware/validate-body.ts';
import {
  createAccountSchema,
  createApiKeySchema,
  type PauseBody,
  pauseSchema,
  type ResumeBody,
  resumeSchema,
  updateAccountSchema,
} from '../schemas/account.schema.ts';
import { adminCreateInstanceSchema, adminNoteSchema } from '../schemas/instance.schema.ts';
import { adminSuppressionSchema } from '../schemas/suppression.schema.ts';
import { messageLogQuery, optionalString, pageParams } from './pagination.ts';
import { describe } from '../../openapi/route-meta.ts';
import { RESPONSES } from '../../openapi/response-schemas.ts';
import { beforeParam, limitParam, offsetParam, q } from '../../openapi/params.ts';

/** The compliance admin's JSON API (SPEC §9). Every change is written to the audit log. */
export function adminApiRoutes(c: Container): Router {
  const router = Router();
  const admin = adminAuth(c.adminToken, c.authFailures);
  const body = jsonRequest(admin, c.bodyBudget);
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
  const present = (account: Account) => presentAccount(account, c.accounts.limitsFor(account));
  /** Answers with the instance as it now is (the admin's view). */
  const sendInstance = async (res: Response, instance: Instance, status = 200) => {
    res.status(status).json({ success: true, instance: await presentAdminInstance(instance, now()) });
  };
  /** Pause, resume, keep paused: a review decision on one instance, answered with the instance. */
  const reviewDecision = <Body>(decide: (id: string, body: Body, by: string) => Promise<Instance>) =>
    handler(async (req, res) => {
      await sendInstance(res, await decide(String(req.params.id), req.body as Body, actor(res)));
    });
  // Instance actions with an optional body that may carry an audit `note`.
  const noteBody = [
    ...jsonRequest(admin, c.bodyBudget, { optional: true }),
    emptyBody,
    validateBody(adminNoteSchema),
  ];

  const loadAccount = async (id: string) => {
    const account = await c.accounts.get(id);
    if (!account) throw new NotFoundError(undefined, 'No account with this id exists.');
    return account;
  };

  router.post(
    '/admin/api/accounts',
    describe({
      summary: 'Create an account',
      description:
        '`plan_active` defaults to true, `modules` to ["api"], `timezone` to UTC.',
      tag: 'Admin: accounts',
      request: { example: { name: 'Acme', plan: 'starter', modules: ['api'], timezone: 'Asia/Jakarta' } },
      response: { status: 201, description: 'Created.', ...RESPONSES.accountCreated },
    }),
    ...body,
    validateBody(createAccountSchema),
    handler(async (req, res) => {
      const account = await c.adminActions.createAccount(req.body, actorOf(req, res));
      res.status(201).json({
        success: true,
        id: account.id,
        account: present(account),
      });
    }),
  );
  router.get(
    '/admin/api/accounts',
    describe({
      summary: 'List accounts',
      tag: 'Admin: accounts',
      response: { status: 200, description: 'Accounts.', ...RESPONSES.accounts },
    }),
    admin,
    handler(async (_req, res) => {
      const accounts = await c.accounts.list();
      res.json({ success: true, accounts: accounts.map(present) });
    }),
  );
  router.get(
    '/admin/api/accounts/:id',
    describe({
      summary: 'Get an account and its API keys',
      tag: 'Admin: accounts',
      response: { status: 200, description: 'The account.', ...RESPONSES.accountWithKeys },
      errors: ['not_found'],
    }),
    admin,
    handler(async (req, res) => {
      const account = await loadAccount(String(req.params.id));
      const keys = await c.apiKeys.list(account.id);
      res.json({
        success: true,
        account: present(account),
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
    describe({
      summary: 'Update an account (plan, modules, reviewed limits)',
      description:
        'Setting `daily_limit_override` or `monthly_limit_override` requires `override_reason` and `override_approved_by`; `null` clears an override.',
      tag: 'Admin: accounts',
      request: { example: {
        daily_limit_override: 300,
        override_reason: 'Clinic reminders for three branches; reviewed templates',
        override_approved_by: 'compliance@warden.example',
      } },
      response: { status: 200, description: 'Updated.', ...RESPONSES.account },
      errors: ['not_found'],
    }),
    ...body,
    validateBody(updateAccountSchema),
    handler(async (req, res) => {
      // Shared with the console: the change and its audit entry.
      const account = await c.adminActions.updateAccount(String(req.params.id), req.body, actorOf(req, res));
      res.json({ success: true, account: present(account) });
    }),
  );
  router.post(
    '/admin/api/accounts/:id/api-keys',
    describe({
      summary: 'Create an API key',
      description:
        'The key is in the response once; only a hash is stored.',
      tag: 'Admin: accounts',
      request: { example: { name: 'erp' } },
      response: { status: 201, description: 'Created; copy the key now.', ...RESPONSES.apiKeyCreated },
      errors: ['not_found'],
    }),
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
    describe({
      summary: 'Revoke an API key',
      tag: 'Admin: accounts',
      response: { status: 200, description: 'Revoked.', ...RESPONSES.apiKeyRevoked },
      errors: ['not_found'],
    }),
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
    describe({
      summary: 'List instances (e.g. paused ones)',
      tag: 'Admin: review',
      params: [
        q('paused', '`true` for paused instances only.', { enum: ['true', 'false'] }),
        q('account_id', 'Only this account.'),
      ],
      response: { status: 200, description: 'Instances, with pause evidence.', ...RESPONSES.adminInstances },
      errors: ['validation_error'],
    }),
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
            ...(await presentAdminInstance(i, t)),
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
    describe({
      summary: 'Create an instance for an account (link a number)',
      description:
        'Like `POST /api/instances`, on behalf of the account; the optional `note` goes to the audit log. An `X-Warden-Actor` header names the person acting when the admin token is used (the CLI sends the OS user).',
      tag: 'Admin: accounts',
      request: { example: { name: 'Customer Service Main', note: 'Onboarding call' } },
      response: { status: 201, description: 'Created, with a QR code to scan.', ...RESPONSES.adminInstance },
      errors: ['not_found', 'validation_error'],
    }),
    ...body,
    validateBody(adminCreateInstanceSchema),
    handler(async (req, res) => {
      const { note, ...input } = req.body as { name: string; default_country?: string | null; note?: string };
      const instance = await c.adminActions.createInstance(String(req.params.id), input, actorOf(req, res), note ?? null);
      await sendInstance(res, instance, 201);
    }),
  );
  router.post(
    '/admin/api/instances/:id/qr',
    describe({
      summary: 'Request a new QR code for an instance',
      tag: 'Admin: accounts',
      request: { example: { note: 'Customer missed the first QR' } },
      response: { status: 200, description: 'The instance with its new QR code.', ...RESPONSES.adminInstance },
      errors: ['invalid_instance', 'qr_still_valid', 'instance_connected'],
    }),
    ...noteBody,
    handler(async (req, res) => {
      await sendInstance(res, await c.adminActions.regenerateQr(String(req.params.id), actorOf(req, res), noteOf(req.body)));
    }),
  );
  router.delete(
    '/admin/api/instances/:id',
    describe({
      summary: 'Destroy an instance',
      description:
        'Logs out, archives its logs and frees the name; audited with the optional note.',
      tag: 'Admin: accounts',
      request: { example: { note: 'Customer closed this line' } },
      response: { status: 200, description: 'Destroyed.', ...RESPONSES.destroyed },
      errors: ['invalid_instance'],
    }),
    ...noteBody,
    handler(async (req, res) => {
      const instance = await c.adminActions.destroyInstance(String(req.params.id), actorOf(req, res), noteOf(req.body));
      res.json({ success: true, destroyed: true, id: instance.id });
    }),
  );

  router.post(
    '/admin/api/instances/:id/pause',
    describe({
      summary: 'Pause an instance for review',
      description:
        'Sends are refused with 423 until resumed; `instance.paused` is emitted.',
      tag: 'Admin: review',
      request: { example: { reason: 'Complaint from a recipient; checking the sender' } },
      response: { status: 200, description: 'Paused.', ...RESPONSES.adminInstance },
      errors: ['invalid_instance', 'conflict'],
    }),
    ...body,
    validateBody(pauseSchema),
    reviewDecision<PauseBody>((id, { reason }, by) => c.review.pause(id, { reason, by })),
  );
  router.post(
    '/admin/api/instances/:id/resume',
    describe({
      summary: 'Resume a paused instance',
      description:
        'A note is required; `instance.resumed` is emitted.',
      tag: 'Admin: review',
      request: { example: { note: 'Customer removed the promotional template; resuming.' } },
      response: { status: 200, description: 'Resumed.', ...RESPONSES.adminInstance },
      errors: ['invalid_instance', 'conflict'],
    }),
    ...body,
    validateBody(resumeSchema),
    reviewDecision<ResumeBody>((id, { note }, by) => c.review.resume(id, { note, by })),
  );
  router.post(
    '/admin/api/instances/:id/keep-paused',
    describe({
      summary: 'Keep an instance paused (record a review)',
      tag: 'Admin: review',
      request: { example: { note: 'Still sending promotions; asked the customer to call us.' } },
      response: { status: 200, description: 'Still paused; the note is in the audit log.', ...RESPONSES.adminInstance },
      errors: ['invalid_instance', 'conflict'],
    }),
    ...body,
    validateBody(resumeSchema),
    reviewDecision<ResumeBody>((id, { note }, by) => c.review.keepPaused(id, { note, by })),
  );

  router.get(
    '/admin/api/decisions',
    describe({
      summary: 'Decision log',
      tag: 'Admin: review',
      params: [
        q('account_id', 'Only this account.'),
        q('instance_id', 'Only this instance.'),
        q('outcome', '`allowed` or `blocked`.', { enum: ['allowed', 'blocked'] }),
        q('error', 'Only this error code.'),
        limitParam,
        beforeParam,
      ],
      response: { status: 200, description: 'Decisions, newest first.', ...RESPONSES.decisions },
      errors: ['validation_error'],
    }),
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
    describe({
      summary: 'List suppressions',
      tag: 'Admin: suppressions',
      params: [
        q('account_id', 'An account id, or `global` for gateway-wide blocks.'),
        limitParam,
        offsetParam,
      ],
      response: { status: 200, description: 'Suppressions.', ...RESPONSES.adminSuppressions },
      errors: ['validation_error'],
    }),
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
    describe({
      summary: 'Block a number (one account or gateway-wide)',
      tag: 'Admin: suppressions',
      request: { example: { phone: '+966500000002', account_id: null, note: 'Reported abuse' } },
      response: { status: 201, description: 'Blocked (200 if it already was).', ...RESPONSES.adminSuppression },
      errors: ['not_found'],
    }),
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
    describe({
      summary: 'Lift a suppression',
      description:
        'Admins may lift any suppression, including a recipient\'s own STOP.',
      tag: 'Admin: suppressions',
      request: { example: {
        phone: '+966500000002',
        account_id: 'acc_cLDkJkgqqXm2u3BA',
        note: 'Recipient asked by email',
      } },
      response: { status: 200, description: 'Removed.', ...RESPONSES.adminSuppressionRemoved },
      errors: ['not_found'],
    }),
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
    describe({
      summary: 'Audit log',
      tag: 'Admin: review',
      params: [
        limitParam,
        beforeParam,
        q('target_id', 'Only this target.'),
        q('action', 'e.g. `instance.resumed`.'),
      ],
      response: { status: 200, description: 'Entries, newest first.', ...RESPONSES.audit },
      errors: ['validation_error'],
    }),
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
