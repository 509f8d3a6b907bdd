import { Router } from 'express';
import type { Container } from '../../container.ts';
import { NotFoundError, ValidationError } from '../../errors/errors.ts';
import { dayKey, monthKey, nextDayStart, nextMonthStart } from '../../lib/time-windows.ts';
import { presentMessage } from '../../sending/message-log.ts';
import { accountOf, apiKeyAuth } from '../middleware/auth.ts';
import { handler } from '../middleware/async-handler.ts';
import { accountMessageLogPage } from './pagination.ts';
import { describe } from '../../openapi/route-meta.ts';
import { RESPONSES, type ResponseBody } from '../../openapi/response-schemas.ts';
import { beforeParam, limitParam, q } from '../../openapi/params.ts';

/** The customer's outbound log (with the decision of every attempt) and quota. */
export function messageRoutes(c: Container): Router {
  const router = Router();
  const auth = apiKeyAuth(c.apiKeys, c.accountStore);

  const list = handler(async (req, res) => {
    const page = await accountMessageLogPage(c.messages, req.query as Record<string, unknown>, accountOf(res).id);
    const body = {
      success: true,
      messages: page.entries,
      next_before: page.next_before,
    } satisfies ResponseBody<'messages'>;
    res.json(body);
  });
  const get = handler(async (req, res) => {
    const raw = String(req.params.logId);
    if (!/^\d{1,15}$/.test(raw))
      throw new ValidationError({ errors: [{ field: '/log_id', reason: 'must be a positive integer' }] });
    const message = await c.messages.get(Number(raw), accountOf(res).id);
    if (!message) throw new NotFoundError(undefined, 'No message with this log id exists for this API key.');
    res.json({ success: true, message: presentMessage(message) } satisfies ResponseBody<'message'>);
  });
  const quota = handler(async (_req, res) => {
    const account = accountOf(res);
    const at = c.clock.now();
    const keys = { dayKey: dayKey(at, account.timezone), monthKey: monthKey(at, account.timezone) };
    const used = await c.quota.used(account.id, keys);
    const limits = c.accounts.limitsFor(account);
    const window = (limit: number, u: number, resetsAt: Date) => ({
      limit,
      used: u,
      remaining: Math.max(0, limit - u),
      resets_at: resetsAt.toISOString(),
    });
    res.json({
      success: true,
      plan: account.plan,
      timezone: account.timezone,
      daily: window(limits.daily, used.daily, nextDayStart(at, account.timezone)),
      monthly: window(limits.monthly, used.monthly, nextMonthStart(at, account.timezone)),
    } satisfies ResponseBody<'quota'>);
  });

  router.get(
    '/api/messages',
    describe({
      summary: 'Outbound message log',
      description:
        'Every send attempt with its decision (allowed or refused), newest first.',
      tag: 'Logs and quota',
      params: [
        limitParam,
        beforeParam,
        q('instance_id', 'Only this instance.'),
        q('status', '`sent`, `blocked`, `failed`, `delivered`, `read`, …'),
        q('error', 'Only refusals with this error code.'),
        q('outcome', '`allowed` or `blocked`.', { enum: ['allowed', 'blocked'] }),
      ],
      response: { status: 200, description: 'A page of the log.', ...RESPONSES.messages },
      errors: ['validation_error'],
    }),
    auth,
    list,
  );
  router.get(
    '/api/messages/:logId',
    describe({
      summary: 'One message log entry',
      tag: 'Logs and quota',
      response: { status: 200, description: 'The entry.', ...RESPONSES.message },
      errors: ['validation_error', 'not_found'],
    }),
    auth,
    get,
  );
  router.get(
    '/api/quota',
    describe({
      summary: 'Plan usage',
      description:
        'Daily and monthly limits, usage and reset times in the account time zone. `used` counts messages actually sent.',
      tag: 'Logs and quota',
      response: { status: 200, description: 'Usage.', ...RESPONSES.quota },
    }),
    auth,
    quota,
  );
  return router;
}
