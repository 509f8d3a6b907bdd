import type { RequestHandler } from 'express';

/** Response fields that carry a credential shown once (API keys, signing secrets, tokens). */
const SECRET_FIELDS = new Set(['key', 'secret', 'token', 'signing_secret', 'admin_token', 'api_key']);

function carriesSecret(value: unknown, depth = 0): boolean {
  if (depth > 3 || !value || typeof value !== 'object') return false;
  if (Array.isArray(value)) return value.some((item) => carriesSecret(item, depth + 1));
  for (const [name, item] of Object.entries(value)) {
    if (SECRET_FIELDS.has(name) && typeof item === 'string' && item !== '') return true;
    if (carriesSecret(item, depth + 1)) return true;
  }
  return false;
}

/**
 * A JSON response that carries a secret is never stored by a browser or a proxy cache
 * (`Cache-Control: no-store`), whatever route produced it.
 */
export const noStoreSecrets: RequestHandler = (_req, res, next) => {
  const json = res.json.bind(res);
  res.json = (body?: unknown) => {
    if (carriesSecret(body)) {
      res.setHeader('Cache-Control', 'no-store');
      res.setHeader('Pragma', 'no-cache');
    }
    return json(body);
  };
  next();
};
