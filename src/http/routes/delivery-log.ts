import type { Request, RequestHandler, Response } from 'express';
import {
  type Attempt,
  type Delivery,
  DELIVERY_STATUSES,
  type DeliveryStatus,
} from '../../webhooks/delivery-records.ts';
import { presentDelivery } from '../../webhooks/webhook-service.ts';
import { handler } from '../middleware/async-handler.ts';
import { optionalString, pageParams } from './pagination.ts';
import { limitParam, offsetParam, q } from '../../openapi/params.ts';
import { RESPONSES, type ResponseBody } from '../../openapi/response-schemas.ts';
import type { RouteDescription } from '../../openapi/route-meta.ts';

/**
 * One webhook endpoint's delivery log, paged the same way for the customer
 * (`GET /api/webhooks/{id}/deliveries`) and the admin (`GET /admin/api/webhook-endpoints/{id}/deliveries`):
 * `?status=`, `?limit=`, `?offset=`, newest first. Only who may look, and how much the
 * attempts show, differ.
 */

export interface DeliveryLogQuery {
  status: DeliveryStatus | undefined;
  limit: number;
  beforeId?: number | undefined;
  offset: number;
}

export interface DeliveryLogPage {
  endpoint: { enabled: boolean };
  deliveries: { delivery: Delivery; attempts: Attempt[] }[];
}

/** What the log takes and answers, for the route's `describe()`. */
export const deliveryLogDoc = {
  params: [limitParam, offsetParam, q('status', 'Only deliveries in this state.', { enum: [...DELIVERY_STATUSES] })],
  response: { status: 200, description: 'Deliveries, newest first.', ...RESPONSES.deliveries },
  errors: ['not_found', 'validation_error'],
} satisfies Partial<RouteDescription>;

const STATUS = new RegExp(`^(${DELIVERY_STATUSES.join('|')})$`);

/** The route handler: reads the query, asks `list` for the page, answers with it. */
export function deliveryLog(
  audience: 'customer' | 'admin',
  list: (req: Request, res: Response, query: DeliveryLogQuery) => Promise<DeliveryLogPage>,
): RequestHandler {
  return handler(async (req, res) => {
    const query = req.query as Record<string, unknown>;
    const page = pageParams(query);
    const status = optionalString(query, 'status', STATUS) as DeliveryStatus | undefined;
    const result = await list(req, res, { status, ...page });
    res.json({
      success: true,
      deliveries: result.deliveries.map((d) =>
        presentDelivery(d.delivery, d.attempts, result.endpoint.enabled, audience),
      ),
      limit: page.limit,
      offset: page.offset,
    } satisfies ResponseBody<'deliveries'>);
  });
}
