import type { AccountService, CreateAccountInput, UpdateAccountInput } from '../accounts/account-service.ts';
import type { Account } from '../accounts/account-store.ts';
import type { ApiKeyInfo, ApiKeyService } from '../accounts/api-key-service.ts';
import type { Transact } from '../db/transactions.ts';
import { InvalidInstanceError, NotFoundError } from '../errors/errors.ts';
import type { InstanceService } from '../instances/instance-service.ts';
import type { Instance } from '../instances/instance-store.ts';
import { maskPhone } from '../lib/logger.ts';
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
      transact: Transact;
      accounts: AccountService;
      suppressions: SuppressionService;
      audit: AuditLog;
      apiKeys: ApiKeyService;
      instances: InstanceService;
    },
  ) {}

  async createAccount(input: CreateAccountInput, actor: string, note: string | null = null): Promise<Account> {
    const account = await this.deps.accounts.create(input);
    await this.deps.audit.recordNow({
      actor,
      action: 'account.created',
      targetType: 'account',
      targetId: account.id,
      note,
      detail: { name: account.name, plan: account.plan, modules: account.modules, timezone: account.timezone },
    });
    return account;
  }

  /** A new API key: the secret is returned once and never stored in clear. */
  async createApiKey(
    accountId: string,
    name: string,
    actor: string,
    note: string | null = null,
  ): Promise<{ key: string; info: ApiKeyInfo }> {
    const account = await this.loadAccount(accountId);
    const created = await this.deps.apiKeys.create(account.id, name);
    await this.deps.audit.recordNow({
      actor,
      action: 'api_key.created',
      targetType: 'account',
      targetId: account.id,
      note,
      detail: { key_id: created.info.id, name: created.info.name, prefix: created.info.prefix },
    });
    return created;
  }

  async revokeApiKey(accountId: string, keyId: string, actor: string, note: string | null = null): Promise<ApiKeyInfo> {
    const account = await this.loadAccount(accountId);
    const key = await this.deps.apiKeys.get(account.id, keyId);
    if (!key) throw new NotFoundError(undefined, 'No API key with this id exists for this account.');
    await this.deps.apiKeys.revoke(account.id, key.id);
    await this.deps.audit.recordNow({
      actor,
      action: 'api_key.revoked',
      targetType: 'account',
      targetId: account.id,
      note,
      detail: { key_id: key.id, name: key.name, prefix: key.prefix },
    });
    return key;
  }

  /** Create an instance for an account; resolves once the transport has produced the first QR. */
  async createInstance(
    accountId: string,
    input: { name: string; default_country?: string | null },
    actor: string,
    note: string | null = null,
  ): Promise<Instance> {
    const account = await this.loadAccount(accountId);
    const instance = await this.deps.instances.create(account.id, input);
    await this.instanceAudit(instance, 'instance.created', actor, note, { name: instance.name });
    return instance;
  }

  async loadInstance(id: string): Promise<Instance> {
    const instance = await this.deps.instances.store.get(id);
    if (!instance || instance.destroyedAt !== null) throw new InvalidInstanceError();
    return instance;
  }

  async regenerateQr(id: string, actor: string, note: string | null = null): Promise<Instance> {
    const instance = await this.loadInstance(id);
    const fresh = await this.deps.instances.regenerateQr(instance.accountId, instance.id);
    await this.instanceAudit(instance, 'instance.qr_requested', actor, note);
    return fresh;
  }

  async requestPairingCode(id: string, phone: string, actor: string, note: string | null = null): Promise<string> {
    const instance = await this.loadInstance(id);
    const e164 = normalizePhoneOrReject(phone, instance.defaultCountry ?? null);
    const code = await this.deps.instances.requestPairingCode(instance.accountId, instance.id, e164);
    await this.instanceAudit(instance, 'instance.pairing_code_requested', actor, note, { phone: maskPhone(e164) });
    return code;
  }

  async disconnectInstance(id: string, actor: string, note: string | null = null): Promise<Instance> {
    const instance = await this.loadInstance(id);
    const after = await this.deps.instances.disconnect(instance.accountId, instance.id);
    await this.instanceAudit(instance, 'instance.disconnected', actor, note, { previous_state: instance.state });
    return after;
  }

  async destroyInstance(id: string, actor: string, note: string | null = null): Promise<Instance> {
    const instance = await this.loadInstance(id);
    await this.deps.instances.destroy(instance.accountId, instance.id);
    await this.instanceAudit(instance, 'instance.destroyed', actor, note, { name: instance.name });
    return instance;
  }

  private async instanceAudit(
    instance: Instance,
    action: string,
    actor: string,
    note: string | null,
    detail: Record<string, unknown> = {},
  ): Promise<void> {
    await this.deps.audit.recordNow({
      actor,
      action,
      targetType: 'instance',
      targetId: instance.id,
      note,
      detail: { account_id: instance.accountId, ...detail },
    });
  }

  async loadAccount(id: string): Promise<Account> {
    const account = await this.deps.accounts.get(id);
    if (!account) throw new NotFoundError(undefined, 'No account with this id exists.');
    return account;
  }

  async updateAccount(
    id: string,
    input: UpdateAccountInput,
    actor: string,
    note: string | null = null,
  ): Promise<Account> {
    await this.loadAccount(id);
    const account = await this.deps.accounts.update(id, input);
    if (!account) throw new NotFoundError(undefined, 'No account with this id exists.');
    await this.deps.audit.recordNow({
      actor,
      action: 'account.updated',
      targetType: 'account',
      targetId: account.id,
      note: note ?? input.override_reason ?? null,
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
    return this.deps.transact(async (trx) => {
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
    return this.deps.transact(async (trx) => {
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
