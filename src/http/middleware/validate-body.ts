import type { RequestHandler } from 'express';
import { ValidationError } from '../../errors/errors.ts';
import { withMeta } from '../../openapi/route-meta.ts';
import { compileSchema, type SchemaErrors } from '../schemas/validator.ts';

/** Pipeline step 4: validate the parsed body against the route's JSON Schema. */
export function validateBody(
  schema: object,
  extra?: (body: Record<string, unknown>) => SchemaErrors,
): RequestHandler {
  const validate = compileSchema(schema);
  const check: RequestHandler = (req, _res, next) => {
    const errors = validate(req.body);
    if (errors.length === 0 && extra) errors.push(...extra(req.body as Record<string, unknown>));
    if (errors.length > 0) return next(new ValidationError({ errors }));
    next();
  };
  return withMeta(check, { kind: 'validate', schema });
}

export function validateQuery(schema: object): RequestHandler {
  const validate = compileSchema(schema);
  return (req, _res, next) => {
    const query = { ...(req.query as Record<string, unknown>) };
    const errors = validate(query);
    if (errors.length > 0)
      return next(new ValidationError({ errors: errors.map((e) => ({ ...e, field: `query${e.field}` })) }));
    next();
  };
}
