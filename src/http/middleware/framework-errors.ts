import { ApiError } from '../../errors/api-error.ts';
import {
  InvalidJsonError,
  NotFoundError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
} from '../../errors/errors.ts';

/** Content codings the body parser can undo (what it answers 415 for is anything else). */
export const SUPPORTED_CONTENT_ENCODINGS = ['identity', 'gzip', 'deflate', 'br'] as const;

interface FrameworkError {
  type?: unknown;
  status?: unknown;
  statusCode?: unknown;
  expose?: unknown;
  message?: unknown;
}

/**
 * The client errors express, router and body-parser raise (http-errors with a `type`, or a bare
 * 4xx status), as their documented public error. `null` for anything else: a real server fault.
 * Every parser and framework 4xx is mapped here so none can fall through to `internal_error`.
 */
export function publicErrorFor(error: unknown): ApiError | null {
  if (error instanceof ApiError) return error;
  if (!error || typeof error !== 'object') return null;
  const e = error as FrameworkError;
  const type = typeof e.type === 'string' ? e.type : '';
  const status = typeof e.status === 'number' ? e.status : typeof e.statusCode === 'number' ? e.statusCode : 0;
  switch (type) {
    case 'entity.too.large':
    case 'parameters.too.many':
      return new PayloadTooLargeError();
    case 'encoding.unsupported':
      return new UnsupportedMediaTypeError({
        reason: 'unsupported_content_encoding',
        supported_encodings: [...SUPPORTED_CONTENT_ENCODINGS],
      });
    case 'charset.unsupported':
      return new UnsupportedMediaTypeError({ reason: 'unsupported_charset', supported_charsets: ['utf-8'] });
    case 'entity.parse.failed':
    case 'entity.verify.failed':
    case 'request.aborted':
    case 'request.size.invalid':
      return new InvalidJsonError();
  }
  if (status < 400 || status >= 500) return null;
  // A path parameter that is not valid percent-encoding names no resource.
  if (status === 400 && /failed to decode param/i.test(String(e.message ?? ''))) return new NotFoundError();
  if (status === 413) return new PayloadTooLargeError();
  if (status === 415) return new UnsupportedMediaTypeError();
  if (status === 404) return new NotFoundError();
  // Any other client error a parser raises (malformed body, bad framing): the body was unusable.
  return new InvalidJsonError();
}
