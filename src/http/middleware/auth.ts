import type { Request, RequestHandler } from 'express';
import type { Account } from '../../accounts/account-store.ts';
import type { AccountStore } from '../../accounts/account-store.ts';
import type { ApiKeyService } from '../../accounts/api-key-service.ts';
import { InvalidAdminTokenError, InvalidApiKeyError } from '../../errors/errors.ts';
import { secretsEqual } from '../../lib/secrets-equal.ts';
import { withMeta } from '../../openapi/route-meta.ts';
import { type AuthFailureLimiter, clientAddress, tooManyAuthFailures } from './auth-failures.ts';

export function bearer(req: Request): string | undefined {
  const header = req.get('authorization');
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

/** Pipeline step 2: a live API key. The account travels in `res.locals.account`. */
export function apiKeyAuth(keys: ApiKeyService, accounts: AccountStore): RequestHandler {
  const auth: RequestHandler = async (req, res, next) => {
    try {
      const { key, account } = await keys.authenticateWithAccount(bearer(req), accounts);
      if (!account) throw new InvalidApiKeyError();
      res.locals.account = account;
      res.locals.accountId = account.id;
      res.locals.apiKeyId = key.id;
      next();
    } catch (error) {
      next(error);
    }
  };
  return withMeta(auth, { kind: 'auth', scheme: 'api_key' });
}

export function accountOf(res: { locals: Record<string, unknown> }): Account {
  return res.locals.account as Account;
}

/**
 * Admin API: `Authorization: Bearer <ADMIN_TOKEN>`, or the console's session (checked by the
 * session middleware, which sets `res.locals.adminSession`). Customer keys never match. A wrong
 * token counts toward the shared failed-auth lock of the client's address (the console's too).
 */
export function adminAuth(getToken: () => string, failures: AuthFailureLimiter): RequestHandler {
  const auth: RequestHandler = (req, res, next) => {
    if (res.locals.adminSession) {
      res.locals.adminActor = res.locals.adminSession;
      return next();
    }
    checkAdminToken(req, failures, (presented) => Boolean(presented && secretsEqual(presented, getToken())))
      .then((ok) => {
        if (ok) res.locals.adminActor = 'admin-token';
        next();
      })
      .catch(next);
  };
  return withMeta(auth, { kind: 'auth', scheme: 'admin' });
}

/**
 * A presented admin credential: refused while the client address is locked, counted when wrong
 * (no token at all is not a guess and is not counted). Resolves true, or rejects with the error.
 */
export async function checkAdminToken(
  req: Request,
  failures: AuthFailureLimiter,
  matches: (presented: string | undefined) => boolean,
): Promise<true> {
  const address = clientAddress(req);
  const locked = await failures.lockedFor(address);
  if (locked > 0) throw tooManyAuthFailures(locked);
  const presented = bearer(req);
  if (matches(presented)) return true;
  if (presented) {
    const lockedNow = await failures.recordFailure(address);
    if (lockedNow > 0) throw tooManyAuthFailures(lockedNow);
  }
  throw new InvalidAdminTokenError();
}
