import { Router } from 'express';
import type { Container } from '../../container.ts';
import { ValidationError } from '../../errors/errors.ts';
import { MESSAGE_TYPES } from '../../transport/transport.ts';
import { presentInbound } from '../../inbound/inbound-log.ts';
import { normalizePhone } from '../../lib/phone.ts';
import { accountOf, apiKeyAuth } from '../middleware/auth.ts';
import { handler } from '../middleware/async-handler.ts';
import { optionalString, pageParams } from './pagination.ts';
import { describe } from '../../openapi/route-meta.ts';
import { RESPONSES } from '../../openapi/response-schemas.ts';
import { beforeParam, limitParam, q } from '../../openapi/params.ts';

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/i;

function timeParam(query: Record<string, unknown>, name: string): number | undefined {
  const value = query[name];
  if (value === undefined) return undefined;
  const ms = typeof value === 'string' && RFC3339.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms))
    throw new ValidationError({
      errors: [
        { field: `query/${name}`, reason: 'must be an RFC 3339 date-time, e.g. 2026-05-08T10:00:00Z' },
      ],
    });
  return ms;
}

/** `GET /api/inbound-logs`: the account's inbound messages, newest first, with filters. */
export function inboundLogRoutes(c: Container): Router {
  const router = Router();

  const list = handler(async (req, res) => {
    const account = accountOf(res);
    const q = req.query as Record<string, unknown>;
    const page = pageParams(q);
    const fromRaw = optionalString(q, 'from', /^[+\d\s().-]{3,32}$/);
    let fromPhone: string | undefined;
    if (fromRaw !== undefined) {
      fromPhone = normalizePhone(fromRaw, account.defaultCountry) ?? undefined;
      if (!fromPhone)
        throw new ValidationError({
          errors: [{ field: 'query/from', reason: 'not a valid phone number (use E.164)' }],
        });
    }
    const since = timeParam(q, 'since');
    const until = timeParam(q, 'until');
    const items = await c.inboundLog.list({
      accountId: account.id,
      instanceId: optionalString(q, 'instance_id', /^[A-Za-z0-9_-]{1,64}$/),
      fromPhone,
      messageType: optionalString(q, 'message_type', new RegExp(`^(${MESSAGE_TYPES.join('|')})$`)),
      classification: optionalString(q, 'classification', /^(opt_out|opt_in|none)$/) as
        | 'opt_out'
        | 'opt_in'
        | 'none'
        | undefined,
      since,
      until,
      beforeId: page.beforeId,
      limit: page.limit,
    });
    const last = items.at(-1);
    res.json({
      success: true,
      inbound_messages: items.map(presentInbound),
      next_before: items.length === page.limit && last ? last.id : null,
    });
  });

  router.get(
    '/api/inbound-logs',
    describe({
      summary: 'Inbound message log',
      tag: 'Logs and quota',
      params: [
        limitParam,
        beforeParam,
        q('instance_id', 'Only this instance.'),
        q('from', 'Only this sender (any phone form).'),
        q('message_type', '`text`, `image`, `video`, `audio`, `document`, `sticker`, `contact`, `location`.'),
        q('classification', '`opt_out`, `opt_in` or `none`.', { enum: ['opt_out', 'opt_in', 'none'] }),
        q('since', 'RFC 3339; received at or after.', { type: 'string', format: 'date-time' }),
        q('until', 'RFC 3339; received before.', { type: 'string', format: 'date-time' }),
      ],
      response: { status: 200, description: 'A page of inbound messages.', ...RESPONSES.inboundLogs },
      errors: ['validation_error'],
    }),
    apiKeyAuth(c.apiKeys,
    c.accountStore),
    list,
  );
  return router;
}
