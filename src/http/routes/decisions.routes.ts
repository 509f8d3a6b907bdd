import { Router } from 'express';
import type { Container } from '../../container.ts';
import { accountOf, apiKeyAuth } from '../middleware/auth.ts';
import { handler } from '../middleware/async-handler.ts';
import { accountMessageLogPage } from './pagination.ts';
import { describe } from '../../openapi/route-meta.ts';
import { RESPONSES, type ResponseBody } from '../../openapi/response-schemas.ts';
import { beforeParam, limitParam, q } from '../../openapi/params.ts';

/**
 * The customer's decision log: the same rows as `GET /api/messages` (the message log is the
 * decision log: every attempt, allowed or refused, with the deciding check, error code, risk
 * score and rules), under the name the compliance docs use. Scoped by the caller's account, so
 * `instance_id` of another account simply matches nothing.
 */
export function decisionRoutes(c: Container): Router {
  const router = Router();
  const auth = apiKeyAuth(c.apiKeys, c.accountStore);
  router.get(
    '/api/decisions',
    describe({
      summary: 'Decision log',
      description:
        'The same rows as /api/messages under the name the compliance docs use: every attempt, allowed or refused, with the deciding check, error code, risk score and rules.',
      tag: 'Logs and quota',
      params: [
        limitParam,
        beforeParam,
        q('instance_id', 'Only this instance.'),
        q('outcome', '`allowed` or `blocked`.', { enum: ['allowed', 'blocked'] }),
        q('error', 'Only refusals with this error code.'),
      ],
      response: { status: 200, description: 'Decisions, newest first.', ...RESPONSES.customerDecisions },
      errors: ['validation_error'],
    }),
    auth,
    handler(async (req, res) => {
      const page = await accountMessageLogPage(c.messages, req.query as Record<string, unknown>, accountOf(res).id);
      res.json({
        success: true,
        decisions: page.entries,
        next_before: page.next_before,
      } satisfies ResponseBody<'customerDecisions'>);
    }),
  );
  return router;
}
