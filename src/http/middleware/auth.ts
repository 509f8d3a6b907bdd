import type { Request, RequestHandler } from 'express';
import type { Account } from '../../accounts/account-store.ts';
import type { AccountStore } from '../../accounts/account-store.ts';
import type { ApiKeyService } from '../../accounts/api-key-service.ts';
import { InvalidAdminTokenError, InvalidApiKeyError } from '../../errors/errors.ts';
import { secretsEqual } from '../../lib/secrets-equal.ts';

export function bearer(req: Request): string | undefined {
  const header = req.get('authorization');
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

/** Pipeline step 2: a live API key. The account travels in `res.locals.account`. */
export function apiKeyAuth(keys: ApiKeyService, accounts: AccountStore): RequestHandler {
  return async (req, res, next) => {
    try {
      const key = await keys.authenticate(bearer(req));
      const account = await accounts.get(key.accountId);
      if (!account) throw new InvalidApiKeyError();
      res.locals.account = account;
      res.locals.accountId = account.id;
      res.locals.apiKeyId = key.id;
      next();
    } catch (error) {
      next(error);
    }
  };
}

export function accountOf(res: { locals: Record<string, unknown> }): Account {
  return res.locals.account as Account;
}

/**
 * Admin API: `Authorization: Bearer <ADMIN_TOKEN>`, or the console's session (checked by the
 * session middleware, which sets `res.locals.adminSession`). Customer keys never match.
 */
export function adminAuth(getToken: () => string): RequestHandler {
  return (req, res, next) => {
    if (res.locals.adminSession) {
      res.locals.adminActor = res.locals.adminSession;
      return next();
    }
    const presented = bearer(req);
    if (!presented || !secretsEqual(presented, getToken())) return next(new InvalidAdminTokenError());
    res.locals.adminActor = 'admin-token';
    next();
  };
}
