import type { Request, Response, Router } from 'express';
import type { Account } from '../../accounts/account-store.ts';
import type { Container } from '../../container.ts';
import type { ConsoleViews } from './views.ts';

/** What a group of console pages needs from the console router (session, CSRF, forms, views). */
export interface ConsoleKit {
  c: Container;
  router: Router;
  views: ConsoleViews;
  /** GET behind the session. */
  get: (path: string, fn: (req: Request, res: Response) => Promise<void>) => void;
  /** Form POST behind the session and its CSRF token. */
  post: (path: string, fn: (req: Request, res: Response) => Promise<void>) => void;
  actor: (res: Response) => string;
  page: (nav: string) => { nav: Record<string, boolean> };
  field: (body: unknown, name: string) => string;
  list: (body: unknown, name: string) => string[];
  validate: (schema: object, data: Record<string, unknown>) => void;
}

/**
 * How each account is named in the console: its name, plus its id whenever another account has
 * the same name (three "Acme" accounts must not look identical).
 */
export function accountLabels(accounts: Pick<Account, 'id' | 'name'>[]): Map<string, string> {
  const count = new Map<string, number>();
  for (const a of accounts) count.set(a.name.trim().toLowerCase(), (count.get(a.name.trim().toLowerCase()) ?? 0) + 1);
  return new Map(
    accounts.map((a) => [a.id, (count.get(a.name.trim().toLowerCase()) ?? 0) > 1 ? `${a.name} (${a.id})` : a.name]),
  );
}

/** The admin's optional note on a form, for the audit log. */
export function noteOf(kit: Pick<ConsoleKit, 'field'>, body: unknown): string | null {
  const note = kit.field(body, 'note').trim().slice(0, 1000);
  return note || null;
}
