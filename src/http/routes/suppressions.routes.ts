import { Router } from 'express';
import type { Container } from '../../container.ts';
import { NotFoundError } from '../../errors/errors.ts';
import { normalizePhoneOrReject } from '../../lib/phone.ts';
import { presentSuppression } from '../../suppression/suppression-service.ts';
import { accountOf, apiKeyAuth } from '../middleware/auth.ts';
import { handler } from '../middleware/async-handler.ts';
import { jsonRequest } from '../middleware/json-request.ts';
import { validateBody } from '../middleware/validate-body.ts';
import { createSuppressionSchema } from '../schemas/suppression.schema.ts';
import { pageParams } from './pagination.ts';
import { describe } from '../../openapi/route-meta.ts';
import { RESPONSES, type ResponseBody } from '../../openapi/response-schemas.ts';
import { limitParam, offsetParam } from '../../openapi/params.ts';

/** The account's suppression list; numbers match in E.164 whatever form the caller used. */
export function suppressionRoutes(c: Container): Router {
  const router = Router();
  const auth = apiKeyAuth(c.apiKeys, c.accountStore);

  const list = handler(async (req, res) => {
    const page = pageParams(req.query as Record<string, unknown>);
    const items = await c.suppressions.list(accountOf(res).id, page);
    res.json({
      success: true,
      suppressed_recipients: items.map(presentSuppression),
      limit: page.limit,
      offset: page.offset,
    } satisfies ResponseBody<'suppressions'>);
  });
  const add = handler(async (req, res) => {
    const account = accountOf(res);
    const phone = normalizePhoneOrReject(String(req.body.phone), account.defaultCountry);
    const { suppression, created } = await c.suppressions.add(c.db, {
      scope: account.id,
      phone,
      reason: 'customer_blocked',
      note: req.body.note ?? null,
      createdBy: `api_key:${String(res.locals.apiKeyId)}`,
    });
    const body = {
      success: true,
      suppressed_recipient: presentSuppression(suppression),
    } satisfies ResponseBody<'suppressionCreated'>;
    res.status(created ? 201 : 200).json(body);
  });
  const remove = handler(async (req, res) => {
    const account = accountOf(res);
    const phone = normalizePhoneOrReject(
      decodeURIComponent(String(req.params.phone)),
      account.defaultCountry,
      '/phone',
    );
    const removed = await c.suppressions.remove(c.db, { scope: account.id, phone, by: 'customer' });
    if (!removed) throw new NotFoundError(undefined, 'This recipient is not on the suppression list.');
    res.json({ success: true, removed: presentSuppression(removed) } satisfies ResponseBody<'suppressionRemoved'>);
  });

  router.get(
    '/api/suppressed-recipients',
    describe({
      summary: 'List suppressed recipients',
      tag: 'Suppressions',
      params: [limitParam, offsetParam],
      response: { status: 200, description: 'The suppression list.', ...RESPONSES.suppressions },
      errors: ['validation_error'],
    }),
    auth,
    list,
  );
  router.post(
    '/api/suppressed-recipients',
    describe({
      summary: 'Suppress a recipient',
      description:
        'Adds a number (reason `customer_blocked`). 201 when added, 200 when it was already there.',
      tag: 'Suppressions',
      request: { example: { phone: '+966500000002', note: 'Asked by phone not to be contacted' } },
      response: { status: 201, description: 'Suppressed.', ...RESPONSES.suppressionCreated },
    }),
    ...jsonRequest(auth, c.bodyBudget),
    validateBody(createSuppressionSchema),
    add,
  );
  router.delete(
    '/api/suppressed-recipients/:phone',
    describe({
      summary: 'Lift a suppression',
      description:
        'Only suppressions you added. A recipient\'s own STOP can be lifted only by the recipient (START) or an administrator: `403 suppression_locked`.',
      tag: 'Suppressions',
      response: { status: 200, description: 'Removed.', ...RESPONSES.suppressionRemoved },
      errors: ['validation_error', 'not_found', 'suppression_locked'],
    }),
    auth,
    remove,
  );
  return router;
}
