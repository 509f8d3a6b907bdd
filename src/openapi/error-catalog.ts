import { ApiError } from '../errors/api-error.ts';
import * as errors from '../errors/errors.ts';

export interface ErrorInfo {
  status: number;
  code: string;
  message: string;
}

type ErrorClass = new () => ApiError;

function isErrorClass(value: unknown): value is ErrorClass {
  return typeof value === 'function' && value.prototype instanceof ApiError;
}

let cache: Map<string, ErrorInfo> | null = null;

/**
 * Every error code the gateway can answer with, derived from the error classes themselves: the
 * public table (`describePublicErrors()`, SPEC §3.1 order first) plus any other `ApiError`
 * subclass exported by `errors.ts` (3CX and feature-specific codes). Nothing is retyped here, so
 * the docs and the OpenAPI document cannot drift from what the handler sends.
 */
export function errorCatalog(): Map<string, ErrorInfo> {
  if (cache) return cache;
  const map = new Map<string, ErrorInfo>();
  for (const e of errors.describePublicErrors()) map.set(e.code, e);
  for (const value of Object.values(errors)) {
    if (!isErrorClass(value)) continue;
    let instance: ApiError;
    try {
      instance = new value();
    } catch {
      continue;
    }
    if (!map.has(instance.code))
      map.set(instance.code, { status: instance.status, code: instance.code, message: instance.message });
  }
  cache = map;
  return map;
}

export function errorInfo(code: string): ErrorInfo | undefined {
  return errorCatalog().get(code);
}

/** The codes of SPEC §3.1 and the other public codes, in table order. */
export function publicErrorCodes(): string[] {
  return errors.describePublicErrors().map((e) => e.code);
}
