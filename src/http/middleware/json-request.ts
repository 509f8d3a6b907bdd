import type { RequestHandler } from 'express';
import type { BodyBudget } from './body-budget.ts';
import { jsonBody } from './json-body.ts';
import { requireJson } from './require-json.ts';

/**
 * Pipeline steps 1–3 of a route that takes a JSON body: the Content-Type, then `auth`, then the
 * body (1 MB unless `limit` says otherwise). In this order a caller that is not authenticated
 * never has its body read. With `optional`, a request without a body passes (action endpoints).
 */
export function jsonRequest(
  auth: RequestHandler,
  budget: BodyBudget,
  options: { optional?: boolean; limit?: string } = {},
): RequestHandler[] {
  return [requireJson({ optional: options.optional }), auth, ...jsonBody(options.limit ?? '1mb', budget)];
}
