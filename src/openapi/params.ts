import type { RouteParam } from './route-meta.ts';
import type { Schema } from './schema-helpers.ts';

/** Descriptions and examples of the path parameters routes share (`{id}`, `{phone}`, …). */
const PATH_PARAMS: Record<string, { description: string; example: string }> = {
  id: { description: 'The resource id.', example: 'inst_uMsUnJPnr3DWpmwT' },
  logId: { description: 'The `log_id` returned by /api/send-message.', example: '123' },
  phone: {
    description: 'The number, URL-encoded (`%2B966500000002`); any form the API accepts.',
    example: '%2B966500000002',
  },
  type: { description: 'An event name, e.g. `message.received`.', example: 'message.received' },
  keyId: { description: 'The API key id.', example: 'key_AOFBc4bHFvYaCcUt' },
  integration_id: { description: 'The 3CX integration id.', example: 'tcx_9hQ2LmZp4RkT8sVw' },
};

/** Path parameters of an OpenAPI path, with descriptions. */
export function pathParams(path: string): RouteParam[] {
  return [...path.matchAll(/\{([^}]+)\}/g)].map((m) => {
    const name = m[1] as string;
    const known = PATH_PARAMS[name];
    return {
      name,
      in: 'path' as const,
      required: true,
      description: known?.description ?? name,
      schema: { type: 'string' },
      ...(known ? { example: known.example } : {}),
    };
  });
}

/** A query parameter. */
export const q = (name: string, description: string, schema: Schema = { type: 'string' }): RouteParam => ({
  name,
  in: 'query',
  description,
  schema,
});

export const limitParam = q('limit', 'Page size, 1–200 (default 50).', { type: 'integer', minimum: 1, maximum: 200 });
export const beforeParam = q('before', 'Cursor: only entries with a smaller id (use `next_before`).', {
  type: 'integer',
  minimum: 1,
});
export const offsetParam = q('offset', 'Entries to skip (default 0).', { type: 'integer', minimum: 0 });
