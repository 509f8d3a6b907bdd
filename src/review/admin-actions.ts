import type { Knex } from 'knex';
import type { AccountService, UpdateAccountInput } from '../accounts/account-service.ts';
import type { Account } from '../accounts/account-store.ts';
import { NotFoundError } from '../errors/errors.ts';
import { normalizePhoneOrReject } from '../lib/phone.ts';
import { GLOBAL_SCOPE, type Suppression, type SuppressionService } from '../suppression/suppression-service.ts';
import type { AuditLog } from './audit-log.ts';

/**
 * Admin actions that change state, shared by the JSON API (`/admin/api`) and the console
 * (`/admin`): each one does the change and writes its audit entry, so both doors are audited
 * the same way. Pause, resume and keep-paused live in the ReviewService.
 */
export class AdminActions {
  constructor(
    private readonly deps: {
      db: Knex;
      accounts: AccountService;
      suppressions: SuppressionService;
      audit: AuditLog;
    },
  ) {}

  async loadAccount(id: string): Promise<Account> {
    const account = await this.deps.accounts.get(id);
    if (!account) throw new NotFoundError(undefined, 'No account with this id exists.');
    return account;
  }

  async updateAccount(id: string, input: UpdateAccountInput, actor: string): Promise<Account> {
    await this.loadAccount(id);
    const account = await this.deps.accounts.update(id, input);
    if (!account) throw new NotFoundError(undefined, 'No account with this id exists.');
    await this.deps.audit.record(this.deps.db, {
      actor,
      action: 'account.updated',
      targetType: 'account',
      targetId: account.id,
      note: input.override_reason ?? null,
      detail: input as Record<string, unknown>,
    });
    return account;
  }

  /** Block a number for one account (accountId) or gateway-wide (null). Idempotent. */
  async addSuppression(
    input: { accountId: string | null; phone: string; note: string | null },
    actor: string,
  ): Promise<{ suppression: Suppression; created: boolean }> {
    const account = input.accountId ? await this.loadAccount(input.accountId) : null;
    const phone = normalizePhoneOrReject(input.phone, account?.defaultCountry ?? null);
    const scope = input.accountId ?? GLOBAL_SCOPE;
    return this.deps.db.transaction(async (trx) => {
      const r = await this.deps.suppressions.add(trx, {
        scope,
        phone,
        reason: 'admin_blocked',
        note: input.note,
        createdBy: actor,
      });
      await this.deps.audit.record(trx, {
        actor,
        action: 'suppression.added',
        targetType: 'suppression',
        targetId: r.suppression.id,
        note: input.note,
        detail: { scope: scope === GLOBAL_SCOPE ? 'global' : scope },
      });
      return r;
    });
  }

  /** Lift a block or a recipient's STOP (admins may). Null when the number was not listed. */
  async removeSuppression(
    input: { accountId: string | null; phone: string; note: string | null },
    actor: string,
  ): Promise<Suppression | null> {
    const phone = normalizePhoneOrReject(input.phone, null);
    const scope = input.accountId ?? GLOBAL_SCOPE;
    return this.deps.db.transaction(async (trx) => {
      const r = await this.deps.suppressions.remove(trx, { scope, phone, by: 'admin' });
      if (r)
        await this.deps.audit.record(trx, {
          actor,
          action: 'suppression.removed',
          targetType: 'suppression',
          targetId: r.id,
          note: input.note,
          detail: { scope: scope === GLOBAL_SCOPE ? 'global' : scope, reason: r.reason },
        });
      return r;
    });
  }
}
