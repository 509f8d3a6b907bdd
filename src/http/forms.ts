import type { Request } from 'express';
import { ValidationError } from '../errors/errors.ts';
import { compileSchema } from './schemas/validator.ts';

/** One field of a urlencoded form (the first value when it was sent twice), or ''. */
export function field(body: unknown, name: string): string {
  const value = (body as Record<string, unknown> | undefined)?.[name];
  if (Array.isArray(value)) return String(value[0] ?? '');
  return typeof value === 'string' ? value : '';
}

/** Every value of a repeated form field (checkboxes). */
export function list(body: unknown, name: string): string[] {
  const value = (body as Record<string, unknown> | undefined)?.[name];
  if (Array.isArray(value)) return value.map(String);
  return typeof value === 'string' && value !== '' ? [value] : [];
}

export function validate(schema: object, data: Record<string, unknown>): void {
  const errors = compileSchema(schema)(data);
  if (errors.length > 0) throw new ValidationError({ errors });
}

export function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i < 1) continue;
    const name = part.slice(0, i).trim();
    try {
      if (!out.has(name)) out.set(name, decodeURIComponent(part.slice(i + 1).trim()));
    } catch {
      // A malformed cookie is simply absent.
    }
  }
  return out;
}

/** A session cookie of the server-rendered UIs: its own path, HttpOnly, SameSite=Strict, Secure over HTTPS. */
export function uiCookie(req: Request, path: string, name: string, value: string, maxAgeSeconds: number): string {
  const parts = [`${name}=${value}`, `Path=${path}`, 'HttpOnly', 'SameSite=Strict', `Max-Age=${maxAgeSeconds}`];
  if (req.secure) parts.push('Secure');
  return parts.join('; ');
}

/** The error page of a form without a valid CSRF token (console and portal). */
export const FORM_REFUSED = {
  title: 'Form refused',
  heading: 'This form could not be accepted',
  message:
    'The form was missing its security token or the token did not match your session. Reload the page and try again.',
  status: 403,
} as const;
