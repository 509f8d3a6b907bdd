/**
 * The response contract, checked on every HTTP call the suite makes through `createTestContext`:
 * each response of a described route must be one the OpenAPI document allows — a documented
 * success status with a body that validates *strictly* against the route's response schema (no
 * field the schema does not name), or a documented error code with the `Error` shape and that
 * code's status. Violations are collected here and reported by the root hook in
 * `response-contract-hooks.ts` (the suite fails, naming the test and the route).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Application } from 'express';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { ERROR_TABLE } from '../../src/errors/errors.ts';
import { errorCodesFor, routeFacts } from '../../src/openapi/openapi-document.ts';
import { COMPONENT_SCHEMAS } from '../../src/openapi/response-schemas.ts';
import type { Schema } from '../../src/openapi/schema-helpers.ts';
import { type Route, routeMeta, toOpenApiPath } from '../../src/openapi/route-walk.ts';

type Json = Record<string, unknown>;

const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (
  ajv: Ajv2020,
) => Ajv2020;

export interface ContractViolation {
  test: string;
  route: string;
  status: number;
  problem: string;
}

const violations: ContractViolation[] = [];
let currentTest = '(outside a test)';
const seen = new Set<string>();

export function setCurrentTest(title: string): void {
  currentTest = title;
}

/** Violations since the last call (and forgets them). */
export function takeViolations(): ContractViolation[] {
  return violations.splice(0, violations.length);
}

/** Violations so far, without forgetting them. */
export function currentViolations(): readonly ContractViolation[] {
  return [...violations];
}

/** `METHOD /path` of every described route a response was checked for, in this run. */
export function routesSeen(): ReadonlySet<string> {
  return seen;
}

/**
 * A copy of `schema` in which every `$ref` to a component is inlined and every object that names
 * its properties admits no others (`unevaluatedProperties: false`). Direct members of an `allOf`
 * stay open, so that composing (`allOf: [Instance]` plus more properties) still works: the
 * enclosing object is closed and sees the members' properties as evaluated.
 */
export function strictSchema(schema: unknown, components: Record<string, Schema> = COMPONENT_SCHEMAS): unknown {
  const visit = (node: unknown, inAllOf: boolean, depth: number): unknown => {
    if (depth > 40) throw new Error('strictSchema: $ref cycle');
    if (Array.isArray(node)) return node.map((n) => visit(n, false, depth));
    if (!node || typeof node !== 'object') return node;
    const source = node as Json;
    if (typeof source.$ref === 'string') {
      const name = /^#\/components\/schemas\/(.+)$/.exec(source.$ref)?.[1];
      const target = name ? components[name] : undefined;
      if (!target) throw new Error(`strictSchema: cannot resolve ${source.$ref}`);
      const { $ref: _ref, ...rest } = source;
      return visit({ ...target, ...rest }, inAllOf, depth + 1);
    }
    const out: Json = {};
    for (const [k, v] of Object.entries(source)) {
      if (k === 'allOf' && Array.isArray(v)) out[k] = v.map((n) => visit(n, true, depth));
      else if (k === 'properties' && v && typeof v === 'object')
        out[k] = Object.fromEntries(Object.entries(v).map(([p, s]) => [p, visit(s, false, depth)]));
      else if (k === 'example' || k === 'examples' || k === 'const' || k === 'enum' || k === 'default') out[k] = v;
      else out[k] = visit(v, false, depth);
    }
    const names = out.properties !== undefined || out.allOf !== undefined;
    const open = 'additionalProperties' in out || 'unevaluatedProperties' in out || 'patternProperties' in out;
    if (names && !open && !inAllOf) out.unevaluatedProperties = false;
    return out;
  };
  return visit(schema, false, 0);
}

let ajv: Ajv2020 | null = null;
const compiled = new WeakMap<object, ValidateFunction>();

function validatorFor(schema: object): ValidateFunction {
  let v = compiled.get(schema);
  if (!v) {
    ajv ??= addFormats(new Ajv2020({ strict: false, allErrors: true }));
    v = ajv.compile(strictSchema(schema) as object);
    compiled.set(schema, v);
  }
  return v;
}

function describeErrors(v: ValidateFunction): string {
  return (v.errors ?? [])
    .slice(0, 5)
    .map((e) => `${e.instancePath || '/'} ${e.message}${e.params && 'unevaluatedProperty' in e.params ? ` (${String(e.params.unevaluatedProperty)})` : ''}`)
    .join('; ');
}

/** What the document allows for this response of `route`, or the problem. `null` when it conforms. */
export function contractProblem(route: Route, method: string, status: number, contentType: string, body: unknown): string | null {
  const facts = routeFacts(routeMeta(route, method));
  if (!facts) return null;
  if (status === 304) return null;
  const json = /^application\/([a-z0-9.+-]+\+)?json\b/i.test(contentType);
  const response = facts.description.response;
  const statuses = [response.status, ...(response.alsoStatus ?? [])];
  if (statuses.includes(status)) {
    if (!response.schema) return null;
    if (!json) return `documented JSON, answered ${contentType || 'no content type'}`;
    const validate = validatorFor(response.schema);
    return validate(body) ? null : `response does not match its schema: ${describeErrors(validate)}`;
  }
  if (status < 400) return `status ${status}, documented ${statuses.join(' or ')}`;
  if (!json) return `${status} answered with ${contentType || 'no content type'}, not the JSON error shape`;
  const error = validatorFor(COMPONENT_SCHEMAS.Error as object);
  if (!error(body)) return `error body does not match Error: ${describeErrors(error)}`;
  const code = String((body as Json).error);
  if (!errorCodesFor(facts).includes(code)) return `error code ${code} is not documented for this route`;
  const info = ERROR_TABLE.get(code);
  if (info && info.status !== status) return `error code ${code} answered with ${status}, documented ${info.status}`;
  return null;
}

/** Watches one request: when its response is finished, holds it against its route's description. */
function watch(req: IncomingMessage, res: ServerResponse): void {
  const chunks: Buffer[] = [];
  const write = res.write.bind(res) as (...args: unknown[]) => boolean;
  const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
  const keep = (chunk: unknown, encoding: unknown) => {
    if (typeof chunk === 'string') chunks.push(Buffer.from(chunk, (typeof encoding === 'string' ? encoding : 'utf8') as BufferEncoding));
    else if (chunk instanceof Uint8Array) chunks.push(Buffer.from(chunk));
  };
  (res as unknown as { write: (...args: unknown[]) => boolean }).write = (...args: unknown[]) => {
    keep(args[0], args[1]);
    return write(...args);
  };
  (res as unknown as { end: (...args: unknown[]) => ServerResponse }).end = (...args: unknown[]) => {
    if (typeof args[0] !== 'function') keep(args[0], args[1]);
    return end(...args);
  };
  res.on('finish', () => {
    const route = (req as unknown as { route?: Route }).route;
    if (!route) return;
    const method = String(req.method).toLowerCase();
    if (method === 'head') return;
    const contentType = String(res.getHeader('content-type') ?? '');
    const raw = Buffer.concat(chunks).toString('utf8');
    let body: unknown = raw;
    if (/json/i.test(contentType) && raw.length > 0) {
      try {
        body = JSON.parse(raw);
      } catch {
        body = raw;
      }
    }
    const path = Array.isArray(route.path) ? route.path.join('|') : route.path;
    const key = `${method.toUpperCase()} ${toOpenApiPath(path)}`;
    if (routeFacts(routeMeta(route, method))) seen.add(key);
    let problem: string | null;
    try {
      problem = contractProblem(route, method, res.statusCode, contentType, body);
    } catch (error) {
      problem = `could not check: ${(error as Error).message}`;
    }
    if (problem) {
      violations.push({
        test: currentTest,
        route: key,
        status: res.statusCode,
        problem,
      });
    }
  });
}

/** `app`, with every response it sends held against the OpenAPI document. */
export function contractChecked(app: Application): (req: IncomingMessage, res: ServerResponse) => void {
  const handle = app as unknown as (req: IncomingMessage, res: ServerResponse) => void;
  return (req, res) => {
    watch(req, res);
    handle(req, res);
  };
}
