import type { PlansPolicy } from '../config/policies.ts';
import { ValidationError } from '../errors/errors.ts';
import type { Clock } from '../lib/clock.ts';
import { newId } from '../lib/ids.ts';
import type { CreateAccountBody, UpdateAccountBody } from '../http/schemas/account.schema.ts';
import type { AccountResponse } from './account-response.schema.ts';
import type { Account, AccountRecords } from './account-store.ts';

/** The bodies of `POST /admin/api/accounts` and `PATCH /admin/api/accounts/{id}`, from their schemas. */
export type CreateAccountInput = CreateAccountBody;
export type UpdateAccountInput = UpdateAccountBody;

export interface EffectiveLimits {
  daily: number;
  monthly: number;
}

export function isValidTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

function invalid(field: string, reason: string): ValidationError {
  return new ValidationError({ errors: [{ field, reason }] });
}

export class AccountService {
  constructor(
    private readonly store: AccountRecords,
    private readonly plans: PlansPolicy,
    private readonly clock: Clock,
  ) {}

  private checkPlanAndZone(plan: string | undefined, timezone: string | undefined): void {
    if (plan !== undefined && !this.plans.plans[plan]) {
      throw invalid('/plan', `unknown plan; known plans are ${Object.keys(this.plans.plans).join(', ')}`);
    }
    if (timezone !== undefined && !isValidTimeZone(timezone))
      throw invalid('/timezone', 'not an IANA time zone');
  }

  async create(input: CreateAccountInput): Promise<Account> {
    this.checkPlanAndZone(input.plan, input.timezone);
    const now = this.clock.now().getTime();
    const account: Account = {
      id: newId('acc'),
      name: input.name,
      plan: input.plan,
      planActive: input.plan_active ?? true,
      modules: input.modules ?? ['api'],
      timezone: input.timezone ?? 'UTC',
      defaultCountry: input.default_country ?? null,
      dailyLimitOverride: null,
      monthlyLimitOverride: null,
      overrideReason: null,
      overrideApprovedBy: null,
      overrideApprovedAt: null,
      optoutConfirmation: input.optout_confirmation ?? false,
      createdAt: now,
      updatedAt: now,
    };
    await this.store.insert(account);
    return account;
  }

  get(id: string): Promise<Account | null> {
    return this.store.get(id);
  }

  list(): Promise<Account[]> {
    return this.store.list();
  }

  /** Reviewed overrides need a reason and an approver; clearing one (null) needs neither. */
  async update(id: string, input: UpdateAccountInput): Promise<Account | null> {
    const current = await this.store.get(id);
    if (!current) return null;
    this.checkPlanAndZone(input.plan, input.timezone);
    const settingOverride =
      (input.daily_limit_override !== undefined && input.daily_limit_override !== null) ||
      (input.monthly_limit_override !== undefined && input.monthly_limit_override !== null);
    if (settingOverride) {
      if (!input.override_reason?.trim())
        throw invalid('/override_reason', 'required when setting a limit override');
      if (!input.override_approved_by?.trim())
        throw invalid('/override_approved_by', 'required when setting a limit override');
    }
    const now = this.clock.now().getTime();
    const patch: Partial<Account> = { updatedAt: now };
    if (input.name !== undefined) patch.name = input.name;
    if (input.plan !== undefined) patch.plan = input.plan;
    if (input.plan_active !== undefined) patch.planActive = input.plan_active;
    if (input.modules !== undefined) patch.modules = [...new Set(input.modules)];
    if (input.timezone !== undefined) patch.timezone = input.timezone;
    if (input.default_country !== undefined) patch.defaultCountry = input.default_country;
    if (input.optout_confirmation !== undefined) patch.optoutConfirmation = input.optout_confirmation;
    if (input.daily_limit_override !== undefined) patch.dailyLimitOverride = input.daily_limit_override;
    if (input.monthly_limit_override !== undefined) patch.monthlyLimitOverride = input.monthly_limit_override;
    if (settingOverride) {
      patch.overrideReason = input.override_reason?.trim() ?? null;
      patch.overrideApprovedBy = input.override_approved_by?.trim() ?? null;
      patch.overrideApprovedAt = now;
    }
    const after = { ...current, ...patch };
    if (after.dailyLimitOverride === null && after.monthlyLimitOverride === null) {
      patch.overrideReason = null;
      patch.overrideApprovedBy = null;
      patch.overrideApprovedAt = null;
    }
    await this.store.update(id, patch);
    return this.store.get(id);
  }

  limitsFor(account: Account): EffectiveLimits {
    const plan = this.plans.plans[account.plan];
    return {
      daily: account.dailyLimitOverride ?? plan?.daily_limit ?? 0,
      monthly: account.monthlyLimitOverride ?? plan?.monthly_limit ?? 0,
    };
  }

  throttleMultiplier(account: Account): number {
    return this.plans.plans[account.plan]?.throttle_multiplier ?? 1;
  }
}

export function presentAccount(a: Account, limits: EffectiveLimits): AccountResponse {
  return {
    id: a.id,
    name: a.name,
    plan: a.plan,
    plan_active: a.planActive,
    modules: a.modules,
    timezone: a.timezone,
    default_country: a.defaultCountry,
    optout_confirmation: a.optoutConfirmation,
    daily_limit_override: a.dailyLimitOverride,
    monthly_limit_override: a.monthlyLimitOverride,
    override_reason: a.overrideReason,
    override_approved_by: a.overrideApprovedBy,
    override_approved_at: a.overrideApprovedAt === null ? null : new Date(a.overrideApprovedAt).toISOString(),
    limits: { ...limits },
    created_at: new Date(a.createdAt).toISOString(),
    updated_at: new Date(a.updatedAt).toISOString(),
  };
}
