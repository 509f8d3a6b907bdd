import type { ErrorExample } from '../errors/error-table.ts';
import { ERROR_TABLE } from '../errors/errors.ts';
import { ENVELOPE_SCHEMA, EVENT_SCHEMAS, exampleEvent } from '../events/event-schemas.ts';
import { EVENT_TYPES, type EventType } from '../events/event-types.ts';
import { packageVersion } from './package-version.ts';
import { COMPONENT_SCHEMAS, ref, type Schema } from './response-schemas.ts';
import { type CatalogRoute, errorCodesFor, pathParams, ROUTE_CATALOG, TAGS } from './route-catalog.ts';

/**
 * Builds the OpenAPI 3.1 document from the route catalog, the request schemas the validators use,
 * the response schemas and the published event schemas. Served at `GET /openapi.json`; the
 * endpoints docs page is rendered from it too.
 */

export type OpenApiDocument = Record<string, unknown> & {
  paths: Record<string, Record<string, Record<string, unknown>>>;
  components: { schemas: Record<string, Schema> } & Record<string, unknown>;
  webhooks: Record<string, unknown>;
};

/** Component-ready copy: `$id`/`$schema` dropped (the document sets the dialect; refs stay local). */
function componentSchema(schema: object): Schema {
  const { $id: _id, $schema: _schema, ...rest } = structuredClone(schema) as Schema;
  return rest;
}

/** `message.received` → `MessageReceivedEvent`. */
export function eventComponentName(type: string): string {
  return `${type
    .split(/[._]/)
    .map((p) => p.charAt(0).toUpperCase() + p.slice(1))
    .join('')}Event`;
}

/** The component name of a request schema: its `$id`. */
export function requestComponentName(schema: object): string {
  const id = (schema as { $id?: unknown }).$id;
  if (typeof id !== 'string' || !/^[A-Za-z0-9._-]+$/.test(id))
    throw new Error('request schemas need a simple $id to appear in the OpenAPI document');
  return id;
}

const SECURITY: Record<CatalogRoute['auth'], Record<string, string[]>[]> = {
  none: [],
  api_key: [{ ApiKey: [] }],
  admin: [{ AdminToken: [] }],
  metrics: [{ MetricsToken: [] }, { AdminToken: [] }],
  threecx: [{ ThreeCxSecret: [] }],
};

function errorResponses(route: CatalogRoute): Record<string, unknown> {
  const byStatus = new Map<number, ErrorExample[]>();
  for (const code of errorCodesFor(route)) {
    const info = ERROR_TABLE.openApi(code);
    if (!info) throw new Error(`route ${route.method.toUpperCase()} ${route.path}: unknown error code ${code}`);
    const list = byStatus.get(info.status) ?? [];
    list.push(info.example);
    byStatus.set(info.status, list);
  }
  const out: Record<string, unknown> = {};
  for (const [status, list] of [...byStatus.entries()].sort((a, b) => a[0] - b[0])) {
    out[String(status)] = {
      description: list.map((e) => `\`${e.error}\``).join(', '),
      ...(status === 429
        ? { headers: { 'Retry-After': { description: 'Seconds to wait.', schema: { type: 'integer' } } } }
        : {}),
      content: {
        'application/json': {
          schema: ref('Error'),
          examples: Object.fromEntries(
            list.map((e) => [e.error, { value: e }]),
          ),
        },
      },
    };
  }
  return out;
}

function operation(route: CatalogRoute): Record<string, unknown> {
  const params = [
    ...pathParams(route.path),
    ...(route.params ?? []).map((p) => ({
      name: p.name,
      in: p.in,
      description: p.description,
      required: p.in === 'path' ? true : Boolean(p.required),
      schema: p.schema,
      ...(p.example !== undefined ? { example: p.example } : {}),
    })),
  ];
  const success: Record<string, unknown> = { description: route.response.description };
  const contentType = route.response.contentType ?? 'application/json';
  if (route.response.schema || contentType !== 'application/json') {
    success.content = {
      [contentType]: {
        schema:
          route.response.schema ??
          (contentType.startsWith('text/') ? { type: 'string' } : { type: 'string', contentMediaType: contentType }),
        ...(route.response.example !== undefined ? { example: route.response.example } : {}),
      },
    };
  }
  const op: Record<string, unknown> = {
    operationId: `${route.method}${route.path
      .replace(/\{([^}]+)\}/g, 'By_$1')
      .split(/[^A-Za-z0-9]+/)
      .filter(Boolean)
      .map((p) => p.charAt(0).toUpperCase() + p.slice(1))
      .join('')}`,
    summary: route.summary,
    description: [
      route.sandboxOnly ? '**Sandbox only**: mounted only when the gateway runs with `TRANSPORT=sandbox` (404 otherwise).' : null,
      route.description ?? null,
    ]
      .filter(Boolean)
      .join('\n\n'),
    tags: [route.tag],
    security: SECURITY[route.auth],
    ...(params.length > 0 ? { parameters: params } : {}),
    responses: { [String(route.response.status)]: success, ...errorResponses(route) },
    'x-error-codes': errorCodesFor(route),
    ...(route.sandboxOnly ? { 'x-sandbox-only': true } : {}),
  };
  if (route.request) {
    op.requestBody = {
      required: !route.request.optional,
      description: route.request.limit ? `JSON, up to ${route.request.limit}.` : 'JSON, up to 1 MB.',
      content: {
        'application/json': {
          schema: route.request.schema ? ref(requestComponentName(route.request.schema)) : { type: 'object' },
          example: route.request.example,
        },
      },
    };
  }
  return op;
}

const DELIVERY_HEADERS = [
  ['X-WA-Request-ID', 'Same as the envelope `request_id` and `webhook-id`; stable across retries. Deduplicate on it.'],
  ['X-WA-Timestamp', 'RFC 3339 UTC, second precision, e.g. 2026-05-08T10:00:00Z.'],
  [
    'X-WA-Signature',
    '`sha256=<hex>`: HMAC-SHA256 keyed with the whole `whsec_…` secret over `X-WA-Timestamp + "." + raw body`. During a rotation, two space-separated entries (newest first).',
  ],
  ['X-WA-Signature-Alg', 'Always `HMAC-SHA256`.'],
  ['X-WA-Event', 'The event name.'],
  ['webhook-id', 'Standard Webhooks id (= X-WA-Request-ID).'],
  ['webhook-timestamp', 'Standard Webhooks timestamp (unix seconds).'],
  [
    'webhook-signature',
    'Standard Webhooks signature `v1,<base64>`, keyed with the base64-decoded bytes after `whsec_`.',
  ],
] as const;

function webhookOperation(type: EventType): Record<string, unknown> {
  const schema = EVENT_SCHEMAS[type] as { description?: string };
  return {
    post: {
      operationId: `event${eventComponentName(type)}`,
      summary: type,
      description: `${schema.description ?? ''}\n\nDelivered as a signed POST to every endpoint subscribed to \`${type}\` (or \`*\`).`,
      tags: ['Events'],
      parameters: DELIVERY_HEADERS.map(([name, description]) => ({
        name,
        in: 'header',
        required: name !== 'X-WA-Event',
        description,
        schema: { type: 'string' },
      })),
      requestBody: {
        required: true,
        content: { 'application/json': { schema: ref(eventComponentName(type)), example: exampleEvent(type) } },
      },
      responses: {
        '2XX': { description: 'Accepted. Answer within 10 s (the whole exchange); the body is ignored.' },
        '410': { description: 'Gone: the endpoint is disabled at once and no more events are sent to it.' },
        default: {
          description:
            'Anything else (or a timeout, a redirect, a network error) is retried after 10 s, 30 s and 90 s, then the delivery is marked failed and can be replayed.',
        },
      },
    },
  };
}

let cached: OpenApiDocument | null = null;

export function buildOpenApiDocument(): OpenApiDocument {
  if (cached) return cached;
  const schemas: Record<string, Schema> = {};
  for (const [name, schema] of Object.entries(COMPONENT_SCHEMAS)) schemas[name] = structuredClone(schema);
  for (const route of ROUTE_CATALOG) {
    const schema = route.request?.schema;
    if (schema) schemas[requestComponentName(schema)] = componentSchema(schema);
  }
  schemas.EventEnvelope = componentSchema(ENVELOPE_SCHEMA);
  for (const type of EVENT_TYPES) schemas[eventComponentName(type)] = componentSchema(EVENT_SCHEMAS[type]);

  const paths: OpenApiDocument['paths'] = {};
  for (const route of ROUTE_CATALOG) {
    const item = paths[route.path] ?? {};
    if (item[route.method]) throw new Error(`duplicate catalog route ${route.method.toUpperCase()} ${route.path}`);
    item[route.method] = operation(route);
    paths[route.path] = item;
  }

  cached = {
    openapi: '3.1.0',
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    info: {
      title: 'Warden',
      version: packageVersion(),
      summary: 'Self-hosted WhatsApp gateway for responsible, transactional messaging.',
      description:
        'Every send passes the ResponsibleMessageSender (purpose allowlist, plan limits, suppression, throttles, pause-for-review, risk scoring) before WhatsApp. Failures share one shape (`Error`); error codes are a stable contract. Human-readable docs: /docs.',
    },
    servers: [{ url: '/', description: 'This gateway' }],
    tags: TAGS.map((t) => ({ ...t })),
    paths,
    webhooks: Object.fromEntries(EVENT_TYPES.map((type) => [type, webhookOperation(type)])),
    components: {
      securitySchemes: {
        ApiKey: {
          type: 'http',
          scheme: 'bearer',
          description: 'A customer API key: `Authorization: Bearer <key>`. Created by an administrator; shown once.',
        },
        AdminToken: {
          type: 'http',
          scheme: 'bearer',
          description: 'The admin token (ADMIN_TOKEN, or generated and printed on first start).',
        },
        MetricsToken: {
          type: 'http',
          scheme: 'bearer',
          description: 'METRICS_TOKEN, for Prometheus scrapers (the admin token works too).',
        },
        ThreeCxSecret: {
          type: 'apiKey',
          in: 'header',
          name: 'X-WhatsApp-Gateway-3CX-Secret',
          description: 'The 3CX integration secret (shown once when the integration is created).',
        },
      },
      schemas,
    },
  };
  return cached;
}
