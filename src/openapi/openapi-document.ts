import type { Application } from 'express';
import type { ErrorExample } from '../errors/error-table.ts';
import { ERROR_TABLE } from '../errors/errors.ts';
import { EVENT_SCHEMAS, exampleEvent } from '../events/event-schemas.ts';
import { EVENT_TYPES, type EventType } from '../events/event-types.ts';
import { packageLicense, packageVersion } from './package-version.ts';
import { pathParams } from './params.ts';
import { COMPONENT_SCHEMAS } from './response-schemas.ts';
import { ref, type Schema } from './schema-helpers.ts';
import type { RouteAuth, RouteDescription, RouteMeta } from './route-meta.ts';
import { type WalkedRoute, walkRoutes } from './route-walk.ts';
import { TAGS } from './tags.ts';

/**
 * Builds the OpenAPI 3.1 document by walking the live express app: each route's middleware list
 * says how it authenticates, which body it reads and validates (the very schema `validateBody`
 * uses) and, in its `describe()` entry, its summary, success response and own error codes. Event
 * schemas come from the published event catalog. Served at `GET /openapi.json`; the
 * endpoints docs page is rendered from it too.
 */

export type OpenApiDocument = Record<string, unknown> & {
  paths: Record<string, Record<string, Record<string, unknown>>>;
  components: { schemas: Record<string, Schema> } & Record<string, unknown>;
  webhooks: Record<string, unknown>;
};

/** Each component schema object → its name, so that a schema embedding one refers to it instead. */
const COMPONENT_NAMES = new Map<object, string>(Object.entries(COMPONENT_SCHEMAS).map(([name, s]) => [s, name]));

/**
 * A JSON copy of `schema` in which every nested component schema (the very object, as a present
 * function's schema embeds another) is a `$ref` to its component. `self` is left whole.
 */
function withComponentRefs(schema: unknown, self?: object): unknown {
  if (Array.isArray(schema)) return schema.map((s) => withComponentRefs(s));
  if (!schema || typeof schema !== 'object') return schema;
  const name = schema !== self ? COMPONENT_NAMES.get(schema) : undefined;
  if (name) return ref(name);
  return Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, withComponentRefs(v)]));
}

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

const SECURITY: Record<RouteAuth | 'none', Record<string, string[]>[]> = {
  none: [],
  api_key: [{ ApiKey: [] }],
  admin: [{ AdminToken: [] }],
  metrics: [{ MetricsToken: [] }, { AdminToken: [] }],
  threecx: [{ ThreeCxSecret: [] }],
};

/** What one route's middleware list says, gathered (the route is documented only with a `describe()`). */
export interface RouteFacts {
  description: RouteDescription;
  auth: RouteAuth | 'none';
  /** `requireJson()`: whether a body may be omitted; absent when Content-Type is not checked. */
  contentType?: { optional: boolean };
  /** `jsonBody()`'s limit. */
  bodyLimit?: string;
  /** `validateBody()`'s schema. */
  validated?: object;
  sandboxOnly: boolean;
  /** Codes other middleware adds (a rate limit). */
  middlewareErrors: string[];
}

export function routeFacts(meta: RouteMeta[]): RouteFacts | null {
  let description: RouteDescription | undefined;
  const facts: Omit<RouteFacts, 'description'> = { auth: 'none', sandboxOnly: false, middlewareErrors: [] };
  for (const m of meta) {
    if (m.kind === 'describe') {
      const { kind: _kind, ...rest } = m;
      description = rest;
    } else if (m.kind === 'auth') facts.auth = m.scheme;
    else if (m.kind === 'contentType') facts.contentType = { optional: m.optional };
    else if (m.kind === 'body') facts.bodyLimit = m.limit;
    else if (m.kind === 'validate') facts.validated = m.schema;
    else if (m.kind === 'sandboxOnly') facts.sandboxOnly = true;
    else if (m.kind === 'errors') facts.middlewareErrors.push(...m.codes);
  }
  return description ? { description, ...facts } : null;
}

const AUTH_ERRORS: Record<RouteAuth | 'none', string[]> = {
  none: [],
  api_key: ['invalid_api_key', 'revoked_api_key'],
  // A client address that keeps presenting wrong tokens is locked for a while (429).
  admin: ['invalid_admin_token', 'rate_limited'],
  metrics: ['invalid_admin_token', 'rate_limited'],
  threecx: ['invalid_3cx_webhook'],
};

/** The codes a route can answer: its middleware's (in pipeline order), then its own, then `internal_error`. */
export function errorCodesFor(facts: RouteFacts): string[] {
  const codes: string[] = [];
  if (facts.contentType) codes.push('unsupported_media_type');
  codes.push(...AUTH_ERRORS[facts.auth]);
  if (facts.bodyLimit) codes.push('invalid_json', 'payload_too_large');
  if (facts.validated) codes.push('validation_error');
  // Without the sandbox the route passes the request on to the JSON 404.
  if (facts.sandboxOnly) codes.push('not_found');
  codes.push(...facts.middlewareErrors, ...(facts.description.errors ?? []));
  // Routes behind a credential read the database: while it is unreachable they answer 503.
  if (facts.auth !== 'none') codes.push('service_unavailable');
  codes.push('internal_error');
  return [...new Set(codes)];
}

function errorResponses(label: string, codes: string[]): Record<string, unknown> {
  const byStatus = new Map<number, ErrorExample[]>();
  for (const code of codes) {
    const info = ERROR_TABLE.openApi(code);
    if (!info) throw new Error(`route ${label}: unknown error code ${code}`);
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

function operationId(method: string, path: string): string {
  return `${method}${path
    .replace(/\{([^}]+)\}/g, 'By_$1')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((p) => p.charAt(0).toUpperCase() + p.slice(1))
    .join('')}`;
}

function successResponse(response: RouteDescription['response']): Record<string, unknown> {
  const success: Record<string, unknown> = { description: response.description };
  const contentType = response.contentType ?? 'application/json';
  if (response.schema || contentType !== 'application/json') {
    success.content = {
      [contentType]: {
        schema:
          withComponentRefs(response.schema) ??
          (contentType.startsWith('text/') ? { type: 'string' } : { type: 'string', contentMediaType: contentType }),
        ...(response.example !== undefined ? { example: response.example } : {}),
      },
    };
  }
  return success;
}

function operation(route: WalkedRoute, facts: RouteFacts): Record<string, unknown> {
  const d = facts.description;
  const params = [
    ...pathParams(route.path),
    ...(d.params ?? []).map((p) => ({
      name: p.name,
      in: p.in,
      description: p.description,
      required: p.in === 'path' ? true : Boolean(p.required),
      schema: p.schema,
      ...(p.example !== undefined ? { example: p.example } : {}),
    })),
  ];
  const success = successResponse(d.response);
  const responses: Record<string, unknown> = {};
  for (const status of [d.response.status, ...(d.response.alsoStatus ?? [])]) responses[String(status)] = success;
  const codes = errorCodesFor(facts);
  const op: Record<string, unknown> = {
    operationId: operationId(route.method, route.path),
    summary: d.summary,
    description: [
      facts.sandboxOnly
        ? '**Sandbox only**: mounted only when the gateway runs with `TRANSPORT=sandbox` (404 otherwise).'
        : null,
      d.description ?? null,
    ]
      .filter(Boolean)
      .join('\n\n'),
    tags: [d.tag],
    security: SECURITY[facts.auth],
    ...(params.length > 0 ? { parameters: params } : {}),
    responses: { ...responses, ...errorResponses(`${route.method.toUpperCase()} ${route.path}`, codes) },
    'x-error-codes': codes,
    ...(facts.sandboxOnly ? { 'x-sandbox-only': true } : {}),
  };
  const schema = facts.validated ?? d.request?.schema;
  if (facts.bodyLimit || d.request) {
    const limit = d.request?.limit ?? facts.bodyLimit;
    op.requestBody = {
      required: !facts.contentType?.optional,
      description: `JSON, up to ${humanLimit(limit ?? '1mb')}.`,
      content: {
        'application/json': {
          schema: schema ? ref(requestComponentName(schema)) : { type: 'object' },
          example: d.request?.example ?? {},
        },
      },
    };
  }
  return op;
}

/** `24mb` → `24 MB`, `256kb` → `256 KB`. */
function humanLimit(limit: string): string {
  const m = /^(\d+)\s*(kb|mb|gb|b)$/i.exec(limit.trim());
  return m ? `${m[1]} ${(m[2] as string).toUpperCase()}` : limit;
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
      // Warden is the caller: the receiver authenticates it by the signature headers, not a scheme.
      security: [],
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

const cache = new WeakMap<Application, OpenApiDocument>();

/** The described routes of a live app, with what their middleware says. */
export function describedRoutes(app: Application): { route: WalkedRoute; facts: RouteFacts }[] {
  return walkRoutes(app).flatMap((route) => {
    const facts = routeFacts(route.meta);
    return facts ? [{ route, facts }] : [];
  });
}

export function buildOpenApiDocument(app: Application): OpenApiDocument {
  const hit = cache.get(app);
  if (hit) return hit;
  const routes = describedRoutes(app);
  const schemas: Record<string, Schema> = {};
  for (const [name, schema] of Object.entries(COMPONENT_SCHEMAS)) schemas[name] = withComponentRefs(schema, schema) as Schema;
  for (const { facts } of routes) {
    const schema = facts.validated ?? facts.description.request?.schema;
    if (schema) schemas[requestComponentName(schema)] = componentSchema(schema);
  }
  for (const type of EVENT_TYPES) schemas[eventComponentName(type)] = componentSchema(EVENT_SCHEMAS[type]);

  const paths: OpenApiDocument['paths'] = {};
  for (const { route, facts } of routes) {
    const item = paths[route.path] ?? {};
    if (item[route.method]) throw new Error(`route ${route.method.toUpperCase()} ${route.path} is described twice`);
    item[route.method] = operation(route, facts);
    paths[route.path] = item;
  }

  const document: OpenApiDocument = {
    openapi: '3.1.0',
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    info: {
      title: 'Warden',
      version: packageVersion(),
      license: { name: packageLicense() },
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
  cache.set(app, document);
  return document;
}
