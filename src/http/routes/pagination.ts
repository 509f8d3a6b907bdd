import { ValidationError } from '../../errors/errors.ts';
import { type MessageLog, type MessageQuery, presentMessage } from '../../sending/message-log.ts';

/** `?limit=` (1–200, default 50) and `?before=<id>` cursor pagination, newest first. */
export function pageParams(query: Record<string, unknown>): {
  limit: number;
  beforeId?: number;
  offset: number;
} {
  const limitRaw = query.limit === undefined ? '50' : String(query.limit);
  const limit = Number(limitRaw);
  if (!/^\d+$/.test(limitRaw) || limit < 1 || limit > 200)
    throw new ValidationError({
      errors: [{ field: 'query/limit', reason: 'must be an integer from 1 to 200' }],
    });
  let beforeId: number | undefined;
  if (query.before !== undefined) {
    const b = String(query.before);
    if (!/^\d{1,15}$/.test(b))
      throw new ValidationError({
        errors: [{ field: 'query/before', reason: 'must be a positive integer id' }],
      });
    beforeId = Number(b);
  }
  const offsetRaw = query.offset === undefined ? '0' : String(query.offset);
  if (!/^\d{1,9}$/.test(offsetRaw))
    throw new ValidationError({
      errors: [{ field: 'query/offset', reason: 'must be a non-negative integer' }],
    });
  return { limit, beforeId, offset: Number(offsetRaw) };
}

export function optionalString(
  query: Record<string, unknown>,
  name: string,
  pattern: RegExp,
): string | undefined {
  const value = query[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !pattern.test(value))
    throw new ValidationError({ errors: [{ field: `query/${name}`, reason: 'has an invalid value' }] });
  return value;
}

/**
 * Filters of the message/decision log (`instance_id`, `outcome`, `status`, `error`, `limit`,
 * `before`), shared by the customer's `/api/messages`, `/api/decisions` and the admin's
 * `/admin/api/decisions`. `accountId` scopes the query; admins may pass `account_id` instead.
 */
export function messageLogQuery(query: Record<string, unknown>, accountId: string | undefined): MessageQuery {
  const page = pageParams(query);
  return {
    accountId,
    instanceId: optionalString(query, 'instance_id', /^[A-Za-z0-9_-]{1,64}$/),
    outcome: optionalString(query, 'outcome', /^(allowed|blocked)$/) as MessageQuery['outcome'],
    status: optionalString(query, 'status', /^[a-z_]{1,20}$/),
    errorCode: optionalString(query, 'error', /^[a-z_0-9]{1,60}$/),
    limit: page.limit,
    beforeId: page.beforeId,
  };
}

/**
 * One account's page of the message/decision log (`/api/messages`, `/api/decisions`): the entries,
 * newest first, and `next_before`, the cursor to the next page (null on the last one).
 */
export async function accountMessageLogPage(log: MessageLog, query: Record<string, unknown>, accountId: string) {
  const filters = messageLogQuery(query, accountId);
  const items = await log.list(filters);
  const last = items.at(-1);
  return {
    entries: items.map(presentMessage),
    next_before: items.length === filters.limit && last ? last.id : null,
  };
}
